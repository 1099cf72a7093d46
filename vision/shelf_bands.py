"""The detector's learned ``shelf`` bands: which bands are distinct, which form a bay, and the
rows the bands alone would give.

The ``shelf`` class is one box per row band of one bay (from the deck above down to this
deck's edge strip; see ``vision.synth.labels``). Bands of one bay stack vertically; bays stand
side by side. So bands whose horizontal centres lie inside each other's x-range, and which
stack rather than stand side by side, belong to the same bay (union-find).

The bays are what :mod:`vision.shelf_geometry` builds on whichever way rows are found; the
band-only rows (:func:`band_rows`) are kept for comparison with the rows from physical evidence
(:mod:`vision.shelf_edges`): on renders in a style the generator never produced the bands come
out shifted by half a deck, and on real aisles they straddle two decks or merge several.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Bays:
    """Distinct bands, (B, 4) xyxy pixels, and the bay of each, (B,) numbered from 0 at the
    left; ``count`` bays in all."""

    bands: FloatArray
    band_scores: FloatArray
    bay_of_band: IntArray

    @property
    def count(self) -> int:
        return int(self.bay_of_band.max()) + 1 if len(self.bay_of_band) else 0

    def x_range(self, bay: int) -> tuple[float, float]:
        """The bay's horizontal extent in pixels (left of its left band to right of its
        right one: the space between its uprights)."""
        members = self.bands[self.bay_of_band == bay]
        return float(members[:, 0].min()), float(members[:, 2].max())


def find_bays(bands: FloatArray, scores: FloatArray, side_by_side: float) -> Bays:
    """Bays from band boxes ((B, 4) xyxy pixels, (B,) scores): duplicates of a row dropped
    (see :func:`_distinct_bands`), then bays numbered left to right. ``side_by_side`` is the
    vertical overlap (share of the shorter band) from which two bands stand side by side."""
    same_column, overlap = _shared_column_and_height(bands)
    distinct = _distinct_bands(scores, same_column, overlap, side_by_side)
    pairs = np.ix_(distinct, distinct)
    kept, same_column, overlap = bands[distinct], same_column[pairs], overlap[pairs]
    if len(kept) == 0:
        return Bays(kept, scores[distinct], np.zeros(0, np.int64))
    bay_of_band = _bays(kept, same_column & (overlap < side_by_side))
    return Bays(kept, scores[distinct], bay_of_band)


def band_rows(bays: Bays) -> IntArray:
    """Row (1 = top) of every distinct band within its bay, by vertical centre."""
    rows = np.zeros(len(bays.bands), dtype=np.int64)
    centres = (bays.bands[:, 1] + bays.bands[:, 3]) / 2
    for bay in range(bays.count):
        members = np.flatnonzero(bays.bay_of_band == bay)
        order = members[np.argsort(centres[members], kind="stable")]
        rows[order] = np.arange(1, len(order) + 1)
    return rows


def place_on_bands(products: FloatArray, bays: Bays, row_of_band: IntArray
                   ) -> tuple[IntArray, IntArray]:
    """Row (1 = top) and bay per product box, -1 and -1 when it stands on no band: the band
    of its bay that holds its centre or, failing that, the vertically nearest band whose
    x-range holds it, within one and a half half-heights of that band's centre."""
    rows = np.full(len(products), -1, dtype=np.int64)
    bay_of = np.full(len(products), -1, dtype=np.int64)
    bands = bays.bands
    if len(products) == 0 or len(bands) == 0:
        return rows, bay_of
    cx = ((products[:, 0] + products[:, 2]) / 2)[:, None]
    cy = ((products[:, 1] + products[:, 3]) / 2)[:, None]
    inside_x = (cx >= bands[None, :, 0]) & (cx <= bands[None, :, 2])
    band_cy = (bands[:, 1] + bands[:, 3]) / 2
    half = np.maximum((bands[:, 3] - bands[:, 1]) / 2, 1.0)
    # Distance in band half-heights from the band's vertical centre; <= 1 means inside.
    distance = np.abs(cy - band_cy[None, :]) / half[None, :]
    distance = np.where(inside_x, distance, np.inf)
    best = np.argmin(distance, axis=1)
    reachable = distance[np.arange(len(products)), best] <= 1.5
    rows[reachable] = row_of_band[best[reachable]]
    bay_of[reachable] = bays.bay_of_band[best[reachable]]
    return rows, bay_of


def _shared_column_and_height(bands: FloatArray) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Per pair of bands: whether each one's horizontal centre lies inside the other's
    x-range (the same bay's centre line), and their vertical overlap as a share of the
    shorter band's height."""
    centre = (bands[:, 0] + bands[:, 2]) / 2
    inside = (centre[None, :] >= bands[:, None, 0]) & (centre[None, :] <= bands[:, None, 2])
    heights = bands[:, 3] - bands[:, 1]
    overlap = (np.minimum(bands[:, None, 3], bands[None, :, 3])
               - np.maximum(bands[:, None, 1], bands[None, :, 1]))
    shorter = np.maximum(np.minimum(heights[:, None], heights[None, :]), 1e-6)
    return inside & inside.T, overlap / shorter


def _distinct_bands(scores: FloatArray, same_column: npt.NDArray[np.bool_],
                    overlap: FloatArray, side_by_side: float) -> IntArray:
    """Indices of the bands to keep, best score first: a band on the same centre line as a
    better one, and overlapping it vertically by ``side_by_side`` of the shorter height or
    more, is a second box on the same row (the detector's NMS keeps a narrower box of a row
    when its IoU with the full-width one stays under 0.7), not a row of its own."""
    duplicate = same_column & (overlap >= side_by_side)
    kept: list[int] = []
    for index in np.argsort(-scores, kind="stable").tolist():
        if not duplicate[index, kept].any():
            kept.append(index)
    return np.array(sorted(kept), dtype=np.int64)


def _bays(bands: FloatArray, linked: npt.NDArray[np.bool_]) -> IntArray:
    """Bay index per band, bays numbered left to right. ``linked`` pairs are rows of one
    bay: they share its vertical centre line (each band's x-centre inside the other's
    x-range; plain x-overlap is not enough, since in a photo taken at an angle the
    neighbouring bay's narrow, foreshortened bands overlap this bay's wide ones) and stack
    rather than stand side by side."""
    count = len(bands)
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(linked, 1)), strict=True):
        parent[root(int(i))] = root(int(j))
    roots = np.array([root(i) for i in range(count)])
    left = {r: float(bands[roots == r, 0].min()) for r in set(roots.tolist())}
    order = {r: n for n, r in enumerate(sorted(left, key=left.__getitem__))}
    return np.array([order[r] for r in roots.tolist()], dtype=np.int64)

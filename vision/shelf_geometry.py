"""Shelf rows from detections: which packs stand on which shelf, counted from the top.

Bays come from the detector's learned ``shelf`` bands (:mod:`vision.shelf_bands`: bands that
share a centre line and stack form a bay, bays numbered from 0 at the left). Rows come from
physical evidence (:mod:`vision.shelf_edges`): each deck's front edge, found from the price
tags along it, the base line of the packs standing on it and, as one signal among them, the
bottom of a band. A row is the space between two consecutive edges of one bay, numbered from
1 at the top; its box runs from the top of the tallest packs standing on the deck down to the
bottom of the deck's edge strip (price tags included), across the bay. A pack stands on the
row whose edge is the first one below its bottom; a pack below every edge of its bay, or
further above the first edge than a row reaches, stands on no row (``None``). No row is ever
numbered 0.

Where the top of a bay may lie outside the photo (a pack of the top row cut by the frame, a
deck seen above the first edge with no edge of its own found, the top band touching the
frame, or no room above the first edge for a whole row), :attr:`ShelfLayout.top_cut_bays`
says so: "row 2 from the top" can't be trusted there, and the verdict asks for review
instead of numbering from a guess.

``GeometryPolicy(rows_from=RowSource.BANDS)`` keeps the rows the bands alone give (each
distinct band a row, a pack on the band holding its centre), for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from vision.detector import Detections, iou_matrix
from vision.shelf_bands import Bays, band_rows, find_bays, place_on_bands
from vision.shelf_edges import BayEdges, EdgePolicy, bay_edges

PRODUCT, SHELF, PRICE_TAG = 0, 1, 2

FloatArray = npt.NDArray[np.float32]
Box = tuple[float, float, float, float]


class RowSource(StrEnum):
    """Where rows come from: physical evidence (the default) or the learned bands alone."""

    EVIDENCE = "evidence"
    BANDS = "bands"


@dataclass(frozen=True, slots=True)
class GeometryPolicy:
    """Thresholds. ``min_*_score`` filter weak detections; ``side_by_side_overlap`` is the
    vertical overlap (share of the shorter band) from which two bands stand side by side
    (different bays) rather than stack; ``edge_margin`` (share of the image height) decides
    when a box touches the frame's edge. A pack whose bottom is up to ``below_edge`` strip
    heights below an edge's strip still stands on it; the top row reaches ``top_reach`` edge
    spacings above the first edge, and the photo must show ``top_room`` spacings above it
    for the bay's top to count as seen; a band whose bottom is within ``band_match``
    spacings of the first edge is that row's band. ``edges`` tunes the edge search."""

    min_shelf_score: float = 0.35
    min_product_score: float = 0.25
    min_tag_score: float = 0.3
    side_by_side_overlap: float = 0.5
    edge_margin: float = 0.01
    rows_from: RowSource = RowSource.EVIDENCE
    below_edge: float = 0.5
    top_reach: float = 0.9
    top_room: float = 0.7
    band_match: float = 0.3
    top_headroom: float = 0.15
    edges: EdgePolicy = field(default_factory=EdgePolicy)


@dataclass(frozen=True, slots=True)
class ShelfRow:
    """One row: its bay (0 = leftmost), row number (1 = top) and xyxy box in pixels."""

    bay: int
    row: int
    box: Box


@dataclass(frozen=True, slots=True)
class ShelfLayout:
    """Rows found and where each product stands.

    ``product_rows[i]`` is the row (1 = top) of the i-th product box in ``product_boxes``
    ((N, 4) xyxy pixels), None when it stands on no row; ``product_bays[i]`` its bay (None:
    in no bay). ``rows_per_bay`` counts rows per bay; ``extent`` is the xyxy union of the
    rows; ``top_cut_bays`` lists the bays whose top may be outside the photo.
    """

    rows: tuple[ShelfRow, ...]
    rows_per_bay: tuple[int, ...]
    product_boxes: FloatArray
    product_scores: FloatArray
    product_rows: tuple[int | None, ...]
    product_bays: tuple[int | None, ...]
    extent: Box | None
    top_cut: bool
    bottom_cut: bool
    top_cut_bays: tuple[int, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.rows)


def shelf_layout(detections: Detections, image_height: int,
                 policy: GeometryPolicy | None = None) -> ShelfLayout:
    """Rows, bays and product placement from one image's detections (pixels)."""
    policy = policy or GeometryPolicy()
    keep_shelf = (detections.classes == SHELF) & (detections.scores >= policy.min_shelf_score)
    keep_product = ((detections.classes == PRODUCT)
                    & (detections.scores >= policy.min_product_score))
    keep_tag = (detections.classes == PRICE_TAG) & (detections.scores >= policy.min_tag_score)
    products = detections.boxes[keep_product].astype(np.float32)
    scores = detections.scores[keep_product].astype(np.float32)
    tags = detections.boxes[keep_tag].astype(np.float32)
    bays = find_bays(detections.boxes[keep_shelf].astype(np.float32),
                     detections.scores[keep_shelf].astype(np.float32),
                     policy.side_by_side_overlap)
    margin = policy.edge_margin * image_height
    if policy.rows_from is RowSource.BANDS:
        rows, product_rows, product_bays, cut = _band_layout(bays, products, margin)
    else:
        rows, product_rows, product_bays, cut = _evidence_layout(
            bays, products, tags, image_height, policy)
    rows = sorted(rows, key=lambda r: (r.bay, r.row))
    count = max((r.bay for r in rows), default=-1) + 1
    extent = None if not rows else (min(r.box[0] for r in rows), min(r.box[1] for r in rows),
                                    max(r.box[2] for r in rows), max(r.box[3] for r in rows))
    return ShelfLayout(
        rows=tuple(rows), rows_per_bay=tuple(sum(r.bay == b for r in rows) for b in range(count)),
        product_boxes=products, product_scores=scores, product_rows=product_rows,
        product_bays=product_bays, extent=extent,
        top_cut=extent is not None and extent[1] <= margin,
        bottom_cut=extent is not None and extent[3] >= image_height - margin,
        top_cut_bays=tuple(sorted(cut)))


def locate(layout: ShelfLayout, boxes: FloatArray) -> tuple[tuple[int | None, ...],
                                                           tuple[int | None, ...]]:
    """Row and bay of other boxes ((N, 4) xyxy pixels: price tags, bands) in ``layout``: the
    row whose box holds the box's centre, the best-overlapping one where several do (None
    and None where none does)."""
    if not layout.rows or len(boxes) == 0:
        return (None,) * len(boxes), (None,) * len(boxes)
    row_boxes = np.array([r.box for r in layout.rows], np.float32)
    cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    holds = ((cx[:, None] >= row_boxes[None, :, 0]) & (cx[:, None] <= row_boxes[None, :, 2])
             & (cy[:, None] >= row_boxes[None, :, 1]) & (cy[:, None] <= row_boxes[None, :, 3]))
    overlap = np.where(holds, iou_matrix(boxes, row_boxes), -1.0)
    best = np.argmax(overlap, axis=1)
    found = holds[np.arange(len(boxes)), best]
    rows = tuple(layout.rows[int(b)].row if ok else None
                 for b, ok in zip(best.tolist(), found.tolist(), strict=True))
    bays = tuple(layout.rows[int(b)].bay if ok else None
                 for b, ok in zip(best.tolist(), found.tolist(), strict=True))
    return rows, bays


_Placed = tuple[list[ShelfRow], tuple[int | None, ...], tuple[int | None, ...], set[int]]


def _evidence_layout(bays: Bays, products: FloatArray, tags: FloatArray, image_height: int,
                     policy: GeometryPolicy) -> _Placed:
    """Rows between the edges of each bay, packs on the first edge below their bottom."""
    margin = policy.edge_margin * image_height
    ranges = [bays.x_range(b) for b in range(bays.count)]
    product_bay = _bay_of(_centres(products), ranges)
    tag_bay = _bay_of(_centres(tags), ranges)
    rows: list[ShelfRow] = []
    product_rows = np.full(len(products), -1, np.int64)
    product_bays = np.full(len(products), -1, np.int64)
    cut: set[int] = set()
    number = 0  # bays without a single edge are no bays: the rest are renumbered
    for bay, x_range in enumerate(ranges):
        mine = np.flatnonzero(product_bay == bay)
        edges = bay_edges(products[mine], tags[tag_bay == bay],
                          bays.bands[bays.bay_of_band == bay], x_range, image_height,
                          policy.edges)
        if len(edges) == 0:
            continue
        placed, above = _place(products[mine], edges, policy)
        product_rows[mine] = placed
        product_bays[mine] = number
        rows += _rows(number, edges, products[mine], placed, x_range)
        if _top_unseen(edges, products[mine], placed, above,
                       bays.bands[bays.bay_of_band == bay], rows[-len(edges)], margin, policy):
            cut.add(number)
        number += 1
    return (rows, tuple(int(r) if r > 0 else None for r in product_rows.tolist()),
            tuple(int(b) if b >= 0 else None for b in product_bays.tolist()), cut)


def _place(products: FloatArray, edges: BayEdges, policy: GeometryPolicy
           ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Row per pack of one bay (-1: on no row) and whether it stands above the top row's
    reach (a deck above the first edge that has no edge of its own)."""
    if len(products) == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    cx = _centres(products)
    bottom = products[:, 3]
    limit = edges.bottom_at(cx) + policy.below_edge * edges.strip[:, None]
    passed = (limit < bottom[None, :]).sum(axis=0)  # edges the pack's bottom is below
    rows = np.where(passed < len(edges), passed + 1, -1).astype(np.int64)
    reach = policy.top_reach * _spacing(edges)
    above = (passed == 0) & (bottom < edges.deck_at(cx)[0] - reach)
    rows[above] = -1
    return rows, above


def _rows(bay: int, edges: BayEdges, products: FloatArray, placed: npt.NDArray[np.int64],
          x_range: tuple[float, float]) -> list[ShelfRow]:
    """The row boxes of one bay: from the top of the tallest packs on each deck (the edge
    above, for a deck without packs) down to the bottom of its strip, across the bay."""
    ends = np.array(x_range, np.float32)
    bottoms = edges.bottom_at(ends)  # (K, 2)
    rows = []
    for index in range(len(edges)):
        number = index + 1
        floor = (float(bottoms[index - 1].min()) if index else
                 max(float(edges.deck_at(ends)[0].min()) - _spacing(edges), 0.0))
        on_it = products[placed == number]
        top = max(float(on_it[:, 1].min()), floor if index else 0.0) if len(on_it) else floor
        rows.append(ShelfRow(bay=bay, row=number,
                             box=(x_range[0], top, x_range[1], float(bottoms[index].max()))))
    return rows


def _spacing(edges: BayEdges) -> float:
    """A row's height in the bay: the median edge spacing, or two packs without it."""
    spacing = edges.spacing()
    return spacing if spacing is not None else 2.0 * max(edges.pack_height, 1.0)


def _top_unseen(edges: BayEdges, products: FloatArray, placed: npt.NDArray[np.int64],
                above: npt.NDArray[np.bool_], bands: FloatArray, top_row: ShelfRow,
                margin: float, policy: GeometryPolicy) -> bool:
    """Whether the top of a bay may be outside the photo: a pack of its top row (or above
    it) cut by the frame's top, a deck seen above the first edge without an edge of its
    own, less than ``top_room`` of a row's height in view above the first edge, or the
    band that ends on the first edge (the learned row 1) cut by the frame's top."""
    spacing = _spacing(edges)
    if bool(above.any()) or bool((products[(placed == 1) | above, 1] <= margin).any()):
        return True
    if (top_row.box[3] - policy.top_room * spacing <= margin
            or top_row.box[1] - policy.top_headroom * spacing <= margin):
        return True
    first = float(edges.bottom_at(np.array([edges.centre_x], np.float32))[0, 0])
    on_first = np.abs(bands[:, 3] - first) <= policy.band_match * spacing
    return bool((bands[on_first, 1] <= margin).any())


def _centres(boxes: FloatArray) -> FloatArray:
    """(N,) horizontal centres of (N, 4) xyxy boxes."""
    return ((boxes[:, 0] + boxes[:, 2]) / 2).astype(np.float32)


def _bay_of(centres: FloatArray, ranges: Sequence[tuple[float, float]]
            ) -> npt.NDArray[np.int64]:
    """Bay per horizontal centre (-1: in none): the bay whose x-range holds it, the one with
    the nearest middle where several do."""
    if not ranges or len(centres) == 0:
        return np.full(len(centres), -1, np.int64)
    spans = np.array(ranges, np.float32)
    inside = (centres[:, None] >= spans[None, :, 0]) & (centres[:, None] <= spans[None, :, 1])
    distance = np.where(inside, np.abs(centres[:, None] - spans.mean(axis=1)[None, :]), np.inf)
    best = np.argmin(distance, axis=1)
    return np.where(inside.any(axis=1), best, -1).astype(np.int64)


def _band_layout(bays: Bays, products: FloatArray, margin: float) -> _Placed:
    """Rows from the learned bands alone (the rows before physical evidence)."""
    row_of_band = band_rows(bays)
    rows = [ShelfRow(bay=int(b), row=int(r), box=(float(x0), float(y0), float(x1), float(y1)))
            for (x0, y0, x1, y1), b, r in zip(bays.bands.tolist(), bays.bay_of_band.tolist(),
                                               row_of_band.tolist(), strict=True)]
    placed, bay_of = place_on_bands(products, bays, row_of_band)
    cut: set[int] = set()
    centres = (products[:, 0] + products[:, 2]) / 2
    for row in rows:
        if row.row != 1:
            continue
        x0, y0, x1, y1 = row.box
        above = ((products[:, 1] <= margin) & (centres >= x0) & (centres <= x1)
                 & (products[:, 3] <= y0 + 0.5 * (y1 - y0)))
        if y0 <= margin or bool(above.any()):
            cut.add(row.bay)
    return (rows, tuple(int(r) if r > 0 else None for r in placed.tolist()),
            tuple(int(b) if b >= 0 else None for b in bay_of.tolist()), cut)


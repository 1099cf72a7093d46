"""Shelf edges of one bay from what every shelf shows, whatever drew it.

Each deck of a bay has a front edge strip. Three kinds of detection point at it:

- the **base line of the packs standing on the deck**: the bottom of every pack box that no
  other pack is stacked under (a stacked pack's bottom is the top of the one below it) and
  that the frame's bottom doesn't cut;
- the **price tags on the strip**: tags line up along it, the deck line a fifth of a tag's
  height above its top (the generator and most stores clip them to the strip's middle);
- the bottom of a learned ``shelf`` band, weighted lower: a model tied to one renderer's
  geometry, shifted by half a deck on another style.

Every candidate is turned into a *deck line* estimate (the pack base, top of the strip, in
pixels), the bay is deskewed by the slope that lines the candidates up best (a photo taken
at an angle tilts every edge), the deskewed heights are clustered into the modes of a
kernel density, and a mode is an edge when enough physical evidence (packs and tags, not
bands alone) stands on it and it doesn't cut through the packs around it (a deck can't pass
through a pack). Each edge gets its own line through its members, since perspective tilts
the top and bottom decks differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class EdgePolicy:
    """Thresholds of the edge search; lengths are shares of the bay's median pack height
    unless said otherwise.

    ``*_weight``: evidence of one pack base, one tag, one band bottom; an edge needs
    ``min_weight`` in all from at least ``min_members`` packs and tags. ``bandwidth`` is the
    kernel's width; modes closer than ``merge_gap`` are one edge and a candidate joins a mode
    within ``reach`` bandwidths. ``max_slope`` (dy/dx) bounds the deskew searched in
    ``slope_steps`` steps. A pack whose bottom is within ``stacked_gap`` (share of its own
    height) of the top of a pack under it is stacked. A tag's deck line is ``tag_above_deck``
    of its height above its top, its strip ``tag_strip`` times its height; without tags the
    strip is ``strip_share`` of a pack. An edge crossing the inner part (``crossing_margin``
    of each pack's height trimmed off both ends) of more packs than ``max_crossing`` of its
    own bases, and of two or more, is dropped.
    """

    base_weight: float = 1.0
    tag_weight: float = 1.5
    band_weight: float = 0.75
    min_weight: float = 2.0
    min_members: int = 2
    bandwidth: float = 0.08
    merge_gap: float = 0.45
    reach: float = 3.0
    max_slope: float = 0.2
    slope_steps: int = 41
    stacked_gap: float = 0.2
    tag_above_deck: float = 0.2
    tag_strip: float = 1.43
    strip_share: float = 0.2
    crossing_margin: float = 0.2
    max_crossing: float = 0.5
    max_keystone: float = 0.5
    min_share_of_median: float = 0.5
    min_tagged_share: float = 0.1
    seam_size: float = 0.35
    seam_gap: float = 0.25
    seam_overlap: float = 0.3
    seam_share: float = 0.5
    keystone_steps: int = 11


@dataclass(frozen=True, slots=True)
class BayEdges:
    """The edges of one bay, top to bottom, K of them: the deck line (pack base, pixels) at
    the bay's centre ``centre_x``, its slope (dy/dx), the strip's height below it (pixels)
    and the evidence weight behind it, each (K,) float32; ``pack_height`` is the bay's median
    pack height in pixels (0 without packs)."""

    centre_x: float
    deck: FloatArray
    slope: FloatArray
    strip: FloatArray
    weight: FloatArray
    pack_height: float

    def __len__(self) -> int:
        return len(self.deck)

    def deck_at(self, x: FloatArray) -> FloatArray:
        """(K, N) deck line of every edge at the N pixel columns ``x``."""
        return (self.deck[:, None] + self.slope[:, None] * (x[None, :] - self.centre_x)
                ).astype(np.float32)

    def bottom_at(self, x: FloatArray) -> FloatArray:
        """(K, N) bottom of every edge's strip (the row's lower boundary) at columns ``x``."""
        return (self.deck_at(x) + self.strip[:, None]).astype(np.float32)

    def spacing(self) -> float | None:
        """Median distance between consecutive edges in pixels (None with fewer than two)."""
        return float(np.median(np.diff(self.deck))) if len(self.deck) >= 2 else None


def no_edges(centre_x: float, pack_height: float = 0.0) -> BayEdges:
    """A bay without a single edge."""
    empty = np.zeros(0, np.float32)
    return BayEdges(centre_x, empty, empty, empty, empty, pack_height)


def stacked(products: FloatArray, gap: float) -> BoolArray:
    """(N,) whether each (N, 4) xyxy pack stands on another pack: one under it overlapping
    half the narrower width, its top within ``gap`` of this pack's height of its bottom."""
    if len(products) == 0:
        return np.zeros(0, bool)
    x0, y0, x1, y1 = (products[:, i] for i in range(4))
    width = np.maximum(x1 - x0, 1e-3)
    overlap = np.minimum(x1[:, None], x1[None, :]) - np.maximum(x0[:, None], x0[None, :])
    wide = overlap >= 0.5 * np.minimum(width[:, None], width[None, :])
    height = np.maximum(y1 - y0, 1e-3)
    touching = np.abs(y1[:, None] - y0[None, :]) <= gap * height[:, None]
    below = y0[None, :] > y0[:, None] + 0.5 * height[:, None]
    under = wide & touching & below
    np.fill_diagonal(under, False)
    return np.asarray(under.any(axis=1), dtype=bool)


def bay_edges(products: FloatArray, tags: FloatArray, bands: FloatArray,
              x_range: tuple[float, float], image_height: int,
              policy: EdgePolicy | None = None) -> BayEdges:
    """The edges of one bay from its (P, 4) pack, (T, 4) price-tag and (B, 4) band boxes
    (xyxy pixels) and its horizontal extent ``x_range`` (pixels); ``image_height`` in
    pixels tells which packs the frame's bottom cuts."""
    policy = policy or EdgePolicy()
    centre = (x_range[0] + x_range[1]) / 2
    heights = products[:, 3] - products[:, 1]
    if len(products) == 0:
        return no_edges(centre)
    pack = float(np.median(heights))
    tag_h = tags[:, 3] - tags[:, 1]
    bay_strip = (float(np.median(tag_h)) * policy.tag_strip if len(tags)
                 else policy.strip_share * pack)
    base = ~stacked(products, policy.stacked_gap) & (products[:, 3] < image_height - 2)
    ys = np.concatenate([products[base, 3], tags[:, 1] - policy.tag_above_deck * tag_h,
                         bands[:, 3] - bay_strip]).astype(np.float32)
    xs = np.concatenate([(products[base, 0] + products[base, 2]) / 2,
                         (tags[:, 0] + tags[:, 2]) / 2,
                         np.full(len(bands), centre)]).astype(np.float32)
    kind = np.concatenate([np.zeros(int(base.sum()), np.int64), np.ones(len(tags), np.int64),
                           np.full(len(bands), 2, np.int64)])
    weights = np.array([policy.base_weight, policy.tag_weight, policy.band_weight],
                       np.float32)[kind]
    sigma = max(policy.bandwidth * pack, 1.0)
    dx = xs - centre
    middle = float(np.median(ys))
    tilt, keystone = _deskew(ys, dx, weights, sigma, kind < 2, middle, image_height, policy)
    flat = _flatten(ys, dx, tilt, keystone, middle)
    label = _modes(flat, weights, sigma, policy.merge_gap * pack, policy.reach * sigma)
    decks, strips, evidence, covered, tagged = [], [], [], [], []
    first_tag = int(base.sum())
    for mode in range(int(label.max()) + 1 if len(label) else 0):
        members = label == mode
        physical = members & (kind < 2)
        weight = float(weights[members].sum())
        if int(physical.sum()) < policy.min_members or weight < policy.min_weight:
            continue
        deck = float(np.average(flat[members], weights=weights[members]))
        slope = tilt + keystone * (deck - middle)
        if _cuts_through(products, deck, slope, centre, int((members & (kind == 0)).sum()),
                         policy):
            continue
        member_tags = tag_h[members[first_tag:first_tag + len(tags)]]
        if len(member_tags) == 0 and _seam(products[base][members[:first_tag]], products,
                                           policy):
            continue
        decks.append(deck)
        strips.append(float(np.median(member_tags)) * policy.tag_strip if len(member_tags)
                      else bay_strip)
        evidence.append(weight)
        covered.append(_coverage(products[base][members[:first_tag]], x_range))
        tagged.append(len(member_tags) > 0)
    if evidence:
        # An edge whose packs cover far less of the bay than the other edges' do is a stack's
        # seam or stray boxes, unless a tag says a strip is there.
        share = np.array(covered) / max(float(np.median(covered)), 1e-6)
        strong = (share >= policy.min_share_of_median) | (np.array(tagged)
                                                          & (share >= policy.min_tagged_share))
        decks, strips, evidence = ([v for v, ok in zip(values, strong, strict=True) if ok]
                                   for values in (decks, strips, evidence))
    slopes = [tilt + keystone * (deck - middle) for deck in decks]
    order = np.argsort(decks, kind="stable")
    return BayEdges(centre, np.array(decks, np.float32)[order],
                    np.array(slopes, np.float32)[order], np.array(strips, np.float32)[order],
                    np.array(evidence, np.float32)[order], pack)


def _flatten(ys: FloatArray, dx: FloatArray, tilt: float, keystone: float,
             middle: float) -> FloatArray:
    """Heights at the bay's centre column of candidates at heights ``ys`` and columns ``dx``
    from it, every edge's slope being ``tilt + keystone * (its height - middle)`` (edges
    that meet at one vanishing point, as a fixture's parallel decks do in a photo)."""
    flat: FloatArray = ((ys - tilt * dx + keystone * middle * dx) / (1.0 + keystone * dx)
                        ).astype(np.float32)
    return flat


def _deskew(ys: FloatArray, dx: FloatArray, weights: FloatArray, sigma: float,
            physical: BoolArray, middle: float, image_height: int,
            policy: EdgePolicy) -> tuple[float, float]:
    """(tilt, keystone): the slope at ``middle`` and its change per pixel of height under
    which the physical candidates line up best, by a grid search maximising the sum of
    squares of their weighted height histogram (bins of ``sigma``; bands have no slope)."""
    y, x, w = ys[physical], dx[physical], weights[physical]
    if len(y) < 3 or float(np.ptp(x)) < 1.0:
        return 0.0, 0.0
    tilts = np.linspace(-policy.max_slope, policy.max_slope, policy.slope_steps)
    keystones = np.linspace(-policy.max_keystone, policy.max_keystone,
                            policy.keystone_steps) / max(image_height, 1)
    grid_t, grid_k = (g.reshape(-1) for g in np.meshgrid(tilts, keystones, indexing="ij"))
    flat = ((y[None, :] - grid_t[:, None] * x[None, :] + grid_k[:, None] * middle * x[None, :])
            / (1.0 + grid_k[:, None] * x[None, :]))
    low = float(flat.min())
    bins = np.floor((flat - low) / sigma).astype(np.int64)
    count = int(bins.max()) + 2
    index = bins + count * np.arange(len(grid_t))[:, None]
    histogram = np.bincount(index.reshape(-1), np.broadcast_to(w, flat.shape).reshape(-1),
                            minlength=count * len(grid_t)).reshape(len(grid_t), count)
    score = (histogram ** 2).sum(axis=1) + (histogram[:, 1:] * histogram[:, :-1]).sum(axis=1)
    # Prefer the level reading among equally good ones (a frontal photo's edges).
    score = score - 1e-3 * score.max() * (np.abs(grid_t) / policy.max_slope
                                          + np.abs(grid_k) * max(image_height, 1)
                                          / max(policy.max_keystone, 1e-6))
    best = int(np.argmax(score))
    return float(grid_t[best]), float(grid_k[best])


def _modes(flat: FloatArray, weights: FloatArray, sigma: float, merge_gap: float,
           reach: float) -> npt.NDArray[np.int64]:
    """Mode index per candidate (-1: near no mode): the local maxima of the weighted kernel
    density of the deskewed heights, heaviest first, a mode within ``merge_gap`` of a
    heavier one dropped; candidates join the nearest mode within ``reach`` pixels."""
    if len(flat) == 0:
        return np.zeros(0, np.int64)
    step = sigma / 3
    grid = np.arange(float(flat.min()) - 3 * sigma, float(flat.max()) + 3 * sigma, step,
                     dtype=np.float32)
    density = (weights[None, :] * np.exp(-0.5 * ((grid[:, None] - flat[None, :]) / sigma) ** 2)
               ).sum(axis=1)
    padded = np.concatenate([[-1.0], density, [-1.0]])
    peaks = np.flatnonzero((density >= padded[:-2]) & (density > padded[2:]))
    kept: list[float] = []
    for index in peaks[np.argsort(-density[peaks], kind="stable")].tolist():
        if all(abs(grid[index] - other) >= merge_gap for other in kept):
            kept.append(float(grid[index]))
    centres = np.array(sorted(kept), np.float32)
    distance = np.abs(flat[:, None] - centres[None, :])
    nearest = np.argmin(distance, axis=1)
    return np.where(distance[np.arange(len(flat)), nearest] <= reach, nearest, -1)


def _coverage(bases: FloatArray, x_range: tuple[float, float]) -> float:
    """Share of the bay's width the packs' bottoms cover (their union)."""
    if len(bases) == 0:
        return 0.0
    order = np.argsort(bases[:, 0])
    x0 = np.clip(bases[order, 0], *x_range)
    x1 = np.clip(bases[order, 2], *x_range)
    reach = np.maximum.accumulate(x1)
    starts = np.maximum(x0, np.concatenate([[x_range[0]], reach[:-1]]))
    return float(np.clip(x1 - starts, 0, None).sum()) / max(x_range[1] - x_range[0], 1.0)


def _seam(bases: FloatArray, products: FloatArray, policy: EdgePolicy) -> bool:
    """Whether an edge without tags is the seam between two levels of stacked packs: most
    of its packs stand over a pack of their own size, touching it or one pack's height
    above it (the middle pack of a stack of three missed)."""
    if len(bases) == 0:
        return False
    width = bases[:, 2] - bases[:, 0]
    height = np.maximum(bases[:, 3] - bases[:, 1], 1e-3)
    overlap = (np.minimum(bases[:, None, 2], products[None, :, 2])
               - np.maximum(bases[:, None, 0], products[None, :, 0]))
    widths = products[:, 2] - products[:, 0]
    heights = products[:, 3] - products[:, 1]
    alike = ((overlap >= policy.seam_overlap * np.minimum(width[:, None], widths[None, :]))
             & (np.abs(heights[None, :] / height[:, None] - 1) <= policy.seam_size)
             & (np.abs(widths[None, :] / np.maximum(width[:, None], 1e-3) - 1)
                <= policy.seam_size))
    gap = (products[None, :, 1] - bases[:, None, 3]) / height[:, None]
    under = alike & ((np.abs(gap) <= policy.seam_gap) | (np.abs(gap - 1) <= policy.seam_gap))
    return float(under.any(axis=1).mean()) >= policy.seam_share


def _cuts_through(products: FloatArray, deck: float, slope: float, centre: float,
                  bases: int, policy: EdgePolicy) -> bool:
    """Whether the edge line runs through the middle of too many packs to be a deck."""
    cx = (products[:, 0] + products[:, 2]) / 2
    line = deck + slope * (cx - centre)
    trim = policy.crossing_margin * (products[:, 3] - products[:, 1])
    crossing = int(((products[:, 1] + trim < line) & (line < products[:, 3] - trim)).sum())
    return crossing >= 2 and crossing > policy.max_crossing * bases

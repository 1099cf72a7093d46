"""Shelf fixtures (gondola bays) and what stands on them, in centimetres.

Coordinates are on the fixture's front plane: x grows to the right, y grows downwards from
the top of the fixture run (y = 0 at the top cap, y = ``height_cm`` at the floor). A bay is
bounded by two uprights; it has a top cap, a kick plate at the floor and 3 to 7 shelf decks.
The lowest deck is the base deck just above the kick plate.

A **shelf row** is the band a deck's products occupy: from the underside of the deck above
(or the top cap for the top row) down to the bottom of this deck's edge strip, between the
uprights. Row bands of one bay tile it vertically, so every product's centre lies in exactly
one band; this is the ``shelf`` box the detector learns and the row that golden-zone rules
count from the top (row 1 = top).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from vision.synth.catalogue import Sku

Pose = Literal["standing", "pushed_back", "toppled", "leaning"]

UPRIGHT_CM = 4.0
TOP_CAP_CM = 5.0
KICK_PLATE_CM = 10.0
MIN_ROW_CM = 22.0
BAY_WIDTHS_CM = (66.0, 90.0, 100.0, 120.0, 133.0)


@dataclass(frozen=True, slots=True)
class ShelfRow:
    """One row band of a bay; ``index`` counts from 1 at the top. All values in cm."""

    index: int
    top_cm: float
    deck_cm: float  # top surface of the deck = base line of the products
    edge_bottom_cm: float  # bottom of the edge strip that carries the price tags


@dataclass(frozen=True, slots=True)
class Placement:
    """One pack on a shelf. ``x_cm, y_cm, w_cm, h_cm`` is its front box before posing."""

    sku: Sku
    fixture: int
    row: int
    x_cm: float
    y_cm: float
    w_cm: float
    h_cm: float
    pose: Pose
    angle_deg: float  # rotation for toppled/leaning packs, counter-clockwise


@dataclass(frozen=True, slots=True)
class PriceTag:
    """A price label on a deck's edge strip, in cm."""

    fixture: int
    row: int
    x_cm: float
    y_cm: float
    w_cm: float
    h_cm: float


@dataclass(frozen=True, slots=True)
class Fixture:
    """A bay: its horizontal extent, rows, packs and price tags (cm)."""

    index: int
    x_cm: float
    width_cm: float
    height_cm: float
    rows: tuple[ShelfRow, ...]
    placements: tuple[Placement, ...]
    tags: tuple[PriceTag, ...]

    @property
    def inner_left_cm(self) -> float:
        return self.x_cm + UPRIGHT_CM

    @property
    def inner_right_cm(self) -> float:
        return self.x_cm + self.width_cm - UPRIGHT_CM


def _row_bands(rng: np.random.Generator, height_cm: float, n_rows: int) -> tuple[ShelfRow, ...]:
    usable = height_cm - TOP_CAP_CM - KICK_PLATE_CM
    weights = rng.uniform(0.8, 1.3, size=n_rows)
    spans = MIN_ROW_CM + weights / weights.sum() * (usable - MIN_ROW_CM * n_rows)
    rows: list[ShelfRow] = []
    top = TOP_CAP_CM
    for i, span in enumerate(spans):
        edge_h = float(rng.uniform(3.0, 4.5))
        bottom = top + float(span)
        rows.append(ShelfRow(i + 1, round(top, 2), round(bottom - edge_h, 2), round(bottom, 2)))
        top = bottom
    return tuple(rows)


def _fill_row(
    rng: np.random.Generator,
    catalogue: tuple[Sku, ...],
    fixture: int,
    row: ShelfRow,
    left: float,
    right: float,
    density: float,
) -> tuple[list[Placement], list[PriceTag]]:
    """Facings left to right: runs of one SKU, gaps where stock is out, a tag per run."""
    clear = row.deck_cm - row.top_cm - 1.0
    pool = [s for s in catalogue if s.width_cm < 10.0] if density > 0.5 else list(catalogue)
    # A row shows a handful of SKUs, as planograms group a category on one deck.
    theme_n = min(len(pool), int(rng.integers(2, 9)))
    theme = [pool[int(i)] for i in rng.choice(len(pool), size=theme_n, replace=False)]
    # Shelf spacing is set to the tallest pack plus a little headroom; dense rows hold
    # small packs stacked instead.
    fill = float(rng.uniform(0.3, 0.5)) if density > 0.5 else float(rng.uniform(0.6, 0.95))
    shrink = min(1.6, fill * clear / max(s.height_cm for s in theme))
    placements: list[Placement] = []
    tags: list[PriceTag] = []
    x = left + float(rng.uniform(0.0, 2.0))
    while x < right - 3.0:
        sku = theme[int(rng.integers(len(theme)))]
        w, h = sku.width_cm * shrink, min(sku.height_cm * shrink, clear)
        facings = int(rng.integers(1, 6))
        if rng.random() < 0.1 * (1.0 - density):
            x += w * float(rng.uniform(1.0, 2.5))  # out of stock: an empty slot
            continue
        tag_w = float(rng.uniform(3.5, 6.0))
        strip = row.edge_bottom_cm - row.deck_cm
        if x + tag_w < right:
            tags.append(PriceTag(fixture, row.index, round(x + min(w, 2.0) * 0.3, 2),
                                 round(row.deck_cm + strip * 0.15, 2), round(tag_w, 2),
                                 round(strip * 0.7, 2)))
        stack = 1
        if sku.stackable and rng.random() < 0.25 + 0.5 * density:
            stack = max(1, min(3, int(clear // h)))
        for _ in range(facings):
            pose: Pose = "standing"
            draw_w, draw_h, angle = w, h, 0.0
            roll = rng.random()
            if roll < 0.02 and w < clear and h < (right - x):
                pose, draw_w, draw_h, angle = "toppled", h, w, 90.0
            elif roll < 0.05:
                pose, angle = "leaning", float(rng.choice([-1, 1]) * rng.uniform(6, 18))
            elif roll < 0.13:
                pose = "pushed_back"
            if x + draw_w > right:
                break
            levels = stack if pose == "standing" else 1
            for level in range(levels):
                y = row.deck_cm - draw_h * (level + 1)
                placements.append(Placement(sku, fixture, row.index, round(x, 2), round(y, 2),
                                            round(draw_w, 2), round(draw_h, 2), pose, angle))
            x += draw_w + float(rng.uniform(0.1, 1.2))
        x += float(rng.uniform(0.0, 2.0))
    return placements, tags


def build_fixture(
    rng: np.random.Generator,
    catalogue: tuple[Sku, ...],
    index: int,
    x_cm: float,
    width_cm: float,
    height_cm: float,
    density: float,
) -> Fixture:
    """Lay out one bay of ``width_cm`` × ``height_cm`` whose left upright is at ``x_cm``.

    ``density`` in [0, 1] pushes towards full, tightly packed rows of small packs (up to
    several hundred per run), 0 gives ordinary shelves with gaps.
    """
    width = width_cm
    max_rows = min(7, int((height_cm - TOP_CAP_CM - KICK_PLATE_CM) // MIN_ROW_CM))
    n_rows = int(rng.integers(3, max(3, max_rows) + 1))
    rows = _row_bands(rng, height_cm, n_rows)
    left, right = x_cm + UPRIGHT_CM, x_cm + width - UPRIGHT_CM
    placements: list[Placement] = []
    tags: list[PriceTag] = []
    for row in rows:
        row_p, row_t = _fill_row(rng, catalogue, index, row, left, right, density)
        placements += row_p
        tags += row_t
    return Fixture(index, x_cm, width, height_cm, rows, tuple(placements), tuple(tags))

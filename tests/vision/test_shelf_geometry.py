"""Rows from detections: bays side by side, rows counted from the top, products placed.

The first tests pin the rows the learned bands alone give (``RowSource.BANDS``, kept for
comparison); the rest the served default, rows from physical evidence (pack base lines,
price tags, band bottoms), on bays stocked as real shelves are."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.vision.builders import (
    make_detections,
    make_gondola,
    on_row,
    shelf_detections,
    stocked_bay,
    with_tags,
)
from vision.shelf_geometry import GeometryPolicy, RowSource, shelf_layout

BANDS_ONLY = GeometryPolicy(rows_from=RowSource.BANDS)


def test_rows_are_counted_from_the_top_and_products_placed_by_their_centre() -> None:
    bands = make_gondola(5)
    products = [on_row(bands[0], 120), on_row(bands[2], 300), on_row(bands[4], 500)]
    layout = shelf_layout(shelf_detections(products=products, shelves=bands[::-1]), 1000,
                          BANDS_ONLY)
    assert layout.rows_per_bay == (5,)
    assert [r.row for r in layout.rows] == [1, 2, 3, 4, 5]
    assert list(layout.product_rows) == [1, 3, 5]
    assert list(layout.product_bays) == [0, 0, 0]
    assert not layout.top_cut
    assert not layout.bottom_cut


def test_bays_side_by_side_count_their_rows_separately() -> None:
    left = make_gondola(4, left=0, width=400)
    right = make_gondola(6, left=420, width=400, top=20, row_height=110)
    products = [on_row(left[1], 50), on_row(right[1], 500), on_row(right[5], 700)]
    layout = shelf_layout(shelf_detections(products=products, shelves=right + left), 1000,
                          BANDS_ONLY)
    assert layout.rows_per_bay == (4, 6)
    assert list(layout.product_bays) == [0, 1, 1]
    assert list(layout.product_rows) == [2, 2, 6]


def test_no_shelf_means_no_rows_and_no_guess() -> None:
    layout = shelf_layout(shelf_detections(products=[(10, 10, 50, 80)]), 500,
                          BANDS_ONLY)
    assert not layout.found
    assert list(layout.product_rows) == [None]


def test_a_product_off_every_band_stands_on_no_row() -> None:
    bands = make_gondola(3, left=100, width=300)
    layout = shelf_layout(shelf_detections(products=[(700, 60, 760, 180)], shelves=bands), 1000,
                          BANDS_ONLY)
    assert list(layout.product_rows) == [None]
    assert list(layout.product_bays) == [None]


def test_a_band_touching_the_top_edge_marks_the_fixture_as_cut() -> None:
    layout = shelf_layout(shelf_detections(shelves=make_gondola(3, top=0)), 1000,
                          BANDS_ONLY)
    assert layout.top_cut


def test_weak_shelf_detections_are_ignored() -> None:
    layout = shelf_layout(shelf_detections(shelves=make_gondola(3), score=0.1), 1000,
                          BANDS_ONLY)
    assert not layout.found


@given(dx=st.floats(min_value=-220, max_value=560), dy=st.floats(min_value=-25, max_value=25))
def test_placement_does_not_change_when_a_product_moves_within_its_row(dx: float,
                                                                        dy: float) -> None:
    bands = make_gondola(5)
    x0, y0, x1, y1 = on_row(bands[2], 300)
    moved = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    layout = shelf_layout(shelf_detections(products=[moved], shelves=bands), 1000,
                          BANDS_ONLY)
    assert list(layout.product_rows) == [3]


@pytest.mark.parametrize("duplicate_score", [0.4, 0.95])
def test_a_second_box_on_the_same_row_is_not_a_row_of_its_own(duplicate_score: float) -> None:
    # The detector's NMS (IoU 0.7) can keep a narrower box of a row beside the full-width
    # one; counted as a row, it pushes every row below it down by one.
    bands = make_gondola(6)
    x0, y0, x1, y1 = bands[1]
    narrower = (x0 + 150, y0 + 10, x1 - 20, y1 - 5)
    products = [on_row(bands[3], 300)]
    boxes = [*products, *bands, narrower]
    detections = make_detections(boxes, [0.9] * 7 + [duplicate_score], [0] + [1] * 7)
    layout = shelf_layout(detections, 1000, BANDS_ONLY)
    assert layout.rows_per_bay == (6,)
    assert list(layout.product_rows) == [4]
    kept = next(r.box for r in layout.rows if r.row == 2)
    assert kept == (pytest.approx(narrower) if duplicate_score > 0.9 else bands[1])


def test_rows_that_only_touch_are_kept() -> None:
    bands = make_gondola(4)
    overlapping = [(x0, y0 - 20, x1, y1 + 20) for x0, y0, x1, y1 in bands]
    layout = shelf_layout(shelf_detections(shelves=overlapping), 1000,
                          BANDS_ONLY)
    assert layout.rows_per_bay == (4,)


# Rows from physical evidence (the default).

def rows_of(layout) -> list[int | None]:  # type: ignore[no-untyped-def]
    return sorted(set(layout.product_rows), key=lambda r: -1 if r is None else r)


def test_evidence_rows_are_the_decks_counted_from_the_top() -> None:
    packs, tags, bands = stocked_bay(5)
    layout = shelf_layout(with_tags(packs, tags, bands), 1000)
    assert layout.rows_per_bay == (5,)
    assert [r.row for r in layout.rows] == [1, 2, 3, 4, 5]
    per_row = len(packs) // 5
    assert list(layout.product_rows) == [row for row in range(1, 6) for _ in range(per_row)]
    # A row runs from the top of its tallest packs down to the bottom of its edge strip.
    top = layout.rows[0].box
    assert top == pytest.approx((100, 80, 900, 200), abs=3)
    assert layout.top_cut_bays == ()


@given(shift=st.floats(min_value=-0.5, max_value=0.5))
def test_bands_shifted_by_up_to_half_a_deck_leave_the_rows_alone(shift: float) -> None:
    # The failure seen on renders in a new style: bands mid-row to mid-row.
    packs, tags, bands = stocked_bay(5, band_shift=shift)
    layout = shelf_layout(with_tags(packs, tags, bands), 1000)
    assert layout.rows_per_bay == (5,)
    assert rows_of(layout) == [1, 2, 3, 4, 5]
    assert 0 not in layout.product_rows


@pytest.mark.parametrize("tags", [True, False])
@pytest.mark.parametrize("slope", [-0.08, 0.0, 0.08])
def test_a_photo_taken_at_an_angle_keeps_its_rows(tags: bool, slope: float) -> None:
    packs, price_tags, bands = stocked_bay(5, tags=tags, top=150)

    def tilted(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = box
        dy = slope * ((x0 + x1) / 2 - 500)
        return (x0, y0 + dy, x1, y1 + dy)

    layout = shelf_layout(with_tags([tilted(b) for b in packs], [tilted(b) for b in price_tags],
                                    bands), 1100)
    per_row = len(packs) // 5
    assert list(layout.product_rows) == [row for row in range(1, 6) for _ in range(per_row)]


def test_packs_cut_by_the_frame_top_mark_the_bay_as_cut() -> None:
    packs, tags, bands = stocked_bay(5, top=-60)  # the top row's packs reach above the frame
    inside = [(x0, max(y0, 0.0), x1, y1) for x0, y0, x1, y1 in packs if y1 > 0]
    layout = shelf_layout(with_tags(inside, tags, [b for b in bands if b[3] > 0]), 1000)
    assert layout.top_cut_bays == (0,)


def test_without_packs_there_are_no_rows_and_no_row_zero() -> None:
    _, tags, bands = stocked_bay(4)
    layout = shelf_layout(with_tags([], tags, bands), 1000)
    assert not layout.found
    floating = shelf_layout(shelf_detections(products=[(10, 10, 50, 80)]), 500)
    assert list(floating.product_rows) == [None]
    assert list(floating.product_bays) == [None]


def test_a_pack_outside_every_bay_stands_on_no_row() -> None:
    packs, tags, bands = stocked_bay(3, width=400)
    layout = shelf_layout(with_tags([*packs, (700, 60, 760, 170)], tags, bands), 1000)
    assert layout.product_rows[-1] is None
    assert layout.product_bays[-1] is None
    assert set(layout.product_rows[:-1]) == {1, 2, 3}


def test_two_bays_side_by_side_number_their_own_rows() -> None:
    left = stocked_bay(4, left=0, width=400)
    right = stocked_bay(6, left=420, width=420, top=20, row_height=110, pack_height=75)
    layout = shelf_layout(with_tags(*(a + b for a, b in zip(left, right, strict=True))), 1000)
    assert layout.rows_per_bay == (4, 6)
    assert {r for r, b in zip(layout.product_rows, layout.product_bays, strict=True)
            if b == 1} == set(range(1, 7))

"""Rows from detections: bays side by side, rows counted from the top, products placed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.vision.builders import make_detections, make_gondola, on_row, shelf_detections
from vision.shelf_geometry import shelf_layout


def test_rows_are_counted_from_the_top_and_products_placed_by_their_centre() -> None:
    bands = make_gondola(5)
    products = [on_row(bands[0], 120), on_row(bands[2], 300), on_row(bands[4], 500)]
    layout = shelf_layout(shelf_detections(products=products, shelves=bands[::-1]), 1000)
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
    layout = shelf_layout(shelf_detections(products=products, shelves=right + left), 1000)
    assert layout.rows_per_bay == (4, 6)
    assert list(layout.product_bays) == [0, 1, 1]
    assert list(layout.product_rows) == [2, 2, 6]


def test_no_shelf_means_no_rows_and_no_guess() -> None:
    layout = shelf_layout(shelf_detections(products=[(10, 10, 50, 80)]), 500)
    assert not layout.found
    assert list(layout.product_rows) == [0]


def test_a_product_off_every_band_stands_on_no_row() -> None:
    bands = make_gondola(3, left=100, width=300)
    layout = shelf_layout(shelf_detections(products=[(700, 60, 760, 180)], shelves=bands), 1000)
    assert list(layout.product_rows) == [0]
    assert list(layout.product_bays) == [-1]


def test_a_band_touching_the_top_edge_marks_the_fixture_as_cut() -> None:
    layout = shelf_layout(shelf_detections(shelves=make_gondola(3, top=0)), 1000)
    assert layout.top_cut


def test_weak_shelf_detections_are_ignored() -> None:
    layout = shelf_layout(shelf_detections(shelves=make_gondola(3), score=0.1), 1000)
    assert not layout.found


@given(dx=st.floats(min_value=-220, max_value=560), dy=st.floats(min_value=-25, max_value=25))
def test_placement_does_not_change_when_a_product_moves_within_its_row(dx: float,
                                                                        dy: float) -> None:
    bands = make_gondola(5)
    x0, y0, x1, y1 = on_row(bands[2], 300)
    moved = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    layout = shelf_layout(shelf_detections(products=[moved], shelves=bands), 1000)
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
    layout = shelf_layout(detections, 1000)
    assert layout.rows_per_bay == (6,)
    assert list(layout.product_rows) == [4]
    kept = next(r.box for r in layout.rows if r.row == 2)
    assert kept == (pytest.approx(narrower) if duplicate_score > 0.9 else bands[1])


def test_rows_that_only_touch_are_kept() -> None:
    bands = make_gondola(4)
    overlapping = [(x0, y0 - 20, x1, y1 + 20) for x0, y0, x1, y1 in bands]
    layout = shelf_layout(shelf_detections(shelves=overlapping), 1000)
    assert layout.rows_per_bay == (4,)

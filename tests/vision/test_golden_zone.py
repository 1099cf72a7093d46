"""Golden-zone verdicts from placed products, and policies read from a director's rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.vision.builders import make_gondola, on_row, shelf_detections
from vision.golden_zone import (
    GoldenZonePolicy,
    PassRule,
    golden_zone_verdict,
    policy_from_mapping,
)
from vision.shelf_geometry import GeometryPolicy, RowSource, shelf_layout
from visitproof.errors import InvalidInput

BANDS = make_gondola(5)  # rows 1..5 from the top; default golden rows 2-3
# The verdict's rules, not the row search: single facings placed on the bands' rows.
ON_BANDS = GeometryPolicy(rows_from=RowSource.BANDS)


def verdict(placed: list[tuple[int, str | None]], featured: list[str],
            policy: GoldenZonePolicy | None = None):  # type: ignore[no-untyped-def]
    """``placed``: (row, sku) per product facing."""
    products = [on_row(BANDS[row - 1], 120 + 70 * n) for n, (row, _) in enumerate(placed)]
    layout = shelf_layout(shelf_detections(products=products, shelves=BANDS), 1000,
                          ON_BANDS)
    return golden_zone_verdict(layout, [sku for _, sku in placed], featured,
                               policy or GoldenZonePolicy())


@pytest.mark.parametrize(("placed", "featured", "passed", "codes", "counts"), [
    ([(2, "A"), (3, "A")], ["A"], True, [], {"A": (2, 0, (2, 3))}),
    ([(1, "A"), (5, "A")], ["A"], False, ["FEATURED_NOT_IN_GOLDEN_ZONE"], {"A": (0, 2, (1, 5))}),
    ([(2, "A"), (4, "A")], ["A"], True, [], {"A": (1, 1, (2, 4))}),
    ([(2, "B")], ["A"], False, ["FEATURED_ABSENT"], {"A": (0, 0, ())}),
    ([(2, "A"), (5, "B")], ["A", "B"], False, ["FEATURED_NOT_IN_GOLDEN_ZONE"],
     {"A": (1, 0, (2,)), "B": (0, 1, (5,))}),
    ([(3, None), (3, "A")], ["A"], True, [], {"A": (1, 0, (3,))}),
])
def test_verdict_per_featured_sku(placed: list[tuple[int, str | None]], featured: list[str],
                                  passed: bool, codes: list[str],
                                  counts: dict[str, tuple[int, int, tuple[int, ...]]]) -> None:
    result = verdict(placed, featured)
    assert result.passed is passed
    assert [r.code for r in result.reasons] == codes
    assert result.golden_rows == (2, 3)
    assert {p.sku: (p.facings_in_zone, p.facings_elsewhere, p.rows)
            for p in result.featured} == counts


def test_share_in_zone_and_the_share_rule() -> None:
    placed = [(2, "A"), (3, "A"), (5, "A"), (5, "B")]
    policy = GoldenZonePolicy(pass_rule=PassRule.SHARE_IN_ZONE, min_share=0.5)
    result = verdict(placed, ["A", "B"], policy)
    assert result.share_in_zone == pytest.approx(0.5)
    assert result.passed
    strict = GoldenZonePolicy(pass_rule=PassRule.SHARE_IN_ZONE, min_share=0.6)
    assert not verdict(placed, ["A", "B"], strict).passed


def test_any_rule_passes_when_one_featured_sku_is_at_eye_level() -> None:
    policy = GoldenZonePolicy(pass_rule=PassRule.ANY_FEATURED_IN_ZONE)
    assert verdict([(2, "A"), (5, "B")], ["A", "B"], policy).passed


def test_no_featured_products_passes_with_no_share() -> None:
    result = verdict([(2, "A")], [])
    assert result.passed
    assert result.share_in_zone is None


def test_height_band_in_cm_picks_rows_by_height() -> None:
    # 5 rows over 180 cm: rows span 180-144, 144-108, 108-72, 72-36, 36-0 cm.
    policy = GoldenZonePolicy(height_band_cm=(100.0, 150.0), fixture_height_cm=180.0)
    result = verdict([(2, "A"), (3, "A")], ["A"], policy)
    assert result.golden_rows == (2,)
    assert [p.facings_in_zone for p in result.featured] == [1]


def test_mismatched_identities_are_refused() -> None:
    layout = shelf_layout(shelf_detections(products=[on_row(BANDS[1], 100)], shelves=BANDS),
                          1000, ON_BANDS)
    with pytest.raises(InvalidInput, match="one entry per product box"):
        golden_zone_verdict(layout, [], ["A"], GoldenZonePolicy())


@pytest.mark.parametrize(("rules", "expected"), [
    ({"version": "v7", "rows_by_shelf_count": {"5": [2, 3]}}, None),
    ({"rows_by_shelf_count": {"4": [5]}}, "rows must be between 1 and 4"),
    ({"height_band_cm": [160, 100], "fixture_height_cm": 180}, "low < high"),
    ({"pass_rule": "vibes"}, "can't be read"),
    ({"min_share": 2}, "within"),
    ({"colour": "gold"}, "unknown fields"),
])
def test_policies_from_rules_files(rules: dict[str, object], expected: str | None) -> None:
    if expected is None:
        policy = policy_from_mapping(rules)
        assert policy.version == "v7"
        assert policy.golden_rows(5) == (2, 3)
    else:
        with pytest.raises(InvalidInput, match=expected) as caught:
            policy_from_mapping(rules)
        assert caught.value.code == "BAD_POLICY"


@given(st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["A", "B", None])),
                max_size=10), st.integers(-40, 40))
def test_verdict_is_unchanged_when_facings_shift_along_their_row(
        placed: list[tuple[int, str | None]], shift: int) -> None:
    products = [on_row(BANDS[row - 1], 120 + 70 * n) for n, (row, _) in enumerate(placed)]
    moved = [(x0 + shift, y0, x1 + shift, y1) for x0, y0, x1, y1 in products]
    skus = [sku for _, sku in placed]
    results = [golden_zone_verdict(shelf_layout(shelf_detections(products=boxes, shelves=BANDS),
                                                1000, ON_BANDS), skus, ["A", "B"],
                                   GoldenZonePolicy())
               for boxes in (products, moved)]
    assert results[0] == results[1]

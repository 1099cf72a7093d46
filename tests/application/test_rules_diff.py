"""The structural diff of two rule bodies: exactly the changed paths, with old and new
values, in a stable order, never touching its inputs."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.rules_diff import ChangeKind, RuleChange, json_path, rules_diff

ADDED, REMOVED, CHANGED = ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.CHANGED

BASE: dict[str, Any] = {
    "featured": [{"region": "east", "skus": ["SKU-1", "SKU-2"],
                  "valid_from": "2026-11-01", "valid_until": "2026-11-30"}],
    "golden_zones": {"gondola": {"rows_by_shelf_count": {"5": [2, 3]}},
                     "cooler": {"height_band_cm": [100, 160], "fixture_height_cm": 200}},
    "default_fixture_type": "gondola",
    "evidence": {"hospital_department": ["contract_number"]},
}


def edited(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE)
    body.update(changes)
    return body


@pytest.mark.parametrize(("new", "expected"), [
    (BASE, []),
    (edited(default_fixture_type="cooler"),
     [RuleChange("default_fixture_type", CHANGED, "gondola", "cooler")]),
    (edited(golden_zones={"gondola": {"rows_by_shelf_count": {"5": [2, 3]}},
                          "cooler": {"height_band_cm": [90, 160], "fixture_height_cm": 200,
                                     "min_share": 0.6}}),
     [RuleChange("golden_zones.cooler.height_band_cm.0", CHANGED, 100, 90),
      RuleChange("golden_zones.cooler.min_share", ADDED, None, 0.6)]),
    (edited(featured=[{"region": "east", "skus": ["SKU-1"], "valid_from": "2026-11-01",
                       "valid_until": "2026-12-15"}]),
     [RuleChange("featured.0.skus.1", REMOVED, "SKU-2", None),
      RuleChange("featured.0.valid_until", CHANGED, "2026-11-30", "2026-12-15")]),
    (edited(featured=[*BASE["featured"], {"region": "*", "skus": ["SKU-9"],
                                          "valid_from": "2026-12-01",
                                          "valid_until": "2026-12-31"}]),
     [RuleChange("featured.1", ADDED, None, {"region": "*", "skus": ["SKU-9"],
                                              "valid_from": "2026-12-01",
                                              "valid_until": "2026-12-31"})]),
    ({k: v for k, v in BASE.items() if k != "evidence"},
     [RuleChange("evidence", REMOVED, {"hospital_department": ["contract_number"]}, None)]),
    (edited(evidence=["contract_number"]),  # an object became a list: one change, not many
     [RuleChange("evidence", CHANGED, {"hospital_department": ["contract_number"]},
                 ["contract_number"])]),
    (edited(golden_zones={"gondola": {"rows_by_shelf_count": {"5": [2, 3]}},
                          "cooler": {"height_band_cm": [100, 160], "fixture_height_cm": None}}),
     [RuleChange("golden_zones.cooler.fixture_height_cm", CHANGED, 200, None)]),
])
def test_the_diff_lists_exactly_the_changed_paths(new: dict[str, Any],
                                                  expected: list[RuleChange]) -> None:
    before = copy.deepcopy(BASE), copy.deepcopy(new)
    assert list(rules_diff(BASE, new)) == expected
    assert (BASE, new) == before  # inputs untouched


def test_removed_keys_come_in_the_old_order_then_added_ones_in_the_new_order() -> None:
    changes = rules_diff({"a": 1, "b": 2, "c": 3}, {"z": 0, "c": 4, "y": 5})
    assert [(c.path, c.kind) for c in changes] == [
        ("a", REMOVED), ("b", REMOVED), ("c", CHANGED), ("z", ADDED), ("y", ADDED)]


@pytest.mark.parametrize(("old", "new"), [(True, 1), (0, False), ({}, []), ("1", 1)])
def test_json_types_are_told_apart(old: Any, new: Any) -> None:
    assert rules_diff({"x": old}, {"x": new}) == (RuleChange("x", CHANGED, old, new),)


@pytest.mark.parametrize(("parts", "path"), [
    (("featured", 0, "skus", 1), "featured.0.skus.1"),
    (("golden_zones", "cooler.v2", "min_share"), 'golden_zones["cooler.v2"].min_share'),
    (("golden_zones", ""), 'golden_zones[""]'),
    (("golden_zones", "a[b]"), 'golden_zones["a[b]"]'),
    (("évidence",), "évidence"),
])
def test_json_path(parts: tuple[str | int, ...], path: str) -> None:
    assert json_path(parts) == path


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab", max_size=2),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text("abc.", max_size=2), inner, max_size=3),
    max_leaves=12)
_bodies = st.dictionaries(st.text("abc", max_size=2), _json, max_size=4)


@given(_bodies, _bodies)
def test_equal_bodies_have_no_diff_and_a_diff_is_its_mirror(old: dict[str, Any],
                                                            new: dict[str, Any]) -> None:
    assert rules_diff(old, copy.deepcopy(old)) == ()
    forward, backward = rules_diff(old, new), rules_diff(new, old)
    mirror = {ADDED: REMOVED, REMOVED: ADDED, CHANGED: CHANGED}
    assert sorted(repr((c.path, mirror[c.kind], c.new, c.old)) for c in forward) == \
        sorted(repr((c.path, c.kind, c.old, c.new)) for c in backward)
    if not forward:  # no difference: equal (the diff is stricter than ==: true is not 1)
        assert old == new

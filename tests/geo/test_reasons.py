"""The reason-code table: complete, stable, and its messages render."""

from __future__ import annotations

import string

import pytest

from geo.reasons import SPECS, FixReasonCode, duration, metres, risk_score, speed, status_for


def test_every_code_has_a_spec_with_a_weight_in_unit_interval() -> None:
    assert set(SPECS) == set(FixReasonCode)
    for code, spec in SPECS.items():
        assert code.value == code.name
        assert 0.0 < spec.weight <= 1.0


@pytest.mark.parametrize("code", list(FixReasonCode))
def test_templates_name_only_fields(code: FixReasonCode) -> None:
    fields = [name for _, name, _, _ in string.Formatter().parse(SPECS[code].template) if name]
    assert all(name.isidentifier() for name in fields)


@pytest.mark.parametrize(("value", "text"), [(1820.4, "1,820 m"), (12_400.0, "12.4 km"),
                                             (float("inf"), "an unknown distance")])
def test_metres(value: float, text: str) -> None:
    assert metres(value) == text


@pytest.mark.parametrize(("seconds", "text"), [(30, "30 s"), (95, "1 min 35 s"),
                                               (4500, "1 h 15 min"), (-600, "10 min"),
                                               (3 * 86400, "3.0 days")])
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_speed_and_combination_rules() -> None:
    assert speed(150 / 3.6) == "150 km/h"
    assert status_for([]) == "verified"
    assert status_for(["SUBMITTED_LATE"]) == "needs_review"
    assert status_for(["SUBMITTED_LATE", "MOCK_LOCATION_FLAG"]) == "rejected"
    assert risk_score(["SUBMITTED_LATE", "SUBMITTED_LATE"]) == risk_score(["SUBMITTED_LATE"])
    assert risk_score(list(FixReasonCode)) == 1.0

"""The fix codes' risk weights, and the number formats their messages use."""

from __future__ import annotations

import pytest

from geo.reasons import FIX_CODES, WEIGHTS, duration, metres, position_trusted, risk_score, speed
from visitproof.reasons import REASONS, ReasonCode, Severity


def test_every_fix_code_has_a_weight_in_unit_interval_and_can_fail_a_fix() -> None:
    assert FIX_CODES
    for code in FIX_CODES:
        assert 0.0 < WEIGHTS[code] <= 1.0
        assert REASONS[code].severity in (Severity.REJECT, Severity.REVIEW)


@pytest.mark.parametrize(("value", "text"), [(1820.4, "1,820 m"), (12_400.0, "12.4 km"),
                                             (float("inf"), "an unknown distance")])
def test_metres(value: float, text: str) -> None:
    assert metres(value) == text


@pytest.mark.parametrize(("seconds", "text"), [(30, "30 s"), (95, "1 min 35 s"),
                                               (4500, "1 h 15 min"), (-600, "10 min"),
                                               (3 * 86400, "3.0 days")])
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_speed_risk_and_position_rules() -> None:
    assert speed(150 / 3.6) == "150 km/h"
    assert risk_score(["SUBMITTED_LATE", "SUBMITTED_LATE"]) == risk_score(["SUBMITTED_LATE"])
    assert risk_score(list(FIX_CODES)) == 1.0
    assert position_trusted(["SUBMITTED_LATE", "PHOTO_BLURRY"])
    assert not position_trusted([ReasonCode.GPS_OUTSIDE_GEOFENCE])

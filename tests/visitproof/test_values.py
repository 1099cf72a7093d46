"""Coordinate and timestamp validation: the codes every layer relies on."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from visitproof.errors import InvalidValue
from visitproof.values import (
    parse_utc,
    require_identifier,
    require_lat,
    require_lon,
    require_not_future,
    require_text,
    require_utc,
)


@given(st.floats(min_value=-90, max_value=90))
def test_every_latitude_in_range_is_accepted_unchanged(lat: float) -> None:
    assert require_lat(lat) == lat


@given(st.floats(min_value=-180, max_value=180))
def test_every_longitude_in_range_is_accepted_unchanged(lon: float) -> None:
    assert require_lon(lon) == lon


@given(st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda x: not math.isfinite(x) or abs(x) > 90))
def test_latitudes_outside_range_or_not_finite_are_refused(lat: float) -> None:
    with pytest.raises(InvalidValue) as caught:
        require_lat(lat)
    expected = "COORDINATE_NOT_FINITE" if not math.isfinite(lat) else "LAT_OUT_OF_RANGE"
    assert caught.value.code == expected


@given(st.floats(allow_nan=True, allow_infinity=True).filter(
    lambda x: not math.isfinite(x) or abs(x) > 180))
def test_longitudes_outside_range_or_not_finite_are_refused(lon: float) -> None:
    with pytest.raises(InvalidValue) as caught:
        require_lon(lon)
    expected = "COORDINATE_NOT_FINITE" if not math.isfinite(lon) else "LON_OUT_OF_RANGE"
    assert caught.value.code == expected


@given(st.datetimes(), st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_aware_instants_come_back_as_the_same_instant_in_utc(naive: datetime,
                                                             offset_minutes: int) -> None:
    # Fixed offsets: what an ISO 8601 string from a phone carries.
    moment = naive.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    try:
        converted = require_utc(moment, "t")
    except OverflowError:
        return  # year 1 minus an offset: not an instant a phone can send
    assert converted.tzinfo is UTC
    assert converted.tzinfo is UTC
    assert converted == moment


@given(st.datetimes())
def test_naive_datetimes_are_refused(moment: datetime) -> None:
    with pytest.raises(InvalidValue) as caught:
        require_utc(moment, "departed_at")
    assert caught.value.code == "NAIVE_TIMESTAMP"
    assert caught.value.field == "departed_at"


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1)),
       st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_iso_text_with_an_offset_round_trips(moment: datetime, offset_minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert parse_utc(aware.isoformat(), "t") == aware


@pytest.mark.parametrize(("text", "code"), [
    ("2026-11-03T09:15:00", "NAIVE_TIMESTAMP"),
    ("2026-11-03 09:15", "NAIVE_TIMESTAMP"),
    ("03/11/2026 09:15", "BAD_TIMESTAMP"),
    ("yesterday", "BAD_TIMESTAMP"),
    ("2026-13-03T09:15:00Z", "BAD_TIMESTAMP"),
    ("   ", "EMPTY_FIELD"),
])
def test_unreadable_or_naive_timestamp_text_gets_its_code(text: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_utc(text, "created_at")
    assert caught.value.code == code


@pytest.mark.parametrize(("value", "ok"), [
    ("c-001", True), ("r.li@north", True), ("A" * 128, True), ("", False), ("-x", False),
    ("a b", False), ("A" * 129, False), ("门店1", False),
])
def test_identifiers(value: str, ok: bool) -> None:
    if ok:
        assert require_identifier(value, "id") == value
    else:
        with pytest.raises(InvalidValue, match="not a valid id"):
            require_identifier(value, "id")


def test_text_with_a_nul_character_is_refused_with_its_code() -> None:
    with pytest.raises(InvalidValue) as error:
        require_text("agrees to a trial\x00", "commitment")
    assert (error.value.code, error.value.field) == ("BAD_TEXT", "commitment")
    assert require_text("  说好了 — ✓ ", "commitment") == "说好了 — ✓"


def test_a_time_ahead_of_the_server_clock_by_more_than_the_tolerance_is_refused() -> None:
    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    drifted = now + timedelta(minutes=2)
    assert require_not_future(drifted, "at", now) == drifted
    with pytest.raises(InvalidValue) as error:
        require_not_future(drifted + timedelta(seconds=1), "at", now)
    assert (error.value.code, error.value.field) == ("FUTURE_TIMESTAMP", "at")

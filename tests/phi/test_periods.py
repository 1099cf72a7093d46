"""Periods in the tenant's time zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from phi.periods import (
    FIRST_DAY,
    Period,
    PeriodKind,
    calendar_instant,
    local_days_before,
    local_midnight,
    parse_day,
    parse_period,
    previous_period,
    trailing_periods,
)
from visitproof.errors import InvalidInput

BERLIN = "Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "kind", "first", "last", "error"),
    [
        ("2026-11", PeriodKind.MONTH, date(2026, 11, 1), date(2026, 11, 30), None),
        ("2026-12", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), None),
        ("2028-02", PeriodKind.MONTH, date(2028, 2, 1), date(2028, 2, 29), None),
        ("2026-W45", PeriodKind.WEEK, date(2026, 11, 2), date(2026, 11, 8), None),
        ("2026-W53", PeriodKind.WEEK, date(2026, 12, 28), date(2027, 1, 3), None),
        ("2026-11-01..2026-11-15", PeriodKind.DAYS, date(2026, 11, 1), date(2026, 11, 15),
         None),
        ("2026-13", None, None, None, "BAD_PERIOD"),
        ("2025-W53", None, None, None, "BAD_PERIOD"),
        ("2026-11-15..2026-11-01", None, None, None, "BAD_PERIOD"),
        ("November", None, None, None, "BAD_PERIOD"),
    ],
)
def test_parse_period(text: str, kind: PeriodKind | None, first: date | None,
                      last: date | None, error: str | None) -> None:
    if error is not None:
        with pytest.raises(InvalidInput) as raised:
            parse_period(text, BERLIN)
        assert raised.value.code == error
        return
    period = parse_period(text, BERLIN)
    assert (period.kind, period.first_day, period.last_day) == (kind, first, last)


def test_unknown_timezone_is_bad_input() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_period("2026-11", "Mars/Olympus")
    assert raised.value.code == "BAD_TIMEZONE"


def test_month_bounds_are_local_midnights_across_the_autumn_change() -> None:
    october = parse_period("2026-10", BERLIN)
    assert october.start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # CEST, UTC+2
    assert october.end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # CET, UTC+1
    assert october.end - october.start == timedelta(days=31, hours=1)
    # 23:30 UTC on 31 October is already 1 November in Berlin.
    assert parse_period("2026-11", BERLIN).contains(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))


def test_iso_week_with_spring_change_has_167_hours() -> None:
    week = parse_period("2026-W13", BERLIN)  # 23-29 March 2026, change on the 29th
    assert week.end - week.start == timedelta(hours=167)


def test_previous_periods() -> None:
    assert previous_period(parse_period("2026-01", BERLIN)).label == "2025-12"
    assert previous_period(parse_period("2026-W01", BERLIN)).label == "2025-W52"
    days = previous_period(parse_period("2026-11-11..2026-11-20", BERLIN))
    assert (days.first_day, days.last_day) == (date(2026, 11, 1), date(2026, 11, 10))
    assert [p.label for p in trailing_periods(parse_period("2026-02", BERLIN), 3)] == [
        "2025-12", "2026-01", "2026-02"]


def test_thirty_local_days_across_dst_are_721_hours() -> None:
    end = datetime(2026, 11, 15, 11, tzinfo=UTC)
    start = local_days_before(end, 30, BERLIN)
    assert end - start == timedelta(days=30, hours=1)


def test_skipped_midnight_starts_the_day_at_its_first_instant() -> None:
    # Chile springs forward at 00:00 on 6 Sep 2026: the day begins at 01:00 (-03).
    assert local_midnight(date(2026, 9, 6), "America/Santiago") == datetime(
        2026, 9, 6, 4, tzinfo=UTC)


# -- the calendar's edges -----------------------------------------------------------------------

FAR_ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "UTC", BERLIN]


@pytest.mark.parametrize("text", [
    "0001-01", "0001-W01", "0001-01-01..0001-01-02", "9999-12", "9999-W52", "9999-W53",
    "9999-12-31..9999-12-31", "2026-11-01..9999-12-31", "0001-01-01..9999-12-31",
    "1969-12", "2200-01", "1969-W01", "2200-W01", "1969-12-31..2026-01-01",
    "2026-01-01..2200-01-01", "0000-01", "0000-W01",
])
def test_periods_outside_the_calendar_name_its_years(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_period(text, BERLIN)
    assert raised.value.code == "BAD_PERIOD"
    assert "1970 to 2199" in raised.value.message


@pytest.mark.parametrize("zone", FAR_ZONES)
@pytest.mark.parametrize("text", ["1970-01", "1970-W01", "1970-01-01..1970-01-01",
                                  "2199-12", "2199-W52", "2199-12-31..2199-12-31",
                                  "1970-01-01..2199-12-31", "2004-W53"])
def test_edge_periods_have_bounds_previous_periods_and_trends(text: str, zone: str) -> None:
    period = parse_period(text, zone)
    assert period.start < period.end
    before = previous_period(period)
    assert before.start < before.end <= period.start + timedelta(days=1)
    trend = trailing_periods(period, 24)
    assert trend[-1] == period
    assert all(p.last_day >= FIRST_DAY for p in trend)
    assert all(p.start < p.end for p in trend)


@pytest.mark.parametrize(("text", "count", "labels"), [
    ("1970-01", 6, ["1970-01"]),
    ("1970-02", 6, ["1970-01", "1970-02"]),
    ("1970-W01", 6, ["1970-W01"]),  # ends 4 Jan 1970; 1969-W52 ends before the calendar
    ("1970-W02", 6, ["1970-W01", "1970-W02"]),
    ("1970-01-01..2199-12-31", 24, ["1970-01-01..2199-12-31"]),
    ("1970-01-06..1970-01-10", 3, ["1970-01-01..1970-01-05", "1970-01-06..1970-01-10"]),
    ("2026-02", 3, ["2025-12", "2026-01", "2026-02"]),
])
def test_trends_stop_at_the_calendars_start(text: str, count: int, labels: list[str]) -> None:
    assert [p.label for p in trailing_periods(parse_period(text, BERLIN), count)] == labels


@pytest.mark.parametrize("text", ["2026-１１", "٢٠٢٦-١١", "2026-W4５", "2026-11\n2026-12",
                                  " 2026-11-01..2026-11-02x"])
def test_periods_take_ascii_digits_only(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_period(text, BERLIN)
    assert raised.value.code == "BAD_PERIOD"


@pytest.mark.parametrize(("first", "last"), [
    (date.min, date(2026, 1, 1)), (date(2026, 1, 1), date.max), (date(2026, 1, 2),
                                                                  date(2026, 1, 1)),
])
def test_a_period_built_by_hand_keeps_its_bounds_representable(first: date,
                                                               last: date) -> None:
    with pytest.raises(InvalidInput) as raised:
        Period("by hand", PeriodKind.DAYS, first, last, BERLIN)
    assert raised.value.code == "BAD_PERIOD"


@pytest.mark.parametrize(("text", "day"), [
    ("1970-01-01", date(1970, 1, 1)), ("2199-12-31", date(2199, 12, 31)),
    (" 2026-11-01 ", date(2026, 11, 1)), ("0001-01-01", None), ("9999-12-31", None),
    ("1969-12-31", None), ("2200-01-01", None), ("2026-13-01", None), ("", None),
    ("yesterday", None),
])
def test_parse_day(text: str, day: date | None) -> None:
    if day is not None:
        assert parse_day(text) == day
        return
    with pytest.raises(InvalidInput) as raised:
        parse_day(text)
    assert raised.value.code == "BAD_DATE"
    assert "1970 to 2199" in raised.value.message


@pytest.mark.parametrize(("value", "expected", "code"), [
    ("1970-01-01T00:00:00Z", datetime(1970, 1, 1, tzinfo=UTC), None),
    ("2199-12-31T23:59:59+00:00", datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC), None),
    (datetime(2026, 11, 3, 9, tzinfo=UTC), datetime(2026, 11, 3, 9, tzinfo=UTC), None),
    ("0001-01-01T00:00:00+08:00", None, "BAD_TIMESTAMP"),
    ("9999-12-31T23:59:59-12:00", None, "BAD_TIMESTAMP"),
    ("1970-01-01T07:00:00+08:00", None, "BAD_TIMESTAMP"),  # 1969 in UTC
    ("2199-12-31T23:00:00-02:00", None, "BAD_TIMESTAMP"),  # 2200 in UTC
    (datetime(1, 1, 1, tzinfo=UTC), None, "BAD_TIMESTAMP"),
    (datetime.max.replace(tzinfo=UTC), None, "BAD_TIMESTAMP"),
    ("2026-11-03T09:00:00", None, "NAIVE_TIMESTAMP"),
    ("soon", None, "BAD_TIMESTAMP"),
])
def test_calendar_instant(value: str | datetime, expected: datetime | None,
                          code: str | None) -> None:
    if code is None:
        assert calendar_instant(value, "now") == expected
        return
    with pytest.raises(InvalidInput) as raised:
        calendar_instant(value, "now")
    assert raised.value.code == code

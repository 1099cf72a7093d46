"""Periods in the tenant's time zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from phi.periods import (
    PeriodKind,
    local_days_before,
    local_midnight,
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

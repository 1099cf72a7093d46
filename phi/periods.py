"""Reporting periods in the tenant's time zone.

A period is a span of local calendar days: a month (``2026-11``), an ISO week (``2026-W45``)
or an inclusive range of days (``2026-11-01..2026-11-15``). Its bounds are the local
midnights at either end, converted to UTC, so a month that contains a DST change is 1 h
longer or shorter than its day count suggests. Everything inside ``phi/`` compares UTC
instants; "within 24 h" is 24 elapsed hours, never a wall-clock difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from visitproof.errors import InvalidInput

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


class PeriodKind(StrEnum):
    """How a period was written; decides what "the previous period" is."""

    MONTH = "month"
    WEEK = "week"
    DAYS = "days"


@dataclass(frozen=True, slots=True)
class Period:
    """Local days ``first_day`` .. ``last_day`` (inclusive) in ``timezone``.

    ``start`` and ``end`` are the UTC instants of the local midnights that bound it
    (``end`` exclusive).
    """

    label: str
    kind: PeriodKind
    first_day: date
    last_day: date
    timezone: str

    @property
    def start(self) -> datetime:
        """Local midnight starting ``first_day``, as UTC."""
        return local_midnight(self.first_day, self.timezone)

    @property
    def end(self) -> datetime:
        """Local midnight after ``last_day``, as UTC (exclusive bound)."""
        return local_midnight(self.last_day + timedelta(days=1), self.timezone)

    def contains(self, instant: datetime) -> bool:
        """Whether the UTC instant falls inside the period."""
        return self.start <= instant < self.end


def parse_period(text: str, timezone: str) -> Period:
    """Parse ``YYYY-MM``, ``YYYY-Www`` or ``YYYY-MM-DD..YYYY-MM-DD`` in ``timezone`` (IANA).

    Raises :class:`InvalidInput` (code ``BAD_PERIOD``) with the accepted forms.
    """
    _zone(timezone)
    text = text.strip()
    try:
        if match := _MONTH.match(text):
            year, month = int(match[1]), int(match[2])
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return Period(text, PeriodKind.MONTH, first, following - timedelta(days=1),
                          timezone)
        if match := _WEEK.match(text):
            first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return Period(text, PeriodKind.WEEK, first, first + timedelta(days=6), timezone)
        if match := _RANGE.match(text):
            first, last = date.fromisoformat(match[1]), date.fromisoformat(match[2])
            if last < first:
                raise InvalidInput(f"period {text!r} ends before it starts",
                                   code="BAD_PERIOD")
            return Period(text, PeriodKind.DAYS, first, last, timezone)
    except ValueError as error:
        raise InvalidInput(f"period {text!r} is not a real date: {error}",
                           code="BAD_PERIOD") from None
    raise InvalidInput(f"period {text!r} not understood; use 2026-11 (month), 2026-W45 "
                       "(ISO week) or 2026-11-01..2026-11-15 (days, inclusive)",
                       code="BAD_PERIOD")


def previous_period(period: Period) -> Period:
    """The period of the same kind just before ``period`` (same length for day ranges)."""
    if period.kind is PeriodKind.MONTH:
        last = period.first_day - timedelta(days=1)
        return Period(f"{last.year:04d}-{last.month:02d}", PeriodKind.MONTH,
                      last.replace(day=1), last, period.timezone)
    if period.kind is PeriodKind.WEEK:
        first = period.first_day - timedelta(days=7)
        year, week, _ = first.isocalendar()
        return Period(f"{year:04d}-W{week:02d}", PeriodKind.WEEK, first,
                      first + timedelta(days=6), period.timezone)
    length = period.last_day - period.first_day + timedelta(days=1)
    first, last = period.first_day - length, period.first_day - timedelta(days=1)
    return Period(f"{first.isoformat()}..{last.isoformat()}", PeriodKind.DAYS, first, last,
                  period.timezone)


def trailing_periods(period: Period, count: int) -> tuple[Period, ...]:
    """``count`` periods ending with ``period``, oldest first (for trend charts)."""
    periods = [period]
    for _ in range(max(count, 1) - 1):
        periods.append(previous_period(periods[-1]))
    return tuple(reversed(periods))


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant of 00:00 local time on ``day``. Where midnight itself is skipped by
    a DST jump (America/Santiago), zoneinfo's fold=0 rule gives the first local instant of
    the day (01:00)."""
    return datetime.combine(day, time(0), tzinfo=_zone(timezone)).astimezone(UTC)


def local_days_before(instant: datetime, days: int, timezone: str) -> datetime:
    """The UTC instant ``days`` local calendar days before ``instant`` at the same wall-clock
    time (a 30-day window across a DST change is 30 days of the calendar, not 720 h)."""
    zone = _zone(timezone)
    local = instant.astimezone(zone).replace(tzinfo=None) - timedelta(days=days)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {timezone!r}; use an IANA name like "
                           "Europe/Berlin", code="BAD_TIMEZONE") from None

"""Reporting periods in the tenant's time zone.

A period is a span of local calendar days: a month (``2026-11``), an ISO week (``2026-W45``)
or an inclusive range of days (``2026-11-01..2026-11-15``). Its bounds are the local
midnights at either end, converted to UTC, so a month that contains a DST change is 1 h
longer or shorter than its day count suggests. Everything inside ``phi/`` compares UTC
instants; "within 24 h" is 24 elapsed hours, never a wall-clock difference.

The supported calendar is the years :data:`FIRST_YEAR` to :data:`LAST_YEAR` (1970-2199, the
same years the API accepts for an instant). Every period and day a caller writes is checked
against it where it is parsed (:func:`parse_period`, :func:`parse_day`), so the arithmetic
done with it afterwards (the bounding midnights in any time zone, the previous period, a
trend of earlier periods, which stops at the calendar's start) stays far from
``date.min`` / ``date.max`` and never overflows: a period or day outside it is an
:class:`InvalidInput` (``BAD_PERIOD`` / ``BAD_DATE``) naming the accepted years.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from visitproof.errors import InvalidInput, InvalidValue
from visitproof.values import BAD_TIMESTAMP, parse_utc, require_utc

FIRST_YEAR, LAST_YEAR = 1970, 2199
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)
CALENDAR = f"the years {FIRST_YEAR} to {LAST_YEAR}"

# ASCII digits only: \d would also take other scripts' digits, which int() reads.
_MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_WEEK = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)
_RANGE = re.compile(r"(\d{4})-\d{2}-\d{2}\.\.(\d{4})-\d{2}-\d{2}", re.ASCII)


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

    def __post_init__(self) -> None:
        # Parsed periods lie in the calendar; this keeps any other one's bounding midnights
        # representable in every time zone (one day clear of date.min and date.max).
        if not date.min < self.first_day <= self.last_day < date.max:
            raise InvalidInput(f"period {self.label!r} must run forwards, from "
                               f"{self.first_day} to {self.last_day} within the years 1 to "
                               "9999 with a day to spare", code="BAD_PERIOD")

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
    """Parse ``YYYY-MM``, ``YYYY-Www`` or ``YYYY-MM-DD..YYYY-MM-DD`` in ``timezone`` (IANA),
    the year(s) within :data:`CALENDAR` (an ISO week's own year for weeks).

    Raises :class:`InvalidInput` (code ``BAD_PERIOD``) with the accepted forms or years.
    """
    _zone(timezone)
    text = text.strip()
    match = _MONTH.fullmatch(text) or _WEEK.fullmatch(text) or _RANGE.fullmatch(text)
    if match is None:
        raise InvalidInput(f"period {text!r} not understood; use 2026-11 (month), 2026-W45 "
                           "(ISO week) or 2026-11-01..2026-11-15 (days, inclusive)",
                           code="BAD_PERIOD")
    if not all(FIRST_YEAR <= int(year) <= LAST_YEAR for year in _years(match)):
        raise InvalidInput(f"period {text!r} is outside the supported calendar: periods "
                           f"must lie within {CALENDAR}", code="BAD_PERIOD")
    try:
        if match.re is _MONTH:
            year, month = int(match[1]), int(match[2])
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return Period(text, PeriodKind.MONTH, first, following - timedelta(days=1),
                          timezone)
        if match.re is _WEEK:
            first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return Period(text, PeriodKind.WEEK, first, first + timedelta(days=6), timezone)
        first_text, last_text = text.split("..")
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
    except ValueError as error:
        raise InvalidInput(f"period {text!r} is not a real date: {error}",
                           code="BAD_PERIOD") from None
    if last < first:
        raise InvalidInput(f"period {text!r} ends before it starts", code="BAD_PERIOD")
    return Period(text, PeriodKind.DAYS, first, last, timezone)


def parse_day(text: str) -> date:
    """A local calendar day ``YYYY-MM-DD`` within :data:`CALENDAR` (an overlap range's
    ends). Raises :class:`InvalidInput` (code ``BAD_DATE``) saying what is accepted."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    if day is None or not in_calendar(day):
        raise InvalidInput(f"expected a date like 2026-11-01 within {CALENDAR}, got "
                           f"{text!r}", code="BAD_DATE")
    return day


def in_calendar(day: date) -> bool:
    """Whether ``day`` lies within the supported calendar (:data:`FIRST_DAY` ..
    :data:`LAST_DAY`)."""
    return FIRST_DAY <= day <= LAST_DAY


def calendar_instant(value: datetime | str, field: str) -> datetime:
    """An instant (aware datetime, or ISO 8601 text with an offset) within :data:`CALENDAR`,
    in UTC as well as in its own offset, returned as UTC: a report's "now". Outside it:
    :class:`InvalidValue` ``BAD_TIMESTAMP`` naming ``field`` and the years; no offset:
    ``NAIVE_TIMESTAMP``. The local year is checked before converting, so year 1 or 9999
    with an offset is refused rather than overflowing."""
    local: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            local = datetime.fromisoformat(value.strip())
        except ValueError:
            local = None  # parse_utc below says what is wrong with the text
    outside = InvalidValue(field, f"the time must fall within {CALENDAR} (UTC)",
                           code=BAD_TIMESTAMP)
    if local is not None and not FIRST_YEAR <= local.year <= LAST_YEAR:
        raise outside
    instant = parse_utc(value, field) if isinstance(value, str) else require_utc(value, field)
    if not FIRST_YEAR <= instant.year <= LAST_YEAR:
        raise outside
    return instant


def _years(match: re.Match[str]) -> tuple[str, ...]:
    return (match[1], match[2]) if match.re is _RANGE else (match[1],)


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
    """``count`` periods ending with ``period``, oldest first (for trend charts). The trend
    starts with the calendar: earlier periods that end before :data:`FIRST_DAY` are left
    out (fewer than ``count`` then), so however long or early the period, no trend steps
    past the calendar's start."""
    periods = [period]
    for _ in range(max(count, 1) - 1):
        earlier = previous_period(periods[-1])
        if earlier.last_day < FIRST_DAY:
            break
        periods.append(earlier)
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

"""Validated scalar values shared by every record: coordinates, UTC instants, identifiers.

Each ``require_*`` function returns the value it was given (normalised where noted) or raises
:class:`~visitproof.errors.InvalidValue` with a stable code. They are the only place those
codes are produced, so the import, the HTTP edge and the domain agree on them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from visitproof.errors import InvalidValue

# Stable codes, documented in the README's "Error codes" table.
COORDINATE_NOT_FINITE = "COORDINATE_NOT_FINITE"
LAT_OUT_OF_RANGE = "LAT_OUT_OF_RANGE"
LON_OUT_OF_RANGE = "LON_OUT_OF_RANGE"
NAIVE_TIMESTAMP = "NAIVE_TIMESTAMP"
BAD_TIMESTAMP = "BAD_TIMESTAMP"
BAD_IDENTIFIER = "BAD_IDENTIFIER"
EMPTY_FIELD = "EMPTY_FIELD"
BAD_NUMBER = "BAD_NUMBER"
NUMBER_NOT_FINITE = "NUMBER_NOT_FINITE"
BAD_TIMEZONE = "BAD_TIMEZONE"
BAD_TEXT = "BAD_TEXT"
FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"

CLOCK_TOLERANCE = timedelta(minutes=2)
"""How far a client's record of when something happened may run ahead of the server clock
(phone clocks drift)."""
BAD_SHA256 = "BAD_SHA256"

_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def require_lat(value: float, field: str = "lat") -> float:
    """Latitude in decimal degrees (WGS 84), finite and within [-90, 90]."""
    value = _finite(value, field)
    if not -90.0 <= value <= 90.0:
        raise InvalidValue(field, f"latitude must be within [-90, 90], got {value}",
                           code=LAT_OUT_OF_RANGE)
    return value


def require_lon(value: float, field: str = "lon") -> float:
    """Longitude in decimal degrees (WGS 84), finite and within [-180, 180]."""
    value = _finite(value, field)
    if not -180.0 <= value <= 180.0:
        raise InvalidValue(field, f"longitude must be within [-180, 180], got {value}",
                           code=LON_OUT_OF_RANGE)
    return value


def require_non_negative(value: float, field: str) -> float:
    """A finite number >= 0 (metres, seconds, counts)."""
    value = _finite(value, field)
    if value < 0:
        raise InvalidValue(field, f"must be >= 0, got {value}", code=BAD_NUMBER)
    return value


def require_utc(value: datetime, field: str) -> datetime:
    """A timezone-aware instant, returned converted to UTC. Naive datetimes are refused:
    a check-in time without an offset can't be compared with the server clock."""
    if not isinstance(value, datetime):
        raise InvalidValue(field, f"expected a datetime, got {type(value).__name__}",
                           code=BAD_TIMESTAMP)
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidValue(
            field,
            f"timestamp {value.isoformat()} has no UTC offset; send e.g. "
            f"{value.replace(tzinfo=UTC).isoformat()}",
            code=NAIVE_TIMESTAMP,
        )
    return value.astimezone(UTC)


def parse_utc(text: str, field: str) -> datetime:
    """Parse an ISO 8601 timestamp with an offset (``2026-11-03T09:15:00+08:00`` or ``...Z``)."""
    stripped = text.strip()
    if not stripped:
        raise InvalidValue(field, "timestamp is empty", code=EMPTY_FIELD)
    try:
        parsed = datetime.fromisoformat(stripped)
    except ValueError:
        raise InvalidValue(
            field, f"can't read {stripped!r} as an ISO 8601 timestamp "
            "(expected e.g. 2026-11-03T09:15:00+08:00)", code=BAD_TIMESTAMP) from None
    return require_utc(parsed, field)


def require_identifier(value: str, field: str) -> str:
    """An id: 1-128 characters of letters, digits and ``._:@-``, starting alphanumeric."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise InvalidValue(
            field, f"{value!r} is not a valid id (1-128 letters, digits or ._:@-)",
            code=BAD_IDENTIFIER)
    return value


def require_text(value: str, field: str, *, max_length: int = 2000) -> str:
    """Non-blank free text, stripped, at most ``max_length`` characters, without NUL."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(field, "must not be empty", code=EMPTY_FIELD)
    stripped = value.strip()
    if "\x00" in stripped:  # PostgreSQL text can't hold NUL; no person types one
        raise InvalidValue(field, "contains a NUL character (\\x00)", code=BAD_TEXT)
    if len(stripped) > max_length:
        raise InvalidValue(field, f"is {len(stripped)} characters, at most {max_length}"
                           " allowed", code=BAD_NUMBER)
    return stripped


def require_sha256(value: str, field: str = "photo_sha256") -> str:
    """A lowercase hexadecimal SHA-256 digest (64 characters)."""
    if not isinstance(value, str) or not _SHA256.match(value):
        raise InvalidValue(field, "must be 64 lowercase hex characters", code=BAD_SHA256)
    return value


def require_timezone(name: str, field: str = "timezone") -> str:
    """An IANA time-zone name such as ``Asia/Shanghai``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(field, f"unknown time zone {name!r} (use an IANA name like "
                           "Asia/Shanghai)", code=BAD_TIMEZONE) from None
    return name


def utc_now() -> datetime:
    """The server clock, tz-aware UTC."""
    return datetime.now(UTC)


def _finite(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidValue(field, f"expected a number, got {type(value).__name__}",
                           code=BAD_NUMBER)
    as_float = float(value)
    if not math.isfinite(as_float):
        raise InvalidValue(field, f"must be a finite number, got {value}",
                           code=COORDINATE_NOT_FINITE if field in ("lat", "lon")
                           or field.endswith((".lat", ".lon")) else NUMBER_NOT_FINITE)
    return as_float


def require_not_future(value: datetime, field: str, now: datetime) -> datetime:
    """``value`` unless it is more than :data:`CLOCK_TOLERANCE` after ``now`` (UTC):
    :class:`InvalidValue` ``FUTURE_TIMESTAMP`` otherwise (nothing is done in the future)."""
    if value > now + CLOCK_TOLERANCE:
        raise InvalidValue(field, f"{value.isoformat()} is after the server clock "
                           f"({now.isoformat()}); send when it actually happened",
                           code=FUTURE_TIMESTAMP)
    return value


def non_finite_path(data: Any) -> tuple[str, float] | None:
    """The dotted path (``golden_zones.cooler.min_share``, ``featured.0``; "" for ``data``
    itself) and value of the first NaN or infinity in parsed JSON ``data`` (dicts, lists,
    scalars), in document order; None when every number is finite. Python's json reads
    ``NaN``, ``Infinity`` and an overflowing ``1e400``; JSON itself has none of them.
    Iterative, so a deeply nested document can't exhaust the stack."""
    for path, value in _leaves(data):
        if isinstance(value, float) and not math.isfinite(value):
            return path, value
    return None


def _leaves(data: Any) -> Iterator[tuple[str, Any]]:
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            children = [(str(key), item) for key, item in value.items()]
        elif isinstance(value, list | tuple):
            children = [(str(index), item) for index, item in enumerate(value)]
        else:
            yield path, value
            continue
        pending.extend((f"{path}.{key}" if path else key, item)
                       for key, item in reversed(children))

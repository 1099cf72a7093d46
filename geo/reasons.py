"""What the fix-integrity checks add to the shared reason codes
(:mod:`visitproof.reasons`): each fix code's weight in the risk score, whether it casts
doubt on the position itself, and the number formats their messages use.

The weight is the reason's part of the risk score (see :func:`risk_score`). A code that casts
doubt on the position never lets its fix anchor the speed check of later ones; a fix
rejected only for its times (a late upload) still does.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import SupportsFloat

from visitproof.reasons import ReasonCode

C = ReasonCode

# The fix codes, in the order verdicts list them, with their risk weight in [0, 1].
WEIGHTS: Mapping[ReasonCode, float] = MappingProxyType({
    C.FIX_COORDINATE_NOT_FINITE: 1.0,
    C.FIX_LAT_OUT_OF_RANGE: 1.0,
    C.FIX_LON_OUT_OF_RANGE: 1.0,
    C.FIX_LAT_LON_SWAPPED: 1.0,
    C.FIX_ACCURACY_INVALID: 1.0,
    C.TIME_NAIVE: 1.0,
    C.TIME_INVALID: 1.0,
    C.TIME_IMPLAUSIBLE: 1.0,
    C.TIME_IN_FUTURE: 1.0,
    C.GPS_OUTSIDE_GEOFENCE: 0.9,
    C.FIX_ACCURACY_POOR: 0.2,
    C.TIME_ORDER: 0.9,
    C.TIME_BEFORE_VISIT: 0.8,
    C.FIX_AFTER_DEPARTURE: 0.3,
    C.SUBMITTED_LATE: 0.4,
    C.SUBMITTED_BACKFILLED: 0.9,
    C.DWELL_TOO_SHORT: 0.3,
    C.DEVICE_CLOCK_SKEW: 0.9,
    C.IMPOSSIBLE_SPEED: 0.9,
    C.TIME_NOT_MONOTONIC: 0.8,
    C.MOCK_LOCATION_FLAG: 1.0,
    C.FIX_ACCURACY_ZERO: 0.8,
    C.FIX_ACCURACY_CONSTANT: 0.5,
    C.FIX_GRID_SNAPPED: 0.5,
    C.FIX_REPEATED_COORDINATES: 0.8,
    C.FIX_EXACTLY_ON_CUSTOMER: 0.5,
    C.TIMING_TOO_REGULAR: 0.4,
    # Look-ahead only (batch re-verification: judged by what the rep sent afterwards).
    C.FIX_ACCURACY_CONSTANT_RUN: 0.5,
    C.FIX_COORDINATES_SENT_AGAIN: 0.5,
    C.EXIF_TIME_MISMATCH: 0.8,
    C.EXIF_POSITION_MISMATCH: 0.8,
})
FIX_CODES: tuple[ReasonCode, ...] = tuple(WEIGHTS)

_POSITION = {code.value: position for position, code in enumerate(FIX_CODES)}

_POSITION_CODES = frozenset({
    C.FIX_COORDINATE_NOT_FINITE, C.FIX_LAT_OUT_OF_RANGE, C.FIX_LON_OUT_OF_RANGE,
    C.FIX_LAT_LON_SWAPPED, C.FIX_ACCURACY_INVALID, C.GPS_OUTSIDE_GEOFENCE, C.IMPOSSIBLE_SPEED,
    C.MOCK_LOCATION_FLAG, C.FIX_ACCURACY_ZERO, C.FIX_ACCURACY_CONSTANT, C.FIX_GRID_SNAPPED,
    C.FIX_REPEATED_COORDINATES, C.FIX_EXACTLY_ON_CUSTOMER, C.EXIF_POSITION_MISMATCH})


def order(code: str) -> int:
    """Where a fix code stands in a verdict's list (the order of :data:`WEIGHTS`)."""
    return _POSITION[code]


def position_trusted(codes: Iterable[str]) -> bool:
    """False when any code casts doubt on the fix position (other codes do not)."""
    return not any(code in _POSITION and ReasonCode(code) in _POSITION_CODES
                   for code in codes)


def risk_score(codes: Iterable[str]) -> float:
    """Risk in [0, 1]: ``1 - prod(1 - weight)`` over the distinct fix codes, so independent
    pieces of evidence add up without ever exceeding 1."""
    keep = 1.0
    for code in sorted(set(codes), key=_POSITION.__getitem__):
        keep *= 1.0 - WEIGHTS[ReasonCode(code)]
    return round(1.0 - keep, 6)


def metres(value: SupportsFloat) -> str:
    """``1820.4`` -> ``"1,820 m"``; ``12400`` -> ``"12.4 km"``; non-finite -> ``"an unknown
    distance"``."""
    value = float(value)
    if not math.isfinite(value):
        return "an unknown distance"
    if abs(value) >= 10_000:
        return f"{value / 1000:,.1f} km"
    return f"{value:,.0f} m"


def duration(seconds: SupportsFloat) -> str:
    """``4500`` -> ``"1 h 15 min"``; ``95`` -> ``"1 min 35 s"``; ``30`` -> ``"30 s"``."""
    seconds = abs(float(seconds))
    if not math.isfinite(seconds):
        return "an unknown time"
    if seconds >= 86_400 * 2:
        return f"{seconds / 86_400:,.1f} days"
    if seconds >= 3600:
        hours, rest = divmod(round(seconds / 60), 60)
        return f"{hours} h {rest} min"
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    return f"{seconds:.0f} s"


def speed(metres_per_second: SupportsFloat) -> str:
    """``41.7`` -> ``"150 km/h"``."""
    metres_per_second = float(metres_per_second)
    if not math.isfinite(metres_per_second):
        return "an infinite speed"
    return f"{metres_per_second * 3.6:,.0f} km/h"

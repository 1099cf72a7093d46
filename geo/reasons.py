"""The stable reason codes of the fix-integrity checks, with their severity, risk weight and
message template.

The mobile app shows the messages and managers filter on the codes, so a code is never
renamed or reused for another meaning; new checks add new codes. Messages carry the numbers
that decided the verdict ("1,820 m from the store, 150 m allowed (+25 m accuracy)").

Severity decides the verdict status: any ``reject`` reason makes the verdict ``rejected``,
otherwise any ``review`` reason makes it ``needs_review``. The weight is the reason's part of
the risk score (see :func:`risk_score`). The shelf/photo side (``vision/``) keeps its own
codes in the same shape.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import SupportsFloat

from visitproof.records import CheckinStatus, Reason


class Severity(StrEnum):
    """What a reason does to the verdict."""

    REJECT = "reject"
    REVIEW = "review"


class FixReasonCode(StrEnum):
    """Every reason a GPS fix or its timestamps can fail. Values are the stable codes."""

    # bad input: the fix can't be judged as given
    FIX_COORDINATE_NOT_FINITE = "FIX_COORDINATE_NOT_FINITE"
    FIX_LAT_OUT_OF_RANGE = "FIX_LAT_OUT_OF_RANGE"
    FIX_LON_OUT_OF_RANGE = "FIX_LON_OUT_OF_RANGE"
    FIX_LAT_LON_SWAPPED = "FIX_LAT_LON_SWAPPED"
    FIX_ACCURACY_INVALID = "FIX_ACCURACY_INVALID"
    TIME_NAIVE = "TIME_NAIVE"
    TIME_INVALID = "TIME_INVALID"
    TIME_IMPLAUSIBLE = "TIME_IMPLAUSIBLE"
    TIME_IN_FUTURE = "TIME_IN_FUTURE"
    # geofence
    GPS_OUTSIDE_GEOFENCE = "GPS_OUTSIDE_GEOFENCE"
    FIX_ACCURACY_POOR = "FIX_ACCURACY_POOR"
    # time rules
    TIME_ORDER = "TIME_ORDER"
    TIME_BEFORE_VISIT = "TIME_BEFORE_VISIT"
    FIX_AFTER_DEPARTURE = "FIX_AFTER_DEPARTURE"
    SUBMITTED_LATE = "SUBMITTED_LATE"
    SUBMITTED_BACKFILLED = "SUBMITTED_BACKFILLED"
    DWELL_TOO_SHORT = "DWELL_TOO_SHORT"
    DEVICE_CLOCK_SKEW = "DEVICE_CLOCK_SKEW"
    # movement
    IMPOSSIBLE_SPEED = "IMPOSSIBLE_SPEED"
    TIME_NOT_MONOTONIC = "TIME_NOT_MONOTONIC"
    # mock location and spoofing patterns
    MOCK_LOCATION_FLAG = "MOCK_LOCATION_FLAG"
    FIX_ACCURACY_ZERO = "FIX_ACCURACY_ZERO"
    FIX_ACCURACY_CONSTANT = "FIX_ACCURACY_CONSTANT"
    FIX_GRID_SNAPPED = "FIX_GRID_SNAPPED"
    FIX_REPEATED_COORDINATES = "FIX_REPEATED_COORDINATES"
    FIX_EXACTLY_ON_CUSTOMER = "FIX_EXACTLY_ON_CUSTOMER"
    TIMING_TOO_REGULAR = "TIMING_TOO_REGULAR"
    # photo EXIF against the report
    EXIF_TIME_MISMATCH = "EXIF_TIME_MISMATCH"
    EXIF_POSITION_MISMATCH = "EXIF_POSITION_MISMATCH"


@dataclass(frozen=True, slots=True)
class ReasonSpec:
    """How one code behaves: severity, risk weight in [0, 1], message template
    (``str.format`` fields are filled by the check that raises it), and whether it casts
    doubt on the position itself (such a fix never anchors the speed check of later ones;
    a fix rejected only for its times, e.g. a late upload, still does)."""

    severity: Severity
    weight: float
    template: str
    position: bool = False


_R, _V = Severity.REJECT, Severity.REVIEW
C = FixReasonCode

_TABLE: dict[FixReasonCode, ReasonSpec] = {
    C.FIX_COORDINATE_NOT_FINITE: ReasonSpec(_R, 1.0, "the position is not a number ({value})"),
    C.FIX_LAT_OUT_OF_RANGE: ReasonSpec(_R, 1.0, "latitude {value} is outside -90..90"),
    C.FIX_LON_OUT_OF_RANGE: ReasonSpec(_R, 1.0, "longitude {value} is outside -180..180"),
    C.FIX_LAT_LON_SWAPPED: ReasonSpec(
        _R, 1.0, "latitude and longitude look swapped: swapped back the fix is {distance} "
        "from the store"),
    C.FIX_ACCURACY_INVALID: ReasonSpec(_R, 1.0, "accuracy {value} m is not a distance >= 0"),
    C.TIME_NAIVE: ReasonSpec(_R, 1.0, "{field} {value} has no UTC offset"),
    C.TIME_INVALID: ReasonSpec(_R, 1.0, "{field} is not a timestamp ({value})"),
    C.TIME_IMPLAUSIBLE: ReasonSpec(_R, 1.0, "{field} {value} is before {earliest}, the phone "
                                   "clock or the file is wrong"),
    C.TIME_IN_FUTURE: ReasonSpec(_R, 1.0, "{field} is {ahead} ahead of the server clock"),
    C.GPS_OUTSIDE_GEOFENCE: ReasonSpec(
        _R, 0.9, "{distance} from the store, {allowed} allowed (+{tolerance} accuracy)"),
    C.FIX_ACCURACY_POOR: ReasonSpec(_V, 0.2, "GPS accuracy {accuracy} is worse than "
                                    "{limit}; move outside or wait for a better fix"),
    C.TIME_ORDER: ReasonSpec(_R, 0.9, "times out of order: {detail}"),
    C.TIME_BEFORE_VISIT: ReasonSpec(_R, 0.8, "{field} is {early} before the arrival"),
    C.FIX_AFTER_DEPARTURE: ReasonSpec(_V, 0.3, "{field} is {late} after the departure"),
    C.SUBMITTED_LATE: ReasonSpec(_V, 0.4, "submitted {late} after leaving, {window} allowed"),
    C.SUBMITTED_BACKFILLED: ReasonSpec(_R, 0.9, "submitted {late} after leaving: a back-filled "
                                       "visit ({window} allowed)"),
    C.DWELL_TOO_SHORT: ReasonSpec(_V, 0.3, "stayed {dwell}, at least {minimum} expected"),
    C.DEVICE_CLOCK_SKEW: ReasonSpec(_R, 0.9, "the phone clock is {skew} {direction} the "
                                    "server clock, {tolerance} tolerated"),
    C.IMPOSSIBLE_SPEED: ReasonSpec(_R, 0.9, "{distance} from the previous fix in {elapsed}: "
                                   "{speed} implied, {ceiling} possible"),
    C.TIME_NOT_MONOTONIC: ReasonSpec(_R, 0.8, "{field} goes back {back} from the previous "
                                     "point"),
    C.MOCK_LOCATION_FLAG: ReasonSpec(_R, 1.0, "the phone reports a mock (simulated) location"),
    C.FIX_ACCURACY_ZERO: ReasonSpec(_R, 0.8, "accuracy is exactly 0 m, which no real GPS "
                                    "reports"),
    C.FIX_ACCURACY_CONSTANT: ReasonSpec(_V, 0.5, "the last {count} fixes all report "
                                        "accuracy {accuracy} exactly"),
    C.FIX_GRID_SNAPPED: ReasonSpec(_V, 0.5, "coordinates sit exactly on a {step} degree grid"),
    C.FIX_REPEATED_COORDINATES: ReasonSpec(_R, 0.8, "exactly the same coordinates as the fix "
                                           "of {when}"),
    C.FIX_EXACTLY_ON_CUSTOMER: ReasonSpec(_V, 0.5, "the fix is {distance} from the store's "
                                          "registered point: real GPS never lands exactly"),
    C.TIMING_TOO_REGULAR: ReasonSpec(_V, 0.4, "the last {count} fixes are {gap} apart to "
                                     "within {spread}"),
    C.EXIF_TIME_MISMATCH: ReasonSpec(_R, 0.8, "the photo's EXIF time is {difference} "
                                     "{direction} the reported capture time"),
    C.EXIF_POSITION_MISMATCH: ReasonSpec(_R, 0.8, "the photo's EXIF position is {distance} "
                                         "from the GPS fix, {allowed} allowed"),
}


_POSITION = {code.value: position for position, code in enumerate(FixReasonCode)}


_POSITION_CODES = frozenset({
    FixReasonCode.FIX_COORDINATE_NOT_FINITE, FixReasonCode.FIX_LAT_OUT_OF_RANGE,
    FixReasonCode.FIX_LON_OUT_OF_RANGE, FixReasonCode.FIX_LAT_LON_SWAPPED,
    FixReasonCode.FIX_ACCURACY_INVALID, FixReasonCode.GPS_OUTSIDE_GEOFENCE,
    FixReasonCode.IMPOSSIBLE_SPEED,
    FixReasonCode.MOCK_LOCATION_FLAG, FixReasonCode.FIX_ACCURACY_ZERO,
    FixReasonCode.FIX_ACCURACY_CONSTANT, FixReasonCode.FIX_GRID_SNAPPED,
    FixReasonCode.FIX_REPEATED_COORDINATES, FixReasonCode.FIX_EXACTLY_ON_CUSTOMER,
    FixReasonCode.EXIF_POSITION_MISMATCH})
SPECS: dict[FixReasonCode, ReasonSpec] = {
    code: ReasonSpec(spec.severity, spec.weight, spec.template,
                     position=code in _POSITION_CODES) for code, spec in _TABLE.items()}


def position_trusted(codes: Iterable[str]) -> bool:
    """False when any code casts doubt on the fix position (unknown codes do not)."""
    return not any(code in _POSITION and SPECS[FixReasonCode(code)].position
                   for code in codes)


def make_reason(code: FixReasonCode, **values: object) -> Reason:
    """A :class:`Reason` with ``code`` and its filled message template."""
    return Reason(code=code.value, message=SPECS[code].template.format(**values))


def status_for(codes: Iterable[str]) -> CheckinStatus:
    """``rejected`` if any code rejects, ``needs_review`` if any asks for review, else
    ``verified``. Unknown codes (from another checker) count as review."""
    status = CheckinStatus.VERIFIED
    for code in codes:
        spec = SPECS[FixReasonCode(code)] if code in _POSITION else None
        if spec is None or spec.severity is Severity.REVIEW:
            status = CheckinStatus.NEEDS_REVIEW
        else:
            return CheckinStatus.REJECTED
    return status


def risk_score(codes: Iterable[str]) -> float:
    """Risk in [0, 1]: ``1 - prod(1 - weight)`` over the distinct codes, so independent
    pieces of evidence add up without ever exceeding 1."""
    keep = 1.0
    for code in sorted(set(codes), key=_POSITION.__getitem__):
        keep *= 1.0 - SPECS[FixReasonCode(code)].weight
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

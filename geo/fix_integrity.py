"""Fix integrity: is this check-in's GPS fix, and are its times, what an honest visit gives?

    verdict = check_checkin(checkin, customer, history=prior_fixes, policy=policy, now=now)
    verdict.status, verdict.reasons, verdict.risk

Pure functions over one check-in, its customer and the rep's earlier fixes; ``now`` is the
server clock, passed in. A failed check is a reason in the verdict, never an exception: bad
raw input (NaN, lat 91, a naive time) is a reason too, through :func:`check_raw_fix`, which
takes the values as the phone sent them. Only a naive ``now`` raises, because that is the
caller's bug. Distances follow :mod:`geo.projection` (UTM zone of the customer).

The rules, with the policy fields that set them, are listed in
:class:`~geo.reasons.FixReasonCode`; :mod:`geo.fix_batch` applies the same rules to a whole
GeoDataFrame and must agree with this module row for row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import numpy as np
import shapely
from shapely.geometry import Point

from geo import movement, spoofing
from geo.fix_policy import FixIntegrityPolicy
from geo.projection import FloatArray, point_distance_m, project, project_point, utm_epsg
from geo.reasons import (
    SPECS,
    FixReasonCode,
    duration,
    make_reason,
    metres,
    position_trusted,
    risk_score,
    status_for,
)
from visitproof.records import (
    Checkin,
    CheckinStatus,
    Customer,
    Reason,
    StoredFix,
    Verification,
)
from visitproof.values import require_utc

C = FixReasonCode
_ORDER = {code.value: position for position, code in enumerate(FixReasonCode)}


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorFix:
    """An earlier fix of the same rep: degrees, metres, UTC. ``position_trusted`` is False
    when its own verdict doubted the position (see ``ReasonSpec.position``); such fixes
    never anchor the movement check."""

    checkin_id: str
    lat: float
    lon: float
    accuracy_m: float
    fix_time: datetime
    position_trusted: bool = True

    @classmethod
    def of(cls, stored: StoredFix) -> PriorFix:
        """The fix of a stored check-in, trusted unless its latest ``fix`` verification
        doubted the position (without one: unless the check-in was rejected)."""
        trusted = (position_trusted(stored.fix_reason_codes)
                   if stored.fix_reason_codes is not None
                   else stored.status != CheckinStatus.REJECTED)
        fix = stored.fix
        return cls(checkin_id=str(stored.checkin_id), lat=fix.lat, lon=fix.lon,
                   accuracy_m=fix.accuracy_m, fix_time=fix.fix_time, position_trusted=trusted)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExifEvidence:
    """What the photo's EXIF says, when present: capture time (UTC) and position (degrees)."""

    captured_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True, slots=True)
class RiskPart:
    """One reason's share of the risk score."""

    code: str
    weight: float


@dataclass(frozen=True, slots=True, kw_only=True)
class FixMeasurements:
    """The numbers behind the verdict (None when not measurable): metres, seconds, km/h."""

    distance_m: float | None = None
    allowed_m: float | None = None
    tolerance_m: float | None = None
    submit_delay_s: float | None = None
    clock_skew_s: float | None = None
    speed_kmh: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FixVerdict:
    """The outcome of the fix checks for one check-in. ``risk`` is in [0, 1] and is
    ``1 - prod(1 - part.weight)`` over ``risk_parts``."""

    status: CheckinStatus
    reasons: tuple[Reason, ...]
    risk: float
    risk_parts: tuple[RiskPart, ...]
    measurements: FixMeasurements
    policy_version: str

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(reason.code for reason in self.reasons)

    @property
    def position_trusted(self) -> bool:
        """Whether this fix may anchor the speed check of the rep's later fixes."""
        return position_trusted(self.codes)

    def to_verification(self, checkin_id: UUID, verified_at: datetime) -> Verification:
        """A ``Verification(checker="fix")`` record carrying this verdict."""
        m = self.measurements
        return Verification(
            checkin_id=checkin_id, checker="fix", status=self.status, reasons=self.reasons,
            model_version=None, policy_version=self.policy_version, verified_at=verified_at,
            details={"risk": self.risk,
                     "risk_parts": {part.code: part.weight for part in self.risk_parts},
                     "measurements": {name: getattr(m, name) for name in m.__slots__}})


def verdict_from(reasons: Sequence[Reason], measurements: FixMeasurements,
                 policy: FixIntegrityPolicy) -> FixVerdict:
    """Assemble a verdict: reasons in code order, status by severity, risk from weights."""
    ordered = tuple(sorted(reasons, key=lambda reason: _ORDER[reason.code]))
    codes = [reason.code for reason in ordered]
    return FixVerdict(status=status_for(codes), reasons=ordered, risk=risk_score(codes),
                      risk_parts=tuple(RiskPart(code, SPECS[C(code)].weight) for code in codes),
                      measurements=measurements, policy_version=policy.version)


def check_checkin(checkin: Checkin, customer: Customer, *, history: Sequence[PriorFix],
                  policy: FixIntegrityPolicy, now: datetime,
                  exif: ExifEvidence | None = None) -> FixVerdict:
    """Check a stored or uploaded :class:`Checkin` (see :func:`check_raw_fix`)."""
    fix = checkin.fix
    return check_raw_fix(
        fix.lat, fix.lon, fix.accuracy_m, fix.fix_time, is_mock=fix.is_mock,
        customer=customer, arrived_at=checkin.arrived_at, departed_at=checkin.departed_at,
        submitted_at=checkin.submitted_at, photo_captured_at=checkin.photo_captured_at,
        device_submitted_at=checkin.device_submitted_at, checkin_id=str(checkin.id),
        history=history, exif=exif, policy=policy, now=now)


def check_raw_fix(lat: object, lon: object, accuracy_m: object, fix_time: object, *,
                  customer: Customer, arrived_at: object, departed_at: object,
                  submitted_at: object, policy: FixIntegrityPolicy, now: datetime,
                  photo_captured_at: object = None, device_submitted_at: object = None,
                  is_mock: bool = False, checkin_id: str = "",
                  history: Sequence[PriorFix] = (),
                  exif: ExifEvidence | None = None) -> FixVerdict:
    """Judge a fix and its times as sent: degrees, metres (68% radius), tz-aware instants.

    ``history`` holds the rep's other fixes; only those ordered before this one by
    (fix time, check-in id) are used. ``now`` must be tz-aware (it is the server clock).
    """
    now = require_utc(now, "now")
    found: dict[str, Reason] = {}
    m: dict[str, float | None] = {}

    def add(reason: Reason | None) -> None:
        if reason is not None and reason.code not in found:
            found[reason.code] = reason

    times = {name: _instant(value, name, add, policy, now, optional=optional)
             for name, value, optional in (
                 ("fix_time", fix_time, False), ("arrived_at", arrived_at, False),
                 ("departed_at", departed_at, False), ("submitted_at", submitted_at, False),
                 ("photo_captured_at", photo_captured_at, True),
                 ("device_submitted_at", device_submitted_at, True))}
    for reason in _time_rules(times, policy, m):
        add(reason)

    accuracy = _number(accuracy_m)
    if accuracy is None or not math.isfinite(accuracy) or accuracy < 0:
        add(make_reason(C.FIX_ACCURACY_INVALID, value=accuracy_m))
        tolerance = 0.0
    else:
        tolerance = min(accuracy, policy.max_accuracy_tolerance_m)
        if accuracy == 0:
            add(make_reason(C.FIX_ACCURACY_ZERO))
        elif accuracy > policy.poor_accuracy_m:
            add(make_reason(C.FIX_ACCURACY_POOR, accuracy=metres(accuracy),
                            limit=metres(policy.poor_accuracy_m)))
    if is_mock:
        add(make_reason(C.MOCK_LOCATION_FLAG))

    epsg = utm_epsg(customer.location.lon, customer.location.lat)
    allowed = policy.radius_for(customer.type, customer.geofence_radius_m)
    lat_f, lon_f = _number(lat), _number(lon)
    position = _coordinate_reason(lat_f, lon_f, lat, lon)
    swapped = _swapped_distance(lat_f, lon_f, customer, epsg)
    if position is not None:
        if position.code == C.FIX_LAT_OUT_OF_RANGE and swapped <= allowed + tolerance:
            position = make_reason(C.FIX_LAT_LON_SWAPPED, distance=metres(swapped))
        add(position)
    elif lat_f is not None and lon_f is not None:
        distance = geofence_distance_m(lat_f, lon_f, customer, epsg)
        m.update(distance_m=distance, allowed_m=allowed, tolerance_m=tolerance)
        if not distance <= allowed + tolerance:
            add(make_reason(C.GPS_OUTSIDE_GEOFENCE, distance=metres(distance),
                            allowed=metres(allowed), tolerance=metres(tolerance)))
            if swapped <= allowed + tolerance:
                add(make_reason(C.FIX_LAT_LON_SWAPPED, distance=metres(swapped)))
        on_point = point_distance_m(lon_f, lat_f, customer.location.lon,
                                    customer.location.lat, epsg)
        if on_point < policy.exact_point_m:
            add(make_reason(C.FIX_EXACTLY_ON_CUSTOMER, distance=f"{on_point:.2f} m"))
        add(spoofing.grid_reason(lat_f, lon_f, policy))
        when = times["fix_time"]
        if when is not None:
            earlier = sorted((h for h in history if (h.fix_time, h.checkin_id)
                              < (when, checkin_id)), key=lambda h: (h.fix_time, h.checkin_id))
            for reason in _history_rules(lat_f, lon_f, tolerance, when, accuracy, earlier,
                                         epsg, policy, m):
                add(reason)
        if exif is not None:
            add(_exif_position_reason(lat_f, lon_f, tolerance, exif, epsg, policy))
    if exif is not None:
        add(_exif_time_reason(times["photo_captured_at"], exif, policy))
    return verdict_from(list(found.values()), FixMeasurements(**m), policy)


def geofence_distance_m(lat: float, lon: float, customer: Customer, epsg: int) -> float:
    """Metres from (lat, lon) to the customer's footprint polygon (0 inside it) or, without
    one, to its registered point; measured in the UTM zone ``epsg``."""
    if customer.footprint is None:
        return point_distance_m(lon, lat, customer.location.lon, customer.location.lat, epsg)
    x, y = project_point(lon, lat, epsg)
    footprint = shapely.transform(customer.footprint, lambda xy: _project_xy(xy, epsg))
    distance = float(shapely.distance(Point(x, y), footprint))
    return distance if math.isfinite(distance) else math.inf


def _project_xy(xy: Any, epsg: int) -> Any:
    x, y = project(xy[:, 0], xy[:, 1], epsg)
    return np.column_stack([x, y])


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _coordinate_reason(lat: float | None, lon: float | None, raw_lat: object,
                       raw_lon: object) -> Reason | None:
    if lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon)):
        return make_reason(C.FIX_COORDINATE_NOT_FINITE, value=f"lat={raw_lat}, lon={raw_lon}")
    if not -90.0 <= lat <= 90.0:
        return make_reason(C.FIX_LAT_OUT_OF_RANGE, value=lat)
    if not -180.0 <= lon <= 180.0:
        return make_reason(C.FIX_LON_OUT_OF_RANGE, value=lon)
    return None


def _swapped_distance(lat: float | None, lon: float | None, customer: Customer,
                      epsg: int) -> float:
    """Distance of the point with lat and lon exchanged, when that point is valid."""
    if (lat is None or lon is None or not (math.isfinite(lat) and math.isfinite(lon))
            or not (-90.0 <= lon <= 90.0 and -180.0 <= lat <= 180.0)):
        return math.inf
    return geofence_distance_m(lon, lat, customer, epsg)


def _instant(value: object, name: str, add: Callable[[Reason | None], None],
             policy: FixIntegrityPolicy, now: datetime,
             *, optional: bool) -> datetime | None:
    if value is None and optional:
        return None
    if not isinstance(value, datetime):
        add(make_reason(C.TIME_INVALID, field=name, value=repr(value)))
        return None
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        add(make_reason(C.TIME_NAIVE, field=name, value=value.isoformat()))
        return None
    instant = value.astimezone(UTC)
    if instant < policy.earliest_valid:
        add(make_reason(C.TIME_IMPLAUSIBLE, field=name, value=instant.isoformat(),
                        earliest=policy.earliest_valid.date().isoformat()))
        return None
    ahead = (instant - now).total_seconds()
    if name != "device_submitted_at" and ahead > policy.future_tolerance_s:
        add(make_reason(C.TIME_IN_FUTURE, field=name, ahead=duration(ahead)))
    return instant


def _time_rules(t: dict[str, datetime | None], policy: FixIntegrityPolicy,
                m: dict[str, float | None]) -> list[Reason]:
    out: list[Reason] = []
    arrived, departed, submitted = t["arrived_at"], t["departed_at"], t["submitted_at"]
    if arrived is not None and departed is not None:
        if arrived >= departed:
            out.append(make_reason(C.TIME_ORDER, detail=f"arrived {arrived:%H:%M:%S} is not "
                                   f"before departed {departed:%H:%M:%S}"))
        elif (departed - arrived).total_seconds() < policy.min_dwell_s:
            out.append(make_reason(C.DWELL_TOO_SHORT,
                                   dwell=duration((departed - arrived).total_seconds()),
                                   minimum=duration(policy.min_dwell_s)))
    if departed is not None and submitted is not None:
        delay = (submitted - departed).total_seconds()
        m["submit_delay_s"] = delay
        if delay < 0:
            out.append(make_reason(C.TIME_ORDER, detail=f"submitted {duration(delay)} "
                                   "before the reported departure"))
        elif delay > policy.backfill_after_s:
            out.append(make_reason(C.SUBMITTED_BACKFILLED, late=duration(delay),
                                   window=duration(policy.submit_window_s)))
        elif delay > policy.submit_window_s:
            out.append(make_reason(C.SUBMITTED_LATE, late=duration(delay),
                                   window=duration(policy.submit_window_s)))
    if arrived is not None:
        for name in ("fix_time", "photo_captured_at"):
            when = t[name]
            if when is not None and (arrived - when).total_seconds() > \
                    policy.visit_time_tolerance_s:
                out.append(make_reason(C.TIME_BEFORE_VISIT, field=name,
                                       early=duration((arrived - when).total_seconds())))
    if departed is not None:
        for name in ("fix_time", "photo_captured_at"):
            when = t[name]
            if when is not None and (when - departed).total_seconds() > \
                    policy.visit_time_tolerance_s:
                out.append(make_reason(C.FIX_AFTER_DEPARTURE, field=name,
                                       late=duration((when - departed).total_seconds())))
    device = t["device_submitted_at"]
    if device is not None and submitted is not None:
        skew = (device - submitted).total_seconds()
        m["clock_skew_s"] = skew
        if abs(skew) > policy.clock_skew_tolerance_s:
            out.append(make_reason(C.DEVICE_CLOCK_SKEW, skew=duration(skew),
                                   direction="ahead of" if skew > 0 else "behind",
                                   tolerance=duration(policy.clock_skew_tolerance_s)))
    return out


def _history_rules(lat: float, lon: float, tolerance: float, when: datetime,
                   accuracy: float | None, earlier: Sequence[PriorFix], epsg: int,
                   policy: FixIntegrityPolicy, m: dict[str, float | None]) -> list[Reason]:
    out: list[Reason | None] = [
        spoofing.repeated_reason(lat, lon, [(h.lat, h.lon, h.fix_time) for h in earlier]),
        spoofing.regular_timing_reason(when, [h.fix_time for h in earlier], policy),
    ]
    if accuracy is not None and math.isfinite(accuracy):
        out.append(spoofing.constant_accuracy_reason(
            accuracy, [h.accuracy_m for h in earlier], policy))
    anchors = [h for h in earlier if h.position_trusted
               and when - h.fix_time <= timedelta(seconds=policy.movement_lookback_s)]
    if anchors:
        anchor = anchors[-1]
        distance = point_distance_m(anchor.lon, anchor.lat, lon, lat, epsg)
        elapsed = (when - anchor.fix_time).total_seconds()
        anchor_tolerance = min(anchor.accuracy_m, policy.max_accuracy_tolerance_m) \
            if math.isfinite(anchor.accuracy_m) and anchor.accuracy_m >= 0 else 0.0
        implied = float(movement.implied_speed_ms(
            _arr(distance), _arr(elapsed), _arr(anchor_tolerance + tolerance))[0])
        m["speed_kmh"] = implied * 3.6
        out.append(movement.speed_reason(distance, elapsed, anchor_tolerance + tolerance,
                                         policy))
    return [reason for reason in out if reason is not None]


def _arr(value: float) -> FloatArray:
    return np.array([value], dtype=np.float64)


def _exif_time_reason(captured: datetime | None, exif: ExifEvidence,
                      policy: FixIntegrityPolicy) -> Reason | None:
    if captured is None or not isinstance(exif.captured_at, datetime):
        return None
    if exif.captured_at.tzinfo is None or exif.captured_at.utcoffset() is None:
        return make_reason(C.TIME_NAIVE, field="exif.captured_at",
                           value=exif.captured_at.isoformat())
    difference = (exif.captured_at - captured).total_seconds()
    if abs(difference) <= policy.exif_time_tolerance_s:
        return None
    return make_reason(C.EXIF_TIME_MISMATCH, difference=duration(difference),
                       direction="after" if difference > 0 else "before")


def _exif_position_reason(lat: float, lon: float, tolerance: float, exif: ExifEvidence,
                          epsg: int, policy: FixIntegrityPolicy) -> Reason | None:
    e_lat, e_lon = _number(exif.lat), _number(exif.lon)
    if e_lat is None or e_lon is None or not (-90 <= e_lat <= 90 and -180 <= e_lon <= 180):
        return None
    distance = point_distance_m(lon, lat, e_lon, e_lat, epsg)
    allowed = policy.exif_distance_tolerance_m + tolerance
    if distance <= allowed:
        return None
    return make_reason(C.EXIF_POSITION_MISMATCH, distance=metres(distance),
                       allowed=metres(allowed))

"""Fix integrity: is this check-in's GPS fix, and are its times, what an honest visit gives?

    verdict = check_checkin(checkin, customer, history=prior_fixes, policy=policy, now=now)
    verdict.status, verdict.reasons, verdict.risk

Pure functions over one check-in, its customer and the rep's earlier fixes; ``now`` is the
server clock, passed in. A failed check is a reason in the verdict, never an exception: bad
raw input (NaN, lat 91, a naive time) is a reason too, through :func:`check_raw_fix`, which
takes the values as the phone sent them. Only a naive ``now`` raises, because that is the
caller's bug. Distances follow :mod:`geo.projection` (UTM zone of the customer).

The rules are written once, over columns, in :mod:`geo.fix_rules`; this module reads one
check-in into one row of them (:class:`~geo.fix_columns.FixColumns`, the rep's earlier fixes
as :class:`~geo.fix_columns.EarlierFixes`) and writes the findings as a :class:`FixVerdict`.
:mod:`geo.fix_batch` runs the same rules over a whole GeoDataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import numpy as np
import shapely

from geo.fix_columns import (
    MICROSECONDS,
    TIME_FIELDS,
    EarlierFixes,
    FixColumns,
    Float,
    microseconds,
)
from geo.fix_findings import MEASUREMENTS
from geo.fix_policy import FixIntegrityPolicy
from geo.fix_rules import find_reasons
from geo.projection import utm_epsg_array
from geo.reasons import WEIGHTS, order, position_trusted, risk_score
from visitproof.reasons import ReasonCode, status_for
from visitproof.records import (
    Checkin,
    CheckinStatus,
    Customer,
    Reason,
    StoredFix,
    Verification,
)
from visitproof.values import require_utc

C = ReasonCode


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorFix:
    """An earlier fix of the same rep: degrees, metres, UTC. ``position_trusted`` is False
    when its own verdict doubted the position (see :func:`geo.reasons.position_trusted`);
    such fixes never anchor the movement check."""

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
                 policy: FixIntegrityPolicy | str) -> FixVerdict:
    """Assemble a verdict: reasons in code order, status by severity, risk from weights.
    ``policy``: the policy, or the version string of the one that judged."""
    ordered = tuple(sorted(reasons, key=lambda found: order(found.code)))
    codes = [reason.code for reason in ordered]
    version = policy if isinstance(policy, str) else policy.version
    return FixVerdict(status=status_for(codes), reasons=ordered, risk=risk_score(codes),
                      risk_parts=tuple(RiskPart(code, WEIGHTS[C(code)]) for code in codes),
                      measurements=measurements, policy_version=version)


def with_later_reasons(verdict: FixVerdict, later: Sequence[Reason]) -> FixVerdict:
    """``verdict`` with the reasons that the rep's later fixes give it (batch
    re-verification's look-ahead, :func:`geo.fix_batch.verify_fixes`), status and risk
    recomputed; a code already there is not added twice."""
    have = set(verdict.codes)
    extra = [reason for reason in later if reason.code not in have]
    if not extra:
        return verdict
    return verdict_from([*verdict.reasons, *extra], verdict.measurements,
                        verdict.policy_version)


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

    ``history`` holds the rep's other fixes (tz-aware times); only those ordered before this
    one by (fix time, check-in id) are used. ``now`` must be tz-aware (the server clock).
    """
    sent = {"fix_time": fix_time, "arrived_at": arrived_at, "departed_at": departed_at,
            "submitted_at": submitted_at, "photo_captured_at": photo_captured_at,
            "device_submitted_at": device_submitted_at}
    ids = sorted({checkin_id, *(prior.checkin_id for prior in history)})
    rank = {name: position for position, name in enumerate(ids)}
    cols = _one_row(lat, lon, accuracy_m, sent, is_mock, customer, exif, policy,
                    now=microseconds(require_utc(now, "now")), rank=rank[checkin_id])
    found = find_reasons(cols, policy, _earlier(history, rank))
    measured = {name: float(found.values[name][0]) if found.measured[name][0] else None
                for name in MEASUREMENTS}
    return verdict_from([found.reason(code, 0) for code in found.codes(0)],
                        FixMeasurements(**measured), policy)


def _earlier(history: Sequence[PriorFix], rank: dict[str, int]) -> EarlierFixes:
    """The rep's other fixes as columns, times in microseconds (a naive one raises)."""
    return EarlierFixes(
        rep=np.zeros(len(history), dtype=np.int64),
        t=np.array([microseconds(require_utc(prior.fix_time, "history.fix_time"))
                    for prior in history], dtype=np.int64),
        rank=np.array([rank[prior.checkin_id] for prior in history], dtype=np.int64),
        lat=np.array([prior.lat for prior in history], dtype=np.float64),
        lon=np.array([prior.lon for prior in history], dtype=np.float64),
        accuracy=np.array([prior.accuracy_m for prior in history], dtype=np.float64),
        doubted=np.array([not prior.position_trusted for prior in history], dtype=bool))


def _one_row(lat: object, lon: object, accuracy_m: object, sent: dict[str, object],
             is_mock: bool, customer: Customer, exif: ExifEvidence | None,
             policy: FixIntegrityPolicy, *, now: int, rank: int) -> FixColumns:
    """One check-in as one row of columns, times in microseconds, the values as sent kept
    for the messages."""
    ticks, missing, unreadable, naive = zip(*(_read_time(sent[name]) for name in TIME_FIELDS),
                                            strict=True)
    shown: dict[str, Sequence[object]] = {name: [value] for name, value in sent.items()}
    shown.update(lat=[lat], lon=[lon], accuracy_m=[accuracy_m])
    where = customer.location
    exif_time, exif_missing, _, exif_naive = _read_time(None if exif is None
                                                        else exif.captured_at)
    footprint = customer.footprint
    return FixColumns(
        n=1, lat=_floats(lat), lon=_floats(lon), accuracy=_floats(accuracy_m),
        is_mock=np.array([bool(is_mock)]), tick_s=MICROSECONDS,
        times=np.array(ticks, dtype=np.int64)[:, None], missing=np.array(missing)[:, None],
        unreadable=np.array(unreadable)[:, None], naive=np.array(naive)[:, None], now=now,
        rep=np.zeros(1, dtype=np.int64), checkin_rank=np.array([rank], dtype=np.int64),
        customer_lat=np.array([where.lat]), customer_lon=np.array([where.lon]),
        epsg=utm_epsg_array(np.array([where.lon]), np.array([where.lat])),
        allowed=np.array([policy.radius_for(customer.type, customer.geofence_radius_m)],
                         dtype=np.float64),
        has_footprint=np.array([footprint is not None and not shapely.is_empty(footprint)]),
        footprint=np.array([footprint], dtype=object),
        exif_time=None if exif is None else np.array([exif_time], dtype=np.int64),
        exif_missing=np.array([exif_missing]), exif_naive=np.array([exif_naive]),
        exif_lat=None if exif is None else _floats(exif.lat),
        exif_lon=None if exif is None else _floats(exif.lon),
        shown={**shown, "exif_captured_at": [None if exif is None else exif.captured_at]})


def _read_time(value: object) -> tuple[int, bool, bool, bool]:
    """Microseconds since the epoch, and whether the value is missing, unreadable, naive."""
    if value is None:
        return 0, True, False, False
    if not isinstance(value, datetime):
        return 0, True, True, False
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return 0, True, False, True
    return microseconds(value), False, False, False


def _floats(value: object) -> Float:
    """A number as a one-entry float array; NaN for anything else (a bool, a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return np.array([np.nan])
    return np.array([value], dtype=np.float64)

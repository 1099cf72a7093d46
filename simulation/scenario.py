"""One simulation run: configuration in, company, labelled check-ins with verdicts out.

    result = simulate(SimulationConfig(reps=150, customers=3000, days=30, seed=7))

Deterministic: one ``numpy`` generator seeded from ``seed`` is consumed in a fixed order, and
the calendar starts on a fixed date, so the same configuration gives the same output. Every
check-in is judged by the real checks (:func:`geo.fix_batch.verify_fixes` and
:func:`vision.photo_reuse.reused_mask`) with ``now`` three days after the last simulated day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.fix_batch import verify_fixes
from geo.fix_policy import FixIntegrityPolicy
from simulation.company import Company, build_company
from simulation.days import DayPlanner, RepDay
from simulation.fraud import FraudInjector
from simulation.leads import build_leads
from vision.photo_reuse import PhotoUse, build_index, photo_reuse_verdict, reused_mask
from visitproof.errors import InvalidValue
from visitproof.reasons import ReasonCode, combined_status, status_for
from visitproof.records import CheckinStatus, Lead, LeadTouch

# Monday 5 October 2026, 00:00 in Asia/Shanghai.
DEFAULT_START = datetime(2026, 10, 4, 16, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationConfig:
    """What to simulate. ``fraud_rate`` is the chance that a check-in is fraudulent."""

    reps: int = 150
    customers: int = 3000
    days: int = 30
    seed: int = 1
    fraud_rate: float = 0.05
    tenant: str = "default"
    start: datetime = DEFAULT_START
    policy: FixIntegrityPolicy = field(default_factory=FixIntegrityPolicy)

    def __post_init__(self) -> None:
        if self.reps < 1 or self.customers < self.reps or self.days < 1:
            raise InvalidValue("config", "need reps >= 1, customers >= reps and days >= 1, "
                               f"got {self.reps}, {self.customers}, {self.days}",
                               code="BAD_NUMBER")
        if not 0.0 <= self.fraud_rate <= 0.5:
            raise InvalidValue("fraud_rate", f"must be within [0, 0.5], got {self.fraud_rate}",
                               code="BAD_NUMBER")

    @property
    def now(self) -> datetime:
        """The server clock used to verify: three days after the last simulated day."""
        return self.start + timedelta(days=self.days + 3)


@dataclass(frozen=True, slots=True, eq=False)
class Simulation:
    """A finished run. ``checkins`` has one row per check-in: the batch-check columns,
    labels (``fraud_type``, ``fraud_variant``), EXIF, and the verdict (``status``,
    ``fix_status``, ``codes``, ``risk``, ``reasons``)."""

    config: SimulationConfig
    company: Company
    rep_days: tuple[RepDay, ...]
    checkins: gpd.GeoDataFrame
    leads: tuple[Lead, ...]
    touches: tuple[LeadTouch, ...]


def simulate(config: SimulationConfig) -> Simulation:
    """Run the simulation described by ``config``."""
    rng = np.random.default_rng(config.seed)
    company = build_company(rng, tenant=config.tenant, reps=config.reps,
                            customers=config.customers, policy=config.policy)
    passive = frozenset(int(r) for r in rng.choice(config.reps, size=min(2, config.reps),
                                                   replace=False))
    planner = DayPlanner(company, rng, config.seed, config.start, passive, config.now)
    injector = FraudInjector(company, rng, config.fraud_rate, config.policy)
    rep_days: list[RepDay] = []
    for day in range(config.days):
        for rep in range(config.reps):
            honest = planner.day(rep, day)
            if honest is not None:
                rep_days.append(injector.apply(honest))
    leads, touches = build_leads(company, rng, rep_days, tenant=config.tenant,
                                 start=config.start, days=config.days, now=config.now)
    frame = judge(checkin_frame(company, rep_days), config.policy, config.now)
    return Simulation(config=config, company=company, rep_days=tuple(rep_days),
                      checkins=frame, leads=tuple(leads), touches=tuple(touches))


def checkin_frame(company: Company, rep_days: list[RepDay]) -> gpd.GeoDataFrame:
    """The check-ins as a GeoDataFrame in the :mod:`geo.fix_batch` input layout, plus
    labels, EXIF and the next-action fields the store needs."""
    visits = [visit for rep_day in rep_days for visit in rep_day.visits]
    customers = company.customers
    frame = pd.DataFrame({
        "checkin_id": [str(v.checkin_id) for v in visits],
        "rep_id": [company.reps[v.rep].id for v in visits],
        "customer_id": [customers[v.customer].id for v in visits],
        "day": [v.day for v in visits], "seq": [v.seq for v in visits],
        "accuracy_m": [v.accuracy_m for v in visits],
        "is_mock": [v.is_mock for v in visits], "provider": [v.provider for v in visits],
        **{name: pd.to_datetime([getattr(v, name) for v in visits], utc=True)
           for name in ("fix_time", "arrived_at", "departed_at", "submitted_at",
                        "photo_captured_at", "device_submitted_at", "exif_captured_at")},
        "exif_lat": [np.nan if v.exif_lat is None else v.exif_lat for v in visits],
        "exif_lon": [np.nan if v.exif_lon is None else v.exif_lon for v in visits],
        "photo_sha256": [v.photo_sha256 for v in visits],
        "customer_lat": [customers[v.customer].location.lat for v in visits],
        "customer_lon": [customers[v.customer].location.lon for v in visits],
        "customer_type": [customers[v.customer].type.value for v in visits],
        "customer_radius_m": [customers[v.customer].geofence_radius_m for v in visits],
        "commitment": [v.commitment for v in visits],
        "contract_number": [v.contract_number for v in visits],
        "action_kind": [v.action_kind.value for v in visits],
        "action_text": [v.action_text for v in visits],
        "action_due_at": pd.to_datetime([v.action_due_at for v in visits], utc=True),
        "action_contact_id": [v.action_contact_id for v in visits],
        "completed_at": pd.to_datetime([v.completed_at for v in visits], utc=True),
        "fraud_type": [v.fraud_type for v in visits],
        "fraud_variant": [v.fraud_variant for v in visits],
    })
    frame["customer_footprint"] = gpd.GeoSeries(
        [customers[v.customer].footprint for v in visits], crs="EPSG:4326")
    points = shapely.points([v.lon for v in visits], [v.lat for v in visits])
    return gpd.GeoDataFrame(frame, geometry=points, crs="EPSG:4326")


def _reuse_messages(frame: pd.DataFrame, reused: np.ndarray) -> list[str]:
    """The PHOTO_REUSED message of each re-used row ("" elsewhere)."""
    shared = frame[frame["photo_sha256"].duplicated(keep=False)]
    index = build_index((row.photo_sha256, PhotoUse(checkin_id=row.checkin_id,
                                                     customer_id=row.customer_id,
                                                     submitted_at=row.submitted_at))
                        for row in shared.itertuples(index=False))
    messages = [""] * len(frame)
    for i in np.flatnonzero(reused):
        row = frame.iloc[i]
        found = photo_reuse_verdict(row["checkin_id"], row["photo_sha256"],
                                    row["submitted_at"], index)
        messages[i] = found.reasons[0].message if found.reasons else ""
    return messages


def judge(frame: gpd.GeoDataFrame, policy: FixIntegrityPolicy,
          now: datetime, *, with_messages: bool = True) -> gpd.GeoDataFrame:
    """``frame`` with verdict columns: ``fix_status`` from the fix checks, ``photo_reused``,
    and the check-in ``status`` (rejected if either rejects), ``codes`` and ``risk``."""
    verdict = verify_fixes(frame, policy=policy, now=now, with_messages=with_messages)
    reused = reused_mask(frame["photo_sha256"].tolist(), frame["submitted_at"],
                         frame["checkin_id"].tolist())
    out = frame.copy()
    out["fix_status"] = verdict["status"].to_numpy()
    out["photo_reused"] = reused
    fix_status = verdict["status"].to_numpy()
    # A check-in's status combines its checks' (a few distinct pairs: combined once each).
    reuse = {False: status_for([]), True: status_for([ReasonCode.PHOTO_REUSED])}
    combined = {(fix, r): combined_status(CheckinStatus(fix), reuse[r]).value
                for fix in set(fix_status) for r in (False, True)}
    out["status"] = [combined[fix, bool(r)] for fix, r in zip(fix_status, reused, strict=True)]
    out["codes"] = ["|".join((*codes, *(("PHOTO_REUSED",) if r else ())))
                    for codes, r in zip(verdict["codes"], reused, strict=True)]
    out["fix_risk"] = verdict["risk"].to_numpy()
    out["risk"] = np.where(reused, 1.0, verdict["risk"].to_numpy())
    out["photo_reuse_message"] = _reuse_messages(frame, reused)
    for name in ("distance_m", "submit_delay_s", "clock_skew_s", "speed_kmh"):
        out[name] = verdict[name].to_numpy()
    if with_messages:
        out["reasons"] = verdict["reasons"].to_numpy()
    return out

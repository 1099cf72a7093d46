"""Writing a simulation: into the store (records with their fix and photo-reuse
verifications) and as GeoParquet under ``<data_dir>/simulation/`` with the labels.

Files written (GeoParquet, EPSG:4326):

    checkins.parquet     one row per check-in: fix point, times, EXIF, customer columns,
                         labels (fraud_type, fraud_variant), verdict (status, codes, risk)
    customers.parquet    registered point, footprint (second geometry column), type, tier
    territories.parquet  one polygon per rep
    routes.parquet       each rep-day's path as a LineString
    leads.parquet        leads with channel, tier, intake, assignment and first touch
    meta.json            configuration, seed, ``now`` and counts
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import geopandas as gpd
import numpy as np
import pandas as pd

from simulation.commerce import commerce_records
from simulation.scenario import Simulation
from vision.perceptual_hash import from_signed
from visitproof.errors import InvalidInput
from visitproof.pushed_actions import requires_strategy
from visitproof.reasons import ReasonCode, status_for
from visitproof.records import (
    ActionOutcome,
    Checkin,
    Commitment,
    GpsFix,
    NextAction,
    Reason,
    Tenant,
    Verification,
)
from visitproof.store import Commerce, Store, open_database

SIMULATION_FOLDER = "simulation"
# The reps' one sentence on a pushed follow-up (visitproof.pushed_actions): PHI phi-2 counts a
# pushed action closed only with one, so every simulated completion that was pushed has one.
STRATEGIES = (
    "Lead with last quarter's order volume, since the buyer tracks sell-through weekly.",
    "Bring the trial results, because the department head wants evidence before budgeting.",
    "Offer the bundle price only if they commit to the promotion shelf space.",
    "Ask who signs off on the purchase and book a meeting with that person.",
    "Compare our service response times with the competitor's, which they complained about.",
    "Confirm the delivery date first, since the last order arrived late.",
    "先确认采购流程，再约设备科主任看对比报价。",
    "用上次的试用数据说服主任，把续签提前到本月。",
)
# Its own stream, derived from the seed: drawing here leaves the simulation's figures as
# they were before strategies existed.
_STRATEGY_STREAM = 0x5742


def checkin_records(sim: Simulation) -> tuple[list[Checkin], list[ActionOutcome]]:
    """Store records for every simulated check-in and completed next action."""
    tenant, now = sim.config.tenant, sim.config.now
    version = sim.config.policy.version
    checkins: list[Checkin] = []
    outcomes: list[ActionOutcome] = []
    strategies = np.random.default_rng([sim.config.seed, _STRATEGY_STREAM])
    frame = pd.DataFrame(sim.checkins.drop(columns=["customer_footprint"]))
    frame["lat"], frame["lon"] = sim.checkins.geometry.y, sim.checkins.geometry.x
    for name in ("arrived_at", "departed_at", "photo_captured_at", "submitted_at",
                 "device_submitted_at", "fix_time", "action_due_at", "completed_at"):
        # plain datetimes once per column: per-row pandas Timestamps are ~10x slower
        frame[name] = pd.Series(frame[name].dt.to_pydatetime(), index=frame.index,
                                dtype=object).where(frame[name].notna(), None)
    for row in frame.drop(columns=["geometry"]).itertuples(index=False):
        checkin_id = UUID(row.checkin_id)
        reused = bool(row.photo_reused)
        fix_verdict = Verification(
            checkin_id=checkin_id, checker="fix", status=row.fix_status,
            reasons=tuple(row.reasons),
            model_version=None, policy_version=version, verified_at=now,
            details={"risk": float(row.fix_risk), "distance_m": _finite(row.distance_m),
                     "submit_delay_s": _finite(row.submit_delay_s),
                     "clock_skew_s": _finite(row.clock_skew_s),
                     "speed_kmh": _finite(row.speed_kmh)})
        # The message was written by vision.photo_reuse (reason(PHOTO_REUSED, ...)) when the
        # frame was judged; only its text is in the frame.
        reuse = ((Reason(code=ReasonCode.PHOTO_REUSED.value, message=row.photo_reuse_message),)
                 if reused else ())
        photo_verdict = Verification(
            checkin_id=checkin_id, checker="photo_reuse",
            status=status_for(r.code for r in reuse), reasons=reuse,
            model_version=None, policy_version="photo-reuse/1", verified_at=now)
        checkins.append(Checkin(
            tenant_id=tenant, id=checkin_id, rep_id=row.rep_id, customer_id=row.customer_id,
            arrived_at=row.arrived_at, departed_at=row.departed_at,
            photo_captured_at=row.photo_captured_at, submitted_at=row.submitted_at,
            device_submitted_at=row.device_submitted_at,
            fix=GpsFix(lat=row.lat, lon=row.lon, accuracy_m=row.accuracy_m,
                       fix_time=row.fix_time, provider=row.provider, is_mock=row.is_mock),
            photo_sha256=row.photo_sha256, photo_phash=_phash(row),
            commitment=Commitment(text=row.commitment,
                                  contract_number=_text(row.contract_number)),
            next_action=NextAction(text=row.action_text, due_at=row.action_due_at,
                                   kind=row.action_kind, contact_id=row.action_contact_id),
            status=row.status, verifications=(fix_verdict, photo_verdict)))
        if row.completed_at is not None:
            strategy = (STRATEGIES[int(strategies.integers(len(STRATEGIES)))]
                        if requires_strategy(row.action_due_at, row.completed_at) else None)
            outcomes.append(ActionOutcome(tenant_id=tenant, checkin_id=checkin_id,
                                          completed_at=row.completed_at,
                                          completed_by=row.rep_id, strategy=strategy))
    return checkins, outcomes


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _phash(row: Any) -> int | None:
    """The photo's unsigned pHash where :mod:`simulation.shelf_photos` rendered one."""
    value = getattr(row, "photo_phash", None)
    return None if value is None or pd.isna(value) else from_signed(int(value))


def _finite(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


def write_store(sim: Simulation, database_url: str, *, tenant_name: str | None = None,
                timezone: str = "Asia/Shanghai") -> dict[str, int]:
    """Migrate the store at ``database_url`` and write every record of ``sim`` into its
    tenant. Refuses a store that already holds check-ins for that tenant."""
    config, company = sim.config, sim.company
    database = open_database(database_url, create_dir=True)
    try:
        database.migrate()
        checkins, outcomes = checkin_records(sim)
        commerce = commerce_records(sim)
        with database.begin() as connection:
            store = Store(connection, config.tenant)
            reference, crm = store.reference, store.crm
            if store.checkins.find(limit=1):
                raise InvalidInput(f"tenant {config.tenant!r} already has check-ins; simulate "
                                   "into a fresh --data-dir")
            reference.put_tenant(Tenant(id=config.tenant, name=tenant_name or config.tenant,
                                        timezone=timezone, created_at=config.start))
            reference.put_teams(company.teams)
            reference.put_territories(company.territories)
            reference.put_reps(company.reps)
            reference.put_customers(company.customers)
            crm.put_contacts(company.contacts)
            reference.put_products(company.products)
            crm.put_leads(sim.leads)
            crm.put_lead_touches(sim.touches)
            store.checkins.add_many(checkins)
            crm.add_action_outcomes(outcomes)
            # The visit pack's imported data (simulation.commerce: its own random stream).
            shop = Commerce(connection, config.tenant)
            shop.put_orders(commerce.orders)
            shop.put_stock_levels(commerce.stock)
            shop.put_promotions(commerce.promotions)
    finally:
        database.dispose()
    return {"reps": len(company.reps), "customers": len(company.customers),
            "contacts": len(company.contacts), "leads": len(sim.leads),
            "checkins": len(checkins), "action_outcomes": len(outcomes),
            "orders": len(commerce.orders), "stock_levels": len(commerce.stock),
            "promotions": len(commerce.promotions)}


def write_geoparquet(sim: Simulation, data_dir: Path) -> Path:
    """Write the GeoParquet files and ``meta.json`` under ``data_dir/simulation``."""
    folder = data_dir / SIMULATION_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    frame = sim.checkins.drop(columns=["reasons"], errors="ignore")
    frame.to_parquet(folder / "checkins.parquet")
    company = sim.company
    customers = gpd.GeoDataFrame({
        "customer_id": [c.id for c in company.customers],
        "name": [c.name for c in company.customers],
        "type": [c.type.value for c in company.customers],
        "tier": [c.tier.value for c in company.customers],
        "geofence_radius_m": [c.geofence_radius_m for c in company.customers],
        "assigned_rep_ids": ["|".join(c.assigned_rep_ids) for c in company.customers],
        "territory_id": [c.territory_id for c in company.customers],
        "footprint": gpd.GeoSeries([c.footprint for c in company.customers], crs="EPSG:4326"),
    }, geometry=gpd.points_from_xy([c.location.lon for c in company.customers],
                                   [c.location.lat for c in company.customers]),
        crs="EPSG:4326")
    customers.to_parquet(folder / "customers.parquet")
    gpd.GeoDataFrame({"territory_id": [t.id for t in company.territories],
                      "name": [t.name for t in company.territories],
                      "rep_id": [r.id for r in company.reps]},
                     geometry=[t.area for t in company.territories],
                     crs="EPSG:4326").to_parquet(folder / "territories.parquet")
    gpd.GeoDataFrame({"rep_id": [company.reps[d.rep].id for d in sim.rep_days],
                      "day": [d.day for d in sim.rep_days]},
                     geometry=[d.route for d in sim.rep_days],
                     crs="EPSG:4326").to_parquet(folder / "routes.parquet")
    pd.DataFrame([{"lead_id": lead.id, "channel": lead.channel, "tier": lead.tier.value,
                   "created_at": lead.created_at, "assigned_rep_id": lead.assigned_rep_id,
                   "assigned_at": lead.assigned_at, "first_touch_at": lead.first_touch_at,
                   "customer_id": lead.customer_id} for lead in sim.leads]
                 ).to_parquet(folder / "leads.parquet")
    config = sim.config
    meta = {"seed": config.seed, "reps": config.reps, "customers": config.customers,
            "days": config.days, "fraud_rate": config.fraud_rate, "tenant": config.tenant,
            "start": config.start.isoformat(), "now": config.now.isoformat(),
            "policy_version": config.policy.version, "checkins": len(frame),
            "fraud_checkins": int((frame["fraud_type"] != "").sum())}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return folder

"""Leads from marketing channels, their assignment and first touches.

About six leads per rep per month arrive in office hours from channels with their own tier
mix; most are assigned within hours, some wait days (the brief's "57% of leads not assigned
within 3 days are lost"), and the first touch is a call, a message or a visit that matches
one of the rep's check-ins.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import numpy as np

from simulation.company import Company
from simulation.days import RepDay
from visitproof.records import Lead, LeadTouch, Tier, TouchKind

CHANNELS: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("search ads - orthopaedics keywords", (0.25, 0.35, 0.40)),
    ("search ads - brand keywords", (0.20, 0.30, 0.50)),
    ("hotline", (0.15, 0.35, 0.50)),
    ("trade fair - CMEF Shanghai", (0.35, 0.40, 0.25)),
    ("web form", (0.10, 0.30, 0.60)),
    ("WeChat mini-program", (0.10, 0.25, 0.65)),
    ("distributor referral", (0.45, 0.40, 0.15)),
)


def build_leads(company: Company, rng: np.random.Generator, rep_days: list[RepDay], *,
                tenant: str, start: datetime, days: int,
                now: datetime) -> tuple[list[Lead], list[LeadTouch]]:
    """Leads over ``days`` days from ``start`` (UTC) and their touches before ``now``."""
    visits_by_rep: dict[int, list[tuple[datetime, UUID, str]]] = {}
    for rep_day in rep_days:
        for visit in rep_day.visits:
            if not visit.fraud_type:
                visits_by_rep.setdefault(visit.rep, []).append(
                    (visit.departed_at, visit.checkin_id,
                     company.customers[visit.customer].id))
    leads: list[Lead] = []
    touches: list[LeadTouch] = []
    tiers = list(Tier)
    for index in range(len(company.reps) * 6 * days // 30):
        channel, mix = CHANNELS[int(rng.integers(len(CHANNELS)))]
        created = start + timedelta(days=int(rng.integers(days)),
                                    hours=float(rng.uniform(8.5, 18)))  # office hours
        rep = int(rng.integers(len(company.reps)))
        roll = rng.random()
        wait_h = (rng.uniform(0.1, 2) if roll < 0.6 else rng.uniform(2, 24) if roll < 0.85
                  else rng.uniform(24, 72) if roll < 0.95 else rng.uniform(72, 240))
        assigned = created + timedelta(hours=float(wait_h))
        lead_id = f"lead-{index:05d}"
        rep_id = company.reps[rep].id
        touch_at: datetime | None = None
        customer_id: str | None = None
        if rng.random() < 0.85 and assigned < now:
            kind = TouchKind(rng.choice(["call", "message", "visit"], p=[0.6, 0.25, 0.15]))
            touch_at = assigned + timedelta(hours=float(rng.exponential(10)))
            checkin_id: UUID | None = None
            if kind is TouchKind.VISIT:
                later = [v for v in visits_by_rep.get(rep, []) if v[0] > assigned]
                if later:
                    touch_at, checkin_id, customer_id = later[0]
                else:
                    kind = TouchKind.CALL
            if touch_at < now:
                touches.append(LeadTouch(tenant_id=tenant, id=f"{lead_id}-t1", lead_id=lead_id,
                                         rep_id=rep_id, kind=kind, at=touch_at,
                                         checkin_id=checkin_id))
            else:
                touch_at = None
        leads.append(Lead(tenant_id=tenant, id=lead_id, channel=channel,
                          tier=tiers[int(rng.choice(3, p=mix))], created_at=created,
                          customer_id=customer_id, contact_name=None,
                          assigned_rep_id=rep_id if assigned < now else None,
                          assigned_at=assigned if assigned < now else None,
                          first_touch_at=touch_at))
    return leads, touches

"""Tiny builders for domain records, so tests state only what matters to them.

    make_checkin(rep="r1", customer="c1", departed="09:40", submitted="09:48")

Times given as "HH:MM" are on 2026-11-03 UTC; full ISO strings and datetimes pass through.
Append new builders at the end; keep each one short.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from visitproof.records import (
    Checkin,
    CheckinStatus,
    Commitment,
    Contact,
    Customer,
    GeoPoint,
    GpsFix,
    Lead,
    NextAction,
    NextActionKind,
    Rep,
    Tenant,
)

TENANT = "acme"
DAY = datetime(2026, 11, 3, tzinfo=UTC)
HANGZHOU = (30.2741, 120.1551)


def at(value: str | datetime) -> datetime:
    """``"09:40"`` -> 2026-11-03 09:40 UTC; ISO strings are parsed; datetimes pass."""
    if isinstance(value, datetime):
        return value
    if len(value) == 5 and value[2] == ":":
        return DAY + timedelta(hours=int(value[:2]), minutes=int(value[3:]))
    return datetime.fromisoformat(value)


def make_tenant(tenant_id: str = TENANT, timezone: str = "Asia/Shanghai") -> Tenant:
    return Tenant(id=tenant_id, name=tenant_id.title(), timezone=timezone,
                  created_at=at("00:00"))


def make_rep(rep_id: str = "r1", team: str | None = "t1", tenant: str = TENANT) -> Rep:
    return Rep(tenant_id=tenant, id=rep_id, name=f"Rep {rep_id}", team_id=team)


def make_customer(customer_id: str = "c1", lat: float = HANGZHOU[0], lon: float = HANGZHOU[1],
                  *, type: str = "supermarket", tier: str = "A", reps: tuple[str, ...] = ("r1",),
                  radius_m: float = 150.0, tenant: str = TENANT) -> Customer:
    return Customer(tenant_id=tenant, id=customer_id, name=f"Customer {customer_id}",
                    type=type, tier=tier, location=GeoPoint(lat=lat, lon=lon),
                    geofence_radius_m=radius_m, assigned_rep_ids=reps)


def make_contact(contact_id: str = "k1", customer: str = "c1", role: str = "store_manager",
                 tenant: str = TENANT) -> Contact:
    return Contact(tenant_id=tenant, id=contact_id, customer_id=customer,
                   name=f"Contact {contact_id}", role=role)


def make_lead(lead_id: str = "l1", *, created: str | datetime = "08:00", tier: str = "B",
              channel: str = "hotline", rep: str | None = "r1",
              first_touch: str | datetime | None = None, customer: str | None = "c1",
              tenant: str = TENANT) -> Lead:
    return Lead(tenant_id=tenant, id=lead_id, channel=channel, tier=tier,
                created_at=at(created), customer_id=customer, assigned_rep_id=rep,
                first_touch_at=at(first_touch) if first_touch is not None else None)


def make_fix(lat: float = HANGZHOU[0], lon: float = HANGZHOU[1], t: str | datetime = "09:30",
             *, accuracy_m: float = 12.0, mock: bool = False) -> GpsFix:
    return GpsFix(lat=lat, lon=lon, accuracy_m=accuracy_m, fix_time=at(t), provider="gps",
                  is_mock=mock)


def make_checkin(*, rep: str = "r1", customer: str = "c1", arrived: str | datetime = "09:00",
                 departed: str | datetime = "09:40", captured: str | datetime = "09:20",
                 submitted: str | datetime = "09:48", fix: GpsFix | None = None,
                 photo: str | None = None, due: str | datetime = "2026-11-05T10:00:00+00:00",
                 action_kind: str = NextActionKind.CALL, contact: str | None = "k1",
                 status: CheckinStatus = CheckinStatus.VERIFIED,
                 checkin_id: uuid.UUID | None = None, tenant: str = TENANT) -> Checkin:
    identifier = checkin_id or uuid.uuid4()
    return Checkin(
        tenant_id=tenant, id=identifier, rep_id=rep, customer_id=customer,
        arrived_at=at(arrived), departed_at=at(departed), photo_captured_at=at(captured),
        submitted_at=at(submitted), fix=fix or make_fix(t=departed),
        photo_sha256=photo or hashlib.sha256(identifier.bytes).hexdigest(),
        commitment=Commitment(text="agrees to a trial of the new range"),
        next_action=NextAction(text="send the draft contract", due_at=at(due),
                               kind=action_kind, contact_id=contact),
        status=status,
    )

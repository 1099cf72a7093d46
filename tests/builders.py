"""Tiny builders for domain records, so tests state only what matters to them.

    make_checkin(rep="r1", customer="c1", departed="09:40", submitted="09:48")

Times given as "HH:MM" are on 2026-11-03 UTC; full ISO strings and datetimes pass through.
Append new builders at the end; keep each one short.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from visitproof.records import (
    ActionOutcome,
    Checkin,
    CheckinStatus,
    Commitment,
    Contact,
    Customer,
    GeoPoint,
    GpsFix,
    Lead,
    LeadTouch,
    NextAction,
    NextActionKind,
    Reason,
    Rep,
    StoredFix,
    Team,
    Tenant,
    Territory,
    TouchKind,
    Verification,
)

if TYPE_CHECKING:
    from geo.routes import Visits
    from phi.tables import PhiTables

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


def make_team(team_id: str = "t1", region: str | None = "east", tenant: str = TENANT) -> Team:
    return Team(tenant_id=tenant, id=team_id, name=f"Team {team_id}", region=region)


def make_touch(lead: str = "l1", t: str | datetime = "09:00", *, kind: str = "call",
               rep: str = "r1", checkin: Checkin | None = None, touch_id: str | None = None,
               tenant: str = TENANT) -> LeadTouch:
    return LeadTouch(tenant_id=tenant, id=touch_id or f"{lead}-{kind}-{at(t):%d%H%M}",
                     lead_id=lead, rep_id=rep, kind=TouchKind(kind), at=at(t),
                     checkin_id=checkin.id if checkin is not None else None)


def make_outcome(checkin: Checkin, completed: str | datetime,
                 tenant: str = TENANT, strategy: str | None = None) -> ActionOutcome:
    return ActionOutcome(tenant_id=tenant, checkin_id=checkin.id,
                         completed_at=at(completed), completed_by=checkin.rep_id,
                         strategy=strategy)


def with_verdict(checkin: Checkin, status: CheckinStatus, *codes: str,
                 checker: str = "fix") -> Checkin:
    """``checkin`` with ``status`` and one more verification by ``checker`` giving ``codes``."""
    verdict = Verification(checkin_id=checkin.id, checker=checker, status=status,
                           reasons=tuple(Reason(code=c, message=c.lower()) for c in codes),
                           model_version=None, policy_version="test",
                           verified_at=checkin.submitted_at)
    return replace(checkin, status=status, verifications=(*checkin.verifications, verdict))


def make_phi_tables(*, reps: Iterable[Rep] | None = None, teams: Iterable[Team] = (),
                    customers: Iterable[Customer] = (), contacts: Iterable[Contact] = (),
                    leads: Iterable[Lead] = (), touches: Iterable[LeadTouch] = (),
                    checkins: Iterable[Checkin] = (),
                    outcomes: Iterable[ActionOutcome] = ()) -> PhiTables:
    """PHI input tables; reps default to r1 (team t1). Imports phi only when called."""
    from phi.tables import tables_from_records

    return tables_from_records(reps=[make_rep()] if reps is None else reps, teams=teams,
                               customers=customers, contacts=contacts, leads=leads,
                               touches=touches, checkins=checkins, outcomes=outcomes)


# -- fix integrity (geo/) ---------------------------------------------------------------------
STORE = (30.274137, 120.155171)  # off the 1e-4 degree grid, like a surveyed store


def shifted(lat: float, lon: float, north_m: float = 0.0,
            east_m: float = 0.0) -> tuple[float, float]:
    """(lat, lon) moved by metres north, then east, along WGS 84 geodesics."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lon2, lat2, _ = geod.fwd(lon, lat, 0.0 if north_m >= 0 else 180.0, abs(north_m))
    lon3, lat3, _ = geod.fwd(lon2, lat2, 90.0 if east_m >= 0 else 270.0, abs(east_m))
    return float(lat3), float(lon3)


def make_fix_inputs(*, north_m: float = 23.4, east_m: float = -11.7, accuracy_m: object = 12.3,
                    t: object = "09:35", arrived: object = "09:00", departed: object = "09:40",
                    captured: object = "09:20", submitted: object = "09:48",
                    device: object = None, mock: bool = False,
                    lat: object = None, lon: object = None) -> dict[str, object]:
    """Keyword arguments for ``geo.fix_integrity.check_raw_fix``: an honest visit to a
    customer at :data:`STORE` unless overridden. Strings go through :func:`at`; other
    values (NaN, naive datetimes, None) pass through untouched."""
    fix_lat, fix_lon = shifted(*STORE, north_m=north_m, east_m=east_m)

    def when(value: object) -> object:
        return at(value) if isinstance(value, str) else value

    return {"lat": fix_lat if lat is None else lat, "lon": fix_lon if lon is None else lon,
            "accuracy_m": accuracy_m, "fix_time": when(t), "arrived_at": when(arrived),
            "departed_at": when(departed), "photo_captured_at": when(captured),
            "submitted_at": when(submitted), "device_submitted_at": when(device),
            "is_mock": mock}


def make_territory(territory_id: str = "t1",
                   box: tuple[float, float, float, float] = (120.10, 30.20, 120.20, 30.30),
                   tenant: str = TENANT) -> Territory:
    """A rectangular territory; ``box`` is (west, south, east, north) in degrees."""
    import shapely

    return Territory(tenant_id=tenant, id=territory_id, name=f"Territory {territory_id}",
                     area=shapely.box(*box))


def make_visits(*rows: tuple[str, str, str | datetime, tuple[float, float]],
                stay_min: int = 30) -> Visits:
    """Verified visits (``geo.routes.Visits``) from ``(rep, customer, departed, (lat, lon))``
    rows; arrival is ``stay_min`` minutes before departure."""
    import pandas as pd

    from geo.routes import visits_frame

    frame = pd.DataFrame(
        [(rep, customer, at(departed) - timedelta(minutes=stay_min), at(departed), lon, lat)
         for rep, customer, departed, (lat, lon) in rows],
        columns=["rep_id", "customer_id", "arrived_at", "departed_at", "lon", "lat"])
    if frame.empty:
        frame = frame.astype({"arrived_at": "datetime64[ns, UTC]",
                              "departed_at": "datetime64[ns, UTC]"})
    return visits_frame(frame)


def make_upload_meta(now: datetime | None = None, *, checkin_id: uuid.UUID | None = None,
                     customer: str = "c1", north_m: float = 23.4,
                     east_m: float = -11.7) -> dict[str, object]:
    """The ``meta`` JSON of ``POST /v1/checkins``: a 30-minute visit at ``customer`` (at
    HANGZHOU) that ended 5 minutes before ``now``. ``now`` defaults to the real clock, which
    is what the server judges submission delays against."""
    now = now or datetime.now(UTC)
    departed = now - timedelta(minutes=5)
    lat, lon = shifted(*HANGZHOU, north_m=north_m, east_m=east_m)

    def iso(moment: datetime) -> str:
        return moment.isoformat()

    return {
        "id": str(checkin_id or uuid.uuid4()), "customer_id": customer,
        "arrived_at": iso(departed - timedelta(minutes=30)), "departed_at": iso(departed),
        "photo_captured_at": iso(departed - timedelta(minutes=10)),
        "device_submitted_at": iso(now),
        "fix": {"lat": lat, "lon": lon, "accuracy_m": 12.0,
                "fix_time": iso(departed - timedelta(minutes=10)), "provider": "gps",
                "is_mock": False},
        "commitment": {"text": "agrees to a trial of the end-cap display before 15 March"},
        "next_action": {"text": "send the draft contract to the store manager",
                        "due_at": iso(now + timedelta(days=3)), "kind": "send_document"},
    }


def stored_fix(checkin: Checkin) -> StoredFix:
    """What ``Checkins.fix_history`` should read back for a whole stored ``checkin``: its
    fix, status and the reason codes of its latest ``fix`` verification."""
    fix_check = checkin.latest("fix")
    codes = tuple(r.code for r in fix_check.reasons) if fix_check is not None else None
    return StoredFix(checkin_id=checkin.id, fix=checkin.fix, status=checkin.status,
                     fix_reason_codes=codes)

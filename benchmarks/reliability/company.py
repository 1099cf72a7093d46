"""A seeded company in a fresh store, and the uploads its reps send.

    company = seed_company(Path("/tmp/store"), reps=150)
    meta, photo = upload(company, n=7)        # the 8th upload of the plan, always the same

Tenant ``acme`` (teams of 10 reps, one customer per rep near Hangzhou, a manager per team, a
director, an admin) and tenant ``globex`` (one rep, one customer), with a bearer token each.
Uploads are honest visits that ended a few minutes ago; ``n`` picks the rep (round robin),
the check-in id and the photo, so a retry of upload ``n`` is byte for byte the same.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from serving.auth import Role, issue_token
from visitproof.records import Customer, CustomerType, GeoPoint, Rep, Team, Tenant, Tier
from visitproof.store import ReferenceData, open_database

TENANT = "acme"
OTHER_TENANT = "globex"
HANGZHOU = (30.2741, 120.1551)
TEAM_SIZE = 10


@dataclass(frozen=True)
class Company:
    """Where the store is and who may call: ``rep_tokens[rep_id]``, ``tokens[role name]``
    (``manager`` of the first team, ``director``, ``admin``, ``other_tenant_rep``)."""

    data_dir: Path
    reps: tuple[str, ...]
    rep_tokens: dict[str, str]
    tokens: dict[str, str]
    manager_tokens: tuple[str, ...]

    @property
    def database_url(self) -> str:
        return f"sqlite:///{(self.data_dir / 'visitproof.sqlite3').resolve()}"


def customer_of(rep_id: str) -> str:
    return f"c-{rep_id}"


def _customer_position(index: int) -> tuple[float, float]:
    """Customers on a grid ~1.1 km apart around Hangzhou."""
    return HANGZHOU[0] + 0.01 * (index // 20), HANGZHOU[1] + 0.01 * (index % 20)


def _point(lat: float, lon: float) -> GeoPoint:
    return GeoPoint(lat=lat, lon=lon)


def seed_company(data_dir: Path, *, reps: int = 150) -> Company:
    """Create and migrate the store in ``data_dir`` and put the company in it."""
    database = open_database(f"sqlite:///{(data_dir / 'visitproof.sqlite3').resolve()}",
                             create_dir=True)
    try:
        database.migrate()
        rep_ids = tuple(f"r{n}" for n in range(reps))
        teams = sorted({f"t{n // TEAM_SIZE}" for n in range(reps)})
        now = datetime.now(UTC)
        with database.begin() as connection:
            acme = ReferenceData(connection, TENANT)
            acme.put_tenant(Tenant(id=TENANT, name="Acme", created_at=now))
            acme.put_teams([Team(tenant_id=TENANT, id=team, name=f"Team {team}")
                            for team in teams])
            acme.put_reps([Rep(tenant_id=TENANT, id=rep, name=f"Rep {rep}",
                               team_id=f"t{n // TEAM_SIZE}") for n, rep in enumerate(rep_ids)])
            acme.put_customers([
                Customer(tenant_id=TENANT, id=customer_of(rep), name=f"Customer of {rep}",
                         type=CustomerType.SUPERMARKET, tier=Tier.A,
                         location=_point(*_customer_position(n)), geofence_radius_m=150.0,
                         assigned_rep_ids=(rep,)) for n, rep in enumerate(rep_ids)])
            globex = ReferenceData(connection, OTHER_TENANT)
            globex.put_tenant(Tenant(id=OTHER_TENANT, name="Globex", created_at=now))
            globex.put_reps([Rep(tenant_id=OTHER_TENANT, id="g1", name="Rep g1")])
            globex.put_customers([Customer(
                tenant_id=OTHER_TENANT, id=customer_of("g1"), name="Customer of g1",
                type=CustomerType.SUPERMARKET, tier=Tier.A, location=_point(*HANGZHOU),
                geofence_radius_m=150.0, assigned_rep_ids=("g1",))])
        rep_tokens = {rep: issue_token(database, tenant_id=TENANT, user_id=rep, role=Role.REP)
                      for rep in rep_ids}
        managers = tuple(issue_token(database, tenant_id=TENANT, user_id=f"m-{team}",
                                     role=Role.MANAGER, team_id=team) for team in teams)
        tokens = {
            "manager": managers[0],
            "director": issue_token(database, tenant_id=TENANT, user_id="d1",
                                    role=Role.DIRECTOR),
            "admin": issue_token(database, tenant_id=TENANT, user_id="a1", role=Role.ADMIN),
            "other_tenant_rep": issue_token(database, tenant_id=OTHER_TENANT, user_id="g1",
                                            role=Role.REP),
        }
    finally:
        database.dispose()
    return Company(data_dir=data_dir, reps=rep_ids, rep_tokens=rep_tokens, tokens=tokens,
                   manager_tokens=managers)


def shelf_photo(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    """A small JPEG of coloured blocks, different for every seed (distinct perceptual
    hashes, so uploads don't read as re-used photos of each other)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def upload(company: Company, n: int, *, now: datetime | None = None
           ) -> tuple[str, dict[str, Any], bytes]:
    """Upload ``n`` of the plan: (its rep's token, the meta JSON object, the photo). The
    check-in id is ``UUID(int=n + 1)``; times are relative to ``now`` (default: the clock)."""
    index = n % len(company.reps)
    rep = company.reps[index]
    now = now or datetime.now(UTC)
    departed = now - timedelta(minutes=5)
    lat, lon = _customer_position(index)

    def iso(moment: datetime) -> str:
        return moment.isoformat()

    meta = {
        "id": str(uuid.UUID(int=n + 1)), "customer_id": customer_of(rep),
        "arrived_at": iso(departed - timedelta(minutes=30)), "departed_at": iso(departed),
        "photo_captured_at": iso(departed - timedelta(minutes=10)),
        "fix": {"lat": lat + 0.0002, "lon": lon - 0.0001, "accuracy_m": 8.0 + n % 7,
                "fix_time": iso(departed - timedelta(minutes=10)), "provider": "gps"},
        "commitment": {"text": f"agrees to a trial of the end-cap display (visit {n})"},
        "next_action": {"text": "send the draft contract to the store manager",
                        "due_at": iso(now + timedelta(days=3)), "kind": "send_document"},
    }
    return company.rep_tokens[rep], meta, shelf_photo(n)

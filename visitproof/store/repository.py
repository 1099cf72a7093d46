"""Reading and writing records inside one transaction, always within one tenant.

    with database.begin() as connection:
        repo = Repository(connection, tenant_id="acme")
        repo.put_customers(customers)
        repo.add_checkin(checkin)

``put_*`` upserts by key (re-importing a corrected customer list updates it); ``add_*``
inserts and fails on a duplicate key, which is what idempotent upload handling needs to see.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from visitproof.errors import InvalidValue, NotFound
from visitproof.records import (
    ActionOutcome,
    Checkin,
    CheckinStatus,
    Contact,
    Customer,
    DecisionRole,
    Lead,
    LeadTouch,
    Product,
    Rep,
    StoredFix,
    Team,
    Tenant,
    Territory,
    Tier,
    Verification,
)
from visitproof.store import rows, tables

_R = TypeVar("_R")


class Repository:
    """Record access for one tenant over one open connection (the caller owns the
    transaction)."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self.connection = connection
        self.tenant_id = tenant_id

    # -- tenants -------------------------------------------------------------------------

    def put_tenant(self, tenant: Tenant) -> None:
        self._require_own(tenant.id)
        self._upsert(tables.tenants, ("id",), [rows.tenant_row(tenant)])

    def tenant(self) -> Tenant | None:
        row = self.connection.execute(
            sa.select(tables.tenants).where(tables.tenants.c.id == self.tenant_id)
        ).mappings().first()
        return rows.tenant_from(row) if row is not None else None

    def require_tenant(self) -> Tenant:
        """This repository's tenant; :class:`NotFound` (``TENANT_NOT_FOUND``) if the store
        has no such tenant, saying how to create it."""
        tenant = self.tenant()
        if tenant is None:
            raise NotFound(f"tenant {self.tenant_id!r} is not in the store; run `visitproof "
                           f"init --tenant {self.tenant_id}` or pass another --tenant",
                           code="TENANT_NOT_FOUND")
        return tenant

    # -- reference data ------------------------------------------------------------------

    def put_teams(self, teams: Iterable[Team]) -> int:
        return self._put(tables.teams, ("tenant_id", "id"), teams, rows.team_row)

    def put_territories(self, territories: Iterable[Territory]) -> int:
        return self._put(tables.territories, ("tenant_id", "id"), territories,
                         rows.territory_row)

    def put_reps(self, reps: Iterable[Rep]) -> int:
        return self._put(tables.reps, ("tenant_id", "id"), reps, rows.rep_row)

    def put_customers(self, customers: Iterable[Customer]) -> int:
        batch = list(customers)
        count = self._put(tables.customers, ("tenant_id", "id"), batch, rows.customer_row)
        ids = [customer.id for customer in batch]
        link = tables.customer_reps
        for chunk in _chunks(ids, 500):
            self.connection.execute(sa.delete(link).where(
                link.c.tenant_id == self.tenant_id, link.c.customer_id.in_(chunk)))
        link_rows = [row for customer in batch for row in rows.customer_rep_rows(customer)]
        if link_rows:
            self.connection.execute(sa.insert(link), link_rows)
        return count

    def put_contacts(self, contacts: Iterable[Contact]) -> int:
        return self._put(tables.contacts, ("tenant_id", "id"), contacts, rows.contact_row)

    def put_leads(self, leads: Iterable[Lead]) -> int:
        return self._put(tables.leads, ("tenant_id", "id"), leads, rows.lead_row)

    def put_lead_touches(self, touches: Iterable[LeadTouch]) -> int:
        return self._put(tables.lead_touches, ("tenant_id", "id"), touches,
                         rows.lead_touch_row)

    def put_products(self, products: Iterable[Product]) -> int:
        return self._put(tables.products, ("tenant_id", "sku"), products, rows.product_row)

    def teams(self) -> list[Team]:
        return [rows.team_from(r) for r in self._rows(tables.teams, tables.teams.c.id)]

    def territories(self) -> list[Territory]:
        return [rows.territory_from(r)
                for r in self._rows(tables.territories, tables.territories.c.id)]

    def reps(self) -> list[Rep]:
        return [rows.rep_from(r) for r in self._rows(tables.reps, tables.reps.c.id)]

    def customers(self) -> list[Customer]:
        link = tables.customer_reps
        assigned: dict[str, list[str]] = defaultdict(list)
        for row in self.connection.execute(
            sa.select(link.c.customer_id, link.c.rep_id)
            .where(link.c.tenant_id == self.tenant_id)
            .order_by(link.c.customer_id, link.c.position)
        ):
            assigned[row.customer_id].append(row.rep_id)
        return [rows.customer_from(r, tuple(assigned.get(r["id"], ())))
                for r in self._rows(tables.customers, tables.customers.c.id)]

    def contacts(self) -> list[Contact]:
        return [rows.contact_from(r) for r in self._rows(tables.contacts, tables.contacts.c.id)]

    def leads(self) -> list[Lead]:
        return [rows.lead_from(r) for r in self._rows(tables.leads, tables.leads.c.id)]

    def lead_touches(self) -> list[LeadTouch]:
        return [rows.lead_touch_from(r)
                for r in self._rows(tables.lead_touches, tables.lead_touches.c.at)]

    def products(self) -> list[Product]:
        return [rows.product_from(r) for r in self._rows(tables.products, tables.products.c.sku)]

    def ids(self, kind: str) -> set[str]:
        """Every id of this tenant in the table named ``kind`` (``reps``, ``customers``,
        ``teams``, ``territories``, ``contacts``, ``leads``): one column, cheap."""
        table = {t.name: t for t in (tables.reps, tables.customers, tables.teams,
                                     tables.territories, tables.contacts, tables.leads)}[kind]
        return set(self.connection.execute(
            sa.select(table.c.id).where(table.c.tenant_id == self.tenant_id)).scalars())

    # -- check-ins -----------------------------------------------------------------------

    def add_checkin(self, checkin: Checkin) -> None:
        """Insert a check-in and its verifications. Raises IntegrityError on a known id."""
        self._require_own(checkin.tenant_id)
        self.connection.execute(sa.insert(tables.checkins), [rows.checkin_row(checkin)])
        for verification in checkin.verifications:
            self.add_verification(verification)

    def add_checkins(self, checkins: Sequence[Checkin]) -> int:
        """Bulk insert (the simulator, imports); same rules as :meth:`add_checkin`."""
        for checkin in checkins:
            self._require_own(checkin.tenant_id)
        for chunk in _chunks(list(checkins), 2000):
            self.connection.execute(sa.insert(tables.checkins),
                                    [rows.checkin_row(c) for c in chunk])
            verification_rows = [rows.verification_row(self.tenant_id, v)
                                 for c in chunk for v in c.verifications]
            if verification_rows:
                self.connection.execute(sa.insert(tables.verifications), verification_rows)
        return len(checkins)

    def add_verification(self, verification: Verification, *,
                         update_status: CheckinStatus | None = None) -> None:
        """Append a verification (history is kept); optionally move the check-in's status."""
        self.connection.execute(sa.insert(tables.verifications),
                                [rows.verification_row(self.tenant_id, verification)])
        if update_status is not None:
            self.connection.execute(
                sa.update(tables.checkins)
                .where(tables.checkins.c.tenant_id == self.tenant_id,
                       tables.checkins.c.id == verification.checkin_id)
                .values(status=update_status.value))

    def checkin(self, checkin_id: UUID) -> Checkin | None:
        found = self.checkins(ids=[checkin_id])
        return found[0] if found else None

    def checkins(self, *, ids: Sequence[UUID] | None = None, rep_id: str | None = None,
                 customer_id: str | None = None, status: CheckinStatus | None = None,
                 departed_from: datetime | None = None, departed_until: datetime | None = None,
                 limit: int | None = None, offset: int = 0) -> list[Checkin]:
        """Check-ins of this tenant, oldest departure first. ``departed_until`` is
        exclusive. Each carries every verification it ever had, oldest first."""
        c = tables.checkins.c
        query = sa.select(tables.checkins).where(c.tenant_id == self.tenant_id)
        if ids is not None:
            query = query.where(c.id.in_(list(ids)))
        if rep_id is not None:
            query = query.where(c.rep_id == rep_id)
        if customer_id is not None:
            query = query.where(c.customer_id == customer_id)
        if status is not None:
            query = query.where(c.status == status.value)
        if departed_from is not None:
            query = query.where(c.departed_at >= departed_from)
        if departed_until is not None:
            query = query.where(c.departed_at < departed_until)
        query = query.order_by(c.departed_at, c.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        found = list(self.connection.execute(query).mappings())
        by_checkin = self._verifications_for([row["id"] for row in found])
        return [rows.checkin_from(row, tuple(by_checkin.get(row["id"], ()))) for row in found]

    def fix_history(self, *, rep_id: str, departed_from: datetime, departed_until: datetime,
                    submitted_until: datetime, excluding: UUID) -> list[StoredFix]:
        """The fixes of ``rep_id``'s check-ins that departed in [from, until) and were
        received by ``submitted_until``, other than ``excluding``, oldest departure first:
        the fix check's history, without the verifications' details (a shelf verdict's
        detections weigh far more than a fix)."""
        c, v = tables.checkins.c, tables.verifications.c
        found = list(self.connection.execute(
            sa.select(c.id, c.fix_lat, c.fix_lon, c.fix_accuracy_m, c.fix_time, c.fix_provider,
                      c.fix_is_mock, c.status)
            .where(c.tenant_id == self.tenant_id, c.rep_id == rep_id,
                   c.departed_at >= departed_from, c.departed_at < departed_until,
                   c.submitted_at <= submitted_until, c.id != excluding)
            .order_by(c.departed_at, c.id)).mappings())
        latest: dict[UUID, tuple[str, ...]] = {}
        for chunk in _chunks([row["id"] for row in found], 500):
            for checkin_id, reasons in self.connection.execute(
                    sa.select(v.checkin_id, v.reasons)
                    .where(v.tenant_id == self.tenant_id, v.checker == "fix",
                           v.checkin_id.in_(chunk))
                    .order_by(v.id)):
                latest[checkin_id] = tuple(str(r["code"]) for r in reasons)
        return [StoredFix(checkin_id=row["id"], fix=rows.fix_from(row), status=row["status"],
                          fix_reason_codes=latest.get(row["id"])) for row in found]

    def checkins_with_photo(self, photo_sha256: str) -> list[Checkin]:
        c = tables.checkins.c
        found = self.connection.execute(
            sa.select(c.id).where(c.tenant_id == self.tenant_id,
                                  c.photo_sha256 == photo_sha256)).scalars()
        return self.checkins(ids=list(found))

    def add_action_outcome(self, outcome: ActionOutcome) -> None:
        self._require_own(outcome.tenant_id)
        self.connection.execute(sa.insert(tables.action_outcomes),
                                [rows.action_outcome_row(outcome)])

    def add_action_outcomes(self, outcomes: Sequence[ActionOutcome]) -> int:
        for outcome in outcomes:
            self._require_own(outcome.tenant_id)
        for chunk in _chunks(list(outcomes), 2000):
            self.connection.execute(sa.insert(tables.action_outcomes),
                                    [rows.action_outcome_row(o) for o in chunk])
        return len(outcomes)

    def action_outcomes(self) -> list[ActionOutcome]:
        return [rows.action_outcome_from(r) for r in
                self._rows(tables.action_outcomes, tables.action_outcomes.c.completed_at)]

    # -- internals -----------------------------------------------------------------------

    def _verifications_for(self, checkin_ids: list[UUID]) -> dict[UUID, list[Verification]]:
        v = tables.verifications.c
        grouped: dict[UUID, list[Verification]] = defaultdict(list)
        for chunk in _chunks(checkin_ids, 500):
            for row in self.connection.execute(
                sa.select(tables.verifications)
                .where(v.tenant_id == self.tenant_id, v.checkin_id.in_(chunk))
                .order_by(v.id)
            ).mappings():
                grouped[row["checkin_id"]].append(rows.verification_from(row))
        return grouped

    def _put(self, table: sa.Table, keys: tuple[str, ...], records: Iterable[_R],
             to_row: Callable[[_R], dict[str, Any]]) -> int:
        batch = [to_row(record) for record in records]
        for row in batch:
            self._require_own(row["tenant_id"])
        self._upsert(table, keys, batch)
        return len(batch)

    def _upsert(self, table: sa.Table, keys: tuple[str, ...],
                batch: list[dict[str, Any]]) -> None:
        """Portable upsert: update rows whose key exists, insert the rest."""
        if not batch:
            return
        existing = self._existing_keys(table, keys, batch)
        inserts = [row for row in batch if tuple(row[k] for k in keys) not in existing]
        updates = [row for row in batch if tuple(row[k] for k in keys) in existing]
        if inserts:
            self.connection.execute(sa.insert(table), inserts)
        if updates:
            condition = sa.and_(*(table.c[k] == sa.bindparam(f"key_{k}") for k in keys))
            values: dict[str, Any] = {name: sa.bindparam(name) for name in updates[0]
                                      if name not in keys}
            statement = sa.update(table).where(condition).values(values)
            self.connection.execute(
                statement, [{**{f"key_{k}": row[k] for k in keys},
                             **{n: v for n, v in row.items() if n not in keys}}
                            for row in updates])

    def _existing_keys(self, table: sa.Table, keys: tuple[str, ...],
                       batch: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
        last = keys[-1]
        found: set[tuple[Any, ...]] = set()
        for chunk in _chunks(sorted({row[last] for row in batch}), 500):
            query = sa.select(*(table.c[k] for k in keys)).where(table.c[last].in_(chunk))
            if "tenant_id" in keys:
                query = query.where(table.c.tenant_id == self.tenant_id)
            found.update(tuple(row) for row in self.connection.execute(query))
        return found

    def _rows(self, table: sa.Table, order: sa.ColumnElement[Any]) -> list[Any]:
        return list(self.connection.execute(
            sa.select(table).where(table.c.tenant_id == self.tenant_id).order_by(order)
        ).mappings())

    def _require_own(self, tenant_id: str) -> None:
        if tenant_id != self.tenant_id:
            raise InvalidValue("tenant_id", f"record belongs to tenant {tenant_id!r}, this "
                               f"repository serves {self.tenant_id!r}", code="TENANT_MISMATCH")


    # -- serving (appended for the upload endpoint) ----------------------------------------

    def customer(self, customer_id: str) -> Customer | None:
        """One customer by id (with its assigned reps), or None."""
        c = tables.customers.c
        row = self.connection.execute(
            sa.select(tables.customers).where(c.tenant_id == self.tenant_id,
                                              c.id == customer_id)).mappings().first()
        if row is None:
            return None
        link = tables.customer_reps.c
        assigned = self.connection.execute(
            sa.select(link.rep_id).where(link.tenant_id == self.tenant_id,
                                         link.customer_id == customer_id)
            .order_by(link.position)).scalars()
        return rows.customer_from(row, tuple(assigned))

    def set_upload_fingerprint(self, checkin_id: UUID, fingerprint: str) -> None:
        """Record the fingerprint of the upload that created ``checkin_id``."""
        c = tables.checkins.c
        self.connection.execute(
            sa.update(tables.checkins).where(c.tenant_id == self.tenant_id, c.id == checkin_id)
            .values(upload_fingerprint=fingerprint))

    def upload_fingerprint(self, checkin_id: UUID) -> tuple[bool, str | None]:
        """(whether the check-in exists, the fingerprint of the upload that created it)."""
        c = tables.checkins.c
        row = self.connection.execute(
            sa.select(c.upload_fingerprint).where(c.tenant_id == self.tenant_id,
                                                  c.id == checkin_id)).first()
        return (False, None) if row is None else (True, row.upload_fingerprint)

    def checkins_page(self, *, rep_ids: Sequence[str] | None = None,
                      customer_id: str | None = None, status: CheckinStatus | None = None,
                      departed_from: datetime | None = None,
                      departed_until: datetime | None = None, limit: int = 100,
                      offset: int = 0) -> tuple[list[Checkin], int]:
        """One page of check-ins (newest departure first) and the number matching in all.
        ``rep_ids`` None means every rep; an empty sequence matches nothing."""
        c = tables.checkins.c
        conditions: list[sa.ColumnElement[bool]] = [c.tenant_id == self.tenant_id]
        if rep_ids is not None:
            conditions.append(c.rep_id.in_(list(rep_ids)))
        if customer_id is not None:
            conditions.append(c.customer_id == customer_id)
        if status is not None:
            conditions.append(c.status == status.value)
        if departed_from is not None:
            conditions.append(c.departed_at >= departed_from)
        if departed_until is not None:
            conditions.append(c.departed_at < departed_until)
        count = self.connection.execute(
            sa.select(sa.func.count()).select_from(tables.checkins).where(*conditions)
        ).scalar_one()
        ids = list(self.connection.execute(
            sa.select(c.id).where(*conditions).order_by(c.departed_at.desc(), c.id)
            .limit(limit).offset(offset)).scalars())
        by_id = {checkin.id: checkin for checkin in self.checkins(ids=ids)} if ids else {}
        return [by_id[checkin_id] for checkin_id in ids], count

    def hashed_photos(self, submitted_from: datetime | None = None
                      ) -> list[tuple[str, str, datetime, int, CheckinStatus]]:
        """(check-in id, customer id, submitted at, unsigned pHash, status) of every
        check-in whose photo has a perceptual hash, submitted at or after
        ``submitted_from`` if given, oldest submission first."""
        c = tables.checkins.c
        query = sa.select(c.id, c.customer_id, c.submitted_at, c.photo_phash, c.status).where(
            c.tenant_id == self.tenant_id, c.photo_phash.is_not(None))
        if submitted_from is not None:
            query = query.where(c.submitted_at >= submitted_from)
        found = self.connection.execute(query.order_by(c.submitted_at, c.id))
        return [(str(row.id), row.customer_id, row.submitted_at,
                 row.photo_phash & ((1 << 64) - 1), CheckinStatus(row.status))
                for row in found]

    # -- leads, contacts and next actions (the /v1 CRM endpoints) --------------------------

    def lead(self, lead_id: str) -> Lead | None:
        """One lead by id, or None."""
        c = tables.leads.c
        row = self.connection.execute(
            sa.select(tables.leads).where(c.tenant_id == self.tenant_id, c.id == lead_id)
        ).mappings().first()
        return rows.lead_from(row) if row is not None else None

    def add_lead(self, lead: Lead) -> None:
        """Insert a new lead. Raises IntegrityError on a known id (a retried create)."""
        self._require_own(lead.tenant_id)
        self.connection.execute(sa.insert(tables.leads), [rows.lead_row(lead)])

    def leads_page(self, *, rep_ids: Sequence[str] | None = None,
                   include_unassigned: bool = True, tier: Tier | None = None,
                   channel: str | None = None, touched: bool | None = None,
                   created_from: datetime | None = None,
                   created_until: datetime | None = None, limit: int = 100,
                   offset: int = 0) -> tuple[list[Lead], int]:
        """One page of leads (newest intake first) and the number matching in all.

        ``rep_ids`` None means every lead; otherwise leads assigned to one of ``rep_ids``
        and, with ``include_unassigned``, leads assigned to nobody. ``touched`` False keeps
        only leads without a first touch. ``created_until`` is exclusive.
        """
        c = tables.leads.c
        conditions: list[sa.ColumnElement[bool]] = [c.tenant_id == self.tenant_id]
        if rep_ids is not None:
            owned = c.assigned_rep_id.in_(list(rep_ids))
            conditions.append(sa.or_(owned, c.assigned_rep_id.is_(None))
                              if include_unassigned else owned)
        if tier is not None:
            conditions.append(c.tier == tier.value)
        if channel is not None:
            conditions.append(c.channel == channel)
        if touched is not None:
            conditions.append(c.first_touch_at.is_not(None) if touched
                              else c.first_touch_at.is_(None))
        if created_from is not None:
            conditions.append(c.created_at >= created_from)
        if created_until is not None:
            conditions.append(c.created_at < created_until)
        count = self.connection.execute(
            sa.select(sa.func.count()).select_from(tables.leads).where(*conditions)
        ).scalar_one()
        found = self.connection.execute(
            sa.select(tables.leads).where(*conditions)
            .order_by(c.created_at.desc(), c.id).limit(limit).offset(offset)).mappings()
        return [rows.lead_from(row) for row in found], count

    def assign_lead(self, lead_id: str, rep_id: str, assigned_at: datetime) -> None:
        """Give ``lead_id`` to ``rep_id`` (replacing any owner) from ``assigned_at`` (UTC)."""
        c = tables.leads.c
        self.connection.execute(
            sa.update(tables.leads).where(c.tenant_id == self.tenant_id, c.id == lead_id)
            .values(assigned_rep_id=rep_id, assigned_at=assigned_at))

    def lead_touch(self, touch_id: str) -> LeadTouch | None:
        """One lead touch by id, or None."""
        c = tables.lead_touches.c
        row = self.connection.execute(
            sa.select(tables.lead_touches).where(c.tenant_id == self.tenant_id,
                                                 c.id == touch_id)).mappings().first()
        return rows.lead_touch_from(row) if row is not None else None

    def touches_of_lead(self, lead_id: str) -> list[LeadTouch]:
        """Every touch of ``lead_id``, oldest first."""
        c = tables.lead_touches.c
        found = self.connection.execute(
            sa.select(tables.lead_touches).where(c.tenant_id == self.tenant_id,
                                                 c.lead_id == lead_id)
            .order_by(c.at, c.id)).mappings()
        return [rows.lead_touch_from(row) for row in found]

    def add_lead_touch(self, touch: LeadTouch) -> None:
        """Insert a touch and move its lead's ``first_touch_at`` back to ``touch.at`` when
        the touch is the earliest so far (phones upload out of order). Raises
        IntegrityError on a known touch id; :class:`NotFound` for an unknown lead."""
        self._require_own(touch.tenant_id)
        lead = self.lead(touch.lead_id)
        if lead is None:
            raise NotFound(f"no lead {touch.lead_id!r}")
        self.connection.execute(sa.insert(tables.lead_touches), [rows.lead_touch_row(touch)])
        if lead.first_touch_at is None or touch.at < lead.first_touch_at:
            c = tables.leads.c
            self.connection.execute(
                sa.update(tables.leads).where(c.tenant_id == self.tenant_id,
                                              c.id == touch.lead_id)
                .values(first_touch_at=touch.at))

    def contact(self, contact_id: str) -> Contact | None:
        """One contact by id, or None."""
        c = tables.contacts.c
        row = self.connection.execute(
            sa.select(tables.contacts).where(c.tenant_id == self.tenant_id,
                                             c.id == contact_id)).mappings().first()
        return rows.contact_from(row) if row is not None else None

    def contacts_page(self, *, rep_ids: Sequence[str] | None = None,
                      customer_id: str | None = None, role: DecisionRole | None = None,
                      limit: int = 100, offset: int = 0) -> tuple[list[Contact], int]:
        """One page of contacts (by customer, then name) and the number matching in all.
        ``rep_ids`` None means every customer's contacts; otherwise only those of customers
        assigned to one of ``rep_ids`` (an empty sequence matches nothing)."""
        c = tables.contacts.c
        conditions: list[sa.ColumnElement[bool]] = [c.tenant_id == self.tenant_id]
        if rep_ids is not None:
            link = tables.customer_reps.c
            conditions.append(c.customer_id.in_(
                sa.select(link.customer_id).where(link.tenant_id == self.tenant_id,
                                                  link.rep_id.in_(list(rep_ids)))))
        if customer_id is not None:
            conditions.append(c.customer_id == customer_id)
        if role is not None:
            conditions.append(c.role == role.value)
        count = self.connection.execute(
            sa.select(sa.func.count()).select_from(tables.contacts).where(*conditions)
        ).scalar_one()
        found = self.connection.execute(
            sa.select(tables.contacts).where(*conditions)
            .order_by(c.customer_id, c.name, c.id).limit(limit).offset(offset)).mappings()
        return [rows.contact_from(row) for row in found], count

    def action_outcome(self, checkin_id: UUID) -> ActionOutcome | None:
        """The completion of a check-in's next action, or None while it is open."""
        c = tables.action_outcomes.c
        row = self.connection.execute(
            sa.select(tables.action_outcomes).where(c.tenant_id == self.tenant_id,
                                                    c.checkin_id == checkin_id)
        ).mappings().first()
        return rows.action_outcome_from(row) if row is not None else None

    def next_actions_page(self, *, rep_ids: Sequence[str] | None = None,
                          customer_id: str | None = None, done: bool | None = None,
                          due_from: datetime | None = None, due_until: datetime | None = None,
                          limit: int = 100, offset: int = 0
                          ) -> tuple[list[tuple[Checkin, ActionOutcome | None]], int]:
        """One page of check-ins' next actions, earliest due first, each with its outcome
        (None while open), and the number matching in all. ``rep_ids`` None means every
        rep; ``done`` True/False keeps completed/open actions; ``due_until`` is exclusive."""
        c, o = tables.checkins.c, tables.action_outcomes.c
        joined = tables.checkins.outerjoin(
            tables.action_outcomes, sa.and_(o.tenant_id == c.tenant_id,
                                            o.checkin_id == c.id))
        conditions: list[sa.ColumnElement[bool]] = [c.tenant_id == self.tenant_id]
        if rep_ids is not None:
            conditions.append(c.rep_id.in_(list(rep_ids)))
        if customer_id is not None:
            conditions.append(c.customer_id == customer_id)
        if done is not None:
            conditions.append(o.checkin_id.is_not(None) if done else o.checkin_id.is_(None))
        if due_from is not None:
            conditions.append(c.next_action_due_at >= due_from)
        if due_until is not None:
            conditions.append(c.next_action_due_at < due_until)
        count = self.connection.execute(
            sa.select(sa.func.count()).select_from(joined).where(*conditions)).scalar_one()
        ids = list(self.connection.execute(
            sa.select(c.id).select_from(joined).where(*conditions)
            .order_by(c.next_action_due_at, c.id).limit(limit).offset(offset)).scalars())
        if not ids:
            return [], count
        by_id = {checkin.id: checkin for checkin in self.checkins(ids=ids)}
        outcomes = {row["checkin_id"]: rows.action_outcome_from(row)
                    for row in self.connection.execute(
                        sa.select(tables.action_outcomes).where(
                            o.tenant_id == self.tenant_id, o.checkin_id.in_(ids))).mappings()}
        return [(by_id[checkin_id], outcomes.get(checkin_id)) for checkin_id in ids], count


def _chunks(items: list[_R], size: int) -> Iterable[list[_R]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]

"""The CRM side of one tenant: leads and their touches, contacts at customers, and the
outcomes of check-ins' next actions (the /v1 CRM endpoints, imports, the simulator).

``put_*`` upserts by key; ``add_*`` inserts and fails on a duplicate key (IntegrityError),
which a retried create needs to see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa

from visitproof.errors import NotFound
from visitproof.records import (
    ActionOutcome,
    Checkin,
    Contact,
    DecisionRole,
    Lead,
    LeadTouch,
    Tier,
)
from visitproof.store import rows, tables
from visitproof.store.checkins import Checkins
from visitproof.store.queries import Page, TenantScope, chunks


@dataclass(frozen=True, slots=True)
class PlannedAction:
    """A check-in's next action (``checkin.next_action``) with its outcome (None while it
    is open)."""

    checkin: Checkin
    outcome: ActionOutcome | None


class Crm(TenantScope):
    """Leads, lead touches, contacts and action outcomes of one tenant."""

    # -- leads ---------------------------------------------------------------------------

    def put_leads(self, leads: Iterable[Lead]) -> int:
        return self._put(tables.leads, ("tenant_id", "id"), leads, rows.lead_row)

    def add_lead(self, lead: Lead) -> None:
        """Insert a new lead. Raises IntegrityError on a known id (a retried create)."""
        self._require_own(lead.tenant_id)
        self.connection.execute(sa.insert(tables.leads), [rows.lead_row(lead)])

    def assign_lead(self, lead_id: str, rep_id: str, assigned_at: datetime) -> None:
        """Give ``lead_id`` to ``rep_id`` (replacing any owner) from ``assigned_at`` (UTC)."""
        c = tables.leads.c
        self.connection.execute(
            sa.update(tables.leads).where(c.tenant_id == self.tenant_id, c.id == lead_id)
            .values(assigned_rep_id=rep_id, assigned_at=assigned_at))

    def lead(self, lead_id: str) -> Lead | None:
        """One lead by id, or None."""
        row = self._one(tables.leads, tables.leads.c.id == lead_id)
        return rows.lead_from(row) if row is not None else None

    def leads(self) -> list[Lead]:
        return [rows.lead_from(r) for r in self._rows(tables.leads, tables.leads.c.id)]

    def leads_page(self, *, rep_ids: Sequence[str] | None = None,
                   include_unassigned: bool = True, tier: Tier | None = None,
                   channel: str | None = None, touched: bool | None = None,
                   created_from: datetime | None = None,
                   created_until: datetime | None = None, limit: int = 100,
                   offset: int = 0) -> Page[Lead]:
        """One page of leads (newest intake first) and the number matching in all.

        ``rep_ids`` None means every lead; otherwise leads assigned to one of ``rep_ids``
        and, with ``include_unassigned``, leads assigned to nobody. ``touched`` False keeps
        only leads without a first touch. ``created_until`` is exclusive.
        """
        c = tables.leads.c
        owned: sa.ColumnElement[bool] | None = None
        if rep_ids is not None:
            owned = c.assigned_rep_id.in_(list(rep_ids))
            if include_unassigned:
                owned = sa.or_(owned, c.assigned_rep_id.is_(None))
        where = (self._where(tables.leads).also(owned).equals(c.tier, tier)
                 .equals(c.channel, channel).present(c.first_touch_at, touched)
                 .within(c.created_at, created_from, created_until))
        found, count = self._counted([tables.leads], tables.leads, where,
                                     [c.created_at.desc(), c.id], limit=limit, offset=offset)
        return Page(items=tuple(rows.lead_from(row) for row in found), count=count)

    # -- lead touches --------------------------------------------------------------------

    def put_lead_touches(self, touches: Iterable[LeadTouch]) -> int:
        return self._put(tables.lead_touches, ("tenant_id", "id"), touches,
                         rows.lead_touch_row)

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

    def lead_touch(self, touch_id: str) -> LeadTouch | None:
        """One lead touch by id, or None."""
        row = self._one(tables.lead_touches, tables.lead_touches.c.id == touch_id)
        return rows.lead_touch_from(row) if row is not None else None

    def lead_touches(self) -> list[LeadTouch]:
        return [rows.lead_touch_from(r)
                for r in self._rows(tables.lead_touches, tables.lead_touches.c.at)]

    def touches_of_lead(self, lead_id: str) -> list[LeadTouch]:
        """Every touch of ``lead_id``, oldest first."""
        c = tables.lead_touches.c
        found = self._listed([tables.lead_touches], tables.lead_touches,
                             self._where(tables.lead_touches).equals(c.lead_id, lead_id),
                             [c.at, c.id])
        return [rows.lead_touch_from(row) for row in found]

    # -- contacts ------------------------------------------------------------------------

    def put_contacts(self, contacts: Iterable[Contact]) -> int:
        return self._put(tables.contacts, ("tenant_id", "id"), contacts, rows.contact_row)

    def contact(self, contact_id: str) -> Contact | None:
        """One contact by id, or None."""
        row = self._one(tables.contacts, tables.contacts.c.id == contact_id)
        return rows.contact_from(row) if row is not None else None

    def contacts(self) -> list[Contact]:
        return [rows.contact_from(r) for r in self._rows(tables.contacts, tables.contacts.c.id)]

    def contacts_page(self, *, rep_ids: Sequence[str] | None = None,
                      customer_id: str | None = None, role: DecisionRole | None = None,
                      limit: int = 100, offset: int = 0) -> Page[Contact]:
        """One page of contacts (by customer, then name) and the number matching in all.
        ``rep_ids`` None means every customer's contacts; otherwise only those of customers
        assigned to one of ``rep_ids`` (an empty sequence matches nothing)."""
        c, link = tables.contacts.c, tables.customer_reps.c
        assigned = None if rep_ids is None else c.customer_id.in_(
            sa.select(link.customer_id).where(link.tenant_id == self.tenant_id,
                                              link.rep_id.in_(list(rep_ids))))
        where = (self._where(tables.contacts).also(assigned)
                 .equals(c.customer_id, customer_id).equals(c.role, role))
        found, count = self._counted([tables.contacts], tables.contacts, where,
                                     [c.customer_id, c.name, c.id], limit=limit,
                                     offset=offset)
        return Page(items=tuple(rows.contact_from(row) for row in found), count=count)

    # -- next actions and their outcomes -------------------------------------------------

    def add_action_outcome(self, outcome: ActionOutcome) -> None:
        """Mark a check-in's next action done. Raises IntegrityError if it already is."""
        self.add_action_outcomes([outcome])

    def add_action_outcomes(self, outcomes: Sequence[ActionOutcome]) -> int:
        """Bulk insert (the simulator, imports); same rules as :meth:`add_action_outcome`."""
        for outcome in outcomes:
            self._require_own(outcome.tenant_id)
        for chunk in chunks(list(outcomes), 2000):
            self.connection.execute(sa.insert(tables.action_outcomes),
                                    [rows.action_outcome_row(o) for o in chunk])
        return len(outcomes)

    def action_outcome(self, checkin_id: UUID) -> ActionOutcome | None:
        """The completion of a check-in's next action, or None while it is open."""
        row = self._one(tables.action_outcomes,
                        tables.action_outcomes.c.checkin_id == checkin_id)
        return rows.action_outcome_from(row) if row is not None else None

    def action_outcomes(self) -> list[ActionOutcome]:
        return [rows.action_outcome_from(r) for r in
                self._rows(tables.action_outcomes, tables.action_outcomes.c.completed_at)]

    def next_actions_page(self, *, rep_ids: Sequence[str] | None = None,
                          customer_id: str | None = None, done: bool | None = None,
                          due_from: datetime | None = None, due_until: datetime | None = None,
                          limit: int = 100, offset: int = 0) -> Page[PlannedAction]:
        """One page of check-ins' next actions, earliest due first, each with its outcome
        (None while open), and the number matching in all. ``rep_ids`` None means every
        rep; ``done`` True/False keeps completed/open actions; ``due_until`` is exclusive."""
        c, o = tables.checkins.c, tables.action_outcomes.c
        joined = tables.checkins.outerjoin(
            tables.action_outcomes, sa.and_(o.tenant_id == c.tenant_id,
                                            o.checkin_id == c.id))
        where = (self._where(tables.checkins).among(c.rep_id, rep_ids)
                 .equals(c.customer_id, customer_id).present(o.checkin_id, done)
                 .within(c.next_action_due_at, due_from, due_until))
        found, count = self._counted([c.id], joined, where, [c.next_action_due_at, c.id],
                                     limit=limit, offset=offset)
        ids = [row["id"] for row in found]
        if not ids:
            return Page(items=(), count=count)
        checkins = Checkins(self.connection, self.tenant_id).in_order(ids)
        outcomes = {row["checkin_id"]: rows.action_outcome_from(row)
                    for row in self.connection.execute(
                        sa.select(tables.action_outcomes).where(
                            o.tenant_id == self.tenant_id, o.checkin_id.in_(ids))).mappings()}
        return Page(items=tuple(PlannedAction(checkin=checkin,
                                              outcome=outcomes.get(checkin.id))
                                for checkin in checkins), count=count)

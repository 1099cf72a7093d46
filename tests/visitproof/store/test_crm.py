"""Leads, touches, contacts and action outcomes go into a real SQLite file and come back."""

from __future__ import annotations

import pytest

from tests.builders import (
    TENANT,
    make_checkin,
    make_contact,
    make_customer,
    make_lead,
    make_outcome,
    make_rep,
    make_touch,
)
from visitproof.errors import NotFound
from visitproof.store import Database, Page, PlannedAction, Store


def test_crm_records_round_trip(database: Database) -> None:
    contact = make_contact("k1", customer="c1", role="purchasing_officer")
    lead = make_lead("l1", first_touch="10:00")
    touch = make_touch("l1", "10:00")
    checkin = make_checkin()
    outcome = make_outcome(checkin, "2026-11-05T09:00:00+00:00")
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_reps([make_rep("r1")])
        store.reference.put_customers([make_customer("c1")])
        store.crm.put_contacts([contact])
        store.crm.put_leads([lead])
        store.crm.put_lead_touches([touch])
        store.checkins.add(checkin)
        store.crm.add_action_outcome(outcome)
    with database.connect() as connection:
        crm = Store(connection, TENANT).crm
        assert crm.contacts() == [contact]
        assert crm.contact("k1") == contact
        assert crm.leads() == [lead]
        assert crm.lead("l1") == lead
        assert crm.lead_touches() == [touch]
        assert crm.lead_touch(touch.id) == touch
        assert crm.touches_of_lead("l1") == [touch]
        assert crm.action_outcomes() == [outcome]
        assert crm.action_outcome(checkin.id) == outcome


def test_a_touch_moves_first_touch_back_and_needs_its_lead(database: Database) -> None:
    with database.begin() as connection:
        crm = Store(connection, TENANT).crm
        crm.add_lead(make_lead("l1", rep="r1"))
        crm.add_lead_touch(make_touch("l1", "11:00", touch_id="b"))
        crm.add_lead_touch(make_touch("l1", "10:00", touch_id="a"))
        crm.add_lead_touch(make_touch("l1", "12:00", touch_id="c"))
        lead = crm.lead("l1")
        assert lead is not None
        assert lead.first_touch_at == make_touch(t="10:00").at
        with pytest.raises(NotFound):
            crm.add_lead_touch(make_touch("l404", "10:00"))


def test_pages_scope_filter_and_count(database: Database) -> None:
    first, second = make_checkin(rep="r1", due="2026-11-05T10:00:00+00:00"), \
        make_checkin(rep="r2", due="2026-11-06T10:00:00+00:00")
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_reps([make_rep("r1"), make_rep("r2")])
        store.reference.put_customers([make_customer("c1", reps=("r1",)),
                                       make_customer("c2", reps=("r2",))])
        store.crm.put_contacts([make_contact("k1", "c1"), make_contact("k2", "c2", "owner")])
        store.crm.put_leads([make_lead("l1", rep="r1"), make_lead("l2", rep=None, tier="A")])
        store.checkins.add_many([first, second])
        store.crm.add_action_outcome(make_outcome(first, "2026-11-05T09:00:00+00:00"))
    with database.connect() as connection:
        crm = Store(connection, TENANT).crm
        contacts = crm.contacts_page(rep_ids=["r2"])
        assert ([c.id for c in contacts.items], contacts.count) == (["k2"], 1)
        assert crm.contacts_page(role="owner").count == 1
        leads = crm.leads_page(rep_ids=["r1"])
        assert sorted(lead.id for lead in leads.items) == ["l1", "l2"]
        assert crm.leads_page(rep_ids=["r1"], include_unassigned=False).count == 1
        assert crm.leads_page(tier="A").count == 1
        assert crm.leads_page(touched=True) == Page(items=(), count=0)
        actions = crm.next_actions_page()
        assert actions.count == 2
        assert actions.items[0] == PlannedAction(
            checkin=actions.items[0].checkin,
            outcome=make_outcome(first, "2026-11-05T09:00:00+00:00"))
        assert [a.checkin.id for a in actions.items] == [first.id, second.id]
        open_ = crm.next_actions_page(done=False)
        assert ([a.checkin.id for a in open_.items], open_.count) == ([second.id], 1)
        assert crm.next_actions_page(rep_ids=[]) == Page(items=(), count=0)

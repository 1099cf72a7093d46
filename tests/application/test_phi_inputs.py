"""Reading PHI tables from a real SQLite store gives what the records give."""

from __future__ import annotations

import pandas as pd

from application.phi_inputs import tables_from_store
from phi.tables import COLUMNS, tables_from_records
from tests.builders import (
    TENANT,
    make_checkin,
    make_contact,
    make_customer,
    make_lead,
    make_outcome,
    make_rep,
    make_team,
    make_touch,
    with_verdict,
)
from visitproof.records import CheckinStatus
from visitproof.store import Database, Store


def test_store_and_records_give_the_same_tables(database: Database) -> None:
    fixed = with_verdict(with_verdict(make_checkin(customer="c1"), CheckinStatus.REJECTED,
                                      "GPS_OUTSIDE_GEOFENCE"), CheckinStatus.VERIFIED)
    failing = with_verdict(with_verdict(make_checkin(customer="c1", departed="11:00"),
                                        CheckinStatus.NEEDS_REVIEW, checker="shelf"),
                           CheckinStatus.REJECTED, "PHOTO_REUSED", "MOCK_LOCATION")
    visit = make_checkin(customer="c2", contact=None, departed="12:00")
    reps, teams = [make_rep("r1"), make_rep("r2", team=None)], [make_team("t1", "east")]
    customers = [make_customer("c1"), make_customer("c2", reps=("r1", "r2"))]
    contacts = [make_contact("k1", "c1", "owner")]
    leads = [make_lead("l1"), make_lead("l2", rep=None, customer=None)]
    touches = [make_touch("l1", "12:00", kind="visit", checkin=visit),
               make_touch("l2", "13:00", kind="message")]
    checkins = [fixed, failing, visit]
    outcomes = [make_outcome(fixed, "2026-11-04T09:00:00+00:00",
                             strategy="Bring the trial data to the department head"),
                make_outcome(visit, "2026-11-04T10:00:00+00:00")]
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_teams(teams)
        store.reference.put_reps(reps)
        store.reference.put_customers(customers)
        store.crm.put_contacts(contacts)
        store.crm.put_leads(leads)
        store.checkins.add_many(checkins)
        store.crm.put_lead_touches(touches)
        store.crm.add_action_outcomes(outcomes)
    with database.connect() as connection:
        stored = tables_from_store(connection, TENANT)
    expected = tables_from_records(reps=reps, teams=teams, customers=customers,
                                   contacts=contacts, leads=leads, touches=touches,
                                   checkins=checkins, outcomes=outcomes)
    for name, columns in COLUMNS.items():
        got = getattr(stored, name)[list(columns)]
        want = getattr(expected, name)[list(columns)]
        keys = list(columns)
        pd.testing.assert_frame_equal(
            got.sort_values(keys).reset_index(drop=True).astype(str),
            want.sort_values(keys).reset_index(drop=True).astype(str), obj=name)
    assert sorted(stored.failures["code"]) == ["MOCK_LOCATION", "PHOTO_REUSED", "UNSPECIFIED"]

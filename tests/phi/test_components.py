"""Hand-computed fixtures for the three components."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from phi.components import ComponentRules, action_closure, lead_activation, penetration
from phi.evidence import gather_evidence
from phi.periods import parse_period
from tests.builders import (
    make_checkin,
    make_contact,
    make_customer,
    make_lead,
    make_outcome,
    make_phi_tables,
    make_rep,
    make_touch,
)
from visitproof.records import CheckinStatus

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
STRATEGY = "Bring the uptime figures, since the head nurse worries about downtime"
REJECTED = CheckinStatus.REJECTED


def _by_id(rows: object, column: str) -> dict[str, dict[str, object]]:
    import pandas as pd

    assert isinstance(rows, pd.DataFrame)
    return {str(row[column]): row for row in rows.to_dict(orient="records")}


def test_lead_activation_hand_computed() -> None:
    visit = make_checkin(customer="c2", arrived="2026-11-04T07:59:00+00:00",
                         departed="2026-11-04T08:30:00+00:00",
                         submitted="2026-11-04T08:35:00+00:00")
    rejected = make_checkin(customer="c3", arrived="10:00", departed="10:30",
                            submitted="10:35", status=REJECTED)
    at_customer = make_checkin(rep="r9", customer="c4", arrived="2026-11-04T08:00:00+00:00",
                               departed="2026-11-04T08:20:00+00:00",
                               submitted="2026-11-04T08:25:00+00:00")
    tables = make_phi_tables(
        leads=[make_lead("l1"), make_lead("l2", customer="c2"), make_lead("l3", customer="c3"),
               make_lead("l4", customer="c4"), make_lead("l5", customer=None),
               make_lead("l6", customer=None),
               make_lead("l7", created="2026-12-01T02:00:00+00:00", customer=None),
               make_lead("l8", created="2026-10-31T23:00:00+00:00", customer=None)],
        touches=[make_touch("l1", "09:00"),                         # call after 1 h
                 make_touch("l2", visit.arrived_at, kind="visit", checkin=visit),
                 make_touch("l3", "10:00", kind="visit", checkin=rejected),
                 make_touch("l5", "2026-11-04T08:01:00+00:00"),     # 24 h 1 min: late
                 make_touch("l6", "07:00", kind="message")],        # before intake
        checkins=[visit, rejected, at_customer])
    period = parse_period("2026-11", "UTC")
    rows = lead_activation(tables, gather_evidence(tables, NOW), period, ComponentRules())
    by_lead = _by_id(rows, "lead_id")
    assert sorted(by_lead) == ["l1", "l2", "l3", "l4", "l5", "l6"]  # l7: Dec, l8: Oct
    assert {k for k, r in by_lead.items() if r["activated"]} == {"l1", "l2", "l4"}
    assert all(r["judged"] for r in by_lead.values())
    assert by_lead["l4"]["touch_source"] == "checkin"  # any rep's verified visit, at 24 h
    assert by_lead["l4"]["touch_ref"] == str(at_customer.id)
    assert by_lead["l1"]["touch_ref"] == "l1-call-030900"


def test_lead_still_inside_its_window_is_not_judged() -> None:
    tables = make_phi_tables(leads=[make_lead("l1", created="2026-11-30T20:00:00+00:00")])
    now = datetime(2026, 12, 1, 6, tzinfo=UTC)
    rows = lead_activation(tables, gather_evidence(tables, now), parse_period("2026-11", "UTC"),
                           ComponentRules())
    assert rows["judged"].tolist() == [False]
    later = lead_activation(tables, gather_evidence(tables, datetime(2026, 12, 2, tzinfo=UTC)),
                            parse_period("2026-11", "UTC"), ComponentRules())
    assert later["judged"].tolist() == [True]
    assert later["activated"].tolist() == [False]


def test_within_24_h_means_elapsed_hours_across_the_autumn_change() -> None:
    # Intake 03:30 CEST on Sat 24 Oct 2026; clocks go back at 03:00 CEST on Sun 25 Oct.
    created = "2026-10-24T01:30:00+00:00"
    tables = make_phi_tables(
        leads=[make_lead("late", created=created, customer=None),
               make_lead("on_time", created=created, customer=None)],
        touches=[make_touch("late", "2026-10-25T02:15:00+00:00"),      # 03:15 CET: 24 h 45
                 make_touch("on_time", "2026-10-25T01:15:00+00:00")])  # 02:15 CET: 23 h 45
    rows = lead_activation(tables, gather_evidence(tables, NOW),
                           parse_period("2026-10", "Europe/Berlin"), ComponentRules())
    by_lead = _by_id(rows, "lead_id")
    # The wall clock says 23 h 45 min for "late"; only elapsed time counts.
    assert by_lead["late"]["activated"] is False
    assert by_lead["on_time"]["activated"] is True


def test_action_closure_hand_computed() -> None:
    due = "2026-11-10T10:00:00+00:00"
    early, same_day, next_day, open_, rejected, december = (
        make_checkin(due=due), make_checkin(due=due), make_checkin(due=due),
        make_checkin(due=due), make_checkin(due=due, status=REJECTED),
        make_checkin(due="2026-12-01T10:00:00+00:00"))
    tables = make_phi_tables(
        checkins=[early, same_day, next_day, open_, rejected, december],
        outcomes=[make_outcome(early, "2026-11-09T09:00:00+00:00"),
                  make_outcome(same_day, "2026-11-10T18:00:00+00:00", strategy=STRATEGY),
                  make_outcome(next_day, "2026-11-11T00:30:00+00:00", strategy=STRATEGY),
                  make_outcome(rejected, "2026-11-09T09:00:00+00:00")])
    rows = action_closure(gather_evidence(tables, NOW), parse_period("2026-11", "UTC"))
    by_action = _by_id(rows, "checkin_id")
    assert set(by_action) == {str(c.id) for c in (early, same_day, next_day, open_)}
    assert {k for k, r in by_action.items() if r["closed"]} == {str(early.id),
                                                                 str(same_day.id)}
    assert all(r["judged"] for r in by_action.values())


@pytest.mark.parametrize(("timezone", "closed"), [("UTC", False), ("Asia/Shanghai", True)])
def test_due_date_is_a_local_calendar_date(timezone: str, closed: bool) -> None:
    # Due 23:00 UTC 10 Nov = 07:00 11 Nov in Shanghai; done 10:00 UTC 11 Nov (18:00 there).
    checkin = make_checkin(due="2026-11-10T23:00:00+00:00")
    tables = make_phi_tables(checkins=[checkin],
                             outcomes=[make_outcome(checkin, "2026-11-11T10:00:00+00:00",
                                                    strategy=STRATEGY)])
    rows = action_closure(gather_evidence(tables, NOW), parse_period("2026-11", timezone))
    assert rows["closed"].tolist() == [closed]


@pytest.mark.parametrize(("completed", "strategy", "required", "closed"), [
    ("2026-11-09T09:00:00+00:00", None, False, True),       # before the push: no strategy
    ("2026-11-09T09:59:59+00:00", None, False, True),       # a second before the push
    ("2026-11-09T10:00:00+00:00", None, True, False),       # at the push, no strategy
    ("2026-11-09T10:00:00+00:00", STRATEGY, True, True),    # at the push, with one
    ("2026-11-10T09:00:00+00:00", None, True, False),       # pushed, no strategy
    ("2026-11-10T09:00:00+00:00", STRATEGY, True, True),    # pushed, with one
    ("2026-11-09T09:00:00+00:00", STRATEGY, False, True),   # an unneeded strategy is fine
    ("2026-11-11T09:00:00+00:00", STRATEGY, True, False),   # late stays late
    (None, None, False, False),                              # open
])
def test_a_pushed_action_is_closed_only_with_a_strategy(
        completed: str | None, strategy: str | None, required: bool, closed: bool) -> None:
    # Due 10:00 UTC 10 Nov: pushed from 10:00 UTC 9 Nov (24 h lead).
    action, other = make_checkin(due="2026-11-10T10:00:00+00:00"), make_checkin(
        due="2026-11-20T10:00:00+00:00")
    outcomes = [] if completed is None else [make_outcome(action, completed,
                                                          strategy=strategy)]
    tables = make_phi_tables(checkins=[action, other], outcomes=outcomes)
    rows = _by_id(action_closure(gather_evidence(tables, NOW), parse_period("2026-11", "UTC")),
                  "checkin_id")
    assert len(rows) == 2  # the denominator does not depend on strategies
    assert (rows[str(action.id)]["strategy_required"], rows[str(action.id)]["closed"]) == (
        required, closed)
    assert rows[str(action.id)]["strategy"] == strategy


def test_a_shorter_push_lead_needs_fewer_strategies() -> None:
    action = make_checkin(due="2026-11-10T10:00:00+00:00")
    tables = make_phi_tables(checkins=[action],
                             outcomes=[make_outcome(action, "2026-11-10T09:00:00+00:00")])
    evidence, period = gather_evidence(tables, NOW), parse_period("2026-11", "UTC")
    assert action_closure(evidence, period)["closed"].tolist() == [False]
    assert action_closure(evidence, period, ComponentRules(push_lead_hours=0.5))[
        "closed"].tolist() == [True]


def test_action_due_today_is_not_judged_yet() -> None:
    checkin = make_checkin(due="2026-11-30T10:00:00+00:00")
    tables = make_phi_tables(checkins=[checkin])
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    rows = action_closure(gather_evidence(tables, now), parse_period("2026-11", "UTC"))
    assert rows["judged"].tolist() == [False]


def test_completion_after_now_is_ignored() -> None:
    checkin = make_checkin(due="2026-11-10T10:00:00+00:00")
    tables = make_phi_tables(checkins=[checkin],
                             outcomes=[make_outcome(checkin, "2026-11-10T09:00:00+00:00")])
    now = datetime(2026, 11, 10, 8, tzinfo=UTC)
    evidence = gather_evidence(tables, now)
    assert evidence.outcomes.empty


def test_penetration_hand_computed() -> None:
    tables = make_phi_tables(
        reps=[make_rep("r1"), make_rep("r2")],
        customers=[make_customer("c1"), make_customer("c2"),
                   make_customer("c3", reps=("r1", "r2"))],
        contacts=[make_contact("k1", "c1", "store_manager"), make_contact("k2", "c1", "owner"),
                  make_contact("k3", "c1", "store_manager"),
                  make_contact("k4", "c2", "pharmacist"), make_contact("k5", "c3", "finance")],
        checkins=[
            make_checkin(customer="c1", contact="k1", departed="2026-11-05T10:00:00+00:00",
                         submitted="2026-11-05T10:05:00+00:00"),
            make_checkin(customer="c1", contact="k2", departed="2026-11-06T10:00:00+00:00",
                         submitted="2026-11-06T10:05:00+00:00"),
            make_checkin(customer="c1", contact="k3", departed="2026-11-07T10:00:00+00:00",
                         submitted="2026-11-07T10:05:00+00:00"),
            make_checkin(customer="c2", contact="k4", departed="2026-10-15T10:00:00+00:00",
                         submitted="2026-10-15T10:05:00+00:00"),          # before window
            make_checkin(customer="c2", contact="k4", departed="2026-11-08T10:00:00+00:00",
                         submitted="2026-11-08T10:05:00+00:00", status=REJECTED),
            make_checkin(customer="c2", contact="k5", departed="2026-11-09T10:00:00+00:00",
                         submitted="2026-11-09T10:05:00+00:00"),          # c3's contact
            make_checkin(rep="r2", customer="c3", contact="k5",
                         departed="2026-11-10T10:00:00+00:00",
                         submitted="2026-11-10T10:05:00+00:00"),
        ])
    accounts, touches = penetration(tables, gather_evidence(tables, NOW),
                                    parse_period("2026-11", "UTC"), ComponentRules())
    roles = {(r.rep_id, r.customer_id): r.roles for r in accounts.itertuples()}
    assert roles == {("r1", "c1"): 2, ("r1", "c2"): 0, ("r1", "c3"): 0, ("r2", "c3"): 1}
    assert len(touches[touches["rep_id"] == "r1"]) == 3  # k1, k2, k3 (k3 repeats a role)


def test_penetration_window_without_any_verified_checkin_is_no_data() -> None:
    tables = make_phi_tables(customers=[make_customer("c1")],
                             checkins=[make_checkin(departed="2026-09-01T10:00:00+00:00",
                                                    submitted="2026-09-01T10:05:00+00:00")])
    accounts, _ = penetration(tables, gather_evidence(tables, NOW),
                              parse_period("2026-11", "UTC"), ComponentRules())
    assert accounts.empty

"""One definition of a neglected customer (``visitproof.neglect``) behind three figures: PHI's
``UNTOUCHED_CUSTOMERS`` warnings, the overlap report's coverage gaps (the map's neglected
customers) and the coverage-gap list. On a small real SQLite store, for the same scope and
period, all three name the same customers.

The company (tenant acme, Asia/Shanghai; neglect after 21 days), periods in November 2026:

    team t1: r1, r2 (territory north)    team t2: r3 (territory south)
    c1 (r1)        r1 on 25 Oct, r2 on 20 Nov   covered at 30 Nov, neglected at 15 Nov
    c2 (r1, r2)    r1 on 1 Nov                  neglected at 30 Nov (29 d), covered at 15 Nov
    c3 (r2)        only a rejected visit        never
    c4 (-, north)  r3 on 28 Nov                 owned by r1 and r2 (territory), covered
    c5 (r3)        r3 on 2 Nov, r1 on 10 Nov    covered: a colleague's verified visit counts
    c6 (r3)        r3 on 1 Oct                  neglected
    c7 (-, -)      never                        nobody owns it: the tenant's figure only
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from application import reports
from geo.territory_overlap import OverlapPolicy
from phi.warning_signs import WarningCode, WarningPolicy
from tests.builders import (
    HANGZHOU,
    TENANT,
    make_checkin,
    make_customer,
    make_fix,
    make_rep,
    make_team,
    make_territory,
    shifted,
    with_verdict,
)
from visitproof.neglect import NEGLECT_DAYS
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import Database, Store

OWNERS = {"c1": ("r1",), "c2": ("r1", "r2"), "c3": ("r2",), "c4": (), "c5": ("r3",),
          "c6": ("r3",), "c7": ()}
TERRITORY = {"c4": "north"}
VISITS = [("r1", "c1", "2026-10-25"), ("r2", "c1", "2026-11-20"), ("r1", "c2", "2026-11-01"),
          ("r3", "c4", "2026-11-28"), ("r3", "c5", "2026-11-02"), ("r1", "c5", "2026-11-10"),
          ("r3", "c6", "2026-10-01")]
TEAMS = {"t1": frozenset({"r1", "r2"}), "t2": frozenset({"r3"})}


def _visit(rep: str, customer: str, day: str,
           status: CheckinStatus = CheckinStatus.VERIFIED) -> Checkin:
    departed = f"{day}T03:40:00+00:00"
    where = shifted(*HANGZHOU, north_m=300.0 * int(customer[1:]))
    checkin = make_checkin(rep=rep, customer=customer, arrived=f"{day}T03:00:00+00:00",
                           departed=departed, captured=departed, submitted=departed,
                           fix=make_fix(*where, t=departed), status=status)
    codes = () if status is CheckinStatus.VERIFIED else ("GPS_OUTSIDE_GEOFENCE",)
    return with_verdict(checkin, status, *codes)


@pytest.fixture
def store(database: Database) -> Database:
    with database.begin() as connection:
        acme = Store(connection, TENANT)
        acme.reference.put_territories([
            make_territory("north", (120.10, 30.25, 120.25, 30.40)),
            make_territory("south", (120.10, 30.10, 120.25, 30.25))])
        acme.reference.put_teams([make_team("t1"), make_team("t2", region="west")])
        acme.reference.put_reps([
            replace(make_rep("r1", team="t1"), territory_id="north"),
            replace(make_rep("r2", team="t1"), territory_id="north"),
            replace(make_rep("r3", team="t2"), territory_id="south")])
        acme.reference.put_customers([
            replace(make_customer(c, *shifted(*HANGZHOU, north_m=300.0 * int(c[1:])),
                                  reps=owners), territory_id=TERRITORY.get(c))
            for c, owners in OWNERS.items()])
        acme.checkins.add_many([*(_visit(*v) for v in VISITS),
                                _visit("r2", "c3", "2026-11-05", CheckinStatus.REJECTED)])
    return database


def _phi_untouched(database: Database, period: str, now: datetime,
                   team: str | None) -> dict[str | None, set[str]]:
    with database.connect() as connection:
        report = reports.phi_report(connection, TENANT,
                                    reports.tenant_period(connection, TENANT, period),
                                    now=now, team=team, trend=1)
    return {w.rep_id: set(w.subject_ids) for w in report.warnings
            if w.code is WarningCode.UNTOUCHED_CUSTOMERS}


def _overlap_gaps(database: Database, first: date, last: date, now: datetime,
                  visible: frozenset[str] | None) -> set[str]:
    with database.connect() as connection:
        (report,) = reports.overlap_reports(connection, TENANT, first=first, last=last,
                                            policy=OverlapPolicy(), now=now, weekly=False,
                                            visible=visible)
    assert {c for c, s in zip(report.customers["customer_id"], report.customers["status"],
                              strict=True) if s != "covered"} == {g.customer_id
                                                                  for g in report.gaps}
    return {g.customer_id for g in report.gaps}


def _coverage_gaps(database: Database, at: datetime, visible: frozenset[str] | None,
                   owner: str | None = None) -> set[str]:
    with database.connect() as connection:
        status = reports.coverage(connection, TENANT, now=at, policy=OverlapPolicy(),
                                  visible=visible, owner=owner)
    return set(status.loc[status["status"] != "covered", "customer_id"])


NOV_END = datetime(2026, 11, 30, 16, tzinfo=UTC)  # 1 Dec 00:00 in Shanghai
MID_NOV = datetime(2026, 11, 15, 16, tzinfo=UTC)  # 16 Nov 00:00 in Shanghai


@pytest.mark.parametrize(("period", "first", "last", "now", "judged", "team", "expected"), [
    # A past month read weeks later is judged at its end, not at "now".
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), datetime(2027, 1, 20, tzinfo=UTC),
     NOV_END, "t1", {"c2", "c3"}),
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), datetime(2027, 1, 20, tzinfo=UTC),
     NOV_END, "t2", {"c6"}),
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), datetime(2027, 1, 20, tzinfo=UTC),
     NOV_END, None, {"c2", "c3", "c6", "c7"}),
    # The current period is judged now.
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), MID_NOV, MID_NOV, "t1",
     {"c1", "c3", "c4"}),
    ("2026-11", date(2026, 11, 1), date(2026, 11, 30), MID_NOV, MID_NOV, None,
     {"c1", "c3", "c4", "c6", "c7"}),
    ("2026-11-01..2026-11-15", date(2026, 11, 1), date(2026, 11, 15),
     datetime(2026, 12, 24, tzinfo=UTC), MID_NOV, "t2", {"c6"}),
])
def test_phi_overlap_and_coverage_name_the_same_customers(
        store: Database, period: str, first: date, last: date, now: datetime,
        judged: datetime, team: str | None, expected: set[str]) -> None:
    visible = None if team is None else TEAMS[team]
    phi = _phi_untouched(store, period, now, team)
    assert set().union(*phi.values()) == expected
    assert _overlap_gaps(store, first, last, now, visible) == expected
    assert _coverage_gaps(store, judged, visible) == expected


@pytest.mark.parametrize("rep", ["r1", "r2", "r3"])
def test_a_reps_untouched_customers_are_their_coverage_gaps(store: Database, rep: str) -> None:
    now = datetime(2027, 1, 20, tzinfo=UTC)
    phi = _phi_untouched(store, "2026-11", now, None)
    mine = _coverage_gaps(store, NOV_END, frozenset({rep}), owner=rep)
    assert phi.get(rep, set()) == mine
    # Seen by the rep alone (the API's rep scope), the same set.
    assert _overlap_gaps(store, date(2026, 11, 1), date(2026, 11, 30), now,
                         frozenset({rep})) == mine


def test_customers_nobody_owns_are_the_tenants_alone(store: Database) -> None:
    phi = _phi_untouched(store, "2026-11", datetime(2027, 1, 20, tzinfo=UTC), None)
    assert phi[None] == {"c7"}
    assert "c7" not in set().union(*(ids for rep, ids in phi.items() if rep is not None))
    # A caller who sees some reps only gets no warning about customers nobody owns.
    with store.connect() as connection:
        scoped = reports.phi_report(connection, TENANT,
                                    reports.tenant_period(connection, TENANT, "2026-11"),
                                    now=datetime(2027, 1, 20, tzinfo=UTC), trend=1,
                                    visible=frozenset({"r1"}))
    assert {(w.code, w.rep_id) for w in scoped.warnings} == {
        (WarningCode.UNTOUCHED_CUSTOMERS, "r1")}


def test_one_default_for_neglect_days() -> None:
    assert WarningPolicy().neglect_days == OverlapPolicy().neglect_days == NEGLECT_DAYS == 21

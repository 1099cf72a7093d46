"""Property: for any customers, owners and visits, each rep's PHI untouched customers union to
its team's set, and that set is the team's coverage gaps (``geo.coverage``) — the same
customers, judged at the period's end or now if earlier (``visitproof.neglect``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coverage import coverage_status, customer_sites
from geo.routes import visits_from_records
from geo.territory_overlap import OverlapPolicy
from phi.periods import parse_period
from phi.report import build_report
from phi.tables import tables_from_records
from phi.warning_signs import WarningCode
from tests.builders import make_checkin, make_customer, make_rep, make_team, with_verdict
from visitproof.neglect import judged_at, neglected_ids
from visitproof.records import CheckinStatus

PERIOD = parse_period("2026-11", "UTC")
START = datetime(2026, 10, 1, tzinfo=UTC)
REPS = {"r1": ("t1", "north"), "r2": ("t1", None), "r3": ("t2", "south"), "r4": ("t2", None)}
TEAMS = {"t1": ("r1", "r2"), "t2": ("r3", "r4")}
REP_RECORDS = [replace(make_rep(r, team=team), territory_id=territory)
               for r, (team, territory) in REPS.items()]

customer = st.tuples(st.lists(st.sampled_from(sorted(REPS)), max_size=2, unique=True),
                     st.sampled_from([None, "north", "south"]))
visit = st.tuples(st.sampled_from(sorted(REPS)), st.integers(0, 7),
                  st.floats(0, 75, allow_nan=False), st.booleans())


@settings(max_examples=25, deadline=None)
@given(customers=st.lists(customer, min_size=1, max_size=8),
       visits=st.lists(visit, max_size=14),
       now_days=st.floats(35, 110, allow_nan=False))
def test_reps_untouched_customers_union_to_their_teams_gaps(
        customers: list[tuple[list[str], str | None]],
        visits: list[tuple[str, int, float, bool]], now_days: float) -> None:
    records = [replace(make_customer(f"c{i}", reps=tuple(owners)), territory_id=territory)
               for i, (owners, territory) in enumerate(customers)]
    checkins = []
    for rep, index, days, verified in visits:
        departed = START + timedelta(days=days)
        status = CheckinStatus.VERIFIED if verified else CheckinStatus.REJECTED
        checkin = make_checkin(rep=rep, customer=records[index % len(records)].id,
                               arrived=departed - timedelta(minutes=30), departed=departed,
                               captured=departed, submitted=departed, status=status)
        checkins.append(with_verdict(checkin, status,
                                     *(() if verified else ("GPS_OUTSIDE_GEOFENCE",))))
    now = START + timedelta(days=now_days)
    tables = tables_from_records(reps=REP_RECORDS, teams=[make_team("t1"), make_team("t2")],
                                 customers=records, checkins=checkins)
    report = build_report(tables, period=PERIOD, now=now, trend_length=1)
    by_rep = {w.rep_id: frozenset(w.subject_ids) for w in report.warnings
              if w.code is WarningCode.UNTOUCHED_CUSTOMERS}
    status = coverage_status(customer_sites(records), visits_from_records(checkins, records),
                             judged_at(PERIOD.end, now), OverlapPolicy(), REP_RECORDS)

    for team, reps in TEAMS.items():
        union = frozenset().union(*(by_rep.get(r, frozenset()) for r in reps))
        assert union == neglected_ids(status, reps)
        team_report = build_report(tables, period=PERIOD, now=now, team=team, trend_length=1)
        assert union == frozenset().union(*(
            w.subject_ids for w in team_report.warnings
            if w.code is WarningCode.UNTOUCHED_CUSTOMERS))
    for rep in REPS:
        assert by_rep.get(rep, frozenset()) == neglected_ids(status, [rep])
    # The whole tenant: every rep's, plus the customers nobody owns (the warning of no rep).
    assert frozenset().union(*by_rep.values()) == neglected_ids(status)

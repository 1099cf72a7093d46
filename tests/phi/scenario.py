"""One small tenant shared by the report, explain and HTML tests.

Reps r1, r2 (team t1, region east) and r3 (team t2, west); period 2026-11 in UTC, as of
1 Dec 12:00. r1: five verified check-ins all "waiting for customer", owner touched at c1.
r2: one late verified check-in, one rejected (GPS_OUTSIDE_GEOFENCE), one needing review
(PHOTO_REUSED + GPS_OUTSIDE_GEOFENCE), an untouched lead and a never-visited customer c5;
one verified check-in in October (the failure baseline).
r3: nothing at all.
"""

from __future__ import annotations

from datetime import UTC, datetime

from phi.periods import parse_period
from phi.tables import PhiTables
from tests.builders import (
    make_checkin,
    make_contact,
    make_customer,
    make_lead,
    make_phi_tables,
    make_rep,
    make_team,
    with_verdict,
)
from visitproof.records import CheckinStatus

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
PERIOD = parse_period("2026-11", "UTC")
WAITING = "waiting_for_customer"


def scenario_tables() -> PhiTables:
    waiting = [make_checkin(rep="r1", action_kind=WAITING, departed=f"1{i}:00",
                            arrived=f"1{i}:00", submitted=f"1{i}:05",
                            due="2026-11-05T10:00:00+00:00") for i in range(5)]
    late = make_checkin(rep="r2", customer="c2", departed="09:40", submitted="10:00")
    rejected = with_verdict(make_checkin(rep="r2", customer="c2", departed="11:00",
                                         submitted="11:05"),
                            CheckinStatus.REJECTED, "GPS_OUTSIDE_GEOFENCE")
    review = with_verdict(with_verdict(
        make_checkin(rep="r2", customer="c2", departed="12:00", submitted="12:05"),
        CheckinStatus.NEEDS_REVIEW, "PHOTO_REUSED", checker="shelf"),
        CheckinStatus.NEEDS_REVIEW, "GPS_OUTSIDE_GEOFENCE", checker="fix")
    baseline = make_checkin(rep="r2", customer="c2", departed="2026-10-20T09:00:00+00:00",
                            arrived="2026-10-20T08:30:00+00:00",
                            submitted="2026-10-20T09:05:00+00:00",
                            due="2026-10-22T10:00:00+00:00")  # October: no failures
    return make_phi_tables(
        reps=[make_rep("r1"), make_rep("r2"), make_rep("r3", team="t2")],
        teams=[make_team("t1", "east"), make_team("t2", "west")],
        customers=[make_customer("c1", reps=("r1",)), make_customer("c2", reps=("r2",)),
                   make_customer("c5", reps=("r2",))],
        contacts=[make_contact("k1", "c1", "owner")],
        leads=[make_lead("l1", rep="r2", customer="c5")],
        checkins=[*waiting, late, rejected, review, baseline])

"""Coverage gaps: the 21-day boundary, ranking by tier then days untouched, owners, and
what doesn't count as a touch."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from geo.coverage import coverage_gaps, coverage_status, customer_sites, sites_frame
from geo.routes import visits_from_records
from geo.territory_overlap import OverlapPolicy
from tests.builders import DAY, make_checkin, make_customer, make_rep, make_visits
from visitproof.errors import InvalidValue
from visitproof.records import CheckinStatus

NOW = DAY + timedelta(days=30)
POLICY = OverlapPolicy(neglect_days=21)
HERE = (30.27, 120.15)


def days_ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


CUSTOMERS = customer_sites([
    make_customer("b-old", tier="B", reps=("r1",)),
    make_customer("a-recent", tier="A", reps=("r1",)),
    make_customer("a-old", tier="A", reps=("r2", "r1")),
    make_customer("a-never", tier="A", reps=()),
    make_customer("a-boundary", tier="A", reps=("r2",)),
    make_customer("c-older", tier="C", reps=("r3",)),
])
VISITS = make_visits(
    ("r1", "b-old", days_ago(40), HERE), ("r2", "b-old", days_ago(25), HERE),
    ("r1", "a-recent", days_ago(3), HERE), ("r1", "a-old", days_ago(22.5), HERE),
    ("r2", "a-boundary", days_ago(21), HERE), ("r3", "c-older", days_ago(60), HERE),
    ("r3", "a-old", NOW + timedelta(days=1), HERE))  # after "now": not yet a touch


def test_gaps_ranked_by_tier_then_never_then_longest() -> None:
    gaps = coverage_gaps(CUSTOMERS, VISITS, NOW, POLICY)
    assert [g.customer_id for g in gaps] == ["a-never", "a-old", "a-boundary", "b-old",
                                             "c-older"]


def test_gap_carries_last_touch_owner_and_days() -> None:
    gaps = {g.customer_id: g for g in coverage_gaps(CUSTOMERS, VISITS, NOW, POLICY)}
    old = gaps["a-old"]
    assert old.last_touch == NOW - timedelta(days=22.5)
    assert (old.last_touch_rep_id, old.owner_rep_ids) == ("r1", ("r2", "r1"))
    assert old.days_untouched == pytest.approx(22.5)
    assert gaps["b-old"].last_touch_rep_id == "r2"  # the latest touch, not the owner's
    assert gaps["a-never"].last_touch is None
    assert gaps["a-never"].days_untouched is None


def test_neglect_days_is_configurable() -> None:
    gaps = coverage_gaps(CUSTOMERS, VISITS, NOW, OverlapPolicy(neglect_days=2))
    assert "a-recent" in {g.customer_id for g in gaps}


def test_unassigned_customer_falls_to_its_territory_reps() -> None:
    sites = customer_sites([replace(make_customer("c1", reps=()), territory_id="t7")])
    reps = [replace(make_rep("r9"), territory_id="t7"), replace(make_rep("r8"),
                                                                territory_id="t1")]
    (gap,) = coverage_gaps(sites, make_visits(), NOW, POLICY, reps)
    assert gap.owner_rep_ids == ("r9",)


def test_only_verified_checkins_are_touches() -> None:
    customer = make_customer("c1")
    rejected = make_checkin(customer="c1", status=CheckinStatus.REJECTED)
    visits = visits_from_records([rejected], [customer])
    status = coverage_status(customer_sites([customer]), visits, NOW, POLICY)
    assert list(status["status"]) == ["never"]


@pytest.mark.parametrize(("call", "code"), [
    (lambda: coverage_gaps(CUSTOMERS, VISITS, NOW.replace(tzinfo=None), POLICY),
     "NAIVE_TIMESTAMP"),
    (lambda: sites_frame(CUSTOMERS.frame.assign(tier="Z")), "UNKNOWN_ENUM_VALUE"),
    (lambda: sites_frame(CUSTOMERS.frame.drop(columns=["lat"])), "BAD_TABLE"),
])
def test_bad_input_raises(call: object, code: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        call()  # type: ignore[operator]
    assert raised.value.code == code

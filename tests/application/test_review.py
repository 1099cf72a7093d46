"""A person's decision on a needs_review check-in, on a real SQLite file: stored as its own
verification beside the machine's, the status moved in the same transaction, decided once
(also when two reviewers race), scoped, and counted by PHI."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from application.phi_inputs import tables_from_store
from application.review import (
    REVIEW_POLICY,
    ReviewDecision,
    decide_review,
    latest_review,
    review_queue,
)
from phi.exclusions import excluded_checkins
from tests.builders import (
    TENANT,
    at,
    make_checkin,
    make_customer,
    make_rep,
    make_team,
    with_verdict,
)
from visitproof.errors import InvalidValue, NotFound, NotUnderReview
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import Database, Store, open_database
from visitproof.store.tables import verifications
from visitproof.verdicts import checkin_verdict

V, R, N, IN = (CheckinStatus.VERIFIED, CheckinStatus.REJECTED, CheckinStatus.NEEDS_REVIEW,
               CheckinStatus.RECEIVED)
NOW = at("12:00")


@pytest.fixture
def company(database: Database) -> Database:
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_teams([make_team("t1"), make_team("t2")])
        store.reference.put_reps([make_rep("r1", team="t1"), make_rep("r3", team="t2")])
        store.reference.put_customers([make_customer("c1")])
    return database


def put(database: Database, status: CheckinStatus = N, *codes: str, rep: str = "r1",
        submitted: str = "09:48") -> Checkin:
    checkin = make_checkin(rep=rep, submitted=submitted)
    if status is not IN:
        checkin = with_verdict(checkin, status, *(codes or ("SUBMITTED_LATE",)))
    with database.begin() as connection:
        Store(connection, TENANT).checkins.add(checkin)
    return checkin


def stored(database: Database, checkin_id: uuid.UUID) -> Checkin:
    with database.connect() as connection:
        found = Store(connection, TENANT).checkins.get(checkin_id)
    assert found is not None
    return found


def decide(database: Database, checkin: Checkin | uuid.UUID,
           decision: ReviewDecision = ReviewDecision.APPROVE, *, note: str = "phoned the store",
           visible: frozenset[str] | None = None, reviewer: str = "m1") -> Checkin:
    checkin_id = checkin if isinstance(checkin, uuid.UUID) else checkin.id
    return decide_review(database, TENANT, checkin_id, decision, note=note,
                         reviewer=reviewer, role="manager", visible_rep_ids=visible, now=NOW)


@pytest.mark.parametrize(("decision", "status", "code"), [
    (ReviewDecision.APPROVE, V, "REVIEW_APPROVED"),
    (ReviewDecision.REJECT, R, "REVIEW_REJECTED"),
])
def test_a_decision_is_its_own_verification_and_moves_the_status(
        company: Database, decision: ReviewDecision, status: CheckinStatus,
        code: str) -> None:
    queued = put(company, N, "SUBMITTED_LATE", "DWELL_TOO_SHORT")
    decided = decide(company, queued, decision, note="  dead zone on the ring road  ")
    assert decided == stored(company, queued.id)
    # the machine's verification is still there, untouched; the decision comes after it
    assert decided.verifications[:-1] == queued.verifications
    review = decided.verifications[-1]
    assert latest_review(decided) == review
    assert (review.checker, review.status, review.policy_version, review.verified_at) == (
        "review", status, REVIEW_POLICY, NOW)
    assert dict(review.details) == {"decision": decision.value, "reviewer": "m1",
                                    "role": "manager", "note": "dead zone on the ring road",
                                    "previous_status": "needs_review"}
    assert [r.code for r in review.reasons] == [code]
    assert "m1" in review.reasons[0].message
    assert "dead zone on the ring road" in review.reasons[0].message
    # the column and the verdict agree; the machine's reasons stay, the note's last
    verdict = checkin_verdict(decided)
    assert decided.status is verdict.status is status
    assert [r.code for r in verdict.reasons] == ["SUBMITTED_LATE", "DWELL_TOO_SHORT", code]


def test_phi_counts_the_decided_status(company: Database) -> None:
    approved, rejected, waiting = put(company), put(company), put(company)
    decide(company, approved, ReviewDecision.APPROVE)
    decide(company, rejected, ReviewDecision.REJECT)
    with company.connect() as connection:
        tables = tables_from_store(connection, TENANT)
    statuses = dict(zip(tables.checkins["checkin_id"], tables.checkins["status"],
                        strict=True))
    assert statuses == {str(approved.id): "verified", str(rejected.id): "rejected",
                        str(waiting.id): "needs_review"}
    excluded = excluded_checkins(tables, tables.checkins)
    assert (excluded.total, excluded.verified) == (3, 1)
    assert excluded.by_reason == {"SUBMITTED_LATE": 2, "REVIEW_REJECTED": 1}


@pytest.mark.parametrize(("status", "visible", "note", "error", "code"), [
    (V, None, "ok", NotUnderReview, "NOT_UNDER_REVIEW"),
    (R, None, "ok", NotUnderReview, "NOT_UNDER_REVIEW"),
    (IN, None, "ok", NotUnderReview, "NOT_UNDER_REVIEW"),
    (N, frozenset({"r3"}), "ok", NotFound, "NOT_FOUND"),     # another team's rep
    (N, frozenset(), "ok", NotFound, "NOT_FOUND"),
    (N, None, "   ", InvalidValue, "EMPTY_FIELD"),
    (N, None, "", InvalidValue, "EMPTY_FIELD"),
    (N, None, "x" * 2001, InvalidValue, None),
])
def test_refusals_store_nothing(company: Database, status: CheckinStatus,
                                visible: frozenset[str] | None, note: str,
                                error: type[Exception], code: str | None) -> None:
    checkin = put(company, status)
    with pytest.raises(error) as raised:
        decide(company, checkin, note=note, visible=visible)
    if code is not None:
        assert getattr(raised.value, "code", None) == code
    assert stored(company, checkin.id) == checkin


def test_a_missing_checkin_is_not_found(company: Database) -> None:
    with pytest.raises(NotFound):
        decide(company, uuid.uuid4())


def test_the_first_decision_stands(company: Database) -> None:
    checkin = put(company)
    first = decide(company, checkin, ReviewDecision.REJECT, reviewer="m1")
    with pytest.raises(NotUnderReview):
        decide(company, checkin, ReviewDecision.APPROVE, reviewer="d1")
    assert stored(company, checkin.id) == first


def test_two_reviewers_at_once_one_decides(company: Database, tmp_path: Path) -> None:
    """Each reviewer on their own engine (as two server processes would be), released
    together by a barrier, over several check-ins: one decision each, never two."""
    url = f"sqlite:///{tmp_path / 'store' / 'visitproof.sqlite3'}"
    engines = [open_database(url, busy_timeout_s=30) for _ in range(2)]
    queued = [put(company) for _ in range(6)]
    outcomes: dict[tuple[int, int], str] = {}

    def reviewer(index: int) -> Callable[[], None]:
        decision = (ReviewDecision.APPROVE, ReviewDecision.REJECT)[index]

        def work() -> None:
            for round_, checkin in enumerate(queued):
                barrier.wait()
                try:
                    decide(engines[index], checkin, decision, reviewer=f"m{index}")
                    outcomes[(round_, index)] = "decided"
                except NotUnderReview:
                    outcomes[(round_, index)] = "409"
        return work

    barrier = threading.Barrier(2, timeout=30)
    threads = [threading.Thread(target=reviewer(i)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()
    for round_, checkin in enumerate(queued):
        assert sorted(outcomes[(round_, i)] for i in range(2)) == ["409", "decided"]
        winner = next(i for i in range(2) if outcomes[(round_, i)] == "decided")
        after = stored(company, checkin.id)
        assert [v.checker for v in after.verifications] == ["fix", "review"]
        assert after.status is (V, R)[winner]
        assert latest_review(after).details["reviewer"] == f"m{winner}"  # type: ignore[union-attr]
    with company.connect() as connection:
        reviews = connection.execute(sa.select(sa.func.count()).select_from(verifications)
                                     .where(verifications.c.checker == "review")).scalar_one()
    assert reviews == len(queued)


def test_the_queue_is_oldest_first_with_counts_over_all_of_it(company: Database) -> None:
    late = put(company, N, "SUBMITTED_LATE", submitted="10:30")
    oldest = put(company, N, "SUBMITTED_LATE", "DWELL_TOO_SHORT", submitted="09:05")
    middle = put(company, N, "FIX_ACCURACY_POOR", submitted="09:50")
    other_team = put(company, N, "SUBMITTED_LATE", rep="r3", submitted="08:00")
    put(company, V)
    put(company, R, "MOCK_LOCATION_FLAG")
    decide(company, put(company, N, submitted="07:00"))  # decided: left the queue

    def queue(rep_ids: list[str] | None, limit: int = 50, offset: int = 0) -> tuple[
            list[uuid.UUID], int, dict[str, int]]:
        with company.connect() as connection:
            found = review_queue(Store(connection, TENANT).checkins, rep_ids=rep_ids,
                                 limit=limit, offset=offset)
        return [c.id for c in found.items], found.count, dict(found.by_reason)

    assert queue(None) == ([other_team.id, oldest.id, middle.id, late.id], 4,
                           {"SUBMITTED_LATE": 3, "DWELL_TOO_SHORT": 1,
                            "FIX_ACCURACY_POOR": 1})
    # a page, but the counts are the whole queue's (of the caller's scope)
    assert queue(["r1"], limit=1, offset=1) == ([middle.id], 3, {
        "SUBMITTED_LATE": 2, "DWELL_TOO_SHORT": 1, "FIX_ACCURACY_POOR": 1})
    assert queue([]) == ([], 0, {})
    assert list(queue(None)[2]) == ["SUBMITTED_LATE", "DWELL_TOO_SHORT", "FIX_ACCURACY_POOR"]


def test_an_unjudged_checkin_in_the_queue_counts_as_not_yet_judged(company: Database) -> None:
    checkin = make_checkin(status=N, submitted=at("09:48") + timedelta(minutes=1))
    with company.begin() as connection:
        Store(connection, TENANT).checkins.add(checkin)
        found = review_queue(Store(connection, TENANT).checkins, rep_ids=None, limit=5,
                             offset=0)
    assert (found.count, dict(found.by_reason)) == (1, {"NOT_YET_JUDGED": 1})

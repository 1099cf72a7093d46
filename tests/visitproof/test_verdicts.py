"""A check-in's verdict: its status and its reasons from the same checks, and never a status
other than ``verified`` without a reason."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.builders import make_checkin
from visitproof.records import Checkin, CheckinStatus, Reason, Verification
from visitproof.verdicts import checkin_verdict, verdict_of

V, R, N, IN = (CheckinStatus.VERIFIED, CheckinStatus.REJECTED, CheckinStatus.NEEDS_REVIEW,
               CheckinStatus.RECEIVED)


def check(checker: str, status: CheckinStatus, *codes: str) -> Verification:
    checkin = make_checkin()
    return Verification(checkin_id=checkin.id, checker=checker, status=status,
                        reasons=tuple(Reason(code=c, message=c.lower()) for c in codes),
                        model_version=None, policy_version="test",
                        verified_at=checkin.submitted_at)


def stored(status: CheckinStatus, *checks: Verification) -> Checkin:
    return replace(make_checkin(), status=status, verifications=checks)


@pytest.mark.parametrize(("checkin", "status", "codes", "failing"), [
    # the simulator's photo_reuse check counts like any other (the 61 of issue 19)
    (stored(R, check("fix", V), check("photo_reuse", R, "PHOTO_REUSED")),
     R, ["PHOTO_REUSED"], ["PHOTO_REUSED"]),
    # shelf, fix, evidence first, whatever order they came in
    (stored(N, check("evidence", N, "MANDATORY_EVIDENCE_MISSING"), check("fix", V),
            check("shelf", N, "PHOTO_STALE_SHELF")),
     N, ["PHOTO_STALE_SHELF", "MANDATORY_EVIDENCE_MISSING"],
     ["MANDATORY_EVIDENCE_MISSING", "PHOTO_STALE_SHELF"]),
    # the newest verdict of a checker supersedes the older one
    (stored(V, check("shelf", R, "FEATURED_ABSENT"), check("shelf", V)), V, [], []),
    (stored(R, check("shelf", V), check("shelf", R, "FEATURED_ABSENT")),
     R, ["FEATURED_ABSENT"], ["FEATURED_ABSENT"]),
    # a failing check that gives no reason is still explained
    (stored(R, check("fix", R)), R, ["UNSPECIFIED"], ["UNSPECIFIED"]),
    # info reasons of passing checks are shown, but they are no failure
    (stored(V, check("shelf", V, "EXIF_UNREADABLE")), V, ["EXIF_UNREADABLE"], []),
    # nothing judged yet: the stored status stands, and says so
    (stored(IN), IN, ["NOT_YET_JUDGED"], []),
    (stored(V), V, [], []),
    # the status comes from the checks, not from a stale column
    (stored(V, check("fix", R, "MOCK_LOCATION_FLAG")),
     R, ["MOCK_LOCATION_FLAG"], ["MOCK_LOCATION_FLAG"]),
    # the same reason from two checks is listed once
    (stored(R, check("shelf", R, "PHOTO_REUSED"), check("photo_reuse", R, "PHOTO_REUSED")),
     R, ["PHOTO_REUSED"], ["PHOTO_REUSED"]),
])
def test_the_verdict_of_a_checkin(checkin: Checkin, status: CheckinStatus, codes: list[str],
                                  failing: list[str]) -> None:
    verdict = checkin_verdict(checkin)
    assert verdict.status is status
    assert [r.code for r in verdict.reasons] == codes
    assert list(verdict.failure_codes) == failing


APPROVED, REJECTED = (check("review", V, "REVIEW_APPROVED"),
                      check("review", R, "REVIEW_REJECTED"))
LATE = check("fix", N, "SUBMITTED_LATE")


@pytest.mark.parametrize(("checks", "status", "codes", "failing"), [
    # rule 4: a decision overrides the machine's needs_review, either way
    ((LATE, APPROVED), V, ["SUBMITTED_LATE", "REVIEW_APPROVED"], ["SUBMITTED_LATE"]),
    ((LATE, REJECTED), R, ["SUBMITTED_LATE", "REVIEW_REJECTED"],
     ["REVIEW_REJECTED", "SUBMITTED_LATE"]),
    # ... and any other combination: it is not combined with it
    ((check("fix", R, "MOCK_LOCATION_FLAG"), APPROVED), V,
     ["MOCK_LOCATION_FLAG", "REVIEW_APPROVED"], ["MOCK_LOCATION_FLAG"]),
    ((check("shelf", V), REJECTED), R, ["REVIEW_REJECTED"], ["REVIEW_REJECTED"]),
    # the decision's reason comes last, whatever order the checks came in
    ((check("photo_reuse", V), LATE, APPROVED, check("evidence", V, "EXIF_UNREADABLE")), V,
     ["SUBMITTED_LATE", "EXIF_UNREADABLE", "REVIEW_APPROVED"], ["SUBMITTED_LATE"]),
    # a machine check newer than the decision (re-verification) doesn't undo it
    ((LATE, APPROVED, check("fix", R, "GPS_OUTSIDE_GEOFENCE")), V,
     ["GPS_OUTSIDE_GEOFENCE", "REVIEW_APPROVED"], ["GPS_OUTSIDE_GEOFENCE"]),
    # the latest decision is the one that stands
    ((LATE, REJECTED, APPROVED), V, ["SUBMITTED_LATE", "REVIEW_APPROVED"],
     ["SUBMITTED_LATE"]),
    # a decision alone decides too
    ((APPROVED,), V, ["REVIEW_APPROVED"], []),
])
def test_a_review_decision_overrides_the_machine(
        checks: tuple[Verification, ...], status: CheckinStatus, codes: list[str],
        failing: list[str]) -> None:
    verdict = checkin_verdict(stored(N, *checks))
    assert verdict.status is status
    assert [r.code for r in verdict.reasons] == codes
    assert list(verdict.failure_codes) == failing
    assert verdict.checks[-1].checker == "review"


CHECKERS = st.sampled_from(["shelf", "fix", "evidence", "photo_reuse", "other", "review"])
STATUSES = st.sampled_from([V, R, N])
CODES = st.lists(st.sampled_from(["PHOTO_REUSED", "SUBMITTED_LATE", "EXIF_UNREADABLE",
                                  "SOMETHING_NEW", "REVIEW_APPROVED", "REVIEW_REJECTED"]),
                 max_size=3)


@given(checks=st.lists(st.tuples(CHECKERS, STATUSES, CODES), max_size=8),
       column=st.sampled_from(list(CheckinStatus)))
def test_no_status_but_verified_goes_unexplained(
        checks: list[tuple[str, CheckinStatus, list[str]]], column: CheckinStatus) -> None:
    verdict = verdict_of([check(name, status, *codes) for name, status, codes in checks],
                         stored_status=column)
    if verdict.status is not CheckinStatus.VERIFIED:
        assert verdict.reasons
        if verdict.checks:
            assert verdict.failure_codes
    assert set(verdict.failure_codes) <= {r.code for r in verdict.reasons}
    assert {c.checker for c in verdict.checks} == {name for name, _, _ in checks}
    decisions = [status for name, status, _ in checks if name == "review"]
    if decisions:  # rule 4: the latest decision is the status, whatever the machine said
        assert verdict.status is decisions[-1]

"""The review queue: a person approves or rejects a check-in the machine left for review.

    queue = review_queue(store.checkins, rep_ids=visible, limit=50, offset=0)
    checkin = decide_review(database, tenant_id, checkin_id, ReviewDecision.REJECT,
                            note="the photo shows another store", reviewer="m1",
                            role="manager", visible_rep_ids=visible, now=utc_now())

The rules:

1. The queue is the ``needs_review`` check-ins of the reps the caller may see (None: the
   whole tenant), oldest submission first (the server's clock: the one waiting longest is
   worked first), with the number of queued check-ins per reason code over the whole queue,
   not just the page.
2. Only a ``needs_review`` check-in can be decided; anything else (never under review, or
   already decided) is :class:`~visitproof.errors.NotUnderReview`. A check-in that does not
   exist or belongs to a rep outside ``visible_rep_ids`` is
   :class:`~visitproof.errors.NotFound`, the same answer, so existence doesn't leak.
3. The decision is a verification of its own (checker ``review``), appended beside the
   machine's, which stay as they were: status ``verified`` (approve) or ``rejected``
   (reject), one reason (``REVIEW_APPROVED`` or ``REVIEW_REJECTED``, naming the reviewer and
   carrying the note), and ``details`` with the decision, the reviewer, their role, the note
   and the status before. ``verified_at`` is when it was decided (UTC).
4. It is stored in one transaction with the check-in's status move, and only if the stored
   status is still ``needs_review`` (:meth:`~visitproof.store.Checkins.decide`): of two
   reviewers deciding at once, the first to commit wins and the other gets
   :class:`~visitproof.errors.NotUnderReview`.
5. The status then is the decision's (:mod:`visitproof.verdicts`, rule 4: a decision
   overrides the machine's checks, it does not combine with them), so PHI, which counts
   only verified check-ins, counts an approved one and still excludes a rejected one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from application.evidence_archive import EvidenceArchive
from visitproof.errors import NotFound, NotUnderReview
from visitproof.reasons import ReasonCode, reason
from visitproof.records import Checkin, CheckinStatus, Verification
from visitproof.store import Checkins, Database
from visitproof.values import require_text, require_utc
from visitproof.verdicts import REVIEW_CHECKER, checkin_verdict, verdict_of

NOTE_MAX_LENGTH = 2000
REVIEW_POLICY = "manual-review-1"
"""The ``policy_version`` of a review verification (the rules above, version 1)."""


class ReviewDecision(StrEnum):
    """What the reviewer decided."""

    APPROVE = "approve"
    REJECT = "reject"


_OUTCOME = {
    ReviewDecision.APPROVE: (CheckinStatus.VERIFIED, ReasonCode.REVIEW_APPROVED),
    ReviewDecision.REJECT: (CheckinStatus.REJECTED, ReasonCode.REVIEW_REJECTED),
}


@dataclass(frozen=True, slots=True)
class ReviewQueue:
    """One page of the queue (oldest submission first), ``count`` check-ins in it in all,
    and ``by_reason``: reason code -> queued check-ins whose verdict lists it, over the whole
    queue, most frequent first (then by code)."""

    items: tuple[Checkin, ...]
    count: int
    by_reason: Mapping[str, int]


def review_queue(checkins: Checkins, *, rep_ids: list[str] | None, limit: int,
                 offset: int) -> ReviewQueue:
    """The queue of the reps ``rep_ids`` (None: every rep of the tenant; empty: none)."""
    status = CheckinStatus.NEEDS_REVIEW
    page = checkins.page(rep_ids=rep_ids, status=status, limit=limit, offset=offset,
                         oldest_first=True)
    checks = checkins.checks_by_checkin(rep_ids=rep_ids, status=status)
    counted: Counter[str] = Counter()
    for verifications in checks.values():
        counted.update({r.code for r in verdict_of(verifications, stored_status=status).reasons})
    unjudged = page.count - len(checks)  # queued without any check on record
    if unjudged > 0:
        counted[ReasonCode.NOT_YET_JUDGED.value] += unjudged
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    return ReviewQueue(items=page.items, count=page.count,
                       by_reason=MappingProxyType(dict(ordered)))


def review_verification(checkin_id: UUID, decision: ReviewDecision, *, note: str,
                        reviewer: str, role: str, decided_at: datetime) -> Verification:
    """The verification that records ``decision`` (rule 3); ``note`` is stripped, non-empty
    and at most :data:`NOTE_MAX_LENGTH` characters (:class:`InvalidValue` otherwise)."""
    note = require_text(note, "note", max_length=NOTE_MAX_LENGTH)
    decision = ReviewDecision(decision)
    status, code = _OUTCOME[decision]
    return Verification(
        checkin_id=checkin_id, checker=REVIEW_CHECKER, status=status,
        reasons=(reason(code, reviewer=reviewer, role=role, note=note),),
        model_version=None, policy_version=REVIEW_POLICY,
        verified_at=require_utc(decided_at, "decided_at"),
        details={"decision": decision.value, "reviewer": reviewer, "role": role,
                 "note": note, "previous_status": CheckinStatus.NEEDS_REVIEW.value})


def decide_review(database: Database, tenant_id: str, checkin_id: UUID,
                  decision: ReviewDecision, *, note: str, reviewer: str, role: str,
                  visible_rep_ids: frozenset[str] | None, now: datetime,
                  archive: EvidenceArchive | None = None) -> Checkin:
    """Store ``reviewer``'s decision on check-in ``checkin_id`` (the module's rules 2-4) and
    return the check-in as stored after it; with ``archive``, the decision is then appended
    to the check-in's signed manifest (a failure to archive is logged, never raised)."""
    verification = review_verification(checkin_id, decision, note=note, reviewer=reviewer,
                                       role=role, decided_at=now)
    # Read on its own connection: the write transaction below then starts with the
    # conditional UPDATE, so a concurrent decision makes it wait, never fail on a stale
    # read snapshot (SQLite WAL).
    with database.connect() as connection:
        checkin = Checkins(connection, tenant_id).get(checkin_id)
    if checkin is None or (visible_rep_ids is not None
                           and checkin.rep_id not in visible_rep_ids):
        raise NotFound(f"no check-in {checkin_id}")
    status = checkin_verdict(checkin).status
    if status is not CheckinStatus.NEEDS_REVIEW:
        raise _not_under_review(checkin_id, status)
    with database.begin() as connection:
        checkins = Checkins(connection, tenant_id)
        if not checkins.decide(verification, expected=CheckinStatus.NEEDS_REVIEW):
            raise _not_under_review(checkin_id, None)
        decided = checkins.get(checkin_id)
    if decided is None:  # deleted in between: the transaction wrote nothing visible
        raise NotFound(f"no check-in {checkin_id}")
    if archive is not None:
        archive.record_quietly(database, decided)
    return decided


def latest_review(checkin: Checkin) -> Verification | None:
    """The decision that stands on ``checkin`` (its latest review verification), if any."""
    return next((v for v in reversed(checkin.verifications) if v.checker == REVIEW_CHECKER),
                None)


def _not_under_review(checkin_id: UUID, status: CheckinStatus | None) -> NotUnderReview:
    now = "another reviewer decided it first" if status is None else f"its status is {status}"
    return NotUnderReview(f"check-in {checkin_id} is not waiting for review ({now}); only a "
                          "needs_review check-in can be approved or rejected, once")

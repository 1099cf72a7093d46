"""``/v1/reviews`` and ``/v1/checkins/{id}/review``: the queue of check-ins the machine left
for a person, and a person's decision on one (:mod:`application.review`).

Managers see and decide their own team's check-ins, directors and admins the whole
tenant's; reps get 403 (no one decides their own visits). A check-in outside the caller's
scope answers 404 like one that does not exist. A decision on a check-in that is not
``needs_review`` (never was, or another reviewer decided first: the first decision stands)
is 409 ``NOT_UNDER_REVIEW``, and nothing is stored.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from application.review import ReviewDecision, decide_review, review_queue
from serving.auth import CurrentReviewer, User, listed_rep_ids, visible_rep_ids
from serving.errors import error_responses
from serving.query_params import Offset
from serving.runtime import RuntimeDep
from serving.schemas import CheckinPublic
from serving.schemas_review import ReviewCreate, ReviewedCheckinPublic, ReviewQueuePublic
from visitproof.records import Checkin
from visitproof.store import Store
from visitproof.values import utc_now

router = APIRouter(tags=["reviews"])


_DESCRIBED = {
    403: "Reps may not review check-ins: a manager, director or admin token is needed "
         "(FORBIDDEN).",
    404: "No such check-in in the caller's scope (NOT_FOUND).",
    409: "The check-in is not needs_review: it never was, or another reviewer decided it "
         "first (NOT_UNDER_REVIEW). Nothing was stored.",
    422: "Invalid input; `code` says what: MISSING_FIELD (no decision or note), EMPTY_FIELD "
         "(a blank note), TOO_LONG (a note over 2,000 characters), UNKNOWN_ENUM_VALUE (a "
         "decision other than approve or reject), UNKNOWN_FIELD, BAD_TYPE, BAD_TEXT, "
         "OUT_OF_RANGE (paging).",
}
_errors = partial(error_responses, _DESCRIBED)


@router.get("/v1/reviews", response_model=ReviewQueuePublic,
            summary="The review queue: needs_review check-ins, oldest first",
            responses=_errors(401, 403, 422, 503))
def list_reviews(
    user: CurrentReviewer,
    runtime: RuntimeDep,
    rep_id: Annotated[str | None, Query(description="Only this rep's check-ins.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> ReviewQueuePublic:
    """The ``needs_review`` check-ins in the caller's scope, oldest submission first (the
    server's ``submitted_at``), with ``count`` (the whole queue) and ``by_reason`` (queued
    check-ins per reason code, over the whole queue)."""
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        queue = review_queue(store.checkins, rep_ids=listed_rep_ids(user, store.reference,
                                                                    rep_id),
                             limit=limit, offset=offset)
    return ReviewQueuePublic(data=[CheckinPublic.of(c) for c in queue.items],
                             count=queue.count, by_reason=dict(queue.by_reason))


@router.post("/v1/checkins/{checkin_id}/review", status_code=201,
             response_model=ReviewedCheckinPublic,
             summary="Approve or reject a needs_review check-in, with a note",
             responses=_errors(401, 403, 404, 409, 422, 503))
def review_checkin(checkin_id: UUID, body: ReviewCreate, user: CurrentReviewer,
                   runtime: RuntimeDep) -> ReviewedCheckinPublic:
    """Store the caller's decision as its own verification (checker ``review``, beside the
    machine's, which stay) and move the status to it: ``approve`` -> ``verified``,
    ``reject`` -> ``rejected`` (201, the check-in as now stored, with the decision).
    Decided once: 409 ``NOT_UNDER_REVIEW`` when the check-in is not ``needs_review``."""
    checkin = decide(runtime, user, checkin_id, body.decision, body.note)
    return ReviewedCheckinPublic.reviewed(checkin)


def decide(runtime: RuntimeDep, user: User, checkin_id: UUID, decision: ReviewDecision,
           note: str) -> Checkin:
    """``user``'s decision on ``checkin_id``, in their scope (the API's and the review
    form's one way in): the check-in as stored after it."""
    with runtime.database.connect() as connection:
        visible = visible_rep_ids(user, Store(connection, user.tenant_id).reference)
    return decide_review(runtime.database, user.tenant_id, checkin_id, decision, note=note,
                         reviewer=user.user_id, role=user.role.value,
                         visible_rep_ids=visible, now=utc_now(),
                         archive=runtime.intake.archive)

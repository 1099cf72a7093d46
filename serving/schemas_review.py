"""The HTTP shapes of the review queue (``GET /v1/reviews``) and of a review decision
(``POST /v1/checkins/{id}/review``).

Same conventions as :mod:`serving.schemas`: the input model is strict (unknown fields
refused), its codes are the stable ones of :mod:`serving.errors` (``MISSING_FIELD``,
``EMPTY_FIELD`` for a blank note, ``TOO_LONG``, ``UNKNOWN_ENUM_VALUE``); the rules behind
them belong to :mod:`application.review`. Times in ``*Public`` models are UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from application.review import NOTE_MAX_LENGTH, ReviewDecision, latest_review
from serving.schemas import CheckinPublic, FiniteBody
from visitproof.records import Checkin, CheckinStatus

ReviewNote = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=NOTE_MAX_LENGTH)]
"""Why: free text, stripped, 1 to 2,000 characters (blank is ``EMPTY_FIELD``)."""


class ReviewCreate(FiniteBody):
    """``POST /v1/checkins/{id}/review``: the decision on a ``needs_review`` check-in and
    why (required: it is what the rep and an auditor read)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    decision: ReviewDecision = Field(description="approve: the visit counts as verified; "
                                     "reject: it counts as rejected.")
    note: ReviewNote = Field(examples=["Store confirmed the visit by phone; the late "
                                       "upload was a dead zone on the ring road."])


class ReviewPublic(BaseModel):
    """A stored decision: who decided what, when (UTC), why, and the status it replaced."""

    decision: ReviewDecision
    status: CheckinStatus
    note: str
    reviewer: str
    role: str
    decided_at: datetime
    previous_status: CheckinStatus


class ReviewedCheckinPublic(CheckinPublic):
    """The check-in after a decision (its ``status`` is the decision's; the machine's
    reasons stay in ``verdict.reasons``, the decision's last), and the decision itself."""

    review: ReviewPublic

    @classmethod
    def reviewed(cls, checkin: Checkin) -> ReviewedCheckinPublic:
        """``checkin`` with its standing decision (it must have one)."""
        decision = latest_review(checkin)
        if decision is None:
            raise ValueError(f"check-in {checkin.id} has no review decision")
        details = decision.details
        public = CheckinPublic.of(checkin)
        return cls(**dict(public), review=ReviewPublic(
            decision=ReviewDecision(details["decision"]), status=decision.status,
            note=str(details["note"]), reviewer=str(details["reviewer"]),
            role=str(details["role"]), decided_at=decision.verified_at,
            previous_status=CheckinStatus(details["previous_status"])))


class ReviewQueuePublic(BaseModel):
    """One page of the review queue (``needs_review`` check-ins in the caller's scope,
    oldest submission first); ``count`` is the queue's length in all pages, ``by_reason``
    the number of queued check-ins per reason code over the whole queue, most frequent
    first."""

    data: list[CheckinPublic]
    count: int
    by_reason: dict[str, int]

"""The HTTP shapes of leads, lead touches, contacts and next actions.

Same conventions as :mod:`serving.schemas`: input models are strict (unknown fields refused,
NaN and infinities refused anywhere, timestamps need a UTC offset and are converted to
UTC), range rules and the stable codes behind them belong to the domain records
(:mod:`visitproof.records`), and ids are chosen by the client so that a retried request can
be recognised. ``*Public`` models are what the API answers; times in them are UTC.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from serving.schemas import FiniteBody, UtcInstant
from visitproof import pushed_actions
from visitproof.pushed_actions import STRATEGY_MAX_LENGTH
from visitproof.records import (
    ActionOutcome,
    Checkin,
    CheckinStatus,
    Contact,
    DecisionRole,
    Lead,
    LeadTouch,
    NextActionKind,
    Tier,
    TouchKind,
)
from visitproof.verdicts import checkin_verdict

# FastAPI validates a JSON body as Python objects, where pydantic's strict mode would want
# enum and UUID instances; lax mode is safe for these fields (it never turns numbers into
# strings), except that it reads numbers as Unix times: ``ClientInstant`` refuses them.
_STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


def _timestamp_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 timestamp "
                                  "with an offset, e.g. 2026-11-03T09:15:00+08:00")
    return value


ClientInstant = Annotated[UtcInstant, BeforeValidator(_timestamp_text)]
"""A :data:`~serving.schemas.UtcInstant` that must arrive as text (no Unix numbers)."""
_ID = Field(max_length=128, description="Chosen by the client (letters, digits, ._:@-), "
            "re-sent unchanged on a retry.")


class LeadCreate(FiniteBody):
    """``POST /v1/leads``: a new lead from marketing. ``channel`` and ``tier`` are
    mandatory (a null counts as missing); the first-touch clock starts when it is stored."""

    model_config = _STRICT

    id: str = _ID
    channel: str = Field(max_length=200, description="Where the lead came from.",
                         examples=["search ads - orthopaedics keywords"])
    tier: Tier = Field(description="A: buys a competitor's equivalent; B: a decision maker "
                       "said yes in principle; C: price enquiry only.")
    customer_id: str | None = Field(default=None, max_length=128,
                                    description="The customer, when it is already known.")
    contact_name: str | None = Field(default=None, max_length=200,
                                     examples=["Dr Zhang, head of equipment"])

    @field_validator("channel", "tier", mode="before")
    @classmethod
    def _null_is_missing(cls, value: Any) -> Any:
        if value is None:
            raise PydanticCustomError("missing", "Field required (null is not a value)")
        return value


class LeadAssign(FiniteBody):
    """``POST /v1/leads/{id}/assign``: the rep who owns the lead from now on."""

    model_config = _STRICT

    rep_id: str = Field(max_length=128)


class LeadTouchCreate(FiniteBody):
    """``POST /v1/leads/{id}/touches``: the calling rep touched the lead. A ``visit`` names
    the check-in that proves it; calls and messages name none."""

    model_config = _STRICT

    id: str = _ID
    kind: TouchKind
    at: ClientInstant = Field(description="When the touch happened (with offset).")
    checkin_id: UUID | None = Field(default=None,
                                    description="The rep's check-in, for a visit.")


class LeadTouchPublic(BaseModel):
    id: str
    lead_id: str
    rep_id: str
    kind: TouchKind
    at: datetime
    checkin_id: UUID | None

    @classmethod
    def of(cls, touch: LeadTouch) -> LeadTouchPublic:
        return cls(id=touch.id, lead_id=touch.lead_id, rep_id=touch.rep_id, kind=touch.kind,
                   at=touch.at, checkin_id=touch.checkin_id)


class LeadPublic(BaseModel):
    """A stored lead. ``created_at`` (intake) and ``assigned_at`` are the server's clock."""

    id: str
    channel: str
    tier: Tier
    created_at: datetime
    customer_id: str | None
    contact_name: str | None
    assigned_rep_id: str | None
    assigned_at: datetime | None
    first_touch_at: datetime | None

    @classmethod
    def of(cls, lead: Lead) -> LeadPublic:
        return cls(id=lead.id, channel=lead.channel, tier=lead.tier,
                   created_at=lead.created_at, customer_id=lead.customer_id,
                   contact_name=lead.contact_name, assigned_rep_id=lead.assigned_rep_id,
                   assigned_at=lead.assigned_at, first_touch_at=lead.first_touch_at)


class LeadDetailPublic(LeadPublic):
    """A lead with every touch, oldest first."""

    touches: list[LeadTouchPublic]

    @classmethod
    def with_touches(cls, lead: Lead, touches: list[LeadTouch]) -> LeadDetailPublic:
        return cls(**LeadPublic.of(lead).model_dump(),
                   touches=[LeadTouchPublic.of(touch) for touch in touches])


class LeadsPublic(BaseModel):
    """One page of leads (newest intake first); ``count`` matches in all pages."""

    data: list[LeadPublic]
    count: int


class ContactPut(FiniteBody):
    """``POST /v1/contacts``: create a customer's contact, or update it under the same id
    (a contact stays with its customer)."""

    model_config = _STRICT

    id: str = _ID
    customer_id: str = Field(max_length=128)
    name: str = Field(max_length=200, examples=["Dr Zhang"])
    role: DecisionRole


class ContactPublic(BaseModel):
    id: str
    customer_id: str
    name: str
    role: DecisionRole

    @classmethod
    def of(cls, contact: Contact) -> ContactPublic:
        return cls(id=contact.id, customer_id=contact.customer_id, name=contact.name,
                   role=contact.role)


class ContactsPublic(BaseModel):
    """One page of contacts (by customer, then name); ``count`` matches in all pages."""

    data: list[ContactPublic]
    count: int


class ActionState(StrEnum):
    """A next action is ``open`` until someone marks it ``done``."""

    OPEN = "open"
    DONE = "done"


class ActionComplete(FiniteBody):
    """``POST /v1/actions/{checkin_id}/complete``: when the action was done (not in the
    future, not before the visit began), with an optional note and, for an action the
    system had pushed to the rep by then, the rep's one-sentence strategy (required:
    ``STRATEGY_REQUIRED``; see :mod:`visitproof.pushed_actions`)."""

    model_config = _STRICT

    completed_at: ClientInstant
    note: str | None = Field(default=None, max_length=2000,
                             examples=["draft contract sent by e-mail"])
    strategy: str | None = Field(
        default=None, max_length=STRATEGY_MAX_LENGTH,
        description="One sentence: the core strategy for this follow-up. Required when the "
                    "action was pushed (completed_at at or after pushed_at); at most "
                    f"{STRATEGY_MAX_LENGTH} characters, no second sentence "
                    "(STRATEGY_NOT_ONE_SENTENCE).",
        examples=["Lead with the DSA uptime figures, since Dr Zhang cares most about "
                  "downtime."])


class ActionPublic(BaseModel):
    """A check-in's next action and, once done, who completed it when."""

    checkin_id: UUID
    rep_id: str
    customer_id: str
    checkin_status: CheckinStatus
    text: str
    kind: NextActionKind
    due_at: datetime
    contact_id: str | None
    state: ActionState
    completed_at: datetime | None
    completed_by: str | None
    note: str | None
    pushed_at: datetime = Field(
        description="When the system pushes (pushed) the action to the rep: push_lead "
                    "(24 h) before due_at.")
    pushed: bool = Field(description="Pushed by now (an open action) or by its completion "
                                     "(a done one).")
    strategy_required: bool = Field(
        description="Completing it now (open) needs, or its completion needed (done), a "
                    "one-sentence strategy: the same as pushed.")
    strategy: str | None = Field(description="The rep's one sentence, once done.")

    @classmethod
    def of(cls, checkin: Checkin, outcome: ActionOutcome | None,
           now: datetime) -> ActionPublic:
        """The action as listed at ``now`` (UTC): an open action is judged pushed at
        ``now``, a done one at its completion."""
        action = checkin.next_action
        pushed = pushed_actions.requires_strategy(action.due_at,
                                   now if outcome is None else outcome.completed_at)
        return cls(checkin_id=checkin.id, rep_id=checkin.rep_id,
                   customer_id=checkin.customer_id,
                   checkin_status=checkin_verdict(checkin).status,
                   text=action.text, kind=action.kind, due_at=action.due_at,
                   contact_id=action.contact_id,
                   state=ActionState.OPEN if outcome is None else ActionState.DONE,
                   completed_at=None if outcome is None else outcome.completed_at,
                   completed_by=None if outcome is None else outcome.completed_by,
                   note=None if outcome is None else outcome.note,
                   pushed_at=pushed_actions.pushed_at(action.due_at), pushed=pushed,
                   strategy_required=pushed,
                   strategy=None if outcome is None else outcome.strategy)


class ActionsPublic(BaseModel):
    """One page of next actions (earliest due first); ``count`` matches in all pages."""

    data: list[ActionPublic]
    count: int

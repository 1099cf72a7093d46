"""CRM records: contacts at customers, leads and their touches, and next actions marked
done (:class:`ActionOutcome`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from visitproof.errors import InvalidValue
from visitproof.pushed_actions import require_strategy_sentence
from visitproof.records._validation import (
    normalise,
    one_of,
    optional_ids,
    optional_utc,
    require_ids,
    short_text,
)
from visitproof.records.reference import Tier
from visitproof.values import require_utc


class DecisionRole(StrEnum):
    """Decision-maker roles; customer penetration counts distinct roles touched."""

    DEPARTMENT_HEAD = "department_head"
    EQUIPMENT_HEAD = "equipment_head"
    IT_ENGINEER = "it_engineer"
    PURCHASING_OFFICER = "purchasing_officer"
    STORE_MANAGER = "store_manager"
    CATEGORY_MANAGER = "category_manager"
    PHARMACIST = "pharmacist"
    HEAD_NURSE = "head_nurse"
    OWNER = "owner"
    FINANCE = "finance"



class TouchKind(StrEnum):
    """How a lead was touched: a verified visit, a logged call or a message."""

    VISIT = "visit"
    CALL = "call"
    MESSAGE = "message"



@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A person at a customer, with the decision role they play."""

    tenant_id: str
    id: str
    customer_id: str
    name: str
    role: DecisionRole

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "id", "customer_id")
        normalise(self, name=short_text, role=one_of(DecisionRole))


@dataclass(frozen=True, slots=True, kw_only=True)
class Lead:
    """A sales lead. Channel and tier are mandatory; the first-touch clock starts at
    ``created_at`` (intake)."""

    tenant_id: str
    id: str
    channel: str
    tier: Tier
    created_at: datetime
    customer_id: str | None = None
    contact_name: str | None = None
    assigned_rep_id: str | None = None
    assigned_at: datetime | None = None
    first_touch_at: datetime | None = None

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "id")
        normalise(self, channel=short_text, tier=one_of(Tier), created_at=require_utc)
        optional_ids(self, "customer_id", "assigned_rep_id")
        optional_utc(self, "assigned_at", "first_touch_at")
        if self.first_touch_at is not None and self.first_touch_at < self.created_at:
            raise InvalidValue("first_touch_at", "is before the lead was created",
                               code="TIME_ORDER")


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadTouch:
    """One touch of a lead: a verified visit (``checkin_id`` set), a call or a message."""

    tenant_id: str
    id: str
    lead_id: str
    rep_id: str
    kind: TouchKind
    at: datetime
    checkin_id: UUID | None = None

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "id", "lead_id", "rep_id")
        normalise(self, kind=one_of(TouchKind), at=require_utc)



@dataclass(frozen=True, slots=True, kw_only=True)
class ActionOutcome:
    """A next action marked done: when and by whom (user id), with an optional note and the
    rep's one-sentence ``strategy`` (required by :mod:`visitproof.pushed_actions` when the
    action had been pushed before it was done; None on history from before that rule)."""

    tenant_id: str
    checkin_id: UUID
    completed_at: datetime
    completed_by: str
    note: str | None = None
    strategy: str | None = None

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "completed_by")
        normalise(self, completed_at=require_utc)
        if self.strategy is not None:
            normalise(self, strategy=require_strategy_sentence)

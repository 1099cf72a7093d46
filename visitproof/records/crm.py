"""CRM records: contacts at customers, leads and their touches, and next actions marked
done (:class:`ActionOutcome`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from visitproof.errors import InvalidValue
from visitproof.records._validation import (
    enum_member,
    optional_ids,
    optional_utc,
    require_ids,
)
from visitproof.records.reference import Tier
from visitproof.values import require_text, require_utc


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
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        object.__setattr__(self, "role", enum_member(DecisionRole, self.role, "role"))


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
        object.__setattr__(self, "channel",
                           require_text(self.channel, "channel", max_length=200))
        object.__setattr__(self, "tier", enum_member(Tier, self.tier, "tier"))
        object.__setattr__(self, "created_at", require_utc(self.created_at, "created_at"))
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
        object.__setattr__(self, "kind", enum_member(TouchKind, self.kind, "kind"))
        object.__setattr__(self, "at", require_utc(self.at, "at"))



@dataclass(frozen=True, slots=True, kw_only=True)
class ActionOutcome:
    """A next action marked done: when and by whom (user id)."""

    tenant_id: str
    checkin_id: UUID
    completed_at: datetime
    completed_by: str
    note: str | None = None

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "completed_by")
        object.__setattr__(self, "completed_at", require_utc(self.completed_at,
                                                             "completed_at"))

"""Check-in records: the three-element check-in (shelf photo, commitment, next action)
bound to a GPS fix, and the verifications that judge it.

Frozen dataclasses, validated when built, tz-aware UTC everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from uuid import UUID

from visitproof.errors import InvalidValue
from visitproof.records._validation import (
    enum_member,
    normalise,
    one_of,
    optional_ids,
    optional_utc,
    require_ids,
)
from visitproof.records.reference import GeoPoint
from visitproof.values import (
    require_lat,
    require_lon,
    require_non_negative,
    require_sha256,
    require_text,
    require_utc,
)


class NextActionKind(StrEnum):
    """What the rep promised to do next. ``waiting_for_customer`` is recorded, but it is not
    a real next action: five in a row raise a warning."""

    CALL = "call"
    MEETING = "meeting"
    SEND_DOCUMENT = "send_document"
    SEND_QUOTE = "send_quote"
    DEMO = "demo"
    TRIAL = "trial"
    DELIVERY = "delivery"
    VISIT = "visit"
    WAITING_FOR_CUSTOMER = "waiting_for_customer"


class LocationProvider(StrEnum):
    """Where the phone says its fix came from."""

    GPS = "gps"
    NETWORK = "network"
    FUSED = "fused"
    UNKNOWN = "unknown"


class CheckinStatus(StrEnum):
    """``received``: stored, not yet judged. Only ``verified`` check-ins count for PHI."""

    RECEIVED = "received"
    VERIFIED = "verified"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"



@dataclass(frozen=True, slots=True, kw_only=True)
class GpsFix:
    """The phone's position when checking in.

    ``accuracy_m`` is the phone's reported horizontal accuracy (metres, 68% radius);
    ``is_mock`` is the OS mock-location flag (Android ``isMock``/``isFromMockProvider``).
    """

    lat: float
    lon: float
    accuracy_m: float
    fix_time: datetime
    provider: LocationProvider = LocationProvider.UNKNOWN
    is_mock: bool = False

    def __post_init__(self) -> None:
        normalise(self, lat=require_lat, lon=require_lon, accuracy_m=require_non_negative,
                  fix_time=require_utc, provider=one_of(LocationProvider))

    @property
    def point(self) -> GeoPoint:
        return GeoPoint(lat=self.lat, lon=self.lon)


@dataclass(frozen=True, slots=True, kw_only=True)
class Commitment:
    """What the customer agreed to, e.g. "agrees to a trial in the DSA unit before 15 March"."""

    text: str
    contract_number: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", require_text(self.text, "commitment.text"))
        if self.contract_number is not None:
            object.__setattr__(self, "contract_number", require_text(
                self.contract_number, "commitment.contract_number", max_length=100))


@dataclass(frozen=True, slots=True, kw_only=True)
class NextAction:
    """The concrete next step: what, by when (UTC), with whom."""

    text: str
    due_at: datetime
    kind: NextActionKind
    contact_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", require_text(self.text, "next_action.text"))
        object.__setattr__(self, "due_at", require_utc(self.due_at, "next_action.due_at"))
        object.__setattr__(self, "kind", enum_member(NextActionKind, self.kind, "next_action.kind"))
        optional_ids(self, "contact_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """Why a check failed or needs a look: a stable ``code`` and a message for people."""

    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    """One judgement of one check-in by one checker (``shelf``, ``fix``, ``evidence``, ...;
    ``review``: a person's decision, which overrides the others, see
    :mod:`visitproof.verdicts`), stamped with the versions that produced it.
    Re-verification and reviews add rows; history is never overwritten.

    ``rules_version`` is the version of the tenant's rule set the judgement applied (None:
    the built-in defaults, or a row written before rule sets existed).
    """

    checkin_id: UUID
    checker: str
    status: CheckinStatus
    reasons: tuple[Reason, ...]
    model_version: str | None
    policy_version: str
    verified_at: datetime
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    rules_version: int | None = None

    def __post_init__(self) -> None:
        normalise(self, status=one_of(CheckinStatus), verified_at=require_utc)
        object.__setattr__(self, "reasons", tuple(self.reasons))
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkin:
    """The three-element check-in: shelf photo, commitment, next action, bound to a fix.

    ``id`` is generated by the phone, so retries are idempotent. ``submitted_at`` is the
    server clock at receipt; ``device_submitted_at`` is the phone's clock at the same
    moment, kept to estimate clock skew. ``photo_phash`` is the photo's 64-bit perceptual
    hash (unsigned), once decoded.
    """

    tenant_id: str
    id: UUID
    rep_id: str
    customer_id: str
    arrived_at: datetime
    departed_at: datetime
    photo_captured_at: datetime
    submitted_at: datetime
    fix: GpsFix
    photo_sha256: str
    commitment: Commitment
    next_action: NextAction
    device_submitted_at: datetime | None = None
    photo_phash: int | None = None
    status: CheckinStatus = CheckinStatus.RECEIVED
    verifications: tuple[Verification, ...] = ()

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "rep_id", "customer_id")
        if not isinstance(self.id, UUID):
            raise InvalidValue("id", "must be a UUID generated by the phone",
                               code="BAD_IDENTIFIER")
        normalise(self, arrived_at=require_utc, departed_at=require_utc,
                  photo_captured_at=require_utc, submitted_at=require_utc)
        optional_utc(self, "device_submitted_at")
        require_sha256(self.photo_sha256)
        if self.photo_phash is not None and not 0 <= self.photo_phash < 1 << 64:
            raise InvalidValue("photo_phash", "must be an unsigned 64-bit integer",
                               code="BAD_NUMBER")
        normalise(self, status=one_of(CheckinStatus))
        object.__setattr__(self, "verifications", tuple(self.verifications))

    def latest(self, checker: str) -> Verification | None:
        """The newest verification by ``checker`` (``shelf``, ``fix``, ``evidence``; None:
        it has none). Re-verification appends beside the old ones; the last one stands."""
        for verification in reversed(self.verifications):
            if verification.checker == checker:
                return verification
        return None

    def latest_verifications(self) -> dict[str, Verification]:
        """Each checker's newest verification, keyed by checker (in the order the checkers
        first judged this check-in)."""
        return {verification.checker: verification for verification in self.verifications}


NEXT_ACTION_HORIZON = timedelta(days=366)
"""How long after the visit's departure a next action may fall due: a year, leap day
included. One due later (year 9999) could never be overdue, so it would never lower the
action-closure rate."""


def require_due_in_reach(checkin: Checkin, field: str = "next_action.due_at") -> Checkin:
    """``checkin`` unless its next action is due before the visit's departure (422
    ``TIME_ORDER``: the next step comes after the visit) or more than
    :data:`NEXT_ACTION_HORIZON` after it (``DUE_TOO_FAR``). Checked where a check-in is
    taken in (the upload), not when a record is built, so rows stored before the rule
    existed still read back."""
    due, departed = checkin.next_action.due_at, checkin.departed_at
    if due < departed:
        raise InvalidValue(field, f"{due.isoformat()} is before the visit's departure "
                           f"({departed.isoformat()}); a next action falls due after the "
                           "visit", code="TIME_ORDER")
    if due - departed > NEXT_ACTION_HORIZON:  # a difference: no overflow near year 9999
        raise InvalidValue(field, f"{due.isoformat()} is more than "
                           f"{NEXT_ACTION_HORIZON.days} days after the visit's departure "
                           f"({departed.isoformat()}); agree on a step within a year",
                           code="DUE_TOO_FAR")
    return checkin


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFix:
    """What the fix check needs of a rep's earlier check-in: its fix, its status and the
    reason codes of its latest ``fix`` verification (None: it has none). The store reads
    these without the check-ins' other columns and verifications."""

    checkin_id: UUID
    fix: GpsFix
    status: CheckinStatus
    fix_reason_codes: tuple[str, ...] | None = None

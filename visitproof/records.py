"""The domain records: what a distributor, its reps, customers, leads and check-ins are.

Frozen dataclasses, validated when built (:mod:`visitproof.values` raises
:class:`~visitproof.errors.InvalidValue` with a stable code), tz-aware UTC everywhere.
Geometries are Shapely objects in WGS 84 longitude/latitude (EPSG:4326); anything metric is
computed by ``geo/`` after projecting.

Every record carries ``tenant_id``: one tenant is one distributor, and no query crosses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar
from uuid import UUID

from shapely.geometry.base import BaseGeometry

from visitproof.errors import InvalidValue
from visitproof.values import (
    require_identifier,
    require_lat,
    require_lon,
    require_non_negative,
    require_sha256,
    require_text,
    require_timezone,
    require_utc,
)


class CustomerType(StrEnum):
    """What kind of place a customer is. Golden-zone rules and geofence radii key on it."""

    SUPERMARKET = "supermarket"
    HYPERMARKET = "hypermarket"
    CONVENIENCE_STORE = "convenience_store"
    PHARMACY = "pharmacy"
    HOSPITAL_DEPARTMENT = "hospital_department"
    CLINIC = "clinic"
    WHOLESALER = "wholesaler"


class Tier(StrEnum):
    """Potential tier. For leads: A already buys a competitor's equivalent, B a decision
    maker said yes in principle, C price enquiry only. Customers use the same scale."""

    A = "A"
    B = "B"
    C = "C"


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


class TouchKind(StrEnum):
    """How a lead was touched: a verified visit, a logged call or a message."""

    VISIT = "visit"
    CALL = "call"
    MESSAGE = "message"


_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True, kw_only=True)
class GeoPoint:
    """A WGS 84 position in decimal degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "lat", require_lat(self.lat))
        object.__setattr__(self, "lon", require_lon(self.lon))


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    """One distributor. ``timezone`` (IANA) decides periods and "within 24 h" for PHI."""

    id: str
    name: str
    timezone: str = "Asia/Shanghai"
    created_at: datetime

    def __post_init__(self) -> None:
        require_identifier(self.id, "id")
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        require_timezone(self.timezone)
        object.__setattr__(self, "created_at", require_utc(self.created_at, "created_at"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    """A sales team within a region, led by a manager (a user id)."""

    tenant_id: str
    id: str
    name: str
    region: str | None = None
    manager_id: str | None = None

    def __post_init__(self) -> None:
        _ids(self, "tenant_id", "id")
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        _optional_ids(self, "manager_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class Territory:
    """A named area a rep is responsible for: a (Multi)Polygon in lon/lat."""

    tenant_id: str
    id: str
    name: str
    area: BaseGeometry

    def __post_init__(self) -> None:
        _ids(self, "tenant_id", "id")
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        _require_areal(self.area, "area")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rep:
    """A field sales representative."""

    tenant_id: str
    id: str
    name: str
    team_id: str | None = None
    manager_id: str | None = None
    territory_id: str | None = None
    active: bool = True

    def __post_init__(self) -> None:
        _ids(self, "tenant_id", "id")
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        _optional_ids(self, "team_id", "manager_id", "territory_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """A store or hospital department that reps visit.

    ``geofence_radius_m`` is how far (metres) a check-in fix may be from ``location`` or
    ``footprint``, before the fix's own accuracy is added as tolerance.
    """

    tenant_id: str
    id: str
    name: str
    type: CustomerType
    tier: Tier
    location: GeoPoint
    footprint: BaseGeometry | None = None
    geofence_radius_m: float = 150.0
    territory_id: str | None = None
    assigned_rep_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _ids(self, "tenant_id", "id")
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        object.__setattr__(self, "type", _enum(CustomerType, self.type, "type"))
        object.__setattr__(self, "tier", _enum(Tier, self.tier, "tier"))
        if self.footprint is not None:
            _require_areal(self.footprint, "footprint")
        radius = require_non_negative(self.geofence_radius_m, "geofence_radius_m")
        if not 10.0 <= radius <= 5000.0:
            raise InvalidValue("geofence_radius_m",
                               f"must be between 10 and 5000 metres, got {radius}",
                               code="BAD_NUMBER")
        object.__setattr__(self, "geofence_radius_m", radius)
        _optional_ids(self, "territory_id")
        for rep_id in self.assigned_rep_ids:
            require_identifier(rep_id, "assigned_rep_ids")
        if len(set(self.assigned_rep_ids)) != len(self.assigned_rep_ids):
            raise InvalidValue("assigned_rep_ids", "lists a rep twice", code="DUPLICATE_ID")


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    """A person at a customer, with the decision role they play."""

    tenant_id: str
    id: str
    customer_id: str
    name: str
    role: DecisionRole

    def __post_init__(self) -> None:
        _ids(self, "tenant_id", "id", "customer_id")
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        object.__setattr__(self, "role", _enum(DecisionRole, self.role, "role"))


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
        _ids(self, "tenant_id", "id")
        object.__setattr__(self, "channel",
                           require_text(self.channel, "channel", max_length=200))
        object.__setattr__(self, "tier", _enum(Tier, self.tier, "tier"))
        object.__setattr__(self, "created_at", require_utc(self.created_at, "created_at"))
        _optional_ids(self, "customer_id", "assigned_rep_id")
        _optional_utc(self, "assigned_at", "first_touch_at")
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
        _ids(self, "tenant_id", "id", "lead_id", "rep_id")
        object.__setattr__(self, "kind", _enum(TouchKind, self.kind, "kind"))
        object.__setattr__(self, "at", require_utc(self.at, "at"))


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
        object.__setattr__(self, "lat", require_lat(self.lat))
        object.__setattr__(self, "lon", require_lon(self.lon))
        object.__setattr__(self, "accuracy_m", require_non_negative(self.accuracy_m,
                                                                    "accuracy_m"))
        object.__setattr__(self, "fix_time", require_utc(self.fix_time, "fix_time"))
        object.__setattr__(self, "provider",
                           _enum(LocationProvider, self.provider, "provider"))

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
        object.__setattr__(self, "kind", _enum(NextActionKind, self.kind, "next_action.kind"))
        _optional_ids(self, "contact_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """Why a check failed or needs a look: a stable ``code`` and a message for people."""

    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    """One judgement of one check-in by one checker (``shelf`` or ``fix``), stamped with the
    versions that produced it. Re-verification adds rows; history is never overwritten."""

    checkin_id: UUID
    checker: str
    status: CheckinStatus
    reasons: tuple[Reason, ...]
    model_version: str | None
    policy_version: str
    verified_at: datetime
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", _enum(CheckinStatus, self.status, "status"))
        object.__setattr__(self, "verified_at", require_utc(self.verified_at, "verified_at"))
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
        _ids(self, "tenant_id", "rep_id", "customer_id")
        if not isinstance(self.id, UUID):
            raise InvalidValue("id", "must be a UUID generated by the phone",
                               code="BAD_IDENTIFIER")
        for name in ("arrived_at", "departed_at", "photo_captured_at", "submitted_at"):
            object.__setattr__(self, name, require_utc(getattr(self, name), name))
        _optional_utc(self, "device_submitted_at")
        require_sha256(self.photo_sha256)
        if self.photo_phash is not None and not 0 <= self.photo_phash < 1 << 64:
            raise InvalidValue("photo_phash", "must be an unsigned 64-bit integer",
                               code="BAD_NUMBER")
        object.__setattr__(self, "status", _enum(CheckinStatus, self.status, "status"))
        object.__setattr__(self, "verifications", tuple(self.verifications))


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredFix:
    """What the fix check needs of a rep's earlier check-in: its fix, its status and the
    reason codes of its latest ``fix`` verification (None: it has none). The store reads
    these without the check-ins' other columns and verifications."""

    checkin_id: UUID
    fix: GpsFix
    status: CheckinStatus
    fix_reason_codes: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionOutcome:
    """A next action marked done: when and by whom (user id)."""

    tenant_id: str
    checkin_id: UUID
    completed_at: datetime
    completed_by: str
    note: str | None = None

    def __post_init__(self) -> None:
        _ids(self, "tenant_id", "completed_by")
        object.__setattr__(self, "completed_at", require_utc(self.completed_at,
                                                             "completed_at"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """A SKU. ``reference_sha256`` lists its reference pack shots in the photo store."""

    tenant_id: str
    sku: str
    name: str
    brand: str | None = None
    reference_sha256: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _ids(self, "tenant_id", "sku")
        object.__setattr__(self, "name", require_text(self.name, "name", max_length=200))
        for digest in self.reference_sha256:
            require_sha256(digest, "reference_sha256")


def _ids(record: object, *names: str) -> None:
    for name in names:
        require_identifier(getattr(record, name), name)


def _optional_ids(record: object, *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if value is not None:
            require_identifier(value, name)


def _optional_utc(record: object, *names: str) -> None:
    for name in names:
        value = getattr(record, name)
        if value is not None:
            object.__setattr__(record, name, require_utc(value, name))


def _enum(kind: type[_E], value: object, field_name: str) -> _E:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value)) if isinstance(value, str) else kind(value)  # type: ignore[arg-type]
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidValue(field_name, f"unknown value {value!r}; expected one of: {allowed}",
                           code="UNKNOWN_ENUM_VALUE") from None


def _require_areal(geometry: BaseGeometry, field_name: str) -> None:
    if not isinstance(geometry, BaseGeometry) or geometry.geom_type not in (
            "Polygon", "MultiPolygon"):
        raise InvalidValue(field_name, "must be a Polygon or MultiPolygon",
                           code="BAD_GEOMETRY")
    if geometry.is_empty or not geometry.is_valid:
        raise InvalidValue(field_name, "polygon is empty or self-intersecting",
                           code="BAD_GEOMETRY")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InvalidValue(field_name, "coordinates must be lon/lat degrees (EPSG:4326)",
                           code="BAD_GEOMETRY")

"""Reference records: the tenant (one distributor), its teams, territories, reps,
customers and products, plus :class:`GeoPoint`.

Frozen dataclasses, validated when built; geometries are Shapely objects in WGS 84
longitude/latitude (EPSG:4326).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shapely.geometry.base import BaseGeometry

from visitproof.errors import InvalidValue
from visitproof.records._validation import (
    normalise,
    one_of,
    optional_ids,
    require_areal,
    require_ids,
    short_text,
)
from visitproof.values import (
    require_identifier,
    require_lat,
    require_lon,
    require_non_negative,
    require_sha256,
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



@dataclass(frozen=True, slots=True, kw_only=True)
class GeoPoint:
    """A WGS 84 position in decimal degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        normalise(self, lat=require_lat, lon=require_lon)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    """One distributor. ``timezone`` (IANA) decides periods and "within 24 h" for PHI."""

    id: str
    name: str
    timezone: str = "Asia/Shanghai"
    created_at: datetime

    def __post_init__(self) -> None:
        require_identifier(self.id, "id")
        normalise(self, name=short_text, created_at=require_utc)
        require_timezone(self.timezone)


@dataclass(frozen=True, slots=True, kw_only=True)
class Team:
    """A sales team within a region, led by a manager (a user id)."""

    tenant_id: str
    id: str
    name: str
    region: str | None = None
    manager_id: str | None = None

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "id")
        normalise(self, name=short_text)
        optional_ids(self, "manager_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class Territory:
    """A named area a rep is responsible for: a (Multi)Polygon in lon/lat."""

    tenant_id: str
    id: str
    name: str
    area: BaseGeometry

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "id")
        normalise(self, name=short_text)
        require_areal(self.area, "area")


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
        require_ids(self, "tenant_id", "id")
        normalise(self, name=short_text)
        optional_ids(self, "team_id", "manager_id", "territory_id")


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
        require_ids(self, "tenant_id", "id")
        normalise(self, name=short_text, type=one_of(CustomerType), tier=one_of(Tier))
        if self.footprint is not None:
            require_areal(self.footprint, "footprint")
        radius = require_non_negative(self.geofence_radius_m, "geofence_radius_m")
        if not 10.0 <= radius <= 5000.0:
            raise InvalidValue("geofence_radius_m",
                               f"must be between 10 and 5000 metres, got {radius}",
                               code="BAD_NUMBER")
        object.__setattr__(self, "geofence_radius_m", radius)
        optional_ids(self, "territory_id")
        for rep_id in self.assigned_rep_ids:
            require_identifier(rep_id, "assigned_rep_ids")
        if len(set(self.assigned_rep_ids)) != len(self.assigned_rep_ids):
            raise InvalidValue("assigned_rep_ids", "lists a rep twice", code="DUPLICATE_ID")



@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """A SKU. ``reference_sha256`` lists its reference pack shots in the photo store."""

    tenant_id: str
    sku: str
    name: str
    brand: str | None = None
    reference_sha256: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "sku")
        normalise(self, name=short_text)
        for digest in self.reference_sha256:
            require_sha256(digest, "reference_sha256")

"""The domain records: what a distributor, its reps, customers, leads and check-ins are.

Frozen dataclasses, validated when built (:mod:`visitproof.values` raises
:class:`~visitproof.errors.InvalidValue` with a stable code), tz-aware UTC everywhere.
Geometries are Shapely objects in WGS 84 longitude/latitude (EPSG:4326); anything metric is
computed by ``geo/`` after projecting.

Every record carries ``tenant_id``: one tenant is one distributor, and no query crosses it.
One module per aggregate: :mod:`.reference` (tenant, teams, territories, reps, customers,
products), :mod:`.checkins` (check-ins and their verifications), :mod:`.crm` (contacts,
leads, touches, action outcomes) and :mod:`.commerce` (orders, stock counts, competitor
promotions: the visit pack's imported data); this package re-exports them all.
"""

from visitproof.records.checkins import (
    NEXT_ACTION_HORIZON,
    Checkin,
    CheckinStatus,
    Commitment,
    GpsFix,
    LocationProvider,
    NextAction,
    NextActionKind,
    Reason,
    StoredFix,
    Verification,
    require_due_in_reach,
)
from visitproof.records.commerce import Order, Promotion, StockLevel
from visitproof.records.crm import (
    ActionOutcome,
    Contact,
    DecisionRole,
    Lead,
    LeadTouch,
    TouchKind,
)
from visitproof.records.reference import (
    Customer,
    CustomerType,
    GeoPoint,
    Product,
    Rep,
    Team,
    Tenant,
    Territory,
    Tier,
)
from visitproof.records.visit_notes import (
    NoteAudio,
    NoteLanguage,
    VisitNote,
    VisitNoteStatus,
)

__all__ = [
    "NEXT_ACTION_HORIZON",
    "ActionOutcome",
    "Checkin",
    "CheckinStatus",
    "Commitment",
    "Contact",
    "Customer",
    "CustomerType",
    "DecisionRole",
    "GeoPoint",
    "GpsFix",
    "Lead",
    "LeadTouch",
    "LocationProvider",
    "NextAction",
    "NextActionKind",
    "NoteAudio",
    "NoteLanguage",
    "Order",
    "Product",
    "Promotion",
    "Reason",
    "Rep",
    "StockLevel",
    "StoredFix",
    "Team",
    "Tenant",
    "Territory",
    "Tier",
    "TouchKind",
    "Verification",
    "VisitNote",
    "VisitNoteStatus",
    "require_due_in_reach",
]

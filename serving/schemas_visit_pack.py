"""The HTTP shape of the visit pack (``GET /v1/customers/{customer_id}/visit-pack``).

Built from :class:`application.visit_pack.VisitPack`; times are UTC (ISO 8601 with ``Z``),
days are the tenant's local calendar days. Every section that may be empty carries an
``empty`` text saying so (null when it has content), so a page or a phone can show it as is.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, Field

from application.visit_pack import VisitPack
from visitproof.records import CheckinStatus, CustomerType, DecisionRole, Tier


class PackCustomerPublic(BaseModel):
    id: str
    name: str
    type: CustomerType
    tier: Tier


class PackOrderPublic(BaseModel):
    id: str
    ordered_at: datetime
    sku: str
    quantity: int
    amount: float
    currency: str | None


class PackStockPublic(BaseModel):
    sku: str
    units: int
    counted_at: datetime


class PackPromotionPublic(BaseModel):
    id: str
    competitor: str
    product: str = Field(description="A SKU or a product category, as imported.")
    description: str
    starts_on: date
    ends_on: date


class PackActionPublic(BaseModel):
    checkin_id: UUID
    rep_id: str
    commitment: str
    contract_number: str | None
    next_action: str
    kind: str
    due_at: datetime
    contact_id: str | None
    overdue: bool


class PackRoleTouchPublic(BaseModel):
    role: DecisionRole
    contact_id: str
    contact_name: str
    checkin_id: UUID
    departed_at: datetime


class PackMissingRolePublic(BaseModel):
    role: DecisionRole
    contact_ids: list[str]
    contact_names: list[str]


class PackPenetrationPublic(BaseModel):
    window_start: datetime
    window_end: datetime
    touched: list[PackRoleTouchPublic]
    missing: list[PackMissingRolePublic]
    empty: str | None


class PackShelfRulesPublic(BaseModel):
    rules_version: int | None = Field(description="The director's rules version; null: no "
                                      "rules (every registered SKU featured, default zone).")
    featured: list[str]
    fixture_type: str
    golden_zone_version: str
    golden_zone: str = Field(description="The golden-zone rule in words.")
    required_evidence: list[str]
    empty: str | None


class PackLastVerifiedPublic(BaseModel):
    checkin_id: UUID
    rep_id: str
    departed_at: datetime
    status: CheckinStatus
    reason_codes: list[str]
    photo_stored: bool
    photo_url: str = Field(description="GET it with the same token (404 when not stored).")


class VisitPackPublic(BaseModel):
    """The pre-visit brief of one customer."""

    customer: PackCustomerPublic
    timezone: str
    region: str | None
    month: str = Field(description="The tenant's local month (YYYY-MM) of generated_at.")
    generated_at: datetime
    orders: list[PackOrderPublic] = Field(description="The last three, newest first.")
    orders_empty: str | None
    stock: list[PackStockPublic] = Field(description="Each SKU's latest count, by SKU.")
    stock_empty: str | None
    promotions: list[PackPromotionPublic]
    promotions_empty: str | None
    open_actions: list[PackActionPublic] = Field(description="Earliest due first.")
    open_action_count: int
    open_actions_empty: str | None
    penetration: PackPenetrationPublic
    shelf_rules: PackShelfRulesPublic
    last_verified: PackLastVerifiedPublic | None
    last_verified_empty: str | None

    @classmethod
    def of(cls, pack: VisitPack) -> VisitPackPublic:
        customer, shelf, roles = pack.customer, pack.shelf_rules, pack.penetration
        last = pack.last_verified
        return cls(
            customer=PackCustomerPublic(id=customer.id, name=customer.name,
                                        type=customer.type, tier=customer.tier),
            timezone=pack.timezone, region=pack.region, month=pack.month,
            generated_at=pack.generated_at,
            orders=[PackOrderPublic(id=o.id, ordered_at=o.ordered_at, sku=o.sku,
                                    quantity=o.quantity, amount=o.amount, currency=o.currency)
                    for o in pack.orders],
            orders_empty=pack.empty("orders"),
            stock=[PackStockPublic(sku=s.sku, units=s.units, counted_at=s.counted_at)
                   for s in pack.stock],
            stock_empty=pack.empty("stock"),
            promotions=[PackPromotionPublic(id=p.id, competitor=p.competitor,
                                            product=p.product, description=p.description,
                                            starts_on=p.starts_on, ends_on=p.ends_on)
                        for p in pack.promotions],
            promotions_empty=pack.empty("promotions"),
            open_actions=[PackActionPublic(
                checkin_id=a.checkin_id, rep_id=a.rep_id, commitment=a.commitment,
                contract_number=a.contract_number, next_action=a.next_action, kind=a.kind,
                due_at=a.due_at, contact_id=a.contact_id, overdue=a.overdue)
                for a in pack.open_actions],
            open_action_count=pack.open_action_count,
            open_actions_empty=pack.empty("open_actions"),
            penetration=PackPenetrationPublic(
                window_start=roles.window_start, window_end=roles.window_end,
                touched=[PackRoleTouchPublic(role=t.role, contact_id=t.contact_id,
                                             contact_name=t.contact_name,
                                             checkin_id=t.checkin_id,
                                             departed_at=t.departed_at)
                         for t in roles.touched],
                missing=[PackMissingRolePublic(role=m.role,
                                               contact_ids=[c[0] for c in m.contacts],
                                               contact_names=[c[1] for c in m.contacts])
                         for m in roles.missing],
                empty=pack.empty("roles")),
            shelf_rules=PackShelfRulesPublic(
                rules_version=shelf.rules_version, featured=list(shelf.featured),
                fixture_type=shelf.fixture_type, golden_zone_version=shelf.golden_zone.version,
                golden_zone=shelf.golden_zone_text,
                required_evidence=list(shelf.required_evidence),
                empty=pack.empty("featured")),
            last_verified=None if last is None else PackLastVerifiedPublic(
                checkin_id=last.checkin_id, rep_id=last.rep_id, departed_at=last.departed_at,
                status=last.status, reason_codes=list(last.reason_codes),
                photo_stored=last.photo_stored,
                photo_url=f"/v1/checkins/{last.checkin_id}/photo"),
            last_verified_empty=pack.empty("last_verified"))

"""The visit pack: the one-page brief a rep reads before walking into a customer.

Built from the store in one read transaction, for one customer, in the caller's scope
(``rep_ids``: the reps whose records the caller may see, None for the whole tenant, as
``serving.auth.visible_rep_ids`` says):

* the customer (id, name, type, tier) and the region of its team (the primary assigned rep's
  team region; the caller's own when the caller is one of its reps);
* its last three orders, newest first, and the current stock per SKU (each SKU's latest
  count), both imported (``visitproof import orders|stock``);
* the competitors' promotions of the region running on any day of the current month (the
  tenant's time zone, local calendar month of ``now``);
* the open commitments and next actions at this customer: what ``GET /v1/actions?state=open
  &customer_id=...`` lists (:meth:`visitproof.store.Crm.next_actions_page`), earliest due
  first;
* the decision roles touched there and those missing, by PHI's definition of a role touch
  (:func:`phi.components.penetration`: a verified check-in of an assigned rep in the trailing
  ``ComponentRules.penetration_days`` local days whose next action names a contact of this
  customer; the role is that contact's); "missing" are the roles of the customer's contacts
  that no such check-in touched;
* this month's featured SKUs of the region and the golden-zone rule of the default fixture
  type (the director's current rules, :mod:`application.rules`; without rules every
  registered SKU under the default golden zone, as the upload judges them), with the
  evidence the customer's type must carry;
* the last verified check-in (newest submission) with its verdict's reasons
  (:mod:`visitproof.verdicts`) and whether its photo is in the photo store.

Every section may be empty, and says so (``empty`` texts); a customer without any data gets
a pack of empty sections, never an error. An unknown customer, or one outside ``rep_ids``,
is :class:`~visitproof.errors.NotFound` (so ids of other reps' customers don't leak).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from application.reports import tenant_timezone
from application.rule_book import RuleBook
from phi.components import ComponentRules
from phi.periods import local_days_before
from vision.golden_zone import GoldenZonePolicy
from visitproof.errors import NotFound
from visitproof.records import (
    Checkin,
    CheckinStatus,
    Customer,
    DecisionRole,
    Order,
    Promotion,
    StockLevel,
)
from visitproof.store import Commerce, Database, Store, tables
from visitproof.verdicts import checkin_verdict

LAST_ORDERS = 3
#: At most this many open actions are listed (``open_action_count`` says how many there are).
OPEN_ACTIONS_SHOWN = 20

EMPTY = {
    "orders": "no orders imported for this customer",
    "stock": "no stock counts imported for this customer",
    "promotions": "no competitor promotions in this region this month",
    "no_region": "the customer's reps have no team region: no promotions or regional "
                 "featured SKUs apply",
    "open_actions": "no open commitments or next actions at this customer",
    "roles": "no decision role touched by a verified visit in the last {days} days",
    "featured": "no SKUs featured this month",
    "last_verified": "no verified check-in at this customer yet",
}


@dataclass(frozen=True, slots=True)
class OpenAction:
    """An open next action at the customer and the commitment of its check-in."""

    checkin_id: UUID
    rep_id: str
    commitment: str
    contract_number: str | None
    next_action: str
    kind: str
    due_at: datetime
    contact_id: str | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class RoleTouch:
    """A decision role touched: by which contact, on which verified check-in, when."""

    role: DecisionRole
    contact_id: str
    contact_name: str
    checkin_id: UUID
    departed_at: datetime


@dataclass(frozen=True, slots=True)
class MissingRole:
    """A role of the customer's contacts that no verified visit touched in the window."""

    role: DecisionRole
    contacts: tuple[tuple[str, str], ...]  # (contact id, name)


@dataclass(frozen=True, slots=True)
class Penetration:
    """Roles touched and missing over ``[window_start, window_end)`` (UTC)."""

    window_start: datetime
    window_end: datetime
    touched: tuple[RoleTouch, ...]
    missing: tuple[MissingRole, ...]


@dataclass(frozen=True, slots=True)
class ShelfRules:
    """What the next shelf photo will be judged on: this month's featured SKUs of the
    region, the default fixture type's golden zone, the customer type's extra evidence."""

    rules_version: int | None
    featured: tuple[str, ...]
    fixture_type: str
    golden_zone: GoldenZonePolicy
    required_evidence: tuple[str, ...]

    @property
    def golden_zone_text(self) -> str:
        """The golden-zone rule in words: the rows (1 = top) per shelf count, or the band."""
        zone = self.golden_zone
        if zone.height_band_cm is not None and zone.fixture_height_cm:
            low, high = zone.height_band_cm
            rule = (f"{low:g}-{high:g} cm above the floor on a {zone.fixture_height_cm:g} cm "
                    "fixture")
        else:
            rule = "; ".join(f"{count} shelves: row {'+'.join(map(str, rows))}"
                             for count, rows in sorted(zone.rows_by_shelf_count.items()))
        return f"{rule} ({zone.pass_rule.value})"


@dataclass(frozen=True, slots=True)
class LastVerified:
    """The newest verified check-in at the customer in the caller's scope."""

    checkin_id: UUID
    rep_id: str
    departed_at: datetime
    status: CheckinStatus
    reason_codes: tuple[str, ...]
    photo_sha256: str
    photo_stored: bool


@dataclass(frozen=True, slots=True)
class VisitPack:
    """Everything a rep reads before the visit (see the module docstring)."""

    customer: Customer
    timezone: str
    region: str | None
    month: str  # YYYY-MM, the tenant's local month of ``generated_at``
    generated_at: datetime
    orders: tuple[Order, ...]
    stock: tuple[StockLevel, ...]
    promotions: tuple[Promotion, ...]
    open_actions: tuple[OpenAction, ...]
    open_action_count: int
    penetration: Penetration
    shelf_rules: ShelfRules
    last_verified: LastVerified | None

    def empty(self, section: str) -> str | None:
        """What an empty ``section`` (a key of :data:`EMPTY`) says; None when it has
        content."""
        if section == "promotions" and self.region is None:
            return EMPTY["no_region"]
        content: dict[str, object] = {
            "orders": self.orders, "stock": self.stock, "promotions": self.promotions,
            "open_actions": self.open_actions, "roles": self.penetration.touched,
            "featured": self.shelf_rules.featured, "last_verified": self.last_verified}
        if content[section]:
            return None
        days = ComponentRules().penetration_days
        return EMPTY[section].format(days=days)


def visit_pack(database: Database, tenant_id: str, customer_id: str, *,
               rep_ids: frozenset[str] | None, caller_rep_id: str | None = None,
               now: datetime, default_zone: GoldenZonePolicy | None = None,
               photo_exists: Callable[[str], bool] | None = None) -> VisitPack:
    """The visit pack of ``customer_id`` as of ``now`` (tz-aware) for a caller who may see
    ``rep_ids`` (None: the whole tenant). ``caller_rep_id``: the caller's rep id when a rep
    asks (their team region is used). ``default_zone``: the golden zone without rules.
    ``photo_exists``: whether a photo digest is in the photo store (None: not checked)."""
    with database.connect() as connection:
        store = Store(connection, tenant_id)
        customer = store.reference.customer(customer_id)
        if customer is None or (rep_ids is not None
                                and not rep_ids.intersection(customer.assigned_rep_ids)):
            raise NotFound(f"no customer {customer_id!r} among yours")
        timezone = tenant_timezone(connection, tenant_id)
        first_day, last_day = _month(now, timezone)
        region_rep = caller_rep_id if caller_rep_id in customer.assigned_rep_ids else (
            customer.assigned_rep_ids[0] if customer.assigned_rep_ids else None)
        region = store.reference.rep_region(region_rep) if region_rep else None
        commerce = Commerce(connection, tenant_id)
        promotions = (commerce.promotions(region, first_day, last_day)
                      if region is not None else [])
        listed = None if rep_ids is None else sorted(rep_ids)
        actions = store.crm.next_actions_page(rep_ids=listed, customer_id=customer.id,
                                              done=False, limit=OPEN_ACTIONS_SHOWN)
        open_actions = tuple(_open_action(item.checkin, now) for item in actions.items)
        penetration = _penetration(connection, tenant_id, customer, now, timezone)
        shelf = _shelf_rules(connection, store, customer, region, first_day, last_day,
                             default_zone or GoldenZonePolicy())
        verified = store.checkins.page(rep_ids=listed, customer_id=customer.id,
                                       status=CheckinStatus.VERIFIED, limit=1).items
        return VisitPack(
            customer=customer, timezone=timezone, region=region, month=f"{first_day:%Y-%m}",
            generated_at=now, orders=tuple(commerce.latest_orders(customer.id, LAST_ORDERS)),
            stock=tuple(commerce.current_stock(customer.id)), promotions=tuple(promotions),
            open_actions=open_actions, open_action_count=actions.count,
            penetration=penetration, shelf_rules=shelf,
            last_verified=_last_verified(verified[0], photo_exists) if verified else None)


def _month(now: datetime, timezone: str) -> tuple[date, date]:
    """The first and last local day of ``now``'s month in ``timezone``."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _open_action(checkin: Checkin, now: datetime) -> OpenAction:
    action = checkin.next_action
    return OpenAction(checkin_id=checkin.id, rep_id=checkin.rep_id,
                      commitment=checkin.commitment.text,
                      contract_number=checkin.commitment.contract_number,
                      next_action=action.text, kind=action.kind.value, due_at=action.due_at,
                      contact_id=action.contact_id, overdue=action.due_at < now)


def _penetration(connection: Connection, tenant_id: str, customer: Customer, now: datetime,
                 timezone: str) -> Penetration:
    """PHI's role touches (:func:`phi.components.penetration`) at one customer, over the
    trailing window ending at ``now``."""
    start = local_days_before(now, ComponentRules().penetration_days, timezone)
    c, k = tables.checkins.c, tables.contacts.c
    contacts = connection.execute(
        sa.select(k.id, k.name, k.role).where(k.tenant_id == tenant_id,
                                              k.customer_id == customer.id)
        .order_by(k.role, k.name, k.id)).all()
    touched_rows = connection.execute(
        sa.select(c.id, c.departed_at, c.next_action_contact_id)
        .where(c.tenant_id == tenant_id, c.customer_id == customer.id,
               c.status == CheckinStatus.VERIFIED.value, c.submitted_at <= now,
               c.departed_at >= start, c.departed_at < now,
               c.rep_id.in_(customer.assigned_rep_ids),
               c.next_action_contact_id.is_not(None))
        .order_by(c.departed_at.desc(), c.id)).all()
    by_id = {row.id: row for row in contacts}
    touched: dict[DecisionRole, RoleTouch] = {}
    for row in touched_rows:  # newest first: each role's latest touch
        contact = by_id.get(row.next_action_contact_id)
        if contact is None:
            continue
        role = DecisionRole(contact.role)
        touched.setdefault(role, RoleTouch(role=role, contact_id=contact.id,
                                           contact_name=contact.name, checkin_id=row.id,
                                           departed_at=row.departed_at))
    missing: dict[DecisionRole, list[tuple[str, str]]] = {}
    for contact in contacts:
        role = DecisionRole(contact.role)
        if role not in touched:
            missing.setdefault(role, []).append((contact.id, contact.name))
    return Penetration(
        window_start=start, window_end=now,
        touched=tuple(sorted(touched.values(), key=lambda t: t.role.value)),
        missing=tuple(MissingRole(role=role, contacts=tuple(names))
                      for role, names in sorted(missing.items())))


def _shelf_rules(connection: Connection, store: Store, customer: Customer, region: str | None,
                 first: date, last: date, default_zone: GoldenZonePolicy) -> ShelfRules:
    rules = RuleBook(connection, store.tenant_id).current()
    if rules is None:
        skus = tuple(sorted(product.sku for product in store.reference.products()))
        return ShelfRules(rules_version=None, featured=skus,
                          fixture_type=default_zone.fixture_type, golden_zone=default_zone,
                          required_evidence=())
    featured = [sku for rule in rules.featured
                if (rule.applies(region, max(rule.valid_from, first))
                    and rule.valid_from <= last)
                for sku in rule.skus]
    return ShelfRules(
        rules_version=rules.version, featured=tuple(dict.fromkeys(featured)),
        fixture_type=rules.default_fixture_type, golden_zone=rules.golden_zone(None),
        required_evidence=tuple(e.value for e in rules.evidence.get(customer.type, ())))


def _last_verified(checkin: Checkin,
                   photo_exists: Callable[[str], bool] | None) -> LastVerified:
    verdict = checkin_verdict(checkin)
    return LastVerified(
        checkin_id=checkin.id, rep_id=checkin.rep_id, departed_at=checkin.departed_at,
        status=verdict.status, reason_codes=tuple(r.code for r in verdict.reasons),
        photo_sha256=checkin.photo_sha256,
        photo_stored=bool(photo_exists(checkin.photo_sha256)) if photo_exists else False)

"""application.visit_pack: every section, empty sections, the tenant's month, scope."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from application.visit_pack import EMPTY, visit_pack
from tests.builders import (
    TENANT,
    make_checkin,
    make_contact,
    make_customer,
    make_outcome,
    make_rep,
    make_team,
    with_verdict,
)
from visitproof.errors import NotFound
from visitproof.records import CheckinStatus, Order, Promotion, StockLevel
from visitproof.store import Commerce, Database, Store

NOW = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)


def _order(order_id: str, when: str, customer: str = "c1") -> Order:
    return Order(tenant_id=TENANT, id=order_id, customer_id=customer,
                 ordered_at=datetime.fromisoformat(when), sku="SKU-1", quantity=2,
                 amount=25.0, currency="CNY")


def _promotion(promotion_id: str, region: str, first: str, last: str) -> Promotion:
    return Promotion(tenant_id=TENANT, id=promotion_id, region=region, competitor="Rival",
                     product="SKU-9", description="two for one",
                     starts_on=date.fromisoformat(first), ends_on=date.fromisoformat(last))


@pytest.fixture
def seeded(database: Database) -> dict[str, object]:
    verified = make_checkin(rep="r1", contact="k1", departed="2026-11-08T02:00:00+00:00",
                            arrived="2026-11-08T01:30:00+00:00",
                            captured="2026-11-08T01:40:00+00:00",
                            submitted="2026-11-08T02:05:00+00:00",
                            due="2026-11-12T02:00:00+00:00")
    rejected = with_verdict(make_checkin(rep="r1", contact="k2",
                                         status=CheckinStatus.REJECTED,
                                         departed="2026-11-09T02:00:00+00:00",
                                         arrived="2026-11-09T01:30:00+00:00",
                                         captured="2026-11-09T01:40:00+00:00",
                                         submitted="2026-11-09T02:05:00+00:00",
                                         due="2026-11-09T03:00:00+00:00"),
                            CheckinStatus.REJECTED, "GPS_OUTSIDE_GEOFENCE")
    done = make_checkin(rep="r1", contact=None, departed="2026-11-07T02:00:00+00:00",
                        arrived="2026-11-07T01:30:00+00:00",
                        captured="2026-11-07T01:40:00+00:00",
                        submitted="2026-11-07T02:05:00+00:00",
                        due="2026-11-08T02:00:00+00:00")
    other_rep = make_checkin(rep="r2", customer="c2", contact=None,
                             departed="2026-11-08T02:00:00+00:00",
                             arrived="2026-11-08T01:30:00+00:00",
                             captured="2026-11-08T01:40:00+00:00",
                             submitted="2026-11-08T02:05:00+00:00",
                             due="2026-11-12T02:00:00+00:00")
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_teams([make_team("t1", region="east"),
                                   make_team("t2", region=None)])
        store.reference.put_reps([make_rep("r1", team="t1"), make_rep("r2", team="t1"),
                                  make_rep("r3", team="t2")])
        store.reference.put_customers([make_customer("c1", reps=("r1",)),
                                       make_customer("c2", reps=("r2",)),
                                       make_customer("c3", reps=("r3",))])
        store.crm.put_contacts([make_contact("k1", role="store_manager"),
                                make_contact("k2", role="category_manager"),
                                make_contact("k3", role="owner")])
        store.checkins.add_many([verified, rejected, done, other_rep])
        store.crm.add_action_outcomes([make_outcome(done, "2026-11-08T01:00:00+00:00")])
        commerce = Commerce(connection, TENANT)
        commerce.put_orders([_order("o1", "2026-11-01T02:00:00+00:00"),
                             _order("o2", "2026-11-05T02:00:00+00:00"),
                             _order("o3", "2026-11-03T02:00:00+00:00"),
                             _order("o4", "2026-10-20T02:00:00+00:00"),
                             _order("o5", "2026-11-06T02:00:00+00:00", customer="c2")])
        commerce.put_stock_levels([
            StockLevel(tenant_id=TENANT, customer_id="c1", sku="SKU-1", units=5,
                       counted_at=datetime(2026, 11, 1, tzinfo=UTC)),
            StockLevel(tenant_id=TENANT, customer_id="c1", sku="SKU-1", units=9,
                       counted_at=datetime(2026, 11, 6, tzinfo=UTC)),
            StockLevel(tenant_id=TENANT, customer_id="c1", sku="SKU-2", units=0,
                       counted_at=datetime(2026, 11, 2, tzinfo=UTC))])
        commerce.put_promotions([_promotion("p-nov", "east", "2026-11-01", "2026-11-30"),
                                 _promotion("p-span", "east", "2026-10-25", "2026-11-02"),
                                 _promotion("p-oct", "east", "2026-10-01", "2026-10-31"),
                                 _promotion("p-dec", "east", "2026-12-01", "2026-12-31"),
                                 _promotion("p-west", "west", "2026-11-01", "2026-11-30")])
    return {"verified": verified, "rejected": rejected, "done": done}


def test_every_section_of_a_customer_with_data(database: Database,
                                                seeded: dict[str, object]) -> None:
    pack = visit_pack(database, TENANT, "c1", rep_ids=frozenset({"r1"}), caller_rep_id="r1",
                      now=NOW, photo_exists=lambda digest: True)
    assert (pack.customer.id, pack.region, pack.month) == ("c1", "east", "2026-11")
    assert [o.id for o in pack.orders] == ["o2", "o3", "o1"]  # newest three, newest first
    assert [(s.sku, s.units) for s in pack.stock] == [("SKU-1", 9), ("SKU-2", 0)]
    assert [p.id for p in pack.promotions] == ["p-span", "p-nov"]
    verified, rejected = seeded["verified"], seeded["rejected"]
    # open: the verified and the rejected check-ins' actions; the completed one is not
    assert {a.checkin_id for a in pack.open_actions} == {verified.id, rejected.id}  # type: ignore[attr-defined]
    assert pack.open_action_count == 2
    assert [a.overdue for a in pack.open_actions] == [True, False]  # earliest due first
    assert [t.role.value for t in pack.penetration.touched] == ["store_manager"]
    assert [m.role.value for m in pack.penetration.missing] == ["category_manager", "owner"]
    assert pack.last_verified is not None
    assert pack.last_verified.checkin_id == verified.id  # type: ignore[attr-defined]
    assert pack.last_verified.status is CheckinStatus.VERIFIED
    assert pack.last_verified.photo_stored
    assert pack.shelf_rules.rules_version is None  # no rules: every registered SKU
    for section in ("orders", "stock", "promotions", "open_actions", "roles",
                    "last_verified"):
        assert pack.empty(section) is None, section


def test_a_customer_without_data_gets_empty_sections_that_say_so(
        database: Database, seeded: dict[str, object]) -> None:
    pack = visit_pack(database, TENANT, "c3", rep_ids=None, now=NOW)
    assert pack.region is None  # team t2 has no region
    assert (pack.orders, pack.stock, pack.promotions, pack.open_actions) == ((), (), (), ())
    assert pack.last_verified is None
    assert pack.empty("orders") == EMPTY["orders"]
    assert pack.empty("stock") == EMPTY["stock"]
    assert pack.empty("promotions") == EMPTY["no_region"]
    assert pack.empty("open_actions") == EMPTY["open_actions"]
    assert pack.empty("last_verified") == EMPTY["last_verified"]
    assert pack.empty("roles") == EMPTY["roles"].format(days=30)
    assert pack.empty("featured") == EMPTY["featured"]  # no products registered


@pytest.mark.parametrize(("now", "month", "promotions"), [
    # 2026-11-30 23:59 in Shanghai is still November ...
    (datetime(2026, 11, 30, 15, 59, tzinfo=UTC), "2026-11", ["p-span", "p-nov"]),
    # ... one minute later it is December there, while UTC is still in November
    (datetime(2026, 11, 30, 16, 0, tzinfo=UTC), "2026-12", ["p-dec"]),
    (datetime(2026, 10, 31, 15, 59, tzinfo=UTC), "2026-10", ["p-oct", "p-span"]),
])
def test_the_month_is_the_tenants_local_month(database: Database, seeded: dict[str, object],
                                              now: datetime, month: str,
                                              promotions: list[str]) -> None:
    pack = visit_pack(database, TENANT, "c1", rep_ids=None, now=now)
    assert pack.month == month
    assert [p.id for p in pack.promotions] == promotions


def test_roles_touched_only_inside_the_30_day_window(database: Database,
                                                     seeded: dict[str, object]) -> None:
    later = datetime(2026, 12, 9, 4, 0, tzinfo=UTC)  # 31 days after the verified visit
    pack = visit_pack(database, TENANT, "c1", rep_ids=None, now=later)
    assert pack.penetration.touched == ()
    assert [m.role.value for m in pack.penetration.missing] == [
        "category_manager", "owner", "store_manager"]


@pytest.mark.parametrize(("customer", "rep_ids"), [
    ("c2", frozenset({"r1"})),  # another rep's customer
    ("c1", frozenset({"r3"})),  # a manager of another team
    ("c1", frozenset()),  # a manager of a team without reps
    ("nope", None),  # no such customer
])
def test_customers_outside_the_scope_are_not_found(database: Database,
                                                   seeded: dict[str, object], customer: str,
                                                   rep_ids: frozenset[str] | None) -> None:
    with pytest.raises(NotFound):
        visit_pack(database, TENANT, customer, rep_ids=rep_ids, now=NOW)


def test_the_last_verified_checkin_is_in_the_callers_scope(
        database: Database, seeded: dict[str, object]) -> None:
    pack = visit_pack(database, TENANT, "c2", rep_ids=frozenset({"r2"}), now=NOW)
    assert pack.last_verified is not None
    assert pack.last_verified.rep_id == "r2"
    assert not pack.last_verified.photo_stored  # photo_exists not given


def test_featured_skus_and_golden_zone_come_from_the_current_rules(
        database: Database, seeded: dict[str, object]) -> None:
    from application.rule_book import post_rules

    post_rules(database, TENANT, {
        "featured": [
            {"region": "east", "skus": ["SKU-1"], "valid_from": "2026-11-20",
             "valid_until": "2026-11-30"},
            {"region": "west", "skus": ["SKU-2"], "valid_from": "2026-11-01",
             "valid_until": "2026-11-30"},
            {"region": "*", "skus": ["SKU-3"], "valid_from": "2026-10-01",
             "valid_until": "2026-10-31"}],
        "evidence": {"supermarket": ["contract_number"]}},
        base_version=0, created_by="d1", now=NOW)
    pack = visit_pack(database, TENANT, "c1", rep_ids=None, now=NOW)
    assert pack.shelf_rules.rules_version == 1
    assert pack.shelf_rules.featured == ("SKU-1",)  # later this month still counts
    assert pack.shelf_rules.required_evidence == ("contract_number",)
    assert "row" in pack.shelf_rules.golden_zone_text

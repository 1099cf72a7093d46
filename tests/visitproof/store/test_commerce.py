"""visitproof.store.commerce: upserts, the latest orders and counts, promotions by range
(migration 0006 is tested with the others in test_migrations.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.builders import TENANT, make_customer, make_rep
from visitproof.records import Order, Promotion, StockLevel
from visitproof.store import Commerce, Database, Store


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def _order(order_id: str, day: int, quantity: int = 1) -> Order:
    return Order(tenant_id=TENANT, id=order_id, customer_id="c1", ordered_at=_at(day),
                 sku="SKU-1", quantity=quantity, amount=1.0)


def _seed(database: Database) -> None:
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_reps([make_rep("r1")])
        store.reference.put_customers([make_customer("c1")])


def test_orders_upsert_and_read_newest_first(database: Database) -> None:
    _seed(database)
    with database.begin() as connection:
        commerce = Commerce(connection, TENANT)
        commerce.put_orders([_order("o1", 1), _order("o2", 4), _order("o3", 2), _order("o4", 3)])
        commerce.put_orders([_order("o1", 1, quantity=7)])  # a corrected line
    with database.connect() as connection:
        commerce = Commerce(connection, TENANT)
        assert [o.id for o in commerce.latest_orders("c1")] == ["o2", "o4", "o3"]
        assert {o.id: o.quantity for o in commerce.all_orders()}["o1"] == 7
        assert Commerce(connection, "other").latest_orders("c1") == []


def test_current_stock_is_each_skus_latest_count(database: Database) -> None:
    _seed(database)
    counts = [StockLevel(tenant_id=TENANT, customer_id="c1", sku=sku, units=units,
                         counted_at=_at(day))
              for sku, units, day in (("A", 5, 1), ("A", 2, 3), ("B", 9, 2), ("A", 4, 2))]
    with database.begin() as connection:
        Commerce(connection, TENANT).put_stock_levels(counts)
        Commerce(connection, TENANT).put_stock_levels(counts[:1])  # re-import: no duplicate
    with database.connect() as connection:
        current = Commerce(connection, TENANT).current_stock("c1")
        assert [(s.sku, s.units) for s in current] == [("A", 2), ("B", 9)]
        assert len(Commerce(connection, TENANT).all_stock_levels()) == 4


def test_promotions_by_region_and_overlapping_days(database: Database) -> None:
    def promotion(promotion_id: str, region: str, first: date, last: date) -> Promotion:
        return Promotion(tenant_id=TENANT, id=promotion_id, region=region, competitor="R",
                         product="P", description="D", starts_on=first, ends_on=last)

    with database.begin() as connection:
        Commerce(connection, TENANT).put_promotions([
            promotion("in", "east", date(2026, 11, 5), date(2026, 11, 6)),
            promotion("edge", "east", date(2026, 10, 1), date(2026, 11, 1)),
            promotion("before", "east", date(2026, 10, 1), date(2026, 10, 31)),
            promotion("west", "west", date(2026, 11, 5), date(2026, 11, 6))])
    with database.connect() as connection:
        found = Commerce(connection, TENANT).promotions("east", date(2026, 11, 1),
                                                         date(2026, 11, 30))
    assert [p.id for p in found] == ["edge", "in"]

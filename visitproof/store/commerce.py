"""A tenant's orders, stock counts and competitors' promotions (the visit pack's imported
data). ``put_*`` upserts by key: re-importing a corrected file updates it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from visitproof.records.commerce import Order, Promotion, StockLevel
from visitproof.store import tables
from visitproof.store.queries import TenantScope


class Commerce(TenantScope):
    """Orders, stock levels and promotions of one tenant."""

    # -- writing -------------------------------------------------------------------------

    def put_orders(self, orders: Iterable[Order]) -> int:
        return self._put(tables.orders, ("tenant_id", "id"), orders, _order_row)

    def put_stock_levels(self, levels: Iterable[StockLevel]) -> int:
        return self._put(tables.stock_levels, ("tenant_id", "customer_id", "sku", "counted_at"),
                         levels, _stock_row)

    def put_promotions(self, promotions: Iterable[Promotion]) -> int:
        return self._put(tables.promotions, ("tenant_id", "id"), promotions, _promotion_row)

    # -- reading -------------------------------------------------------------------------

    def latest_orders(self, customer_id: str, limit: int = 3) -> list[Order]:
        """The customer's ``limit`` newest orders, newest first (ties by id)."""
        c = tables.orders.c
        found = self.connection.execute(
            sa.select(tables.orders)
            .where(c.tenant_id == self.tenant_id, c.customer_id == customer_id)
            .order_by(c.ordered_at.desc(), c.id).limit(limit)).mappings()
        return [_order_from(row) for row in found]

    def current_stock(self, customer_id: str) -> list[StockLevel]:
        """The latest count of every SKU counted at the customer, by SKU."""
        c = tables.stock_levels.c
        latest = (sa.select(c.sku, sa.func.max(c.counted_at).label("counted_at"))
                  .where(c.tenant_id == self.tenant_id, c.customer_id == customer_id)
                  .group_by(c.sku).subquery())
        found = self.connection.execute(
            sa.select(tables.stock_levels).join(
                latest, sa.and_(c.sku == latest.c.sku, c.counted_at == latest.c.counted_at))
            .where(c.tenant_id == self.tenant_id, c.customer_id == customer_id)
            .order_by(c.sku)).mappings()
        return [_stock_from(row) for row in found]

    def promotions(self, region: str, first: date, last: date) -> list[Promotion]:
        """The promotions of ``region`` running on any day from ``first`` to ``last``
        (inclusive), by start day then id."""
        c = tables.promotions.c
        found = self.connection.execute(
            sa.select(tables.promotions)
            .where(c.tenant_id == self.tenant_id, c.region == region, c.starts_on <= last,
                   c.ends_on >= first)
            .order_by(c.starts_on, c.id)).mappings()
        return [_promotion_from(row) for row in found]

    def all_orders(self) -> list[Order]:
        return [_order_from(r) for r in self._rows(tables.orders, tables.orders.c.id)]

    def all_stock_levels(self) -> list[StockLevel]:
        c = tables.stock_levels.c
        return [_stock_from(row) for row in self.connection.execute(
            sa.select(tables.stock_levels).where(c.tenant_id == self.tenant_id)
            .order_by(c.customer_id, c.sku, c.counted_at)).mappings()]

    def all_promotions(self) -> list[Promotion]:
        return [_promotion_from(r)
                for r in self._rows(tables.promotions, tables.promotions.c.id)]


def _order_row(order: Order) -> dict[str, Any]:
    return {"tenant_id": order.tenant_id, "id": order.id, "customer_id": order.customer_id,
            "ordered_at": order.ordered_at, "sku": order.sku, "quantity": order.quantity,
            "amount": order.amount, "currency": order.currency}


def _order_from(row: RowMapping) -> Order:
    return Order(tenant_id=row["tenant_id"], id=row["id"], customer_id=row["customer_id"],
                 ordered_at=row["ordered_at"], sku=row["sku"], quantity=row["quantity"],
                 amount=row["amount"], currency=row["currency"])


def _stock_row(level: StockLevel) -> dict[str, Any]:
    return {"tenant_id": level.tenant_id, "customer_id": level.customer_id, "sku": level.sku,
            "counted_at": level.counted_at, "units": level.units}


def _stock_from(row: RowMapping) -> StockLevel:
    return StockLevel(tenant_id=row["tenant_id"], customer_id=row["customer_id"],
                      sku=row["sku"], units=row["units"], counted_at=row["counted_at"])


def _promotion_row(promotion: Promotion) -> dict[str, Any]:
    return {"tenant_id": promotion.tenant_id, "id": promotion.id, "region": promotion.region,
            "competitor": promotion.competitor, "product": promotion.product,
            "description": promotion.description, "starts_on": promotion.starts_on,
            "ends_on": promotion.ends_on}


def _promotion_from(row: RowMapping) -> Promotion:
    return Promotion(tenant_id=row["tenant_id"], id=row["id"], region=row["region"],
                     competitor=row["competitor"], product=row["product"],
                     description=row["description"], starts_on=row["starts_on"],
                     ends_on=row["ends_on"])

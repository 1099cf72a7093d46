"""visitproof.records.commerce: orders, stock counts and promotions validated when built."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.builders import TENANT
from visitproof.errors import InvalidValue
from visitproof.records import Order, Promotion, StockLevel

WHEN = datetime(2026, 11, 3, 9, tzinfo=UTC)


def _order(**changes: Any) -> Order:
    values: dict[str, Any] = dict(tenant_id=TENANT, id="o1", customer_id="c1", ordered_at=WHEN,
                                  sku="SKU-1", quantity=2, amount=10.0, currency="CNY")
    return Order(**(values | changes))


def _stock(**changes: Any) -> StockLevel:
    values: dict[str, Any] = dict(tenant_id=TENANT, customer_id="c1", sku="SKU-1", units=0,
                                  counted_at=WHEN)
    return StockLevel(**(values | changes))


def _promotion(**changes: Any) -> Promotion:
    values: dict[str, Any] = dict(tenant_id=TENANT, id="p1", region="east", competitor="Rival",
                                  product="noodles", description="two for one",
                                  starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30))
    return Promotion(**(values | changes))


@pytest.mark.parametrize(("build", "changes", "field", "code"), [
    (_order, {"quantity": 0}, "quantity", "BAD_NUMBER"),
    (_order, {"quantity": 1.5}, "quantity", "BAD_NUMBER"),
    (_order, {"quantity": True}, "quantity", "BAD_NUMBER"),
    (_order, {"amount": -0.01}, "amount", "BAD_NUMBER"),
    (_order, {"amount": float("nan")}, "amount", "BAD_NUMBER"),
    (_order, {"currency": "cny"}, "currency", "BAD_VALUE"),
    (_order, {"currency": "YUAN"}, "currency", "BAD_VALUE"),
    (_order, {"ordered_at": datetime(2026, 11, 3, 9)}, "ordered_at", "NAIVE_TIMESTAMP"),
    (_order, {"sku": "SKU 1"}, "sku", "BAD_IDENTIFIER"),
    (_order, {"customer_id": ""}, "customer_id", "BAD_IDENTIFIER"),
    (_stock, {"units": -1}, "units", "BAD_NUMBER"),
    (_stock, {"units": 2.0}, "units", "BAD_NUMBER"),
    (_stock, {"counted_at": datetime(2026, 11, 3)}, "counted_at", "NAIVE_TIMESTAMP"),
    (_promotion, {"ends_on": date(2026, 10, 31)}, "ends_on", "TIME_ORDER"),
    (_promotion, {"starts_on": WHEN}, "starts_on", "BAD_DATE"),
    (_promotion, {"competitor": "  "}, "competitor", "EMPTY_FIELD"),
    (_promotion, {"description": "x" * 501}, "description", "BAD_NUMBER"),
])
def test_bad_values_are_refused(build: Any, changes: dict[str, Any], field: str,
                                code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        build(**changes)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_good_records_are_normalised() -> None:
    assert _order(amount=10).amount == 10.0
    assert _order(currency=None).currency is None
    assert _order(ordered_at=datetime.fromisoformat("2026-11-03T17:00:00+08:00")
                  ).ordered_at == WHEN
    assert _stock(units=0).units == 0
    assert _promotion(competitor=" Rival ").competitor == "Rival"


@pytest.mark.parametrize(("first", "last", "active"), [
    (date(2026, 11, 1), date(2026, 11, 30), True),
    (date(2026, 11, 30), date(2026, 12, 31), True),  # the last day counts
    (date(2026, 12, 1), date(2026, 12, 31), False),
    (date(2026, 10, 1), date(2026, 10, 31), False),
    (date(2026, 10, 1), date(2026, 11, 1), True),  # the first day counts
])
def test_a_promotion_is_active_on_any_day_of_a_range(first: date, last: date,
                                                     active: bool) -> None:
    assert _promotion().active_between(first, last) is active

"""Commerce records: a customer's orders and stock counts, and competitors' promotions in a
region. Imported reference data for the visit pack (``application.visit_pack``); nothing in
the verification path reads them.

Frozen dataclasses, validated when built; instants tz-aware UTC, promotion dates plain
calendar days (inclusive) in the tenant's time zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from visitproof.errors import InvalidValue
from visitproof.records._validation import normalise, require_ids, short_text
from visitproof.values import require_text, require_utc

#: Currencies are ISO 4217 codes: three capital letters.
CURRENCY_LENGTH = 3


def _positive_count(value: int, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidValue(field_name, f"must be a whole number > 0, got {value!r}",
                           code="BAD_NUMBER")
    return value


def _count(value: int, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValue(field_name, f"must be a whole number >= 0, got {value!r}",
                           code="BAD_NUMBER")
    return value


def _amount(value: float, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value) or value < 0:
        raise InvalidValue(field_name, f"must be a finite amount >= 0, got {value!r}",
                           code="BAD_NUMBER")
    return float(value)


def _currency(value: str | None, field_name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != CURRENCY_LENGTH or not value.isascii() \
            or not value.isalpha() or not value.isupper():
        raise InvalidValue(field_name, f"must be a three-letter ISO 4217 code such as CNY, "
                           f"got {value!r}", code="BAD_VALUE")
    return value


def _day(value: date, field_name: str) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidValue(field_name, f"must be a calendar day, got {value!r}",
                           code="BAD_DATE")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Order:
    """One order line of a customer: ``quantity`` units (> 0) of ``sku`` for ``amount``
    (>= 0, in ``currency`` when given; a plain amount otherwise)."""

    tenant_id: str
    id: str
    customer_id: str
    ordered_at: datetime
    sku: str
    quantity: int
    amount: float
    currency: str | None = None

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "id", "customer_id", "sku")
        normalise(self, ordered_at=require_utc, quantity=_positive_count, amount=_amount,
                  currency=_currency)


@dataclass(frozen=True, slots=True, kw_only=True)
class StockLevel:
    """A count of ``units`` (>= 0) of ``sku`` on hand at a customer at ``counted_at``; the
    current level of a SKU is its latest count."""

    tenant_id: str
    customer_id: str
    sku: str
    units: int
    counted_at: datetime

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "customer_id", "sku")
        normalise(self, units=_count, counted_at=require_utc)


@dataclass(frozen=True, slots=True, kw_only=True)
class Promotion:
    """A competitor's promotion in a team region (``teams.region``) from ``starts_on`` to
    ``ends_on`` (both inclusive, local days). ``product`` is a SKU or a category, as text."""

    tenant_id: str
    id: str
    region: str
    competitor: str
    product: str
    description: str
    starts_on: date
    ends_on: date

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "id")
        normalise(self, region=short_text, competitor=short_text, product=short_text,
                  description=lambda value, name: require_text(value, name, max_length=500),
                  starts_on=_day, ends_on=_day)
        if self.ends_on < self.starts_on:
            raise InvalidValue("ends_on", f"{self.ends_on} is before starts_on "
                               f"({self.starts_on})", code="TIME_ORDER")

    def active_between(self, first: date, last: date) -> bool:
        """Whether the promotion runs on any day from ``first`` to ``last`` (inclusive)."""
        return self.starts_on <= last and self.ends_on >= first

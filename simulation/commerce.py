"""The simulated company's orders, stock counts and competitor promotions (the visit pack's
imported data), deterministic by seed.

Drawn from their own random stream (``[seed, _COMMERCE_STREAM]``), after everything else:
adding them changes no other simulated value. Per customer: 1-4 orders over the simulated
days (order times in shop hours, Asia/Shanghai) and, for 2-4 SKUs, a count at the start and
one at the end. Per team region and calendar month touched by the simulation (start to
``now``): 3-5 competitor promotions of 1-4 weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from simulation.scenario import Simulation
from visitproof.records import Order, Promotion, StockLevel

_COMMERCE_STREAM = 0x0C0E
COMPETITORS = ("Nongfu Spring", "Master Kong", "Uni-President", "Wahaha", "C'estbon",
               "Yili", "Mengniu")
OFFERS = ("buy two get one free", "15% off family packs", "free display rack for 20 cases",
          "shelf rent rebate for eye-level placement", "cash-back coupon per 10 cases",
          "second unit at half price", "gift with every case")
CATEGORIES = ("beverages", "instant noodles", "dairy", "snacks")


@dataclass(frozen=True, slots=True)
class CommerceData:
    orders: tuple[Order, ...]
    stock: tuple[StockLevel, ...]
    promotions: tuple[Promotion, ...]


def commerce_records(sim: Simulation) -> CommerceData:
    """Orders, stock counts and promotions for ``sim``'s company (see the module docstring)."""
    config, company = sim.config, sim.company
    rng = np.random.default_rng([config.seed, _COMMERCE_STREAM])
    tenant, start, days = config.tenant, config.start, config.days
    skus = [product.sku for product in company.products]
    prices = {sku: round(8.0 + 4.5 * k, 2) for k, sku in enumerate(skus)}
    orders: list[Order] = []
    stock: list[StockLevel] = []
    for customer in company.customers:
        for number in range(int(rng.integers(1, 5))):
            sku = skus[int(rng.integers(len(skus)))]
            quantity = int(rng.integers(6, 61))
            # shop hours 09:00-17:00 local: ``start`` is a local midnight
            at = start + timedelta(days=int(rng.integers(days)), hours=9,
                                   minutes=int(rng.integers(8 * 60)))
            orders.append(Order(tenant_id=tenant, id=f"{customer.id}-o{number + 1}",
                                customer_id=customer.id, ordered_at=at, sku=sku,
                                quantity=quantity, amount=round(quantity * prices[sku], 2),
                                currency="CNY"))
        counted = rng.choice(len(skus), size=min(len(skus), int(rng.integers(2, 5))),
                             replace=False)
        for index in sorted(int(i) for i in counted):
            for offset in (0, days - 1):
                stock.append(StockLevel(
                    tenant_id=tenant, customer_id=customer.id, sku=skus[index],
                    units=int(rng.integers(0, 81)),
                    counted_at=start + timedelta(days=offset, hours=18)))
    promotions: list[Promotion] = []
    regions = sorted({team.region for team in company.teams if team.region})
    for month in _months(start, config.now):
        for region_number, region in enumerate(regions):
            for number in range(int(rng.integers(3, 6))):
                first = month + timedelta(days=int(rng.integers(0, 28)))
                last = first + timedelta(days=int(rng.integers(7, 29)))
                product = (skus[int(rng.integers(len(skus)))] if rng.random() < 0.6
                           else CATEGORIES[int(rng.integers(len(CATEGORIES)))])
                promotions.append(Promotion(
                    tenant_id=tenant, id=f"promo-{month:%Y%m}-{region_number:02d}-{number + 1}",
                    region=region, competitor=COMPETITORS[int(rng.integers(len(COMPETITORS)))],
                    product=product, description=OFFERS[int(rng.integers(len(OFFERS)))],
                    starts_on=first, ends_on=last))
    return CommerceData(orders=tuple(orders), stock=tuple(stock), promotions=tuple(promotions))


def _months(start: datetime, end: datetime) -> list[date]:
    """The first days of the local (UTC+8) calendar months from ``start`` to ``end``."""
    first = (start + timedelta(hours=8)).date().replace(day=1)
    last = (end + timedelta(hours=8)).date()
    months = []
    while first <= last:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months

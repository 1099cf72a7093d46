"""simulation.commerce: the simulated orders, stock counts and promotions, by seed."""

from __future__ import annotations

import pytest

from simulation.commerce import commerce_records
from simulation.scenario import Simulation, SimulationConfig, simulate


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate(SimulationConfig(reps=3, customers=24, days=6, seed=5, tenant="demo"))


def test_the_same_seed_gives_the_same_records(sim: Simulation) -> None:
    assert commerce_records(sim) == commerce_records(sim)


def test_every_customer_has_orders_and_counts_and_every_region_promotions(
        sim: Simulation) -> None:
    data = commerce_records(sim)
    customers = {c.id for c in sim.company.customers}
    assert {o.customer_id for o in data.orders} == customers
    assert {s.customer_id for s in data.stock} == customers
    assert all(1 <= sum(o.customer_id == c for o in data.orders) <= 4 for c in customers)
    start, end = sim.config.start, sim.config.now
    assert all(start <= o.ordered_at < end for o in data.orders)
    regions = {t.region for t in sim.company.teams if t.region}
    assert {p.region for p in data.promotions} == regions
    assert len({o.id for o in data.orders}) == len(data.orders)
    assert len({p.id for p in data.promotions}) == len(data.promotions)
    keys = [(s.customer_id, s.sku, s.counted_at) for s in data.stock]
    assert len(set(keys)) == len(keys)


def test_drawing_them_leaves_the_simulation_as_it_was(sim: Simulation) -> None:
    again = simulate(SimulationConfig(reps=3, customers=24, days=6, seed=5, tenant="demo"))
    commerce_records(again)
    assert again.checkins.drop(columns="geometry").equals(sim.checkins.drop(columns="geometry"))

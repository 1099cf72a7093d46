"""The simulator: deterministic, geographically plausible, labelled, and judged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.fraud import FraudType
from simulation.scenario import Simulation, SimulationConfig, simulate
from visitproof.errors import InvalidValue

CONFIG = SimulationConfig(reps=8, customers=120, days=8, seed=3, fraud_rate=0.2)


@pytest.fixture(scope="module")
def run() -> Simulation:
    return simulate(CONFIG)


def _comparable(result: Simulation) -> pd.DataFrame:
    frame = pd.DataFrame(result.checkins.drop(columns=["geometry", "customer_footprint",
                                                       "reasons"]))
    frame["wkb"] = result.checkins.geometry.to_wkb()
    return frame


def test_same_seed_same_output(run: Simulation) -> None:
    again = simulate(CONFIG)

    pd.testing.assert_frame_equal(_comparable(run), _comparable(again))
    assert [lead.id for lead in run.leads] == [lead.id for lead in again.leads]
    assert [t.area.wkb for t in run.company.territories] == \
        [t.area.wkb for t in again.company.territories]


def test_other_seed_other_output(run: Simulation) -> None:
    other = simulate(SimulationConfig(reps=8, customers=120, days=8, seed=4, fraud_rate=0.2))

    assert not run.checkins["checkin_id"].equals(other.checkins["checkin_id"])


def test_customers_lie_in_the_hangzhou_area(run: Simulation) -> None:
    lat = np.array([c.location.lat for c in run.company.customers])
    lon = np.array([c.location.lon for c in run.company.customers])

    assert ((lat > 29.0) & (lat < 30.9)).all()
    assert ((lon > 118.5) & (lon < 121.0)).all()
    assert all(t.area.geom_type in ("Polygon", "MultiPolygon") for t in run.company.territories)


def test_visits_are_plausible(run: Simulation) -> None:
    honest = run.checkins[run.checkins["fraud_type"] == ""]
    dwell = (honest["departed_at"] - honest["arrived_at"]).dt.total_seconds()
    delay = (honest["submitted_at"] - honest["departed_at"]).dt.total_seconds()

    assert dwell.between(8 * 60, 90 * 60).all()
    assert (delay <= 15 * 60).mean() > 0.9
    assert honest["accuracy_m"].between(5, 120).all()
    assert (honest["status"] == "verified").mean() > 0.9
    assert set(honest["action_kind"]) >= {"waiting_for_customer", "call"}


def test_every_fraud_type_is_injected_and_labelled(run: Simulation) -> None:
    labels = set(run.checkins["fraud_type"]) - {""}

    assert labels == {kind.value for kind in FraudType}
    fraud = run.checkins[run.checkins["fraud_type"] != ""]
    assert (fraud["fraud_variant"] != "").all()
    assert 0.1 < len(fraud) / len(run.checkins) < 0.35


def test_farmers_share_accounts_and_leads_have_channels(run: Simulation) -> None:
    shared = [c for c in run.company.customers if len(c.assigned_rep_ids) > 1]

    assert shared
    assert all(lead.channel and lead.tier for lead in run.leads)
    assert any(lead.first_touch_at is None for lead in run.leads)


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(InvalidValue):
        SimulationConfig(fraud_rate=0.9)

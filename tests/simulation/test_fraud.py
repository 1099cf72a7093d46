"""Injected fraud: the replayed-point variant replays one honest fix exactly, across days,
without moving the honest random stream."""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.scenario import Simulation, SimulationConfig, simulate

CONFIG = SimulationConfig(reps=8, customers=120, days=8, seed=3, fraud_rate=0.2)


@pytest.fixture(scope="module")
def run() -> Simulation:
    return simulate(CONFIG)


def _fixes(run: Simulation) -> pd.DataFrame:
    frame = pd.DataFrame(run.checkins.drop(columns=["geometry", "customer_footprint"]))
    frame["lat"], frame["lon"] = run.checkins.geometry.y, run.checkins.geometry.x
    return frame.sort_values(["rep_id", "fix_time"])


def test_each_replay_copies_an_earlier_honest_fix_of_its_rep_exactly(run: Simulation) -> None:
    fixes = _fixes(run)
    replays = fixes[fixes["fraud_variant"] == "replayed_point"]
    assert len(replays) >= 5
    for row in replays.itertuples():
        earlier = fixes[(fixes["rep_id"] == row.rep_id) & (fixes["fix_time"] < row.fix_time)
                        & (fixes["fraud_type"] == "")]
        same = earlier[(earlier["lat"] == row.lat) & (earlier["lon"] == row.lon)
                       & (earlier["accuracy_m"] == row.accuracy_m)]
        assert len(same) >= 1, row.checkin_id
        assert pd.isna(row.exif_lat)  # the photo carries no position to contradict it


def test_a_replayed_point_spans_several_visits_and_days(run: Simulation) -> None:
    replays = _fixes(run).query("fraud_variant == 'replayed_point'")
    per_point = replays.groupby(["rep_id", "lat", "lon"])["day"].agg(["size", "nunique"])
    assert (per_point["size"] >= 2).any()
    assert (per_point["nunique"] >= 2).any()


def test_replays_are_caught_at_upload_time(run: Simulation) -> None:
    replays = run.checkins[run.checkins["fraud_variant"] == "replayed_point"]
    assert (replays["status"] == "rejected").all()
    assert replays["codes"].str.contains("FIX_REPEATED_COORDINATES").all()

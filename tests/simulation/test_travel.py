"""Honest intercity trips: deterministic, realistic speeds, and never flagged."""

from __future__ import annotations

import itertools

import numpy as np

from geo.fix_policy import FixIntegrityPolicy
from geo.movement import check_track
from geo.projection import point_distance_m, utm_epsg
from simulation.evaluation import evaluate_travel
from simulation.travel import TravelMode, Trip, honest_trips, with_teleport

POLICY = FixIntegrityPolicy()
TRIPS = honest_trips(3, 40)


def _pair_kmh(trip: Trip) -> list[float]:
    speeds = []
    for a, b in itertools.pairwise(trip.points):
        assert a.time is not None
        assert b.time is not None
        metres = point_distance_m(a.lon, a.lat, b.lon, b.lat, utm_epsg(a.lon, a.lat))
        speeds.append(metres / (b.time - a.time).total_seconds() * 3.6)
    return speeds


def test_same_seed_same_trips() -> None:
    assert honest_trips(3, 40) == TRIPS
    assert honest_trips(4, 40) != TRIPS


def test_trips_move_at_their_modes_speeds() -> None:
    fastest = {mode: max(max(_pair_kmh(t)) for t in TRIPS if t.mode is mode)
               for mode in TravelMode}

    assert 240 < fastest[TravelMode.RAIL] <= 345
    assert 600 < fastest[TravelMode.AIR] <= 880
    assert {t.sample_s for t in TRIPS} == {60.0, 300.0}


def test_honest_trips_are_never_flagged() -> None:
    for trip in TRIPS:
        assert [f.reason.message for f in check_track(trip.points, POLICY)] == [], \
            (trip.mode, trip.destination, trip.sample_s)


def test_teleports_injected_into_trips_are_caught() -> None:
    rng = np.random.default_rng(0)
    for trip in TRIPS:
        points, k = with_teleport(trip, rng)
        flagged = {f.index for f in check_track(points, POLICY)}
        assert flagged & {k, k + 1}, (trip.mode, trip.destination)


def test_evaluate_travel_reports_rates_per_mode() -> None:
    result = evaluate_travel(3, count=20)

    assert result.trips == {"rail": 10, "air": 10}
    assert result.track_flag_rate == {"rail": 0.0, "air": 0.0}
    assert result.door_to_door_flag_rate == {"rail": 0.0, "air": 0.0}
    assert result.teleport_recall == 1.0
    assert set(result.as_json()) >= {"trips", "teleport_recall"}

"""The leg-dependent ceiling: door-to-door legs between check-ins, and runs of a track."""

from __future__ import annotations

import numpy as np
import pytest

from geo.fix_policy import FixIntegrityPolicy
from geo.movement import speed_reason
from geo.travel_modes import DEFAULT_MODES, Run, door_to_door_ceiling_ms, run_ceiling_ms

POLICY = FixIntegrityPolicy()
ROAD_MS = DEFAULT_MODES.road_ms(POLICY.max_speed_kmh)


def _possible(km: float, minutes: float) -> bool:
    reach, elapsed = np.array([km * 1000.0]), np.array([minutes * 60.0])
    ceiling = door_to_door_ceiling_ms(reach, elapsed, ROAD_MS)[0]
    return bool(reach[0] / elapsed[0] <= ceiling)


@pytest.mark.parametrize(("km", "minutes"), [
    (2, 6), (20, 10), (45, 25), (150, 60), (160, 75), (1300, 300), (1300, 240), (1130, 240),
    (1600, 270), (600, 180),
], ids=["2 km at 20 km/h", "20 km at 120 km/h", "45 km at 108 km/h", "150 km by road",
        "Shanghai by rail", "Beijing by rail", "Beijing, rail or air", "Beijing by air",
        "Chengdu by air", "Wuhan by air"])
def test_door_to_door_legs_that_pass(km: float, minutes: float) -> None:
    assert _possible(km, minutes)


@pytest.mark.parametrize(("km", "minutes"), [
    (20, 4), (49, 15), (60, 10), (60, 17), (200, 30), (400, 60), (1130, 120), (1130, 150),
    (2000, 200),
], ids=["300 km/h in a city", "49 km at 196 km/h", "teleport 60 km in 10 min",
        "teleport 60 km in 17 min", "400 km/h ground", "400 km in an hour",
        "Beijing in 2 h", "Beijing in 2 h 30", "2,000 km in 3 h 20"])
def test_door_to_door_legs_that_fail(km: float, minutes: float) -> None:
    assert not _possible(km, minutes)


def test_ceiling_is_road_below_50_km_whatever_the_time() -> None:
    reach = np.array([49_000.0, 49_000.0])
    ceiling = door_to_door_ceiling_ms(reach, np.array([600.0, 36_000.0]), ROAD_MS)

    assert ceiling.tolist() == [ROAD_MS, ROAD_MS]


def test_speed_reason_names_the_legs_ceiling() -> None:
    """Rail, the best mode for 1,130 km in 2 h, leaves 1 h 30 at 350 km/h: 262 km/h."""
    found = speed_reason(1_130_000.0, 2 * 3600.0, 20.0, POLICY)

    assert found is not None
    assert found.code == "IMPOSSIBLE_SPEED"
    assert "565 km/h implied, 262 km/h possible" in found.message
    assert speed_reason(1_130_000.0, 4 * 3600.0, 20.0, POLICY) is None


@pytest.mark.parametrize(("run", "kmh"), [
    (Run(moves=4, length_m=20_000, net_m=20_000, elapsed_s=240), 150),
    (Run(moves=12, length_m=200_000, net_m=190_000, elapsed_s=3600), 350),
    (Run(moves=2, length_m=80_000, net_m=500, elapsed_s=1200), 150),
    (Run(moves=16, length_m=1_000_000, net_m=990_000, elapsed_s=4800), 900),
    (Run(moves=1, length_m=1_000_000, net_m=1_000_000, elapsed_s=4020), 350),
    (Run(moves=1, length_m=1_000_000, net_m=1_000_000, elapsed_s=5400), 900),
    (Run(moves=6, length_m=600_000, net_m=100_000, elapsed_s=2400), 150),
], ids=["short city run", "rail run", "out and back", "logged flight",
        "lone flight-speed jump", "lone gate-to-gate flight", "zig-zag"])
def test_run_ceiling(run: Run, kmh: float) -> None:
    assert run_ceiling_ms(run, ROAD_MS) * 3.6 == pytest.approx(kmh)

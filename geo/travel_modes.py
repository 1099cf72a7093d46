"""Travel modes: which speed a leg may show depends on how long the leg is.

A flat ceiling cannot serve both a rep driving between stores and a rep on a high-speed train:
150 km/h calls an honest 300 km/h train impossible, 350 km/h lets a spoofed 60 km jump across
a city through. So the ceiling belongs to the *leg*, and each mode has the leg length below
which it does not exist and the time its stations or airports take:

========  ===============  ================  ===============================================
mode      leg length       top speed         fixed time the leg must also contain
========  ===============  ================  ===============================================
road      any              150 km/h (the     none
                           policy's
                           ``max_speed_kmh``)
rail      >= 50 km         350 km/h          door to door 30 min (to and from the stations,
                                             boarding); none between fixes on the train
air       >= 300 km        900 km/h          15 min for take-off, climb, descent and landing
                                             on every leg that spans a flight; door to door
                                             another 2 h 15 min (check-in, security,
                                             boarding, deplaning, to the door): 2 h 30 in all
========  ===============  ================  ===============================================

350 km/h is the fastest scheduled high-speed rail (Beijing-Shanghai, Fuxing trains); 900
km/h is a jet's ground speed with a strong tailwind. The fixed times are the shortest a
traveller can manage, so an honest trip always has more: a leg is flagged only when no mode
explains it. Two shapes of leg are judged:

- **Door to door** (:func:`door_to_door_ceiling_ms`), between two fixes taken where the rep
  stood, such as two check-ins: the leg is the straight line between them and every mode's
  full fixed time applies. A "teleport" (a customer 60 km away minutes after the last one)
  fails every mode: road is too slow, rail and air leave no time for their stations.
- **Runs in a recorded track** (:func:`geo.movement.check_track`): fixes sampled every few
  minutes *on* the train are 12-30 km apart, each pair far below 50 km, so a pair cannot be
  judged alone. The track is cut into *runs*, maximal stretches of consecutive moves at
  ``run_floor_kmh`` or more (a stop, or walking to the platform, ends one). A run whose
  summed length reaches a mode's leg length and that is straight-ish (net displacement at
  least ``min_straightness`` of its length: a jump out and back is not a journey) is judged
  by that mode: every move in it may reach the mode's top speed. Stations and airports are
  not charged between fixes on the vehicle. A run that is a single pair (the phone slept
  through the ride) is judged the same way, except that a lone pair judged as a flight must
  leave its 15 min of take-off and landing: a track cannot tell a sleeping phone on a train
  from a jump at the same speed, but the check-ins around such a trip still pay the full
  door-to-door times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class TravelModes:
    """The leg-dependent speed rules. Lengths in metres, speeds in km/h, times in seconds.

    ``road_kmh`` None means the fix policy's ``max_speed_kmh``. ``min_window_s`` is the
    shortest time a track move is measured over: a 1 Hz logger that lost the sky catches up
    in one step, and over a second or two its position error, not its motion, sets the
    speed.
    """

    road_kmh: float | None = None
    rail_min_leg_m: float = 50_000.0
    rail_kmh: float = 350.0
    rail_access_s: float = 30 * 60.0
    air_min_leg_m: float = 300_000.0
    air_kmh: float = 900.0
    air_flight_s: float = 15 * 60.0
    air_ground_s: float = 135 * 60.0
    run_floor_kmh: float = 40.0
    min_straightness: float = 0.5
    min_window_s: float = 60.0

    def road_ms(self, policy_max_kmh: float) -> float:
        """The road ceiling in m/s: ``road_kmh``, or the policy's when that is None."""
        return (self.road_kmh if self.road_kmh is not None else policy_max_kmh) / 3.6

    @property
    def rail_ms(self) -> float:
        """Rail top speed in m/s."""
        return self.rail_kmh / 3.6

    @property
    def air_ms(self) -> float:
        """Air top speed in m/s."""
        return self.air_kmh / 3.6


DEFAULT_MODES = TravelModes()


def _over(elapsed_s: FloatArray, fixed_s: float) -> FloatArray:
    """The share of ``elapsed_s`` left after ``fixed_s`` (0 where nothing is left)."""
    elapsed = np.maximum(np.asarray(elapsed_s, dtype=np.float64), 1.0)
    return np.asarray(np.maximum(elapsed - fixed_s, 0.0) / elapsed, dtype=np.float64)


def door_to_door_ceiling_ms(reach_m: FloatArray, elapsed_s: FloatArray, road_ms: float,
                            modes: TravelModes = DEFAULT_MODES) -> FloatArray:
    """Per leg, the highest straight-line average speed (m/s) some mode explains for a leg
    of ``reach_m`` metres (less accuracy) taken door to door in ``elapsed_s`` seconds.

    A leg is possible exactly when ``reach_m / elapsed_s`` does not exceed this: rail counts
    from 50 km with its stations' 30 min, air from 300 km with 2 h 30 of airports.
    """
    reach = np.asarray(reach_m, dtype=np.float64)
    ceiling = np.full(reach.shape, road_ms)
    rail = np.where(reach >= modes.rail_min_leg_m,
                    modes.rail_ms * _over(elapsed_s, modes.rail_access_s), 0.0)
    air = np.where(reach >= modes.air_min_leg_m,
                   modes.air_ms * _over(elapsed_s, modes.air_flight_s + modes.air_ground_s), 0.0)
    return np.asarray(np.maximum(ceiling, np.maximum(rail, air)), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of consecutive track moves: how many (``moves``), summed ``length_m``,
    ``net_m`` (first point to last) and ``elapsed_s`` (first point to last)."""

    moves: int
    length_m: float
    net_m: float
    elapsed_s: float


def run_ceiling_ms(run: Run, road_ms: float, modes: TravelModes = DEFAULT_MODES) -> float:
    """The ceiling (m/s) each move of ``run`` is held to: air's top speed when the run is an
    air leg, else rail's when it is a rail leg, else the road ceiling.

    Both need the run straight-ish and at least the mode's leg length long. An air run of a
    single move (nothing shows the aircraft flying) must also leave the 15 min of take-off
    and landing; in a run of several moves the fixes show the flight, and each is held to
    the top speed alone.
    """
    if run.length_m <= 0 or run.net_m < modes.min_straightness * run.length_m:
        return road_ms
    flying = run.elapsed_s - (modes.air_flight_s if run.moves == 1 else 0.0)
    if run.length_m >= modes.air_min_leg_m and run.length_m <= modes.air_ms * flying:
        return max(modes.air_ms, road_ms)
    if run.length_m >= modes.rail_min_leg_m:
        return max(modes.rail_ms, road_ms)
    return road_ms

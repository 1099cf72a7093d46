"""Movement checks: is the distance between two fixes coverable in the time between them?

The implied speed subtracts both fixes' accuracy from the metric distance (a phone standing
still with 30 m of noise must not look like it moved) and divides by the elapsed time,
floored at one second so two far-apart fixes with the same timestamp read as an impossible
speed instead of a division by zero. The straight line is the shortest path, so the implied
speed never exceeds the real one: a fix is only flagged when no road, train or flight could
explain it.

The ceiling depends on the leg (:mod:`geo.travel_modes`): road speeds (the policy's
``max_speed_kmh``, 150 km/h) for any leg, rail (350 km/h) only for legs of 50 km and more,
air (900 km/h) only for legs of 300 km and more, each with the fixed time its stations or
airports take. Two shapes of leg:

- For check-ins, :func:`from_anchor` measures each fix from the rep's last trusted earlier
  fix along a :class:`~geo.history.HistoryOrder`; both fixes were taken where the rep stood,
  so the leg is door to door and :attr:`Movement.ceiling_ms` charges every mode its full
  fixed time (rail 30 min, air 2 h 30). A teleport minutes after the last check-in has no
  time for a station and stays impossible.
- :func:`check_track` runs over a recorded track (GPX, or any sequence of
  :class:`TrackPoint`). A train sampled every 5 minutes moves 12-30 km a pair, below rail's
  50 km, so pairs are judged in their *run*: the stretch of consecutive moves at 40 km/h or
  more around them. A straight-ish run of 50 km or more may move at rail speed throughout, of
  300 km or more at air speed (:func:`geo.travel_modes.run_ceiling_ms`); a fast pair in a
  short or doubling-back run is held to road speed. So an hour at 150-262 km/h on a train
  passes, while a fix that jumps hundreds of kilometres in minutes and back is flagged at
  both jumps. Each move is measured over at least a minute (the point at least 60 s back),
  so a 1 Hz logger catching up after losing the sky is not a 300 km/h sprint. Timestamps
  that are implausible (before the policy's earliest valid instant, such as the 1901 dates
  some loggers write) or that run backwards are reported and left out, instead of crashing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from geo.fix_columns import Bool, Int
from geo.fix_policy import FixIntegrityPolicy
from geo.history import HistoryOrder
from geo.projection import distance_m as metres_between
from geo.projection import point_distance_m, utm_epsg
from geo.reasons import duration, metres, speed
from geo.travel_modes import (
    DEFAULT_MODES,
    Run,
    TravelModes,
    door_to_door_ceiling_ms,
    run_ceiling_ms,
)
from visitproof.reasons import ReasonCode, reason
from visitproof.records import Reason

FloatArray = npt.NDArray[np.float64]
MIN_ELAPSED_S = 1.0


def implied_speed_ms(distance_m: FloatArray, elapsed_s: FloatArray,
                     tolerance_m: FloatArray) -> FloatArray:
    """Speed (m/s) needed to cover ``distance_m`` less ``tolerance_m`` (both metres) in
    ``elapsed_s`` seconds (floored at 1 s). Arrays of one shape."""
    reach = np.maximum(np.asarray(distance_m) - np.asarray(tolerance_m), 0.0)
    return np.asarray(reach / np.maximum(np.asarray(elapsed_s), MIN_ELAPSED_S), dtype=np.float64)


def speed_reason(distance_m: float, elapsed_s: float, tolerance_m: float,
                 policy: FixIntegrityPolicy, modes: TravelModes = DEFAULT_MODES
                 ) -> Reason | None:
    """``IMPOSSIBLE_SPEED`` when the implied speed exceeds the door-to-door ceiling of a leg
    that long (:func:`geo.travel_modes.door_to_door_ceiling_ms`), else None."""
    reach = np.maximum(np.array([distance_m - tolerance_m]), 0.0)
    implied = float(implied_speed_ms(np.array([distance_m]), np.array([elapsed_s]),
                                     np.array([tolerance_m]))[0])
    ceiling = float(door_to_door_ceiling_ms(reach, np.array([elapsed_s]),
                                            modes.road_ms(policy.max_speed_kmh), modes)[0])
    if not implied > ceiling:
        return None
    return reason(ReasonCode.IMPOSSIBLE_SPEED,
                  **speed_fields(distance_m, elapsed_s, implied, policy, ceiling))


def speed_fields(distance_m: float, elapsed_s: float, speed_ms: float,
                 policy: FixIntegrityPolicy, ceiling_ms: float | None = None
                 ) -> dict[str, str]:
    """The ``IMPOSSIBLE_SPEED`` message's fields: metres, seconds and m/s, worded; the
    ceiling is ``ceiling_ms`` (the leg's) or, when None, the policy's road ceiling."""
    ceiling = policy.max_speed_ms if ceiling_ms is None else ceiling_ms
    return {"distance": metres(distance_m), "elapsed": duration(elapsed_s),
            "speed": speed(speed_ms), "ceiling": speed(ceiling)}


@dataclass(frozen=True, slots=True, eq=False)
class Movement:
    """Per judged row, the move from its anchor: ``has`` (whether it has one),
    ``distance_m``, ``elapsed_s`` and ``speed_ms`` (implied, m/s); 0 where it has none.
    ``ceiling_ms`` is the door-to-door ceiling of that leg (m/s; the road ceiling where it
    has none): a move is impossible where ``speed_ms`` exceeds it (:attr:`impossible`)."""

    has: Bool
    distance_m: FloatArray
    elapsed_s: FloatArray
    speed_ms: FloatArray
    ceiling_ms: FloatArray

    @property
    def impossible(self) -> Bool:
        """Rows whose move no travel mode explains."""
        return np.asarray(self.has & (self.speed_ms > self.ceiling_ms), dtype=np.bool_)


def from_anchor(order: HistoryOrder, doubted: Bool, judged: Bool, epsg: Int,
                policy: FixIntegrityPolicy, modes: TravelModes = DEFAULT_MODES) -> Movement:
    """The move of each ``judged`` row from its anchor: the rep's last earlier fix whose
    position is not ``doubted`` (a row mask; fixes from outside bring their own doubt),
    within the policy's look-back, with the door-to-door ceiling of that leg. Distances in
    the UTM zone ``epsg`` of each row."""
    m = len(order)
    eligible = ~order.doubted(doubted)
    last = np.maximum.accumulate(np.where(eligible, np.arange(m), -1))
    anchor = np.concatenate([[-1], last[:-1]]) if m else last
    exists = anchor >= order.start
    anchor = np.maximum(anchor, 0)
    elapsed = (order.t - order.t[anchor]) / order.tick_s
    exists &= order.judged(judged) & (elapsed <= policy.movement_lookback_s)
    a = anchor[exists]
    distance = np.zeros(m)
    distance[exists] = metres_between(order.lon[a], order.lat[a], order.lon[exists],
                                      order.lat[exists], epsg[order.row[exists]])
    tolerance = policy.accuracy_tolerance_m(order.accuracy)
    implied = np.zeros(m)
    implied[exists] = implied_speed_ms(distance[exists], elapsed[exists],
                                       tolerance[a] + tolerance[exists])
    road_ms = modes.road_ms(policy.max_speed_kmh)
    ceiling = np.full(m, road_ms)
    reach = np.maximum(distance[exists] - tolerance[a] - tolerance[exists], 0.0)
    ceiling[exists] = door_to_door_ceiling_ms(reach, elapsed[exists], road_ms, modes)
    return Movement(has=order.to_rows(exists), distance_m=order.per_row(distance),
                    elapsed_s=order.per_row(np.where(exists, elapsed, 0.0)),
                    speed_ms=order.per_row(implied), ceiling_ms=order.per_row(ceiling))


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One recorded position: degrees WGS 84, ``time`` tz-aware UTC or None when the file
    has none, ``accuracy_m`` metres when known."""

    lat: float
    lon: float
    time: datetime | None
    accuracy_m: float | None = None


@dataclass(frozen=True, slots=True)
class TrackFinding:
    """A reason raised at point ``index`` (0-based) of a track."""

    index: int
    reason: Reason


def check_track(points: Sequence[TrackPoint], policy: FixIntegrityPolicy, *,
                default_accuracy_m: float = 10.0,
                modes: TravelModes = DEFAULT_MODES) -> tuple[TrackFinding, ...]:
    """Findings over consecutive timed points of a track, in point order.

    Points without a time are skipped; implausible or backwards times are reported and left
    out of the speed check; each remaining move is checked against the ceiling of the run it
    belongs to (see the module docstring), with ``default_accuracy_m`` (metres) as each
    point's accuracy when the file gives none.
    """
    findings: list[TrackFinding] = []
    kept: list[tuple[int, TrackPoint, datetime]] = []
    for index, point in enumerate(points):
        if point.time is None:
            continue
        if point.time < policy.earliest_valid:
            findings.append(TrackFinding(index, reason(
                ReasonCode.TIME_IMPLAUSIBLE, field="time", value=point.time.isoformat(),
                earliest=policy.earliest_valid.date().isoformat())))
            continue
        if kept:
            elapsed = (point.time - kept[-1][2]).total_seconds()
            if elapsed < 0:
                findings.append(TrackFinding(index, reason(
                    ReasonCode.TIME_NOT_MONOTONIC, field="time", back=duration(elapsed))))
                continue
        kept.append((index, point, point.time))
    findings.extend(_speed_findings([p for _, p, _ in kept], [i for i, _, _ in kept], policy,
                                    default_accuracy_m, modes))
    return tuple(sorted(findings, key=lambda f: f.index))


@dataclass(frozen=True, slots=True, eq=False)
class _Moves:
    """Per move k (point k-1 to point k, k >= 1; entry 0 unused): the pair's ``step_m``,
    and the windowed move from ``anchor[k]`` (the latest point at least the window back):
    ``distance_m``, ``elapsed_s``, ``speed_ms`` (implied); ``t_s`` each point's time (epoch
    seconds)."""

    t_s: FloatArray
    step_m: FloatArray
    anchor: Int
    distance_m: FloatArray
    elapsed_s: FloatArray
    speed_ms: FloatArray


def _moves(track: list[TrackPoint], default_accuracy_m: float, window_s: float) -> _Moves:
    n = len(track)
    lat = np.array([p.lat for p in track], dtype=np.float64)
    lon = np.array([p.lon for p in track], dtype=np.float64)
    t = np.array([p.time.timestamp() if p.time is not None else np.nan for p in track])
    accuracy = np.array([p.accuracy_m or default_accuracy_m for p in track])
    epsg = np.array([utm_epsg(lon[k], lat[k]) for k in range(n)], dtype=np.int64)
    step = np.zeros(n)
    step[1:] = metres_between(lon[:-1], lat[:-1], lon[1:], lat[1:], epsg[:-1])
    # the latest point at least ``window_s`` back, but never further than the previous point
    # when that pair alone spans the window (and point 0 when none is that far back)
    reach_back = np.searchsorted(t, t - window_s, side="right") - 1
    anchor = np.minimum(np.maximum(reach_back, 0), np.arange(n) - 1)
    anchor[0] = 0
    distance = np.zeros(n)
    distance[1:] = metres_between(lon[anchor[1:]], lat[anchor[1:]], lon[1:], lat[1:],
                                  epsg[anchor[1:]])
    elapsed = t - t[anchor]
    implied = implied_speed_ms(distance, elapsed, accuracy[anchor] + accuracy)
    implied[0] = 0.0
    return _Moves(t_s=t, step_m=step, anchor=anchor, distance_m=distance, elapsed_s=elapsed,
                  speed_ms=implied)


def _speed_findings(track: list[TrackPoint], indices: list[int], policy: FixIntegrityPolicy,
                    default_accuracy_m: float, modes: TravelModes) -> list[TrackFinding]:
    """``IMPOSSIBLE_SPEED`` at each point whose move exceeds its run's ceiling."""
    if len(track) < 2:
        return []
    moves = _moves(track, default_accuracy_m, modes.min_window_s)
    road_ms = modes.road_ms(policy.max_speed_kmh)
    moving = moves.speed_ms >= modes.run_floor_kmh / 3.6
    moving[0] = False
    findings: list[TrackFinding] = []
    k, n = 1, len(track)
    while k < n:
        if not moving[k]:
            k += 1
            continue
        end = k
        while end + 1 < n and moving[end + 1]:
            end += 1
        first, last = track[k - 1], track[end]
        run = Run(moves=end - k + 1, length_m=float(moves.step_m[k:end + 1].sum()),
                  net_m=point_distance_m(first.lon, first.lat, last.lon, last.lat,
                                         utm_epsg(first.lon, first.lat)),
                  elapsed_s=float(moves.t_s[end] - moves.t_s[k - 1]))
        ceiling = run_ceiling_ms(run, road_ms, modes)
        for j in range(k, end + 1):
            if moves.speed_ms[j] > ceiling:
                findings.append(TrackFinding(indices[j], reason(
                    ReasonCode.IMPOSSIBLE_SPEED, **speed_fields(
                        float(moves.distance_m[j]), float(moves.elapsed_s[j]),
                        float(moves.speed_ms[j]), policy, ceiling))))
        k = end + 1
    return findings

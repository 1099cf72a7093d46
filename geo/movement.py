"""Movement checks: is the distance between two fixes coverable in the time between them?

The implied speed subtracts both fixes' accuracy from the metric distance (a phone standing
still with 30 m of noise must not look like it moved) and divides by the elapsed time,
floored at one second so two far-apart fixes with the same timestamp read as an impossible
speed instead of a division by zero. The straight line is the shortest path, so the implied
speed never exceeds the real one: a fix is only flagged when no road could explain it.

For check-ins, :func:`from_anchor` measures each fix from the rep's last trusted earlier fix
along a :class:`~geo.history.HistoryOrder`. Besides check-ins, :func:`check_track` runs the
same rule over a recorded track (GPX) and reports timestamps that are implausible (before the
policy's earliest valid instant, such as the 1901 dates some loggers write) or that run
backwards, instead of crashing on them.
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
                 policy: FixIntegrityPolicy) -> Reason | None:
    """``IMPOSSIBLE_SPEED`` when the implied speed exceeds the policy's ceiling, else None."""
    implied = float(implied_speed_ms(np.array([distance_m]), np.array([elapsed_s]),
                                     np.array([tolerance_m]))[0])
    if not implied > policy.max_speed_ms:
        return None
    return reason(ReasonCode.IMPOSSIBLE_SPEED,
                  **speed_fields(distance_m, elapsed_s, implied, policy))


def speed_fields(distance_m: float, elapsed_s: float, speed_ms: float,
                 policy: FixIntegrityPolicy) -> dict[str, str]:
    """The ``IMPOSSIBLE_SPEED`` message's fields: metres, seconds and m/s, worded."""
    return {"distance": metres(distance_m), "elapsed": duration(elapsed_s),
            "speed": speed(speed_ms), "ceiling": speed(policy.max_speed_ms)}


@dataclass(frozen=True, slots=True, eq=False)
class Movement:
    """Per judged row, the move from its anchor: ``has`` (whether it has one),
    ``distance_m``, ``elapsed_s`` and ``speed_ms`` (implied, m/s); 0 where it has none."""

    has: Bool
    distance_m: FloatArray
    elapsed_s: FloatArray
    speed_ms: FloatArray


def from_anchor(order: HistoryOrder, doubted: Bool, judged: Bool, epsg: Int,
                policy: FixIntegrityPolicy) -> Movement:
    """The move of each ``judged`` row from its anchor: the rep's last earlier fix whose
    position is not ``doubted`` (a row mask; fixes from outside bring their own doubt),
    within the policy's look-back. Distances in the UTM zone ``epsg`` of each row."""
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
    return Movement(has=order.to_rows(exists), distance_m=order.per_row(distance),
                    elapsed_s=order.per_row(np.where(exists, elapsed, 0.0)),
                    speed_ms=order.per_row(implied))


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
                default_accuracy_m: float = 10.0) -> tuple[TrackFinding, ...]:
    """Findings over consecutive timed points of a track.

    Points without a time are skipped; implausible or backwards times are reported and left
    out of the speed check; each remaining pair is checked against the speed ceiling, with
    ``default_accuracy_m`` (metres) as each point's accuracy when the file gives none.
    """
    findings: list[TrackFinding] = []
    previous: TrackPoint | None = None
    for index, point in enumerate(points):
        if point.time is None:
            continue
        if point.time < policy.earliest_valid:
            findings.append(TrackFinding(index, reason(
                ReasonCode.TIME_IMPLAUSIBLE, field="time", value=point.time.isoformat(),
                earliest=policy.earliest_valid.date().isoformat())))
            continue
        if previous is not None and previous.time is not None:
            elapsed = (point.time - previous.time).total_seconds()
            if elapsed < 0:
                findings.append(TrackFinding(index, reason(
                    ReasonCode.TIME_NOT_MONOTONIC, field="time", back=duration(elapsed))))
                continue
            tolerance = ((previous.accuracy_m or default_accuracy_m)
                         + (point.accuracy_m or default_accuracy_m))
            distance = point_distance_m(previous.lon, previous.lat, point.lon, point.lat,
                                        utm_epsg(previous.lon, previous.lat))
            too_fast = speed_reason(distance, elapsed, tolerance, policy)
            if too_fast is not None:
                findings.append(TrackFinding(index, too_fast))
        previous = point
    return tuple(findings)

"""Honest intercity trips: a rep taking a high-speed train or a flight out of Hangzhou, door
to door, with the fixes a phone logs along the way.

A trip is: a drive from a door in the city to the station or airport (25-45 km/h along the
straight line), a wait there (rail 12-35 min; air 70-110 min for check-in, security and
boarding, then 8-20 min taxiing), the ride, a wait on arrival (rail 3-10 min; air taxiing
then 15-35 min deplaning and baggage) and a drive to a door 5-25 km from the arrival hub.

- **Rail**: Hangzhou East to a real high-speed station 140-1,130 km away; cruising at
  250-340 km/h (the Fuxing timetable's range), 0.3-0.45 m/s^2 to speed up and slow down,
  and a 2-4 min stop every 120-300 km on long lines.
- **Air**: Hangzhou Xiaoshan to a real airport 600-1,610 km away; 15-25 min climbing and
  20-30 min descending at a mean ground speed of 60-70% of the cruise (780-870 km/h). 60%
  of phones log nothing between the gates (flight mode); the rest log through the flight.

Fixes come every 60 s or 300 s (the rate of a logger and of the 5-minute real tracks the
movement check was tuned on), with 3-12 m of noise and no stated accuracy, like GPX. Trips
are drawn from their own generator seeded with ``(seed, 17)``, so adding them leaves every
other stream of a simulation, and its check-ins, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from geo.movement import TrackPoint
from simulation.scenario import DEFAULT_START

Float = npt.NDArray[np.float64]
EARTH_RADIUS_M = 6_371_000.0
TRIP_STREAM = 17


class TravelMode(StrEnum):
    """How an intercity trip is made."""

    RAIL = "rail"
    AIR = "air"


@dataclass(frozen=True, slots=True)
class Hub:
    """A station or airport: name and WGS 84 degrees."""

    name: str
    lat: float
    lon: float


HANGZHOU_EAST = Hub("Hangzhou East", 30.2906, 120.2127)
HANGZHOU_XIAOSHAN = Hub("Hangzhou Xiaoshan", 30.2295, 120.4344)
RAIL_DESTINATIONS: tuple[Hub, ...] = (
    Hub("Shanghai Hongqiao", 31.1945, 121.3207),
    Hub("Ningbo", 29.8620, 121.5977),
    Hub("Nanjing South", 31.9683, 118.7975),
    Hub("Huangshan North", 29.8963, 118.3141),
    Hub("Hefei South", 31.7990, 117.2900),
    Hub("Beijing South", 39.8652, 116.3786),
)
AIR_DESTINATIONS: tuple[Hub, ...] = (
    Hub("Beijing Capital", 40.0799, 116.6031),
    Hub("Guangzhou Baiyun", 23.3924, 113.2988),
    Hub("Shenzhen Bao'an", 22.6393, 113.8107),
    Hub("Chengdu Shuangliu", 30.5785, 103.9471),
    Hub("Xi'an Xianyang", 34.4471, 108.7516),
    Hub("Wuhan Tianhe", 30.7838, 114.2081),
)


@dataclass(frozen=True, slots=True)
class Trip:
    """One honest trip: its mode, destination hub, the fixes logged door to door (times
    UTC, accuracy unknown) and the sampling interval (s)."""

    mode: TravelMode
    destination: str
    points: tuple[TrackPoint, ...]
    sample_s: float


def haversine_m(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    """Great-circle metres between two points in degrees."""
    pa, pb = np.radians(lat_a), np.radians(lat_b)
    dp, dl = pb - pa, np.radians(lon_b - lon_a)
    h = np.sin(dp / 2) ** 2 + np.cos(pa) * np.cos(pb) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)))


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + np.degrees(north_m / EARTH_RADIUS_M),
            lon + np.degrees(east_m / (EARTH_RADIUS_M * np.cos(np.radians(lat)))))


def _trapezoid(length_m: float, cruise_ms: float, accel: float, t: Float) -> Float:
    """Metres covered after ``t`` seconds of a ride of ``length_m`` that speeds up at
    ``accel`` m/s^2 to ``cruise_ms``, cruises, and slows down the same way."""
    ramp = min(cruise_ms / accel, np.sqrt(length_m / accel))
    top = accel * ramp
    cruise_s = max(length_m - accel * ramp ** 2, 0.0) / top
    total = 2 * ramp + cruise_s
    t = np.clip(t, 0.0, total)
    up = 0.5 * accel * np.minimum(t, ramp) ** 2
    mid = top * np.clip(t - ramp, 0.0, cruise_s)
    down_t = np.clip(t - ramp - cruise_s, 0.0, ramp)
    down = top * down_t - 0.5 * accel * down_t ** 2
    return np.asarray(up + mid + down, dtype=np.float64)


class _Timeline:
    """Piecewise position over time: segments of (duration s, start, end, metres covered
    as a function of seconds into the segment, length m)."""

    def __init__(self) -> None:
        self.parts: list[tuple[float, tuple[float, float], tuple[float, float],
                               Float, float]] = []
        self.t_of: list[Float] = []

    def add(self, duration_s: float, start: tuple[float, float], end: tuple[float, float],
            covered: tuple[Float, Float] | None = None) -> None:
        """Append a segment; ``covered`` samples (seconds, metres) of the progress, else
        uniform progress from start to end."""
        length = haversine_m(*start, *end)
        if covered is None:
            covered = (np.array([0.0, duration_s]), np.array([0.0, length]))
        self.parts.append((duration_s, start, end, covered[1], length))
        self.t_of.append(covered[0])

    @property
    def duration_s(self) -> float:
        return float(sum(part[0] for part in self.parts))

    def at(self, t: float) -> tuple[float, float]:
        """(lat, lon) at ``t`` seconds from the start."""
        last = len(self.parts) - 1
        for k, ((duration, start, end, metres, length), times) in enumerate(
                zip(self.parts, self.t_of, strict=True)):
            if t <= duration or k == last:
                share = float(np.interp(t, times, metres)) / length if length > 0 else 0.0
                return (start[0] + share * (end[0] - start[0]),
                        start[1] + share * (end[1] - start[1]))
            t -= duration
        return self.parts[last][2]


def _ride(length_m: float, cruise_ms: float, accel: float) -> tuple[Float, Float]:
    ramp = min(cruise_ms / accel, np.sqrt(length_m / accel))
    total = 2 * ramp + max(length_m - accel * ramp ** 2, 0.0) / (accel * ramp)
    t = np.linspace(0.0, total, 400)
    return t, _trapezoid(length_m, cruise_ms, accel, t)


def _trip(rng: np.random.Generator, mode: TravelMode, hub: Hub, start: datetime) -> Trip:
    origin = HANGZHOU_EAST if mode is TravelMode.RAIL else HANGZHOU_XIAOSHAN
    o, d = (origin.lat, origin.lon), (hub.lat, hub.lon)
    angle = rng.uniform(0, 2 * np.pi, 2)
    reach = rng.uniform(5_000, 25_000, 2)
    door_a = _offset(*o, reach[0] * np.cos(angle[0]), reach[0] * np.sin(angle[0]))
    door_b = _offset(*d, reach[1] * np.cos(angle[1]), reach[1] * np.sin(angle[1]))
    line = _Timeline()
    line.add(haversine_m(*door_a, *o) / (rng.uniform(25, 45) / 3.6), door_a, o)
    length = haversine_m(*o, *d)
    if mode is TravelMode.RAIL:
        line.add(rng.uniform(12, 35) * 60, o, o)
        cruise, accel = rng.uniform(250, 340) / 3.6, rng.uniform(0.3, 0.45)
        legs = max(1, int(length // rng.uniform(120_000, 300_000)))
        for leg in range(legs):
            a = (o[0] + (d[0] - o[0]) * leg / legs, o[1] + (d[1] - o[1]) * leg / legs)
            b = (o[0] + (d[0] - o[0]) * (leg + 1) / legs,
                 o[1] + (d[1] - o[1]) * (leg + 1) / legs)
            ride = _ride(haversine_m(*a, *b), cruise, accel)
            line.add(float(ride[0][-1]), a, b, ride)
            line.add(rng.uniform(2, 4) * 60 if leg + 1 < legs else rng.uniform(3, 10) * 60,
                     b, b)
    else:
        line.add(rng.uniform(70, 110) * 60 + rng.uniform(8, 20) * 60, o, o)
        cruise = rng.uniform(780, 870) / 3.6
        climb, descent = rng.uniform(15, 25) * 60, rng.uniform(20, 30) * 60
        ramp_speed = cruise * rng.uniform(0.6, 0.7)
        ramps = min(ramp_speed * (climb + descent), 0.8 * length)
        scale = ramps / (ramp_speed * (climb + descent))
        climb, descent = climb * scale, descent * scale
        level = (length - ramps) / cruise
        t = np.array([0.0, climb, climb + level, climb + level + descent])
        covered = np.array([0.0, ramp_speed * climb, ramp_speed * climb + cruise * level,
                            length])
        line.add(float(t[-1]), o, d, (t, covered))
        line.add(rng.uniform(5, 15) * 60 + rng.uniform(15, 35) * 60, d, d)
    line.add(haversine_m(*d, *door_b) / (rng.uniform(25, 45) / 3.6), d, door_b)
    sample = float(rng.choice([60.0, 300.0]))
    silent = (mode is TravelMode.AIR and rng.random() < 0.6)
    flight = (line.parts[0][0] + line.parts[1][0],
              line.parts[0][0] + line.parts[1][0] + line.parts[2][0])
    points: list[TrackPoint] = []
    for at_s in np.arange(0.0, line.duration_s, sample):
        if silent and flight[0] < at_s < flight[1]:
            continue
        lat, lon = line.at(float(at_s))
        noise = rng.normal(0.0, rng.uniform(3, 12), 2)
        lat, lon = _offset(lat, lon, float(noise[0]), float(noise[1]))
        points.append(TrackPoint(lat=float(lat), lon=float(lon),
                                 time=start + timedelta(seconds=float(at_s))))
    return Trip(mode=mode, destination=hub.name, points=tuple(points), sample_s=sample)


def honest_trips(seed: int, count: int = 60, *,
                 start: datetime = DEFAULT_START) -> tuple[Trip, ...]:
    """``count`` honest trips, half by rail and half by air, each leaving between 07:00 and
    15:00 local on one of the first 30 days after ``start``; deterministic for ``seed``."""
    rng = np.random.default_rng([seed, TRIP_STREAM])
    trips: list[Trip] = []
    for k in range(count):
        mode = TravelMode.RAIL if k % 2 == 0 else TravelMode.AIR
        hubs = RAIL_DESTINATIONS if mode is TravelMode.RAIL else AIR_DESTINATIONS
        hub = hubs[int(rng.integers(len(hubs)))]
        leave = start + timedelta(days=int(rng.integers(30)),
                                  hours=float(rng.uniform(7, 15)))
        trips.append(_trip(rng, mode, hub, leave))
    return tuple(trips)


def with_teleport(trip: Trip, rng: np.random.Generator) -> tuple[tuple[TrackPoint, ...], int]:
    """The trip's fixes with one fix replaced by a spoofed one 200-1,500 km away (then back
    to the real track), and that fix's index."""
    points = list(trip.points)
    k = int(rng.integers(1, len(points) - 1))
    angle, reach = rng.uniform(0, 2 * np.pi), rng.uniform(200_000, 1_500_000)
    lat, lon = _offset(points[k].lat, points[k].lon, reach * np.cos(angle),
                       reach * np.sin(angle))
    points[k] = TrackPoint(lat=float(lat), lon=float(lon), time=points[k].time)
    return tuple(points), k

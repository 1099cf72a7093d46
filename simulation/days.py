"""Honest working days: each rep's planned visits, travel, GPS fixes, check-in uploads,
commitments, next actions and their outcomes.

A rep leaves home between 08:30 and 09:20 (Asia/Shanghai), visits 6-10 customers from their
portfolio (A tier most, C tier rarely, recently visited ones less), nearest first, travelling
along a detoured path (x1.2-1.45 the straight line) on foot under 700 m, else by car at city
(15-32 km/h) or county (30-60 km/h) speeds plus parking. The fix is taken in the store shortly
before leaving: position error ~ Rayleigh with the reported accuracy (5-50 m) as its 68%
radius, and urban-canyon outliers (40-120 m accuracy, multipath bias up to 1.5x that).
Uploads mostly come within minutes, 3.5% honestly late (16-50 min); 0.2% of phones have a
clock 2.5-7 min off (automatic time switched off). Sundays are off.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import shapely

from simulation.company import Company
from simulation.region import to_degrees
from visitproof.records import NextActionKind

K = NextActionKind
LOCAL_OFFSET = timedelta(hours=8)
_ACTIONS: tuple[tuple[NextActionKind, str], ...] = (
    (K.CALL, "call {who} to confirm the order quantity"),
    (K.MEETING, "meet {who} to review the shelf plan"),
    (K.SEND_DOCUMENT, "send the draft contract to {who}"),
    (K.SEND_QUOTE, "send the quote for the new range to {who}"),
    (K.DEMO, "demonstrate the device to {who}"),
    (K.TRIAL, "start the trial with {who}"),
    (K.DELIVERY, "deliver the promotional display, signed off by {who}"),
    (K.VISIT, "visit {who} to check the golden-zone placement"),
)
_COMMITMENTS = ("agrees to a trial of the new range before the end of the month",
                "agrees to move the featured products to eye level",
                "agrees to order two more cartons next week",
                "agrees to a demo in the department next Tuesday",
                "agrees to put the promotion display at the entrance")


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """One check-in as the simulator knows it: the truth plus what the phone sends.
    Positions in degrees, accuracy in metres, times tz-aware UTC."""

    rep: int
    customer: int
    day: int
    seq: int
    checkin_id: uuid.UUID
    arrived_at: datetime
    departed_at: datetime
    photo_captured_at: datetime
    fix_time: datetime
    lat: float
    lon: float
    accuracy_m: float
    is_mock: bool
    provider: str
    submitted_at: datetime
    device_submitted_at: datetime
    photo_sha256: str
    exif_captured_at: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    commitment: str
    contract_number: str | None
    action_kind: NextActionKind
    action_text: str
    action_due_at: datetime
    action_contact_id: str
    completed_at: datetime | None
    fraud_type: str = ""
    fraud_variant: str = ""


@dataclass(frozen=True, slots=True)
class RepDay:
    """A rep's visits of one day and the path driven (lon/lat LineString)."""

    rep: int
    day: int
    visits: tuple[Visit, ...]
    route: shapely.LineString


def checkin_uuid(rng: np.random.Generator) -> uuid.UUID:
    """A version-4 UUID drawn from ``rng`` (reproducible)."""
    return uuid.UUID(bytes=rng.bytes(16), version=4)


def photo_digest(seed: int, checkin_id: uuid.UUID) -> str:
    """A stand-in photo SHA-256, unique per check-in and seed."""
    return hashlib.sha256(f"{seed}:{checkin_id}".encode()).hexdigest()


def _offset(rng: np.random.Generator, sigma: float) -> tuple[float, float]:
    radius = sigma * np.sqrt(-2.0 * np.log(1.0 - rng.random()))
    angle = rng.uniform(0.0, 2 * np.pi)
    return radius * np.cos(angle), radius * np.sin(angle)


class DayPlanner:
    """Generates honest rep-days for one company; keeps per-rep recency between days."""

    def __init__(self, company: Company, rng: np.random.Generator, seed: int,
                 start: datetime, passive_reps: frozenset[int], now: datetime) -> None:
        self.c, self.rng, self.seed, self.start, self.now = company, rng, seed, start, now
        self.passive = passive_reps
        n = len(company.customers)
        tier_weight = {"A": 5.0, "B": 2.0, "C": 0.25}
        self.base_weight = np.array([tier_weight[c.tier.value] for c in company.customers])
        self.portfolio = [np.array([i for i, c in enumerate(company.customers)
                                    if rep.id in c.assigned_rep_ids], dtype=np.int64)
                          for rep in company.reps]
        self.last_visit = np.full((len(company.reps), n), -99, dtype=np.int64)

    def day(self, rep: int, day: int) -> RepDay | None:
        """The rep's honest day ``day`` (0-based from ``start``), or None on Sundays."""
        date = self.start + timedelta(days=day)
        if (date + LOCAL_OFFSET).weekday() == 6:
            return None
        rng, c = self.rng, self.c
        mine = self.portfolio[rep]
        if len(mine) == 0:
            return None
        weight = self.base_weight[mine] * np.where(day - self.last_visit[rep, mine] < 3,
                                                   0.15, 1.0)
        farmer = rep in self.c.farmers
        if farmer:
            weight = weight * np.where(c.customer_owner[mine] != rep, 3.0, 1.0)
        # Farmers are the busiest reps: they top the "most verified visits" ranking.
        count = min(int(rng.integers(10, 13) if farmer else rng.integers(6, 11)), len(mine))
        chosen = list(rng.choice(mine, size=count, replace=False, p=weight / weight.sum()))
        x, y = float(c.rep_x[rep]), float(c.rep_y[rep])
        clock = date + timedelta(minutes=float(rng.uniform(510, 560)))  # 08:30-09:20 local
        path = [(x, y)]
        visits: list[Visit] = []
        while chosen:
            nearest = min(chosen, key=lambda k: (c.customer_x[k] - x) ** 2
                          + (c.customer_y[k] - y) ** 2)
            chosen.remove(nearest)
            tx, ty = float(c.customer_x[nearest]), float(c.customer_y[nearest])
            clock += timedelta(seconds=self._travel_s(x, y, tx, ty, bool(
                c.customer_urban[nearest]), path))
            visit = self._visit(rep, int(nearest), day, len(visits), clock)
            visits.append(visit)
            self.last_visit[rep, nearest] = day
            clock, x, y = visit.departed_at, tx, ty
        lon, lat = to_degrees(np.array([p[0] for p in path]), np.array([p[1] for p in path]))
        return RepDay(rep, day, tuple(visits), shapely.LineString(np.column_stack([lon, lat])))

    def _travel_s(self, x: float, y: float, tx: float, ty: float, urban: bool,
                  path: list[tuple[float, float]]) -> float:
        rng = self.rng
        straight = float(np.hypot(tx - x, ty - y))
        bend = rng.normal(0.0, 0.15) * straight
        mx, my = (x + tx) / 2, (y + ty) / 2
        nx, ny = (-(ty - y), tx - x) if straight > 0 else (0.0, 0.0)
        scale = bend / straight if straight > 0 else 0.0
        path.extend([(mx + nx * scale, my + ny * scale), (tx, ty)])
        length = straight * rng.uniform(1.2, 1.45)
        if straight < 700:
            return length / (rng.uniform(4.0, 5.5) / 3.6)
        kmh = rng.uniform(15, 32) if urban else rng.uniform(30, 60)
        return length / (kmh / 3.6) + rng.uniform(120, 420)

    def _visit(self, rep: int, customer: int, day: int, seq: int, arrived: datetime) -> Visit:
        rng, c = self.rng, self.c
        record = c.customers[customer]
        hospital = record.type.value in ("hospital_department", "hypermarket")
        dwell = float(np.clip(rng.lognormal(np.log(40 if hospital else 22), 0.35), 8, 90)) * 60
        departed = arrived + timedelta(seconds=dwell)
        fix_time = max(departed - timedelta(seconds=float(rng.uniform(60, 360))),
                       arrived + timedelta(seconds=60))
        photo = arrived + timedelta(seconds=float(rng.uniform(120, max(180, 0.6 * dwell))))
        outlier = rng.random() < (0.025 if c.customer_urban[customer] else 0.008)
        accuracy = (float(rng.uniform(40, 120)) if outlier
                    else float(np.clip(rng.lognormal(np.log(12), 0.45), 5, 50)))
        sx, sy = _offset(rng, 25.0 if hospital else 8.0)
        ex, ey = _offset(rng, accuracy / 1.51)
        if outlier:  # multipath: the error can exceed what the phone admits to
            bias, angle = rng.uniform(0, 1.5 * accuracy), rng.uniform(0, 2 * np.pi)
            ex, ey = ex + bias * np.cos(angle), ey + bias * np.sin(angle)
        lon, lat = to_degrees(np.array([c.customer_x[customer] + sx + ex]),
                              np.array([c.customer_y[customer] + sy + ey]))
        late = rng.random() < 0.035
        delay = (rng.uniform(16, 50) * 60 if late
                 else float(np.clip(rng.lognormal(np.log(240), 0.7), 20, 14 * 60)))
        submitted = departed + timedelta(seconds=float(delay))
        drift = rng.uniform(150, 400) * rng.choice([-1, 1]) if rng.random() < 0.002 else 0.0
        device = submitted - timedelta(seconds=float(rng.uniform(0.3, 8) + rng.normal(0, 3)
                                                     + drift))
        checkin_id = checkin_uuid(rng)
        exif_lat: float | None = None
        exif_lon: float | None = None
        if rng.random() < 0.85:
            gx, gy = _offset(rng, accuracy / 3)
            elon, elat = to_degrees(np.array([c.customer_x[customer] + sx + ex + gx]),
                                    np.array([c.customer_y[customer] + sy + ey + gy]))
            exif_lat, exif_lon = float(elat[0]), float(elon[0])
        contacts = c.contacts_of[record.id]
        contact = contacts[int(rng.integers(len(contacts)))]
        waiting = rng.random() < (0.75 if rep in self.passive else 0.08)
        kind, text = ((K.WAITING_FOR_CUSTOMER, "wait for {who} to reply") if waiting
                      else _ACTIONS[int(rng.integers(len(_ACTIONS)))])
        due_day = (departed + LOCAL_OFFSET).date() + timedelta(days=int(rng.integers(1, 11)))
        due = datetime(due_day.year, due_day.month, due_day.day, 2, tzinfo=departed.tzinfo)
        done = rng.random() < (0.55 if rep in self.passive or waiting else 0.86)
        completed: datetime | None = None
        if done:
            shift = (-rng.uniform(0, 36) if rng.random() < 0.88 else rng.uniform(2, 96)) * 3600
            completed = max(due + timedelta(seconds=float(shift)),
                            submitted + timedelta(hours=1))
            if completed > self.now:
                completed = None
        return Visit(
            rep=rep, customer=customer, day=day, seq=seq, checkin_id=checkin_id,
            arrived_at=arrived, departed_at=departed, photo_captured_at=photo,
            fix_time=fix_time, lat=float(lat[0]), lon=float(lon[0]), accuracy_m=round(
                accuracy, 1), is_mock=False,
            provider="fused" if rng.random() < 0.15 else "gps", submitted_at=submitted,
            device_submitted_at=device, photo_sha256=photo_digest(self.seed, checkin_id),
            exif_captured_at=photo + timedelta(seconds=float(rng.uniform(-1.5, 1.5))),
            exif_lat=exif_lat, exif_lon=exif_lon,
            commitment=_COMMITMENTS[int(rng.integers(len(_COMMITMENTS)))],
            contract_number=(f"HZ-2026-{int(rng.integers(10000, 99999))}"
                             if rng.random() < 0.3 else None),
            action_kind=kind, action_text=text.format(who=f"contact {contact}"),
            action_due_at=due, action_contact_id=contact, completed_at=completed)

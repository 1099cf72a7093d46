"""Injected fraud with ground-truth labels.

Each visit turns fraudulent with probability ``fraud_rate``; its type is drawn uniformly from
:class:`FraudType` (re-drawn when the visit can't carry it, e.g. a teleport needs an honest
earlier visit the same day). What each type changes, and nothing else:

- ``backfill``: the real visit, submitted 2-30 h after leaving.
- ``remote``: the fix is at the rep's home or in the car park of another store 0.5-5 km away.
- ``teleport``: a spoofed check-in at a customer 60+ km away, minutes after the last honest one.
- ``mock_location``: OS mock flag, accuracy exactly 0, grid-snapped coordinates, the store's
  exact registered point, a run of constant accuracy for the rest of the day, or a replayed
  point: one fix the rep recorded on an earlier honest visit (lat, lon and accuracy exactly)
  sent again on this visit and on 2-5 of the rep's later visits, across days.
- ``clock_tampering``: the phone clock set back to make a late upload look timely, or hours
  ahead.
- ``photo_reuse``: the photo of an earlier check-in (own 80%, a colleague's 20%).
- ``exif_mismatch``: the photo's EXIF says days earlier, or kilometres away.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np

from geo.fix_policy import FixIntegrityPolicy
from simulation.company import Company
from simulation.days import RepDay, Visit
from simulation.region import to_degrees, to_metres


class FraudType(StrEnum):
    """Labels written with each fraudulent check-in; honest ones carry ``""``."""

    BACKFILL = "backfill"
    REMOTE = "remote"
    TELEPORT = "teleport"
    MOCK_LOCATION = "mock_location"
    CLOCK_TAMPERING = "clock_tampering"
    PHOTO_REUSE = "photo_reuse"
    EXIF_MISMATCH = "exif_mismatch"


_MOCK_VARIANTS = ("os_flag", "accuracy_zero", "grid_snapped", "exact_point", "replayed_point",
                  "constant_run")
_DRAWN_MOCK = _MOCK_VARIANTS[:5]  # constant_run starts on its own draw
_REPLAY_AGAIN = 0.3  # chance that a replaying rep replays on each later honest visit


@dataclass(frozen=True, slots=True)
class _Recorded:
    """A fix a rep recorded on an honest visit: degrees, metres."""

    lat: float
    lon: float
    accuracy_m: float


class FraudInjector:
    """Turns honest rep-days into labelled ones, in day order, reproducibly for ``rng``."""

    def __init__(self, company: Company, rng: np.random.Generator, rate: float,
                 policy: FixIntegrityPolicy) -> None:
        self.c, self.rng, self.rate, self.policy = company, rng, rate, policy
        # The replayed point's choices come from a child stream, so ``rng`` (which also
        # draws the honest visits) is consumed exactly as before the variant existed.
        self.replay_rng = rng.spawn(1)[0]
        self.photos_by_rep: dict[int, list[tuple[str, datetime]]] = {}
        self.all_photos: list[tuple[str, datetime]] = []
        self.honest_fixes: dict[int, list[tuple[int, _Recorded]]] = {}  # (customer, fix)
        self.replaying: dict[int, tuple[_Recorded, int]] = {}  # rep -> (fix, replays left)

    def apply(self, rep_day: RepDay) -> RepDay:
        """The day with fraud injected; earlier days' photos become reusable afterwards."""
        visits = list(rep_day.visits)
        drawn = [False] * len(visits)  # fraud drawn from ``rng`` (a replay does not count)
        constant_from: int | None = None
        for k, visit in enumerate(visits):
            if constant_from is not None:
                visits[k], drawn[k] = self._constant(visit), True
                continue
            if self.rng.random() >= self.rate:
                visits[k] = self._honest_or_replayed(visit)
                continue
            drawn[k] = True
            kind = FraudType(self.rng.choice(list(FraudType)))
            # the honest visit before, as drawn: a replay there changes no draw here
            prev = rep_day.visits[k - 1] if k > 0 else None
            if kind is FraudType.TELEPORT and (prev is None or drawn[k - 1]):
                kind = FraudType.BACKFILL
            if kind is FraudType.PHOTO_REUSE and not self.photos_by_rep.get(visit.rep):
                kind = FraudType.CLOCK_TAMPERING
            if (kind is FraudType.MOCK_LOCATION and len(visits) - k >= 5
                    and self.rng.random() < 0.2):
                constant_from = k
                visits[k] = self._constant(visit)
                continue
            visits[k] = self._inject(kind, visit, prev)
        for visit in visits:
            use = (visit.photo_sha256, visit.submitted_at)
            self.photos_by_rep.setdefault(visit.rep, []).append(use)
            self.all_photos.append(use)
        return RepDay(rep_day.rep, rep_day.day, tuple(visits), rep_day.route)

    def _inject(self, kind: FraudType, v: Visit, prev: Visit | None) -> Visit:
        rng = self.rng
        if kind is FraudType.BACKFILL:
            late = timedelta(hours=float(rng.uniform(2, 30)))
            return replace(v, submitted_at=v.departed_at + late,
                           device_submitted_at=v.departed_at + late - timedelta(seconds=2),
                           fraud_type=kind, fraud_variant="hours_later")
        if kind is FraudType.REMOTE:
            return self._remote(v)
        if kind is FraudType.TELEPORT and prev is not None:
            return self._teleport(v, prev)
        if kind is FraudType.MOCK_LOCATION:
            return self._mock(v, str(rng.choice(_DRAWN_MOCK)))
        if kind is FraudType.CLOCK_TAMPERING:
            if rng.random() < 0.7:
                submitted = v.departed_at + timedelta(minutes=float(rng.uniform(20, 180)))
                device = v.departed_at + timedelta(minutes=float(rng.uniform(3, 12)))
                return replace(v, submitted_at=submitted, device_submitted_at=device,
                               fraud_type=kind, fraud_variant="set_back")
            ahead = timedelta(hours=float(rng.uniform(1, 8)))
            return replace(v, device_submitted_at=v.submitted_at + ahead, fraud_type=kind,
                           fraud_variant="ahead")
        if kind is FraudType.PHOTO_REUSE:
            own = rng.random() < 0.8 or len(self.all_photos) < 2
            # only photos already submitted: the copy must come after the original
            pool = [sha for sha, sent in (self.photos_by_rep[v.rep] if own
                                          else self.all_photos) if sent < v.submitted_at]
            if not pool:
                return self._exif(v)
            return replace(v, photo_sha256=pool[int(rng.integers(len(pool)))],
                           fraud_type=kind, fraud_variant="own" if own else "colleague")
        return self._exif(v)

    def _move(self, v: Visit, dx: float, dy: float) -> tuple[float, float]:
        x, y = to_metres(np.array([v.lon]), np.array([v.lat]))
        lon, lat = to_degrees(x + dx, y + dy)
        return float(lat[0]), float(lon[0])

    def _remote(self, v: Visit) -> Visit:
        c, rng = self.c, self.rng
        cx, cy = c.customer_x[v.customer], c.customer_y[v.customer]
        home = float(np.hypot(c.rep_x[v.rep] - cx, c.rep_y[v.rep] - cy))
        if rng.random() < 0.5 and home > 600:
            dx = c.rep_x[v.rep] + rng.normal(0, 30) - cx
            dy = c.rep_y[v.rep] + rng.normal(0, 30) - cy
            variant = "home"
        else:
            distance = np.hypot(c.customer_x - cx, c.customer_y - cy)
            near = np.flatnonzero((distance > 500) & (distance < 5000))
            if len(near):
                other = int(near[rng.integers(len(near))])
                angle = rng.uniform(0, 2 * np.pi)
                dx = c.customer_x[other] + 50 * np.cos(angle) - cx
                dy = c.customer_y[other] + 50 * np.sin(angle) - cy
            else:
                angle, reach = rng.uniform(0, 2 * np.pi), rng.uniform(800, 3000)
                dx, dy = reach * np.cos(angle), reach * np.sin(angle)
            variant = "other_store_car_park"
        lat, lon = self._move(v, float(dx), float(dy))
        return replace(v, lat=lat, lon=lon, exif_lat=lat if v.exif_lat is not None else None,
                       exif_lon=lon if v.exif_lon is not None else None,
                       fraud_type=FraudType.REMOTE, fraud_variant=variant)

    def _teleport(self, v: Visit, prev: Visit) -> Visit:
        c, rng = self.c, self.rng
        px, py = to_metres(np.array([prev.lon]), np.array([prev.lat]))
        distance = np.hypot(c.customer_x - px[0], c.customer_y - py[0])
        far = np.flatnonzero(distance > 60_000)
        target = (int(far[rng.integers(len(far))]) if len(far)
                  else int(np.argmax(distance)))
        arrived = prev.departed_at + timedelta(minutes=float(rng.uniform(2, 6)))
        departed = arrived + timedelta(minutes=float(rng.uniform(8, 15)))
        fix_time = arrived + timedelta(minutes=float(rng.uniform(1, 5)))
        shift = v.submitted_at - v.departed_at
        jx, jy = rng.normal(0, v.accuracy_m / 1.51, 2)
        lon, lat = to_degrees(np.array([c.customer_x[target] + jx]),
                              np.array([c.customer_y[target] + jy]))
        customer = c.customers[target]
        return replace(
            v, customer=target, arrived_at=arrived, departed_at=departed, fix_time=fix_time,
            photo_captured_at=arrived + timedelta(minutes=1), lat=float(lat[0]),
            lon=float(lon[0]), submitted_at=departed + shift,
            device_submitted_at=departed + shift - timedelta(seconds=2),
            exif_captured_at=arrived + timedelta(minutes=1), exif_lat=None, exif_lon=None,
            action_contact_id=c.contacts_of[customer.id][0],
            fraud_type=FraudType.TELEPORT, fraud_variant="far_customer")

    def _honest_or_replayed(self, v: Visit) -> Visit:
        """``v`` as drawn, or the rep's recorded fix again while it is replaying one; an
        honest visit becomes a fix the rep may record."""
        replaying = self.replaying.get(v.rep)
        if replaying is not None and self.replay_rng.random() < _REPLAY_AGAIN:
            fix, left = replaying
            if left <= 1:
                del self.replaying[v.rep]
            else:
                self.replaying[v.rep] = (fix, left - 1)
            return self._replayed(v, fix)
        self.honest_fixes.setdefault(v.rep, []).append(
            (v.customer, _Recorded(v.lat, v.lon, v.accuracy_m)))
        return v

    def _replay(self, v: Visit) -> Visit:
        """Start replaying: the rep's recorded fix nearest this visit's customer (the one a
        cheat would pick), sent now and on 2-5 later visits; the OS flag without any."""
        recorded = self.honest_fixes.get(v.rep)
        if not recorded:
            return replace(v, is_mock=True, fraud_type=FraudType.MOCK_LOCATION,
                           fraud_variant="os_flag")
        where = self.c.customers[v.customer].location
        fix = min((fix for _, fix in recorded),
                  key=lambda f: (f.lat - where.lat) ** 2 + (f.lon - where.lon) ** 2)
        self.replaying[v.rep] = (fix, int(self.replay_rng.integers(2, 6)))
        return self._replayed(v, fix)

    @staticmethod
    def _replayed(v: Visit, fix: _Recorded) -> Visit:
        # the photo carries no GPS position: the cheat is elsewhere, the replay is the alibi
        return replace(v, lat=fix.lat, lon=fix.lon, accuracy_m=fix.accuracy_m,
                       exif_lat=None, exif_lon=None, fraud_type=FraudType.MOCK_LOCATION,
                       fraud_variant="replayed_point")

    def _mock(self, v: Visit, variant: str) -> Visit:
        record = self.c.customers[v.customer]
        if variant == "replayed_point":
            return self._replay(v)
        if variant == "os_flag":
            return replace(v, is_mock=True, fraud_type=FraudType.MOCK_LOCATION,
                           fraud_variant=variant)
        if variant == "accuracy_zero":
            return replace(v, accuracy_m=0.0, fraud_type=FraudType.MOCK_LOCATION,
                           fraud_variant=variant)
        if variant == "grid_snapped":
            step = self.policy.grid_step_deg
            return replace(v, lat=round(v.lat / step) * step, lon=round(v.lon / step) * step,
                           fraud_type=FraudType.MOCK_LOCATION, fraud_variant=variant)
        return replace(v, lat=record.location.lat, lon=record.location.lon, accuracy_m=10.0,
                       fraud_type=FraudType.MOCK_LOCATION, fraud_variant=variant)

    def _constant(self, v: Visit) -> Visit:
        return replace(v, accuracy_m=5.0, fraud_type=FraudType.MOCK_LOCATION,
                       fraud_variant="constant_run")

    def _exif(self, v: Visit) -> Visit:
        rng = self.rng
        if rng.random() < 0.5 and v.exif_captured_at is not None:
            old = v.exif_captured_at - timedelta(days=float(rng.uniform(1, 20)))
            return replace(v, exif_captured_at=old, fraud_type=FraudType.EXIF_MISMATCH,
                           fraud_variant="old_photo")
        angle, reach = rng.uniform(0, 2 * np.pi), rng.uniform(2000, 20000)
        lat, lon = self._move(v, reach * np.cos(angle), reach * np.sin(angle))
        return replace(v, exif_lat=lat, exif_lon=lon, fraud_type=FraudType.EXIF_MISMATCH,
                       fraud_variant="elsewhere")

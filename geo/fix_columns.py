"""The input of the fix rules (:mod:`geo.fix_rules`) as columns, one entry per check-in.

Two readers fill them: :func:`geo.batch_columns.read_columns` from a GeoDataFrame (N rows,
times in nanoseconds) and :func:`geo.fix_integrity.check_raw_fix` from the values one phone
sent (one row, times in microseconds so that any ``datetime`` fits, with the rep's earlier
fixes as :class:`EarlierFixes`). The rules only see these arrays, so both forms give the
same verdicts by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

Bool = npt.NDArray[np.bool_]
Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]

TIME_FIELDS = ("fix_time", "arrived_at", "departed_at", "submitted_at", "photo_captured_at",
               "device_submitted_at")
REQUIRED_TIMES = frozenset(TIME_FIELDS[:4])
TIME_INDEX = {name: k for k, name in enumerate(TIME_FIELDS)}
NANOSECONDS = 1_000_000_000
MICROSECONDS = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True, eq=False)
class FixColumns:
    """The check-ins under judgement: degrees, metres, and instants as int64 ticks since the
    epoch (UTC), ``tick_s`` ticks a second.

    ``times`` is (len(TIME_FIELDS), n), one line per field of :data:`TIME_FIELDS`, so the
    input checks run once over all of them. ``missing`` (same shape) marks values with no
    usable instant; of those, ``unreadable`` ones are not a time and ``naive`` ones have no
    offset (only the single form can receive either: a frame's column is typed as a whole).
    ``shown`` holds the values as sent, by field name, for messages where they differ from
    the arrays (a raw ``"30.2"`` string, a naive ``datetime``); messages fall back to the
    arrays.
    """

    n: int
    lat: Float
    lon: Float
    accuracy: Float
    is_mock: Bool
    tick_s: int
    times: Int
    missing: Bool
    unreadable: Bool
    naive: Bool
    now: int
    rep: Int
    checkin_rank: Int
    customer_lat: Float
    customer_lon: Float
    epsg: Int
    allowed: Float
    has_footprint: Bool
    footprint: npt.NDArray[np.object_]
    exif_time: Int | None
    exif_missing: Bool
    exif_naive: Bool
    exif_lat: Float | None
    exif_lon: Float | None
    shown: Mapping[str, Sequence[object]] = field(default_factory=dict)

    def ticks(self, seconds: float) -> int:
        """``seconds`` as a whole number of ticks."""
        return int(seconds * self.tick_s)

    def ticks_at(self, when: datetime) -> int:
        """A tz-aware instant in ticks since the epoch."""
        return microseconds(when) * (self.tick_s // MICROSECONDS)

    def time(self, name: str) -> Int:
        """The ticks of time field ``name``, per row."""
        line: Int = self.times[TIME_INDEX[name]]
        return line

    def seconds(self, later: str, sooner: str) -> Float:
        """Seconds from ``sooner`` to ``later`` (two time fields), per row."""
        return np.asarray((self.time(later) - self.time(sooner)) / self.tick_s,
                          dtype=np.float64)

    def instant(self, name: str, i: int) -> datetime:
        """Row i's ``name`` as a UTC instant (for messages)."""
        return instant(int(self.time(name)[i]), self.tick_s)

    def sent(self, name: str, i: int, default: object) -> object:
        """What row i sent as ``name`` when the reader kept it, else ``default``."""
        raw = self.shown.get(name)
        return default if raw is None else raw[i]


@dataclass(frozen=True, slots=True, eq=False)
class EarlierFixes:
    """Fixes that take part in the history rules without being judged: the single form's
    prior fixes. Per fix: ``rep`` code, fix time in the columns' ticks, check-in rank
    (shared with :attr:`FixColumns.checkin_rank`), degrees, metres, and whether its own
    verdict doubted its position."""

    rep: Int
    t: Int
    rank: Int
    lat: Float
    lon: Float
    accuracy: Float
    doubted: Bool

    @classmethod
    def none(cls) -> EarlierFixes:
        """No fixes from outside (the batch form: every row's history is in the batch)."""
        ints, floats = np.zeros(0, dtype=np.int64), np.zeros(0)
        return cls(rep=ints, t=ints, rank=ints, lat=floats, lon=floats, accuracy=floats,
                   doubted=np.zeros(0, dtype=bool))


def instant(ticks: int, tick_s: int) -> datetime:
    """A UTC instant from ticks since the epoch: nanoseconds (``tick_s`` 10**9, which keep
    their last digits) or microseconds (10**6)."""
    if tick_s == NANOSECONDS:
        stamp: datetime = pd.Timestamp(ticks, tz="UTC")
        return stamp
    return EPOCH + timedelta(microseconds=ticks)


def microseconds(when: datetime) -> int:
    """A tz-aware instant as whole microseconds since the epoch (any ``datetime`` fits)."""
    return (when - EPOCH) // timedelta(microseconds=1)

"""A rep's fix history: every fix that takes part in the history rules, ordered by (rep,
fix time, check-in id), so that each rule looks back along one array.

The fixes are the judged rows with a valid fix time and, in the single-check-in form, the
rep's earlier fixes given from outside (:class:`~geo.fix_columns.EarlierFixes`). The rules
that look back along this order live beside their concept: :mod:`geo.spoofing` (repeated
coordinates, constant accuracy, clockwork timing) and :mod:`geo.movement` (the speed from
the last trusted fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from geo.fix_columns import Bool, EarlierFixes, FixColumns, Float, Int

Value = TypeVar("Value", bound=np.generic)


@dataclass(frozen=True, slots=True, eq=False)
class HistoryOrder:
    """Per position in history order: ``row``, the judged row it is (-1 for a fix from
    outside); ``rep``; ``start``, the first position of that rep; ``t``, the fix time in
    ticks (``tick_s`` a second); ``lat``/``lon`` degrees; ``accuracy`` metres;
    ``outside_doubted``, the doubt a fix from outside carries (its own verdict's). ``n`` is
    the number of judged rows."""

    n: int
    tick_s: int
    row: Int
    rep: Int
    start: Int
    t: Int
    lat: Float
    lon: Float
    accuracy: Float
    outside_doubted: Bool

    @classmethod
    def build(cls, cols: FixColumns, timed: Bool, earlier: EarlierFixes) -> HistoryOrder:
        """The ``timed`` rows of ``cols`` and the ``earlier`` fixes, in history order."""
        rows = np.flatnonzero(timed)
        outside = np.full(len(earlier.t), -1, dtype=np.int64)
        # judged rows come first and the sort is stable, so a fix from outside with the same
        # (rep, time, id) as a judged row, a stored copy of it, sorts after it: only fixes
        # strictly before a row are its history
        rep = np.concatenate([cols.rep[rows], earlier.rep])
        t = np.concatenate([cols.time("fix_time")[rows], earlier.t])
        rank = np.concatenate([cols.checkin_rank[rows], earlier.rank])
        order = np.lexsort((rank, t, rep))
        rep = rep[order]
        position = np.arange(len(rep))
        first = np.ones(len(rep), dtype=bool)  # where a rep's fixes begin
        first[1:] = rep[1:] != rep[:-1]
        return cls(n=cols.n, tick_s=cols.tick_s,
                   row=np.concatenate([rows, outside])[order], rep=rep,
                   start=np.maximum.accumulate(np.where(first, position, 0)), t=t[order],
                   lat=np.concatenate([cols.lat[rows], earlier.lat])[order],
                   lon=np.concatenate([cols.lon[rows], earlier.lon])[order],
                   accuracy=np.concatenate([cols.accuracy[rows], earlier.accuracy])[order],
                   outside_doubted=np.concatenate([np.zeros(len(rows), dtype=bool),
                                                   earlier.doubted])[order])

    def __len__(self) -> int:
        return len(self.row)

    def judged(self, rows: Bool) -> Bool:
        """Per position: whether it is a judged row among ``rows``."""
        inside = self.row >= 0
        return inside & rows[np.where(inside, self.row, 0)]

    def doubted(self, rows: Bool) -> Bool:
        """Per position: whether its position is doubted, by ``rows`` (the judged rows'
        own doubts) or, for a fix from outside, by its own verdict."""
        inside = self.row >= 0
        return np.where(inside, rows[np.where(inside, self.row, 0)], self.outside_doubted)

    def to_rows(self, hit: Bool) -> Bool:
        """The judged rows at the positions where ``hit``."""
        out = np.zeros(self.n, dtype=bool)
        out[self.row[hit & (self.row >= 0)]] = True
        return out

    def per_row(self, values: npt.NDArray[Value]) -> npt.NDArray[Value]:
        """``values`` (per position) moved to the judged rows; zero elsewhere."""
        out = np.zeros(self.n, dtype=values.dtype)
        inside = self.row >= 0
        out[self.row[inside]] = values[inside]
        return out

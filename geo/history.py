"""A rep's fix history inside a batch: rows ordered by (rep, fix time, check-in id), and the
spoofing and movement rules that look back along that order.

Only rows with a valid fix time take part; the single-check-in form uses the same order
(:func:`geo.fix_integrity.check_raw_fix` keeps the history entries ordered before its fix).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.batch_columns import BatchColumns
from geo.fix_policy import FixIntegrityPolicy
from geo.movement import implied_speed_ms
from geo.projection import distance_m
from geo.reasons import FixReasonCode, duration

if TYPE_CHECKING:
    from geo.fix_batch import _Flags

Bool = npt.NDArray[np.bool_]
Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]
C = FixReasonCode


@dataclass(frozen=True, slots=True, eq=False)
class HistoryOrder:
    """``rows``: row indices in history order; ``rep``/``t`` the same rows' rep codes and
    fix times (ns)."""

    cols: BatchColumns
    rows: Int
    rep: Int
    t: Int

    @classmethod
    def build(cls, cols: BatchColumns, timed: Bool) -> HistoryOrder:
        candidates = np.flatnonzero(timed)
        order = np.lexsort((cols.checkin_rank[candidates], cols.times["fix_time"][candidates],
                            cols.rep[candidates]))
        rows = candidates[order]
        return cls(cols=cols, rows=rows, rep=cols.rep[rows],
                         t=cols.times["fix_time"][rows])

    def back(self, k: int) -> tuple[Int, Bool]:
        """For each position, the row k steps earlier for the same rep, and whether there
        is one."""
        m = len(self.rows)
        source = np.arange(m) - k
        exists = source >= 0
        exists[exists] = self.rep[source[exists]] == self.rep[exists]
        return np.where(exists, self.rows[np.maximum(source, 0)], -1), exists

    def repeated(self, flags: _Flags, judged: Bool) -> None:
        lat, lon = self.cols.lat[self.rows], self.cols.lon[self.rows]
        finite = np.isfinite(lat) & np.isfinite(lon)
        frame = pd.DataFrame({"rep": self.rep, "lat": lat, "lon": lon, "t": self.t})[finite]
        groups = frame.groupby(["rep", "lat", "lon"], sort=False)["t"]
        first = groups.transform("first").to_numpy()
        again = groups.cumcount().to_numpy() > 0
        hit = np.zeros(self.cols.n, dtype=bool)
        when = np.zeros(self.cols.n, dtype=np.int64)
        picked = self.rows[finite]
        hit[picked] = again
        when[picked] = first
        flags.add(C.FIX_REPEATED_COORDINATES, judged & hit, lambda i: {
            "when": f"{pd.Timestamp(int(when[i]), tz='UTC'):%Y-%m-%d %H:%M} UTC"})

    def constant_accuracy(self, flags: _Flags, judged: Bool,
                          policy: FixIntegrityPolicy) -> None:
        acc = self.cols.accuracy
        need = policy.constant_accuracy_run - 1
        same = (acc[self.rows] > 0) & np.isfinite(acc[self.rows])
        for k in range(1, need + 1):
            earlier, exists = self.back(k)
            same &= exists & (acc[np.maximum(earlier, 0)] == acc[self.rows])
        hit = np.zeros(self.cols.n, dtype=bool)
        hit[self.rows] = same
        flags.add(C.FIX_ACCURACY_CONSTANT, judged & hit, lambda i: {
            "count": policy.constant_accuracy_run, "accuracy": f"{acc[i]:g} m"})

    def regular_timing(self, flags: _Flags, judged: Bool,
                       policy: FixIntegrityPolicy) -> None:
        need = policy.regular_timing_run - 1
        if need < 2:
            return
        times = [self.t]
        present = np.ones(len(self.rows), dtype=bool)
        for k in range(1, need + 1):
            earlier, exists = self.back(k)
            present &= exists
            times.append(self.cols.times["fix_time"][np.maximum(earlier, 0)])
        gaps = np.stack([(times[k] - times[k + 1]) / 1e9 for k in range(need)])
        spread = gaps.max(axis=0) - gaps.min(axis=0)
        mean = (times[0] - times[need]) / 1e9 / need
        regular = present & (gaps.min(axis=0) > 0) & (spread <= policy.regular_timing_spread_s)
        hit = np.zeros(self.cols.n, dtype=bool)
        hit[self.rows] = regular
        spread_of = np.zeros(self.cols.n)
        mean_of = np.zeros(self.cols.n)
        spread_of[self.rows], mean_of[self.rows] = spread, mean
        flags.add(C.TIMING_TOO_REGULAR, judged & hit, lambda i: {
            "count": policy.regular_timing_run, "gap": duration(mean_of[i]),
            "spread": duration(spread_of[i])})

    def movement(self, doubted: Bool, judged: Bool, tolerance: Float,
                 policy: FixIntegrityPolicy) -> tuple[Float, Float, Float, Bool]:
        """Implied speed (m/s), elapsed seconds and metres from each judged row's anchor:
        the last earlier row of the rep whose position is not ``doubted``, within the
        lookback."""
        m = len(self.rows)
        eligible = ~doubted[self.rows]
        last = np.maximum.accumulate(np.where(eligible, np.arange(m), -1))
        anchor_pos = np.concatenate([[-1], last[:-1]]) if m else last
        exists = anchor_pos >= 0
        exists[exists] = self.rep[anchor_pos[exists]] == self.rep[exists]
        anchor = np.where(exists, self.rows[np.maximum(anchor_pos, 0)], -1)
        here = self.rows
        elapsed_sorted = (self.t - self.cols.times["fix_time"][np.maximum(anchor, 0)]) / 1e9
        exists &= judged[here] & (elapsed_sorted <= policy.movement_lookback_s)
        n = self.cols.n
        has = np.zeros(n, dtype=bool)
        has[here[exists]] = True
        src = np.full(n, -1, dtype=np.int64)
        src[here[exists]] = anchor[exists]
        elapsed = np.zeros(n)
        elapsed[here[exists]] = elapsed_sorted[exists]
        dist = np.zeros(n)
        a = src[has]
        c = self.cols
        dist[has] = distance_m(c.lon[a], c.lat[a], c.lon[has], c.lat[has], c.epsg[has])
        speed = np.zeros(n)
        speed[has] = implied_speed_ms(dist[has], elapsed[has], tolerance[a] + tolerance[has])
        return speed, elapsed, dist, has

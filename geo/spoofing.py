"""Spoofing patterns in a rep's fixes that real GPS does not produce.

Mock-location apps pin a position (identical coordinates on distinct visits, often the
store's registered point or a rounded grid value), report a fixed accuracy (0, or the same
number every time), and scripted check-ins come at clockwork intervals. Each rule flags rows
of a :class:`~geo.fix_findings.FixFindings`; the history rules look back along a
:class:`~geo.history.HistoryOrder` (oldest first) and flag only the ``judged`` rows.

Upload time sees only the past. Batch re-verification may also look ahead
(:func:`coordinates_sent_again`, :func:`constant_accuracy_run`): it reaches the
honest-looking fix whose coordinates a later one replays, and the first fixes of a
constant-accuracy run, which the backward rule only flags from the run's
``constant_accuracy_run``-th fix on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.fix_columns import Bool, FixColumns, Float, Int, instant
from geo.fix_findings import FixFindings
from geo.fix_policy import FixIntegrityPolicy
from geo.history import HistoryOrder
from geo.reasons import duration
from visitproof.reasons import ReasonCode

C = ReasonCode

#: The codes only a look at the rep's later fixes can give (batch re-verification).
LOOK_AHEAD_CODES = frozenset({C.FIX_COORDINATES_SENT_AGAIN, C.FIX_ACCURACY_CONSTANT_RUN})


def on_grid(values: Float, step_deg: float) -> Bool:
    """Where ``values`` (degrees) are whole multiples of ``step_deg`` to 1e-6 steps."""
    steps = values / step_deg
    return np.asarray(np.abs(steps - np.round(steps)) < 1e-6)


def grid_snapped(cols: FixColumns, valid: Bool, found: FixFindings,
                 policy: FixIntegrityPolicy) -> None:
    """``FIX_GRID_SNAPPED`` where both coordinates of a ``valid`` fix sit on the policy's
    degree grid."""
    step = policy.grid_step_deg
    snapped = valid & on_grid(cols.lat, step) & on_grid(cols.lon, step)
    found.add(C.FIX_GRID_SNAPPED, snapped, lambda i: {"step": f"{step:g}"})


@dataclass(frozen=True, slots=True, eq=False)
class SameCoordinates:
    """Per history position: ``earlier``/``later``, whether another fix of the same rep with
    exactly the same coordinates comes before/after it; ``first_t``/``next_t``, the fix time
    (ticks) of the first such fix and of the next one after it (0 where none)."""

    earlier: Bool
    later: Bool
    first_t: Int
    next_t: Int

    @classmethod
    def of(cls, order: HistoryOrder) -> SameCoordinates:
        """Group ``order``'s finite fixes by (rep, lat, lon), oldest first in each group."""
        finite = np.flatnonzero(np.isfinite(order.lat) & np.isfinite(order.lon))
        lat, lon, rep = order.lat[finite], order.lon[finite], order.rep[finite]
        grouped = np.lexsort((finite, lon, lat, rep))  # same (rep, lat, lon) together
        starts = np.ones(len(grouped), dtype=bool)
        starts[1:] = ((np.diff(rep[grouped]) != 0) | (lat[grouped][1:] != lat[grouped][:-1])
                      | (lon[grouped][1:] != lon[grouped][:-1]))
        first = grouped[np.maximum.accumulate(np.where(starts, np.arange(len(grouped)), 0))]
        ends = np.ones(len(grouped), dtype=bool)  # the last of its group
        ends[:-1] = starts[1:]
        at = finite[grouped]  # history position of each grouped entry
        earlier, later = np.zeros(len(order), dtype=bool), np.zeros(len(order), dtype=bool)
        earlier[at], later[at] = ~starts, ~ends
        first_t, next_t = np.zeros(len(order), dtype=np.int64), np.zeros(len(order),
                                                                           dtype=np.int64)
        first_t[at] = order.t[finite[first]]
        following = np.zeros(len(grouped), dtype=np.int64)  # the next entry's fix time
        following[:-1] = order.t[at[1:]]
        next_t[at] = np.where(ends, 0, following)
        return cls(earlier=earlier, later=later, first_t=first_t, next_t=next_t)


def repeated_coordinates(order: HistoryOrder, judged: Bool, found: FixFindings,
                         same: SameCoordinates | None = None) -> None:
    """``FIX_REPEATED_COORDINATES`` where an earlier fix of the rep has exactly the same
    coordinates; the message names the first such fix."""
    same = SameCoordinates.of(order) if same is None else same
    when = order.per_row(same.first_t)
    found.add(C.FIX_REPEATED_COORDINATES, judged & order.to_rows(same.earlier), lambda i: {
        "when": f"{instant(int(when[i]), order.tick_s):%Y-%m-%d %H:%M} UTC"})


def constant_accuracy(order: HistoryOrder, judged: Bool, found: FixFindings,
                      policy: FixIntegrityPolicy) -> None:
    """``FIX_ACCURACY_CONSTANT`` where this and the previous ``constant_accuracy_run - 1``
    accuracies (metres) are all exactly equal and above zero (zero has its own code)."""
    acc = order.accuracy
    position = np.arange(len(order))
    repeats = np.zeros(len(order), dtype=bool)  # same accuracy as the rep's fix before
    repeats[1:] = acc[1:] == acc[:-1]
    repeats &= position > order.start
    run = position - np.maximum.accumulate(np.where(repeats, 0, position)) + 1
    same = (acc > 0) & np.isfinite(acc) & (run >= policy.constant_accuracy_run)
    accuracy = order.per_row(acc)
    found.add(C.FIX_ACCURACY_CONSTANT, judged & order.to_rows(same), lambda i: {
        "count": policy.constant_accuracy_run, "accuracy": f"{accuracy[i]:g} m"})


def regular_timing(order: HistoryOrder, judged: Bool, found: FixFindings,
                   policy: FixIntegrityPolicy) -> None:
    """``TIMING_TOO_REGULAR`` where the gaps between this and the previous
    ``regular_timing_run - 1`` fix times differ by at most ``regular_timing_spread_s``."""
    need = policy.regular_timing_run - 1
    if need < 2:
        return
    t, position = order.t, np.arange(len(order))
    gap = np.zeros(len(order))  # seconds since the fix before
    gap[1:] = (t[1:] - t[:-1]) / order.tick_s
    gaps = np.stack([gap[np.maximum(position - k, 0)] for k in range(need)])
    present = position - need >= order.start
    spread = gaps.max(axis=0) - gaps.min(axis=0)
    mean = (t - t[np.maximum(position - need, 0)]) / order.tick_s / need
    regular = present & (gaps.min(axis=0) > 0) & (spread <= policy.regular_timing_spread_s)
    spread_of, mean_of = order.per_row(spread), order.per_row(mean)
    found.add(C.TIMING_TOO_REGULAR, judged & order.to_rows(regular), lambda i: {
        "count": policy.regular_timing_run, "gap": duration(mean_of[i]),
        "spread": duration(spread_of[i])})


# Look-ahead rules: batch re-verification sees a rep's whole window, so a fix can be judged
# by what the rep sent afterwards. Both codes ask for review only: the fix they flag may be
# the honest original that a later replay copied, or the start of a run that quantised
# accuracy (some phones report 5 or 10 m for minutes) also produces.


def coordinates_sent_again(order: HistoryOrder, judged: Bool, found: FixFindings,
                           same: SameCoordinates | None = None) -> None:
    """``FIX_COORDINATES_SENT_AGAIN`` where a later fix of the rep has exactly the same
    coordinates and no earlier one does (those carry ``FIX_REPEATED_COORDINATES``); the
    message names the next such fix."""
    same = SameCoordinates.of(order) if same is None else same
    when = order.per_row(same.next_t)
    found.add(C.FIX_COORDINATES_SENT_AGAIN, judged & order.to_rows(same.later & ~same.earlier),
              lambda i: {"when": f"{instant(int(when[i]), order.tick_s):%Y-%m-%d %H:%M} UTC"})


def constant_accuracy_run(order: HistoryOrder, judged: Bool, found: FixFindings,
                          policy: FixIntegrityPolicy) -> None:
    """``FIX_ACCURACY_CONSTANT_RUN`` on every fix of a run of at least
    ``constant_accuracy_run`` consecutive fixes of one rep with exactly equal accuracy above
    zero, its first fixes included, where ``FIX_ACCURACY_CONSTANT`` (which needs the run
    behind it) does not already stand."""
    acc = order.accuracy
    position = np.arange(len(order))
    repeats = np.zeros(len(order), dtype=bool)
    repeats[1:] = acc[1:] == acc[:-1]
    repeats &= position > order.start
    run_id = np.cumsum(~repeats) - 1
    length = np.bincount(run_id, minlength=1)[run_id]
    member = (acc > 0) & np.isfinite(acc) & (length >= policy.constant_accuracy_run)
    already = found.rows.get(C.FIX_ACCURACY_CONSTANT, np.zeros(order.n, dtype=bool))
    count, accuracy = order.per_row(length), order.per_row(acc)
    found.add(C.FIX_ACCURACY_CONSTANT_RUN, judged & order.to_rows(member) & ~already,
              lambda i: {"count": int(count[i]), "accuracy": f"{accuracy[i]:g} m"})

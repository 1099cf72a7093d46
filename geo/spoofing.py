"""Spoofing patterns in a rep's fixes that real GPS does not produce.

Mock-location apps pin a position (identical coordinates on distinct visits, often the
store's registered point or a rounded grid value), report a fixed accuracy (0, or the same
number every time), and scripted check-ins come at clockwork intervals. Each function takes
this fix and the rep's earlier fixes (oldest first) and returns a reason or None; the batch
form in :mod:`geo.fix_batch` computes the same rules over whole columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise

from geo.fix_policy import FixIntegrityPolicy
from geo.reasons import FixReasonCode, duration, make_reason
from visitproof.records import Reason


def on_grid(value: float, step_deg: float) -> bool:
    """True when ``value`` (degrees) is a whole multiple of ``step_deg`` to 1e-6 steps."""
    steps = value / step_deg
    return abs(steps - round(steps)) < 1e-6


def grid_reason(lat: float, lon: float, policy: FixIntegrityPolicy) -> Reason | None:
    """``FIX_GRID_SNAPPED`` when both coordinates sit on the policy's degree grid."""
    if on_grid(lat, policy.grid_step_deg) and on_grid(lon, policy.grid_step_deg):
        return make_reason(FixReasonCode.FIX_GRID_SNAPPED, step=f"{policy.grid_step_deg:g}")
    return None


def repeated_reason(lat: float, lon: float,
                    earlier: Sequence[tuple[float, float, datetime]]) -> Reason | None:
    """``FIX_REPEATED_COORDINATES`` when an earlier fix (lat, lon, fix time) of the rep has
    exactly these coordinates; the message names the first such fix."""
    for other_lat, other_lon, when in earlier:
        if other_lat == lat and other_lon == lon:
            return make_reason(FixReasonCode.FIX_REPEATED_COORDINATES,
                               when=f"{when:%Y-%m-%d %H:%M} UTC")
    return None


def constant_accuracy_reason(accuracy_m: float, earlier_accuracies: Sequence[float],
                             policy: FixIntegrityPolicy) -> Reason | None:
    """``FIX_ACCURACY_CONSTANT`` when this and the previous ``constant_accuracy_run - 1``
    accuracies (metres) are all exactly equal and above zero (zero has its own code)."""
    need = policy.constant_accuracy_run - 1
    recent = list(earlier_accuracies)[-need:] if need > 0 else []
    if (accuracy_m > 0 and len(recent) == need
            and all(value == accuracy_m for value in recent)):
        return make_reason(FixReasonCode.FIX_ACCURACY_CONSTANT,
                           count=policy.constant_accuracy_run, accuracy=f"{accuracy_m:g} m")
    return None


def regular_timing_reason(fix_time: datetime, earlier_times: Sequence[datetime],
                          policy: FixIntegrityPolicy) -> Reason | None:
    """``TIMING_TOO_REGULAR`` when the gaps between this and the previous
    ``regular_timing_run - 1`` fix times differ by at most ``regular_timing_spread_s``."""
    need = policy.regular_timing_run - 1
    if need < 2 or len(earlier_times) < need:
        return None
    times = [*list(earlier_times)[-need:], fix_time]
    gaps = [(later - sooner).total_seconds() for sooner, later in pairwise(times)]
    spread = max(gaps) - min(gaps)
    if min(gaps) > 0 and spread <= policy.regular_timing_spread_s:
        return make_reason(FixReasonCode.TIMING_TOO_REGULAR, count=policy.regular_timing_run,
                           gap=duration((times[-1] - times[0]).total_seconds() / len(gaps)),
                           spread=duration(spread))
    return None

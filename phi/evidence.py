"""The evidence PHI may use: only verified check-ins, and only what had happened by "now".

Every component reads check-ins, touches and outcomes through :func:`gather_evidence`, so the
rule "only verified check-ins count" lives in one place. A report computed "as of" an earlier
instant ignores everything recorded later (submissions, touches, completions), so re-running
it reproduces the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from phi.tables import PhiTables
from visitproof.errors import InvalidInput
from visitproof.records import CheckinStatus, TouchKind


@dataclass(frozen=True, slots=True, eq=False)
class Evidence:
    """What counts, as of ``now`` (UTC).

    ``checkins``: verified check-ins submitted by ``now`` (columns of ``PhiTables.checkins``
    plus ``completed_at``, the earliest completion of the next action by ``now``, NaT if
    none, and its ``strategy``, None if none). ``touches``: lead touches at or before
    ``now`` that count (calls, messages, and visits whose check-in is verified).
    ``outcomes``: completions at or before ``now``, one per check-in (the earliest).
    """

    now: pd.Timestamp
    checkins: pd.DataFrame
    touches: pd.DataFrame
    outcomes: pd.DataFrame


def gather_evidence(tables: PhiTables, now: datetime) -> Evidence:
    """Filter ``tables`` down to what PHI may count as of ``now`` (tz-aware)."""
    stamp = utc_timestamp(now, "now")
    checkins = tables.checkins
    verified = checkins[(checkins["status"] == CheckinStatus.VERIFIED.value)
                        & (checkins["submitted_at"] <= stamp)]
    touches = tables.touches[tables.touches["at"] <= stamp]
    is_visit = touches["kind"] == TouchKind.VISIT.value
    verified_ids = pd.Index(verified["checkin_id"])
    touches = touches[~is_visit | touches["checkin_id"].isin(verified_ids)]
    outcomes = tables.outcomes[tables.outcomes["completed_at"] <= stamp]
    outcomes = outcomes.sort_values("completed_at").drop_duplicates("checkin_id")
    # Joined once here: every period of a report's trend reads it.
    verified = verified.merge(outcomes[["checkin_id", "completed_at", "strategy"]],
                              on="checkin_id", how="left")
    verified["strategy"] = verified["strategy"].astype(object).where(
        verified["strategy"].notna(), None)
    return Evidence(now=stamp, checkins=verified, touches=touches, outcomes=outcomes)


def utc_timestamp(instant: datetime, name: str) -> pd.Timestamp:
    """``instant`` as a UTC pandas Timestamp; naive datetimes are refused."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput(f"{name} must be timezone-aware, got {instant.isoformat()}",
                           code="NAIVE_TIMESTAMP")
    return pd.Timestamp(instant).tz_convert("UTC")

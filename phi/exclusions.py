"""Which check-ins of the period PHI left out, and why.

A check-in belongs to the period by its departure. It counts only if its status is
``verified``; every other one is excluded and grouped by status and by the reason codes of
its checkers' latest failing verdicts (a check-in failing two checks counts under both codes;
one with no failing verdict on record, e.g. not yet judged, is counted under
``NO_REASON_RECORDED``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from phi.evidence import Evidence
from phi.periods import Period
from phi.tables import PhiTables
from visitproof.records import CheckinStatus

NO_REASON_RECORDED = "NO_REASON_RECORDED"


@dataclass(frozen=True, slots=True)
class ExcludedCheckins:
    """Counts of check-ins in the period (departed in it, submitted by ``now``)."""

    total: int
    verified: int
    excluded: int
    by_status: Mapping[str, int]
    by_reason: Mapping[str, int]
    by_rep: Mapping[str, int]


def period_checkins(tables: PhiTables, evidence: Evidence, period: Period,
                    rep_ids: pd.Index) -> pd.DataFrame:
    """All check-ins (any status) of ``rep_ids`` departed in ``period`` and submitted by
    ``now``."""
    checkins = tables.checkins
    return checkins[(checkins["departed_at"] >= pd.Timestamp(period.start))
                    & (checkins["departed_at"] < pd.Timestamp(period.end))
                    & (checkins["submitted_at"] <= evidence.now)
                    & checkins["rep_id"].isin(rep_ids)]


def excluded_checkins(tables: PhiTables, in_period: pd.DataFrame) -> ExcludedCheckins:
    """Summarise the non-verified rows of ``in_period`` (see :func:`period_checkins`)."""
    excluded = in_period[in_period["status"] != CheckinStatus.VERIFIED.value]
    failures = tables.failures[tables.failures["checkin_id"].isin(
        pd.Index(excluded["checkin_id"]))].drop_duplicates()
    by_reason = failures.groupby("code")["checkin_id"].nunique()
    without_code = int((~excluded["checkin_id"].isin(pd.Index(failures["checkin_id"]))).sum())
    reasons = {str(code): int(count) for code, count in by_reason.items()}
    if without_code:
        reasons[NO_REASON_RECORDED] = without_code
    return ExcludedCheckins(
        total=len(in_period),
        verified=len(in_period) - len(excluded),
        excluded=len(excluded),
        by_status=_counts(excluded["status"]),
        by_reason=dict(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
        by_rep=_counts(excluded["rep_id"]),
    )


def _counts(values: pd.Series) -> dict[str, int]:
    counted = values.value_counts()
    return {str(key): int(count) for key, count in sorted(counted.items(),
                                                           key=lambda kv: (-kv[1], kv[0]))}

"""Warning signs the scorer raises on its own, one per rep and kind, each with the ids behind it.

* ``WAITING_STREAK``: the rep's last N verified check-ins (as of now) all have
  "waiting for customer" as next action.
* ``UNTOUCHED_CUSTOMERS``: the customers the rep owns that are neglected as of the period's
  end, or now if earlier: no verified visit by anyone for ``neglect_days`` days or more, or
  never (:mod:`visitproof.neglect`, the definition the coverage gaps and the overlap map
  use too, so a team's warnings list exactly the customers its overlap page marks). With
  ``include_unowned``, one more warning (no rep) lists neglected customers nobody owns.
* ``LEAD_NOT_TOUCHED``: leads with intake in the period not touched within the first-touch
  window (the same rule as the activation rate).
* ``LATE_CHECKINS``: check-ins of the period (any status) submitted more than
  ``late_minutes`` after departure.
* ``RISING_FAILURES``: the share of the rep's judged check-ins that failed verification rose
  by at least ``failure_rise`` (absolute) against the previous period, with at least
  ``failure_min_count`` failures now (a rep with no judged check-in in the previous period
  has no baseline and gets no such warning).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pandas as pd

from phi.evidence import Evidence
from visitproof import neglect
from visitproof.records import CheckinStatus, NextActionKind


class WarningCode(StrEnum):
    """Stable codes managers filter on."""

    WAITING_STREAK = "WAITING_STREAK"
    UNTOUCHED_CUSTOMERS = "UNTOUCHED_CUSTOMERS"
    LEAD_NOT_TOUCHED = "LEAD_NOT_TOUCHED"
    LATE_CHECKINS = "LATE_CHECKINS"
    RISING_FAILURES = "RISING_FAILURES"


@dataclass(frozen=True, slots=True)
class WarningPolicy:
    """Thresholds: a streak length (check-ins), days without a verified visit that make a
    customer neglected (:data:`visitproof.neglect.NEGLECT_DAYS`, the coverage gaps'
    default too), minutes, and a failure-share rise (fraction, absolute) with a minimum
    failure count."""

    waiting_streak: int = 5
    neglect_days: int = neglect.NEGLECT_DAYS
    late_minutes: float = 15.0
    failure_rise: float = 0.10
    failure_min_count: int = 3


@dataclass(frozen=True, slots=True)
class WarningSign:
    """One warning about one rep (``rep_id`` None for leads nobody owns)."""

    code: WarningCode
    rep_id: str | None
    team_id: str | None
    message: str
    subject_ids: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.subject_ids)


def warning_signs(*, reps: pd.DataFrame, customers: pd.DataFrame, evidence: Evidence,
                  neglect_at: datetime, period_checkins: pd.DataFrame,
                  previous_checkins: pd.DataFrame, leads: pd.DataFrame,
                  policy: WarningPolicy, include_unowned: bool = False,
                  ) -> tuple[WarningSign, ...]:
    """All warning signs for the reps in ``reps`` (rep_id, team_id). ``customers``:
    customer_id, owner_rep_ids (:func:`phi.tables.customer_owners`); ``neglect_at``: when
    neglect is judged (UTC; :func:`visitproof.neglect.judged_at` of the period's end and
    ``evidence.now``); ``period_checkins`` and ``previous_checkins``: check-ins of any
    status in this and the previous period; ``leads``: rows of
    :func:`phi.components.lead_activation`; ``include_unowned``: also warn about neglected
    customers nobody owns (rep None)."""
    teams = dict(zip(reps["rep_id"], reps["team_id"], strict=True))
    in_scope = pd.Index(reps["rep_id"])
    found: list[WarningSign] = []

    def add(code: WarningCode, rep_id: object, message: str, ids: list[str]) -> None:
        rep = None if rep_id is None or pd.isna(rep_id) else str(rep_id)
        team = teams.get(rep) if rep is not None else None
        found.append(WarningSign(code, rep, None if team is None else str(team), message,
                                 tuple(ids)))

    verified = evidence.checkins[evidence.checkins["rep_id"].isin(in_scope)]
    last = verified.sort_values("departed_at", kind="stable").groupby("rep_id").tail(
        policy.waiting_streak)
    waiting = last["action_kind"] == NextActionKind.WAITING_FOR_CUSTOMER.value
    streak = waiting.groupby(last["rep_id"]).sum()
    streaks = _ids_by_rep(last[last["rep_id"].isin(streak.index[streak ==
                                                                policy.waiting_streak])],
                          "checkin_id")
    for rep_id, ids in streaks.items():
        add(WarningCode.WAITING_STREAK, rep_id, f"last {policy.waiting_streak} check-ins all "
            "wait for the customer instead of naming a next action", ids)

    for owner, ids, never in _untouched(customers, evidence, neglect_at, policy, in_scope,
                                        include_unowned):
        whose = "customers nobody owns" if owner is None else "customers they own"
        add(WarningCode.UNTOUCHED_CUSTOMERS, owner,
            f"{len(ids)} {whose} without a verified visit by anyone for "
            f">= {policy.neglect_days} days as of {pd.Timestamp(neglect_at):%Y-%m-%d %H:%M} "
            f"UTC ({never} never visited)", ids)

    missed = leads[leads["judged"] & ~leads["activated"]]
    missed = missed[missed["rep_id"].isin(in_scope) | missed["rep_id"].isna()]
    missed = missed.sort_values("created_at", kind="stable")
    unowned = missed[missed["rep_id"].isna()]
    for rep_id, ids in _ids_by_rep(missed, "lead_id").items():
        add(WarningCode.LEAD_NOT_TOUCHED, rep_id,
            f"{len(ids)} leads not touched within the first-touch window after intake", ids)
    if not unowned.empty:
        add(WarningCode.LEAD_NOT_TOUCHED, None, f"{len(unowned)} leads without an owner not "
            "touched within the first-touch window after intake",
            unowned["lead_id"].astype(str).tolist())

    delay = period_checkins["submitted_at"] - period_checkins["departed_at"]
    late = period_checkins[delay > pd.Timedelta(minutes=policy.late_minutes)]
    for rep_id, ids in _ids_by_rep(late.sort_values("departed_at", kind="stable"),
                                   "checkin_id").items():
        add(WarningCode.LATE_CHECKINS, rep_id, f"{len(ids)} check-ins submitted more than "
            f"{policy.late_minutes:g} min after leaving the customer", ids)

    now_rate, failures = _failure_share(period_checkins)
    before, _ = _failure_share(previous_checkins)
    compared = now_rate.index.intersection(before.index)  # no baseline, no "rising"
    rise = now_rate[compared] - before[compared]
    rising = rise.index[(rise >= policy.failure_rise)
                        & (failures[compared] >= policy.failure_min_count)]
    failed = period_checkins[_failed(period_checkins)
                             & period_checkins["rep_id"].isin(rising)]
    for rep_id, ids in _ids_by_rep(failed.sort_values("departed_at", kind="stable"),
                                   "checkin_id").items():
        add(WarningCode.RISING_FAILURES, rep_id,
            f"verification failures rose to {now_rate[rep_id]:.0%} of check-ins from "
            f"{before[rep_id]:.0%} in the previous period", ids)

    return tuple(sorted(found, key=lambda w: (list(WarningCode).index(w.code),
                                              w.rep_id or "")))


def _untouched(customers: pd.DataFrame, evidence: Evidence, at: datetime,
               policy: WarningPolicy, in_scope: pd.Index, include_unowned: bool,
               ) -> list[tuple[str | None, list[str], int]]:
    """(rep id or None, neglected customer ids — never visited first, then the longest
    untouched —, how many never visited) per rep in scope with any."""
    status = neglect.neglect_status(customers["customer_id"].astype(str), evidence.checkins,
                                    at, policy.neglect_days)
    status["owner_rep_ids"] = list(customers["owner_rep_ids"])
    gap = status.loc[status["status"] != "covered"]
    gap = gap.sort_values(["days", "customer_id"], ascending=[False, True],
                          na_position="first", kind="stable")
    owned = gap.explode("owner_rep_ids").rename(columns={"owner_rep_ids": "rep_id"})
    owned = owned[owned["rep_id"].isin(in_scope)]
    found: list[tuple[str | None, list[str], int]] = [
        (rep_id, ids, int(owned.loc[owned["rep_id"] == rep_id, "days"].isna().sum()))
        for rep_id, ids in _ids_by_rep(owned, "customer_id").items()]
    unowned = gap.loc[[not owners for owners in gap["owner_rep_ids"]]]
    if include_unowned and not unowned.empty:
        found.append((None, unowned["customer_id"].astype(str).tolist(),
                      int(unowned["days"].isna().sum())))
    return found


def _ids_by_rep(rows: pd.DataFrame, column: str) -> dict[str, list[str]]:
    """``column`` values per rep (rows without a rep dropped), in row order, reps sorted."""
    owned = rows[rows["rep_id"].notna()]
    grouped = owned[column].astype(str).groupby(owned["rep_id"], sort=True).agg(list)
    return {str(rep): list(ids) for rep, ids in grouped.items()}


def _failed(checkins: pd.DataFrame) -> pd.Series:
    return checkins["status"].isin([CheckinStatus.REJECTED.value,
                                    CheckinStatus.NEEDS_REVIEW.value])


def _failure_share(checkins: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per rep: failed / judged (verified, rejected, needs review), and the failure count."""
    judged = checkins[checkins["status"] != CheckinStatus.RECEIVED.value]
    failed = _failed(judged)
    counts = failed.groupby(judged["rep_id"]).agg(["sum", "size"])
    return counts["sum"] / counts["size"], counts["sum"]

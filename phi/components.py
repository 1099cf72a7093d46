"""The three PHI components, one row per thing counted, so every rate traces to ids.

* :func:`lead_activation`: one row per lead with intake in the period.
* :func:`action_closure`: one row per next action (of a verified check-in) due in the period.
* :func:`penetration`: one row per (rep, assigned account), plus the role touches behind it.

Rates are aggregated from these rows by :mod:`phi.score`; :mod:`phi.explain` lists them.

The definition is versioned (:data:`PHI_DEFINITION_VERSION`); every report states the version
that computed it, since a change of definition moves figures tied to bonuses:

* ``phi-1``: an action is closed when completed on or before its local due date.
* ``phi-2``: as phi-1, and an action the system had pushed to the rep before it was done
  (:mod:`visitproof.pushed_actions`: completed at or after ``due_at - push_lead``) is closed
  only with the rep's one-sentence strategy; completions without one (imports, history from
  before phi-2) are not closed. The denominator (actions due) is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from phi.evidence import Evidence
from phi.periods import Period, local_days_before
from phi.tables import PhiTables
from visitproof.pushed_actions import PUSH_LEAD, strategy_required_mask

PHI_DEFINITION_VERSION = "phi-2"


@dataclass(frozen=True, slots=True)
class ComponentRules:
    """How the components are measured (not what is good: that is ``PhiTargets``).

    ``first_touch_hours``: elapsed hours after intake within which a lead counts as
    activated. ``penetration_days``: local calendar days in the trailing penetration window.
    ``push_lead_hours``: hours before its due time that a next action is pushed to the rep
    (:mod:`visitproof.pushed_actions`; the API uses the same default).
    """

    first_touch_hours: float = 24.0
    penetration_days: int = 30
    push_lead_hours: float = PUSH_LEAD.total_seconds() / 3600


@dataclass(frozen=True, slots=True, eq=False)
class ComponentRows:
    """The rows behind the three components for one period (frames are read-only):
    ``leads`` (:func:`lead_activation`), ``actions`` (:func:`action_closure`), ``accounts``
    and ``role_touches`` (:func:`penetration`)."""

    leads: pd.DataFrame
    actions: pd.DataFrame
    accounts: pd.DataFrame
    role_touches: pd.DataFrame


LEAD_COLUMNS = ("lead_id", "rep_id", "customer_id", "created_at", "deadline", "touched_at",
                "touch_source", "touch_ref", "activated", "judged")
ACTION_COLUMNS = ("checkin_id", "rep_id", "customer_id", "action_kind", "due_at",
                  "completed_at", "strategy_required", "strategy", "closed", "judged")
ACCOUNT_COLUMNS = ("rep_id", "customer_id", "roles")
ROLE_TOUCH_COLUMNS = ("rep_id", "customer_id", "checkin_id", "departed_at", "contact_id",
                      "role")


def lead_activation(tables: PhiTables, evidence: Evidence, period: Period,
                    rules: ComponentRules) -> pd.DataFrame:
    """One row per lead with intake (``created_at``) in ``period`` and by ``now``.

    A lead is ``activated`` when it has a touch at or after intake and at most
    ``first_touch_hours`` elapsed hours later: a logged call or message, a logged visit whose
    check-in is verified, or a verified check-in (by any rep, at its ``arrived_at``) at the
    lead's customer. ``judged`` is False while the window is still open at ``now`` and no
    touch has happened yet: such a lead is neither a success nor a failure.
    ``touch_source`` is ``touch`` (``touch_ref`` = touch id) or ``checkin`` (check-in id).
    """
    leads = tables.leads
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    leads = leads.loc[(leads["created_at"] >= start) & (leads["created_at"] < end)
                      & (leads["created_at"] <= evidence.now),
                      ["lead_id", "rep_id", "customer_id", "created_at"]]
    window = pd.Timedelta(hours=rules.first_touch_hours)
    logged = evidence.touches.loc[evidence.touches["lead_id"].isin(pd.Index(leads["lead_id"])),
                                  ["lead_id", "at", "touch_id"]]
    logged = logged.rename(columns={"touch_id": "touch_ref"}).assign(touch_source="touch")
    visits = evidence.checkins.loc[
        (evidence.checkins["arrived_at"] >= start)
        & (evidence.checkins["arrived_at"] < end + window),
        ["customer_id", "arrived_at", "checkin_id"]]
    visited = leads.loc[leads["customer_id"].notna(), ["lead_id", "customer_id"]].merge(
        visits, on="customer_id")
    visited = visited.rename(columns={"arrived_at": "at", "checkin_id": "touch_ref"})
    candidates = pd.concat([logged, visited[["lead_id", "at", "touch_ref"]].assign(
        touch_source="checkin")], ignore_index=True)
    candidates = candidates.merge(leads[["lead_id", "created_at"]], on="lead_id")
    candidates = candidates[(candidates["at"] >= candidates["created_at"])
                            & (candidates["at"] <= candidates["created_at"] + window)]
    first = (candidates.sort_values(["at", "touch_source", "touch_ref"])
             .drop_duplicates("lead_id")[["lead_id", "at", "touch_source", "touch_ref"]]
             .rename(columns={"at": "touched_at"}))
    rows = leads.merge(first, on="lead_id", how="left")
    rows["deadline"] = rows["created_at"] + window
    rows["activated"] = rows["touched_at"].notna()
    rows["judged"] = rows["activated"] | (rows["deadline"] <= evidence.now)
    return rows[list(LEAD_COLUMNS)]


def action_closure(evidence: Evidence, period: Period,
                   rules: ComponentRules | None = None) -> pd.DataFrame:
    """One row per next action of a verified check-in whose ``due_at`` falls in ``period``.

    ``closed``: completed (by ``now``) on or before the due date, comparing local calendar
    dates in the period's time zone, and, when ``strategy_required`` (it had been pushed to
    the rep ``rules.push_lead_hours`` before due when it was completed), with the rep's
    one-sentence ``strategy`` (phi-2). ``judged``: the due date is over at ``now`` (its local
    day has ended), so an action due later today is not yet counted either way. Open and
    overdue actions are judged and not closed.
    """
    rules = rules or ComponentRules()
    checkins = evidence.checkins
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    rows = checkins.loc[(checkins["due_at"] >= start) & (checkins["due_at"] < end),
                        ["checkin_id", "rep_id", "customer_id", "action_kind", "due_at",
                         "completed_at", "strategy"]].copy()
    due_day = _local_day(rows["due_at"], period.timezone)
    done_day = _local_day(rows["completed_at"], period.timezone)
    now_day = _local_day(pd.Series([evidence.now]), period.timezone).iloc[0]
    rows["strategy_required"] = strategy_required_mask(
        rows["due_at"], rows["completed_at"], pd.Timedelta(hours=rules.push_lead_hours))
    has_strategy = rows["strategy"].notna()
    rows["closed"] = (rows["completed_at"].notna() & (done_day <= due_day)
                      & (~rows["strategy_required"] | has_strategy))
    rows["judged"] = due_day < now_day
    return rows[list(ACTION_COLUMNS)]


def penetration(tables: PhiTables, evidence: Evidence, period: Period,
                rules: ComponentRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Decision roles touched per (rep, assigned account) in the trailing window.

    The window is the ``penetration_days`` local calendar days ending at the period's end,
    or at ``now`` if that is earlier. A role is touched by a verified check-in of the rep at
    one of their accounts whose next action names a contact of that account
    (``next_action.contact_id`` -> ``Contact.role``).

    Returns ``(accounts, touches)``: ``accounts`` has one row per assigned (rep, customer)
    with ``roles`` = distinct roles touched there (0 when none), and no rows at all when
    nobody in the tenant has a verified check-in in the window ("no data"); ``touches``
    lists the check-ins behind the roles.
    """
    window_start, window_end = penetration_window(period, evidence, rules)
    checkins = evidence.checkins
    in_window = checkins.loc[(checkins["departed_at"] >= window_start)
                             & (checkins["departed_at"] < window_end),
                             ["rep_id", "customer_id", "checkin_id", "departed_at",
                              "contact_id"]]
    seen = in_window[in_window["contact_id"].notna()]
    contacts = tables.contacts.rename(columns={"customer_id": "contact_customer_id"})
    touched = seen.merge(contacts, on="contact_id")
    touched = touched[touched["contact_customer_id"] == touched["customer_id"]]
    touched = touched.merge(tables.customer_reps, on=["rep_id", "customer_id"])
    touched = touched[list(ROLE_TOUCH_COLUMNS)].sort_values(["rep_id", "departed_at"])
    roles = (touched.drop_duplicates(["rep_id", "customer_id", "role"])
             .groupby(["rep_id", "customer_id"]).size().rename("roles").reset_index())
    accounts = tables.customer_reps[["rep_id", "customer_id"]].drop_duplicates()
    if in_window.empty:
        # Nobody in the tenant has a verified check-in in the window (before the system was
        # in use, or data missing): that is "no data", not zero roles everywhere.
        accounts = accounts.iloc[0:0]
    accounts = accounts.merge(roles, on=["rep_id", "customer_id"], how="left")
    accounts["roles"] = accounts["roles"].fillna(0).astype("int64")
    return accounts[list(ACCOUNT_COLUMNS)], touched.reset_index(drop=True)


def penetration_window(period: Period, evidence: Evidence,
                       rules: ComponentRules) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The trailing window (UTC, end exclusive) used by :func:`penetration`."""
    window_end = min(pd.Timestamp(period.end), evidence.now)
    start = local_days_before(window_end.to_pydatetime(), rules.penetration_days,
                              period.timezone)
    return pd.Timestamp(start), window_end


def _local_day(stamps: pd.Series, timezone: str) -> pd.Series:
    """Local calendar day (as naive midnight) of each UTC instant; NaT stays NaT."""
    return stamps.dt.tz_convert(timezone).dt.tz_localize(None).dt.floor("D")


"""Drill-down: the leads, actions, role touches and excluded check-ins behind one rep's PHI.

Every count in :class:`phi.report.Score` is a count of rows listed here, so a manager (or a
bonus dispute) can check each number against the records it came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from phi.components import PHI_DEFINITION_VERSION, ComponentRules, penetration_window
from phi.evidence import gather_evidence
from phi.exclusions import period_checkins
from phi.periods import Period
from phi.report import Score, period_rows, score_row
from phi.score import PhiTargets, PhiWeights, group_counts, score_counts
from phi.tables import PhiTables
from visitproof.errors import NotFound
from visitproof.records import CheckinStatus


@dataclass(frozen=True, slots=True, eq=False)
class RepExplanation:
    """One rep's score and the rows behind each component (frames are read-only).

    ``leads``/``actions``: rows of :func:`phi.components.lead_activation` /
    :func:`~phi.components.action_closure`; ``accounts``: (customer_id, roles);
    ``role_touches``: the verified check-ins that touched each role; ``excluded``: the rep's
    non-verified check-ins of the period with their failure codes. ``definition``: the PHI
    definition version that computed it (:data:`phi.components.PHI_DEFINITION_VERSION`).
    """

    period: Period
    now: datetime
    score: Score
    penetration_window: tuple[datetime, datetime]
    leads: pd.DataFrame
    actions: pd.DataFrame
    accounts: pd.DataFrame
    role_touches: pd.DataFrame
    excluded: pd.DataFrame
    definition: str = PHI_DEFINITION_VERSION


def explain_rep(tables: PhiTables, *, rep_id: str, period: Period, now: datetime,
                weights: PhiWeights | None = None, targets: PhiTargets | None = None,
                rules: ComponentRules | None = None) -> RepExplanation:
    """The drill-down for ``rep_id`` in ``period`` as of ``now`` (raises NotFound for an
    unknown rep)."""
    weights, targets = weights or PhiWeights(), targets or PhiTargets()
    rules = rules or ComponentRules()
    reps = tables.reps[tables.reps["rep_id"] == rep_id].drop_duplicates("rep_id")
    if reps.empty:
        raise NotFound(f"no rep {rep_id!r} in this tenant", code="REP_NOT_FOUND")
    evidence = gather_evidence(tables, now)
    rows = period_rows(tables, evidence, period, rules, reps, include_unowned=False)
    scored = score_counts(group_counts(reps, "rep_id", rows, targets), weights, targets)
    in_period = period_checkins(tables, evidence, period, pd.Index([rep_id]))
    excluded = in_period.loc[in_period["status"] != CheckinStatus.VERIFIED.value,
                             ["checkin_id", "customer_id", "departed_at", "status"]]
    codes = (tables.failures[tables.failures["checkin_id"].isin(pd.Index(excluded["checkin_id"]))]
             .groupby("checkin_id")["code"].agg(lambda c: ",".join(sorted(set(c)))))
    excluded = excluded.assign(codes=excluded["checkin_id"].map(codes).fillna(""))
    start, end = penetration_window(period, evidence, rules)
    return RepExplanation(
        period=period, now=evidence.now.to_pydatetime(),
        score=score_row("rep", rep_id, scored.loc[rep_id].to_dict(),
                        _label(reps["team_id"].iloc[0]), _label(reps["region"].iloc[0]), ()),
        penetration_window=(start.to_pydatetime(), end.to_pydatetime()),
        leads=rows.leads.sort_values("created_at").reset_index(drop=True),
        actions=rows.actions.sort_values("due_at").reset_index(drop=True),
        accounts=rows.accounts[["customer_id", "roles"]].sort_values("customer_id")
        .reset_index(drop=True),
        role_touches=rows.role_touches.reset_index(drop=True),
        excluded=excluded.sort_values("departed_at").reset_index(drop=True),
    )


def explanation_to_dict(explanation: RepExplanation) -> dict[str, Any]:
    """JSON-ready drill-down (timestamps as ISO 8601 UTC, NaN as null)."""
    score = explanation.score
    start, end = explanation.penetration_window
    return {
        "definition": explanation.definition,
        "rep_id": score.subject_id, "team_id": score.team_id, "period": explanation.period.label,
        "now": explanation.now.isoformat(),
        "phi": score.phi, "lead_activation_rate": score.lead_activation_rate,
        "action_closure_rate": score.action_closure_rate, "penetration": score.penetration,
        "penetration_score": score.penetration_score, "counts": dict(score.counts),
        "leads": _records(explanation.leads),
        "actions": _records(explanation.actions),
        "penetration_window": {"start": start.isoformat(), "end": end.isoformat()},
        "accounts": _records(explanation.accounts),
        "role_touches": _records(explanation.role_touches),
        "excluded_checkins": _records(explanation.excluded),
    }


def explanation_to_text(explanation: RepExplanation) -> str:
    """A plain-text drill-down for the terminal."""
    score, counts = explanation.score, explanation.score.counts
    lines = [f"rep {score.subject_id} (team {score.team_id or '-'}), period "
             f"{explanation.period.label}, as of {explanation.now.isoformat()}, "
             f"PHI definition {explanation.definition}",
             f"PHI: {_fmt(score.phi, '.1f')}",
             f"lead activation: {_fmt(score.lead_activation_rate, '.1%')} = "
             f"{int(counts['leads_activated'])} activated / {int(counts['leads_judged'])} "
             f"judged ({int(counts['leads_new'] - counts['leads_judged'])} still in window)"]
    for lead in explanation.leads.itertuples():
        verdict = ("activated" if lead.activated else "MISSED" if lead.judged else "pending")
        via = f" by {lead.touch_source} {lead.touch_ref} at {lead.touched_at}" \
            if lead.activated else ""
        lines.append(f"  lead {lead.lead_id} intake {lead.created_at}: {verdict}{via}")
    lines.append(f"action closure: {_fmt(score.action_closure_rate, '.1%')} = "
                 f"{int(counts['actions_closed'])} closed on time / "
                 f"{int(counts['actions_judged'])} due")
    for action in explanation.actions.itertuples():
        verdict = ("not yet due" if not action.judged else "closed" if action.closed
                   else "NOT CLOSED")
        done = "open" if pd.isna(action.completed_at) else f"done {action.completed_at}"
        if action.strategy_required:
            done += (f", pushed; strategy: {action.strategy}" if action.strategy is not None
                     else ", pushed; NO STRATEGY")
        lines.append(f"  action of check-in {action.checkin_id} due {action.due_at}: "
                     f"{verdict} ({done})")
    start, end = explanation.penetration_window
    lines.append(f"penetration: {_fmt(score.penetration, '.2f')} roles per account over "
                 f"{int(counts['accounts'])} accounts, {int(counts['roles_distinct'])} "
                 f"distinct roles in all ({start.isoformat()} .. {end.isoformat()})")
    touches = explanation.role_touches
    for account in explanation.accounts.itertuples():
        here = touches[touches["customer_id"] == account.customer_id]
        detail = ", ".join(f"{t.role} via {t.checkin_id}" for t in
                           here.drop_duplicates("role").itertuples())
        lines.append(f"  account {account.customer_id}: {account.roles} roles"
                     + (f" ({detail})" if detail else ""))
    lines.append(f"excluded check-ins: {len(explanation.excluded)}")
    for row in explanation.excluded.itertuples():
        lines.append(f"  {row.checkin_id} {row.status} {row.codes}")
    return "\n".join(lines) + "\n"


def _label(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for record in rows.to_dict(orient="records"):
        out.append({str(key): _plain(value) for key, value in record.items()})
    return out


def _plain(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _fmt(value: float | None, spec: str) -> str:
    return "no data" if value is None else format(value, spec)

"""The PHI report for one period: scores per rep, team, region and in total, a trend over the
preceding periods, excluded check-ins and warning signs.

    report = build_report(tables, period=parse_period("2026-11", "Europe/Berlin"),
                          now=datetime(2026, 12, 1, 8, tzinfo=UTC))

Pure: the same tables, period, ``now`` and policies give the same report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from phi.components import (
    PHI_DEFINITION_VERSION,
    ComponentRows,
    ComponentRules,
    action_closure,
    lead_activation,
    penetration,
)
from phi.evidence import Evidence, gather_evidence
from phi.exclusions import ExcludedCheckins, excluded_checkins, period_checkins
from phi.periods import Period, previous_period, trailing_periods
from phi.score import COUNT_COLUMNS, PhiTargets, PhiWeights, group_counts, score_counts
from phi.tables import PhiTables, customer_owners
from phi.warning_signs import WarningPolicy, WarningSign, warning_signs
from visitproof import neglect
from visitproof.errors import NotFound

TOTAL = "*"
RATE_FIELDS = ("phi", "lead_activation_rate", "action_closure_rate", "penetration",
               "lead_activation_score", "action_closure_score", "penetration_score")


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One period's PHI (0..100) and rates (fractions; penetration in roles per account)."""

    period: str
    phi: float | None
    lead_activation_rate: float | None
    action_closure_rate: float | None
    penetration: float | None


@dataclass(frozen=True, slots=True)
class Score:
    """Scores of one rep, team, region or the total (``level``).

    Rates are fractions (0..1), ``penetration`` is distinct roles per account, the
    ``*_score`` fields are 0..1 against target, ``phi`` is 0..100. None means "no data".
    ``counts`` holds the numerators and denominators (see :data:`phi.score.COUNT_COLUMNS`).
    """

    level: str
    subject_id: str
    team_id: str | None
    region: str | None
    phi: float | None
    lead_activation_rate: float | None
    action_closure_rate: float | None
    penetration: float | None
    lead_activation_score: float | None
    action_closure_score: float | None
    penetration_score: float | None
    counts: Mapping[str, float]
    trend: tuple[TrendPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class PhiReport:
    """Everything ``visitproof phi`` prints. ``now`` is the UTC instant it is "as of";
    ``definition`` the PHI definition version that computed it
    (:data:`phi.components.PHI_DEFINITION_VERSION`)."""

    period: Period
    now: datetime
    team: str | None
    weights: PhiWeights
    targets: PhiTargets
    rules: ComponentRules
    reps: tuple[Score, ...]
    teams: tuple[Score, ...]
    regions: tuple[Score, ...]
    total: Score
    trend_periods: tuple[str, ...]
    excluded: ExcludedCheckins
    warnings: tuple[WarningSign, ...]
    definition: str = PHI_DEFINITION_VERSION


def build_report(tables: PhiTables, *, period: Period, now: datetime,
                 weights: PhiWeights | None = None, targets: PhiTargets | None = None,
                 rules: ComponentRules | None = None, policy: WarningPolicy | None = None,
                 team: str | None = None, trend_length: int = 6) -> PhiReport:
    """Score ``period`` as of ``now`` (tz-aware). Untouched customers are judged at the
    period's end, or ``now`` if earlier (:mod:`visitproof.neglect`). ``team`` restricts to
    one team's reps (unowned leads and customers then drop out); ``trend_length`` periods (this one
    included) feed each rep's trend. Raises :class:`NotFound` for an unknown team."""
    weights, targets = weights or PhiWeights(), targets or PhiTargets()
    rules, policy = rules or ComponentRules(), policy or WarningPolicy()
    evidence = gather_evidence(tables, now)
    reps = scope_reps(tables, team)
    trend = trailing_periods(period, trend_length)
    history: dict[str, pd.DataFrame] = {}
    current = period_rows(tables, evidence, period, rules, reps, include_unowned=team is None)
    for past in trend:
        rows = current if past == period else period_rows(
            tables, evidence, past, rules, reps, include_unowned=team is None)
        history[past.label] = score_counts(
            group_counts(reps, "rep_id", rows, targets),
            weights, targets)
    in_period = period_checkins(tables, evidence, period, pd.Index(reps["rep_id"]))
    before = period_checkins(tables, evidence, previous_period(period),
                             pd.Index(reps["rep_id"]))
    rep_scores = history[period.label].to_dict(orient="index")
    past_scores = {label: frame.to_dict(orient="index") for label, frame in history.items()}
    places = {str(r.rep_id): (_text(r.team_id), _text(r.region)) for r in reps.itertuples()}
    return PhiReport(
        period=period, now=evidence.now.to_pydatetime(), team=team, weights=weights,
        targets=targets, rules=rules,
        reps=tuple(score_row("rep", rep_id, row, *places.get(str(rep_id), (None, None)),
                             _trend(rep_id, trend, past_scores))
                   for rep_id, row in rep_scores.items()),
        teams=_level(reps, "team_id", current, weights, targets),
        regions=_level(reps, "region", current, weights, targets),
        total=_total(current, weights, targets),
        trend_periods=tuple(p.label for p in trend),
        excluded=excluded_checkins(tables, in_period),
        warnings=warning_signs(reps=reps, customers=customer_owners(tables),
                               evidence=evidence,
                               neglect_at=neglect.judged_at(period.end, evidence.now),
                               period_checkins=in_period, previous_checkins=before,
                               leads=current.leads, policy=policy,
                               include_unowned=team is None),
    )


def scope_reps(tables: PhiTables, team: str | None) -> pd.DataFrame:
    """The reps a report covers: all, or one team's (raises NotFound for an unknown team)."""
    reps = tables.reps.drop_duplicates("rep_id").sort_values("rep_id")
    if team is None:
        return reps.reset_index(drop=True)
    chosen = reps[reps["team_id"] == team]
    if chosen.empty:
        known = sorted(str(t) for t in reps["team_id"].dropna().unique())
        raise NotFound(f"no reps in team {team!r}; teams with reps: {', '.join(known) or '-'}",
                       code="TEAM_NOT_FOUND")
    return chosen.reset_index(drop=True)


def period_rows(tables: PhiTables, evidence: Evidence, period: Period, rules: ComponentRules,
                reps: pd.DataFrame, *, include_unowned: bool) -> ComponentRows:
    """Component rows of ``period`` for the reps in scope, plus leads nobody owns when
    ``include_unowned``."""
    in_scope = pd.Index(reps["rep_id"])
    leads = lead_activation(tables, evidence, period, rules)
    keep = leads["rep_id"].isin(in_scope)
    if include_unowned:
        keep |= leads["rep_id"].isna()
    actions = action_closure(evidence, period, rules)
    accounts, touches = penetration(tables, evidence, period, rules)
    return ComponentRows(leads=leads[keep], actions=actions[actions["rep_id"].isin(in_scope)],
                         accounts=accounts[accounts["rep_id"].isin(in_scope)],
                         role_touches=touches[touches["rep_id"].isin(in_scope)])


def _level(reps: pd.DataFrame, key: str, rows: ComponentRows, weights: PhiWeights,
           targets: PhiTargets) -> tuple[Score, ...]:
    scored = score_counts(group_counts(reps, key, rows, targets), weights, targets)
    regions = (reps.dropna(subset=["team_id", "region"]).drop_duplicates("team_id")
               .set_index("team_id")["region"].to_dict())
    level = key.removesuffix("_id")
    out = []
    for subject, row in scored.to_dict(orient="index").items():
        team = str(subject) if level == "team" else None
        region = _text(regions.get(subject)) if level == "team" else str(subject)
        out.append(score_row(level, subject, row, team, region, ()))
    return tuple(out)


def _total(rows: ComponentRows, weights: PhiWeights, targets: PhiTargets) -> Score:
    everyone = pd.DataFrame({"rep_id": [TOTAL]})
    pooled = ComponentRows(leads=rows.leads.assign(rep_id=TOTAL),
                           actions=rows.actions.assign(rep_id=TOTAL),
                           accounts=rows.accounts.assign(rep_id=TOTAL),
                           role_touches=rows.role_touches.assign(rep_id=TOTAL))
    scored = score_counts(group_counts(everyone, "rep_id", pooled, targets), weights, targets)
    return score_row("total", TOTAL, scored.loc[TOTAL].to_dict(), None, None, ())


def score_row(level: str, subject: object, row: Mapping[str, Any], team: str | None,
              region: str | None, trend: tuple[TrendPoint, ...]) -> Score:
    """A :class:`Score` from one row of :func:`phi.score.score_counts` (as a mapping)."""
    values = {name: _number(row[name]) for name in RATE_FIELDS}
    return Score(level=level, subject_id=str(subject), team_id=team, region=region,
                 counts={name: float(row[name]) for name in COUNT_COLUMNS}, trend=trend,
                 **values)


def _trend(rep_id: object, periods: tuple[Period, ...],
           history: Mapping[str, Mapping[Any, Mapping[str, Any]]]) -> tuple[TrendPoint, ...]:
    points = []
    for past in periods:
        row = history[past.label][rep_id]
        points.append(TrendPoint(past.label, _number(row["phi"]),
                                 _number(row["lead_activation_rate"]),
                                 _number(row["action_closure_rate"]),
                                 _number(row["penetration"])))
    return tuple(points)


def _number(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def _text(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(
        value)

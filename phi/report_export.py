"""The report as JSON-ready data and as CSV (one row per rep).

JSON shape (rates are fractions 0..1, ``penetration`` is distinct decision roles per account,
``phi`` is 0..100; ``null`` means "no data", never 0)::

    {"definition": "phi-2" (the PHI definition version, phi.components),
     "period": {"label", "kind", "first_day", "last_day", "start", "end", "timezone"},
     "now": ISO 8601 UTC, "team": str | null, "weights": {...}, "targets": {...},
     "reps": [{"rep_id", "team_id", "region", "phi", "lead_activation_rate",
               "action_closure_rate", "penetration", "lead_activation_score",
               "action_closure_score", "penetration_score",
               "counts": {"leads_new", "leads_judged", "leads_activated", "actions_due",
                          "actions_judged", "actions_closed", "accounts", "roles_touched",
                          "roles_capped", "roles_distinct"},
               "trend": [{"period", "phi", "lead_activation_rate", "action_closure_rate",
                          "penetration"}]}],
     "teams": [...same without trend, "team_id"...], "regions": [...], "total": {...},
     "excluded_checkins": {"total", "verified", "excluded", "by_status": {status: n},
                           "by_reason": {code: n}, "by_rep": {rep_id: n}},
     "warnings": [{"code", "rep_id", "team_id", "message", "count", "ids": [...]}]}
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from phi.report import RATE_FIELDS, PhiReport, Score
from phi.score import COUNT_COLUMNS

DECIMALS = 6


def report_to_dict(report: PhiReport) -> dict[str, Any]:
    """The report as plain JSON-compatible data (see the module docstring for the shape)."""
    period = report.period
    return {
        "definition": report.definition,
        "period": {"label": period.label, "kind": period.kind.value,
                   "first_day": period.first_day.isoformat(),
                   "last_day": period.last_day.isoformat(),
                   "start": period.start.isoformat(), "end": period.end.isoformat(),
                   "timezone": period.timezone},
        "now": report.now.isoformat(),
        "team": report.team,
        "weights": asdict(report.weights),
        "targets": asdict(report.targets),
        "rules": asdict(report.rules),
        "reps": [_score(score, "rep_id") for score in report.reps],
        "teams": [_score(score, "team_id") for score in report.teams],
        "regions": [_score(score, "region") for score in report.regions],
        "total": _score(report.total, None),
        "trend_periods": list(report.trend_periods),
        "excluded_checkins": {
            "total": report.excluded.total, "verified": report.excluded.verified,
            "excluded": report.excluded.excluded,
            "by_status": dict(report.excluded.by_status),
            "by_reason": dict(report.excluded.by_reason),
            "by_rep": dict(report.excluded.by_rep)},
        "warnings": [{"code": w.code.value, "rep_id": w.rep_id, "team_id": w.team_id,
                      "message": w.message, "count": w.count, "ids": list(w.subject_ids)}
                     for w in report.warnings],
    }


def report_to_json(report: PhiReport) -> str:
    """The report as indented JSON text."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"


def report_to_csv(report: PhiReport) -> str:
    """One row per rep: ids, PHI, rates, component scores, counts, warning count and, last
    (so the columns before keep their places), the PHI definition version."""
    warned: dict[str, int] = {}
    for warning in report.warnings:
        if warning.rep_id is not None:
            warned[warning.rep_id] = warned.get(warning.rep_id, 0) + 1
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", "rep_id", "team_id", "region", *RATE_FIELDS, *COUNT_COLUMNS,
                     "warnings", "definition"])
    for score in report.reps:
        writer.writerow([report.period.label, score.subject_id, score.team_id or "",
                         score.region or "",
                         *("" if v is None else round(v, DECIMALS)
                           for v in (getattr(score, f) for f in RATE_FIELDS)),
                         *(_count(score.counts[c]) for c in COUNT_COLUMNS),
                         warned.get(score.subject_id, 0), report.definition])
    return out.getvalue()


def _score(score: Score, key: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if key is not None:
        out[key] = score.subject_id
    if key != "team_id" and score.level in ("rep",):
        out["team_id"] = score.team_id
    if key != "region" and score.level in ("rep", "team"):
        out["region"] = score.region
    for name in RATE_FIELDS:
        value = getattr(score, name)
        out[name] = None if value is None else round(value, DECIMALS)
    out["counts"] = {name: _count(value) for name, value in score.counts.items()}
    if score.level == "rep":
        out["trend"] = [{"period": p.period,
                         "phi": _round(p.phi),
                         "lead_activation_rate": _round(p.lead_activation_rate),
                         "action_closure_rate": _round(p.action_closure_rate),
                         "penetration": _round(p.penetration)} for p in score.trend]
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def _count(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, DECIMALS)

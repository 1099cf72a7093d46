"""From component rows to rates, component scores and the composite PHI.

Each component is scored against its target as ``min(rate / target, 1)`` (a rep at or above
target gets full marks; below it, marks fall in proportion). Penetration is scored per
account, ``min(roles, target) / target``, then averaged over the rep's accounts, so one deep
account can't hide untouched ones. PHI = 100 x the weighted mean of the component scores
that have data; components without a denominator are left out and the weights of the rest
renormalised. With no component at all, PHI is "no data" (None / NaN), never 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from phi.components import ComponentRows
from visitproof.errors import InvalidInput

COMPONENTS = ("lead_activation", "action_closure", "penetration")
COUNT_COLUMNS = ("leads_new", "leads_judged", "leads_activated", "actions_due",
                 "actions_judged", "actions_closed", "accounts", "roles_touched",
                 "roles_capped", "roles_distinct")


@dataclass(frozen=True, slots=True)
class PhiWeights:
    """Relative weights of the components (any non-negative numbers, not all zero).

    Defaults 0.40 closure, 0.35 activation, 0.25 penetration: closure has the most events
    per rep (one per verified check-in) and is fully under the rep's control, so it is the
    steadiest basis for pay; activation is the documented loss driver (leads left waiting
    are lost) but a rep sees few leads a month, so it is noisier; penetration is a leading
    indicator measured on a coarse 0..target scale, so it weighs least.
    """

    lead_activation: float = 0.35
    action_closure: float = 0.40
    penetration: float = 0.25

    def __post_init__(self) -> None:
        values = [self.lead_activation, self.action_closure, self.penetration]
        if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
            raise InvalidInput(f"PHI weights must be finite, >= 0 and not all 0, got {values}",
                               code="BAD_PHI_WEIGHTS")

    def as_mapping(self) -> Mapping[str, float]:
        return {name: float(getattr(self, name)) for name in COMPONENTS}


@dataclass(frozen=True, slots=True)
class PhiTargets:
    """Targets: activation and closure as fractions in (0, 1]; ``roles_per_account`` as a
    count of distinct decision roles per account (the brief's "more than 1 contact per
    account" -> 2)."""

    lead_activation: float = 0.95
    action_closure: float = 0.88
    roles_per_account: float = 2.0

    def __post_init__(self) -> None:
        for name in ("lead_activation", "action_closure"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 < value <= 1):
                raise InvalidInput(f"target {name} must be in (0, 1], got {value}",
                                   code="BAD_PHI_TARGETS")
        if not (math.isfinite(self.roles_per_account) and self.roles_per_account > 0):
            raise InvalidInput("target roles_per_account must be > 0, got "
                               f"{self.roles_per_account}", code="BAD_PHI_TARGETS")


def group_counts(keys: pd.DataFrame, key: str, rows: ComponentRows,
                 targets: PhiTargets) -> pd.DataFrame:
    """Numerators and denominators per value of ``key`` (``rep_id``, ``team_id``,
    ``region``...), indexed by that value. ``keys`` maps ``rep_id`` to ``key``; the
    component rows carry ``rep_id``. Missing groups get zero counts.

    ``roles_touched`` sums distinct roles per account; ``roles_capped`` the same with each
    account capped at the target; ``roles_distinct`` counts distinct roles across all the
    group's accounts.
    """
    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        if key == "rep_id":
            return frame
        return frame.merge(keys[["rep_id", key]].drop_duplicates("rep_id"), on="rep_id")

    lead_rows, action_rows = keyed(rows.leads), keyed(rows.actions)
    account_rows, touch_rows = keyed(rows.accounts), keyed(rows.role_touches)
    by_lead = lead_rows.groupby(key)
    by_action = action_rows.groupby(key)
    capped = account_rows["roles"].clip(upper=targets.roles_per_account)
    counts = pd.DataFrame({
        "leads_new": by_lead.size(),
        "leads_judged": by_lead["judged"].sum(),
        "leads_activated": by_lead["activated"].sum(),
        "actions_due": by_action.size(),
        "actions_judged": by_action["judged"].sum(),
        "actions_closed": (action_rows["closed"] & action_rows["judged"])
        .groupby(action_rows[key]).sum(),
        "accounts": account_rows.groupby(key).size(),
        "roles_touched": account_rows.groupby(key)["roles"].sum(),
        "roles_capped": capped.groupby(account_rows[key]).sum(),
        "roles_distinct": touch_rows.drop_duplicates([key, "role"]).groupby(key).size(),
    })
    wanted = pd.Index(keys[key].dropna().unique())
    counts = counts.reindex(counts.index.union(wanted))
    return counts.fillna(0).astype({c: "int64" for c in COUNT_COLUMNS if c != "roles_capped"})


def score_counts(counts: pd.DataFrame, weights: PhiWeights, targets: PhiTargets) -> pd.DataFrame:
    """Rates, component scores (0..1) and PHI (0..100) for each row of ``counts``.
    No denominator gives NaN ("no data") for the rate, its score, and possibly PHI."""
    out = counts.copy()
    out["lead_activation_rate"] = _ratio(counts["leads_activated"], counts["leads_judged"])
    out["action_closure_rate"] = _ratio(counts["actions_closed"], counts["actions_judged"])
    out["penetration"] = _ratio(counts["roles_touched"], counts["accounts"])
    out["lead_activation_score"] = (out["lead_activation_rate"] / targets.lead_activation
                                    ).clip(upper=1.0)
    out["action_closure_score"] = (out["action_closure_rate"] / targets.action_closure
                                   ).clip(upper=1.0)
    out["penetration_score"] = _ratio(counts["roles_capped"],
                                      counts["accounts"] * targets.roles_per_account)
    out["phi"] = composite(out, weights)
    return out


def composite(scores: pd.DataFrame, weights: PhiWeights) -> pd.Series:
    """PHI (0..100) from the ``*_score`` columns; NaN where no component has data."""
    numerator = pd.Series(0.0, index=scores.index)
    denominator = pd.Series(0.0, index=scores.index)
    for name, weight in weights.as_mapping().items():
        score = scores[f"{name}_score"].astype("float64")
        present = score.notna()
        numerator += np.where(present, score.fillna(0.0).clip(0.0, 1.0) * weight, 0.0)
        denominator += np.where(present, weight, 0.0)
    phi = 100.0 * numerator / denominator.where(denominator > 0)
    return phi.clip(0.0, 100.0)


def composite_of(component_scores: Mapping[str, float | None], weights: PhiWeights
                 ) -> float | None:
    """PHI for one set of component scores (0..1 or None for "no data")."""
    frame = pd.DataFrame({f"{name}_score": [component_scores.get(name)]
                          for name in COMPONENTS}, dtype="float64")
    value = float(composite(frame, weights).iloc[0])
    return None if math.isnan(value) else value


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    den = denominator.astype("float64")
    return numerator.astype("float64") / den.where(den > 0)

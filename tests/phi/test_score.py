"""The composite PHI and the policies it takes."""

from __future__ import annotations

import pandas as pd
import pytest

from phi.score import PhiTargets, PhiWeights, composite_of, score_counts
from visitproof.errors import InvalidInput


def _counts(**values: float) -> pd.DataFrame:
    base = dict.fromkeys(("leads_new", "leads_judged", "leads_activated", "actions_due",
                          "actions_judged", "actions_closed", "accounts", "roles_touched",
                          "roles_capped"), 0.0)
    base.update(values)
    return pd.DataFrame([base], index=["r1"])


def test_composite_hand_computed() -> None:
    counts = _counts(leads_new=6, leads_judged=6, leads_activated=3, actions_due=4,
                     actions_judged=4, actions_closed=2, accounts=3, roles_touched=2,
                     roles_capped=2)
    row = score_counts(counts, PhiWeights(), PhiTargets()).loc["r1"]
    assert row["lead_activation_rate"] == pytest.approx(0.5)
    assert row["action_closure_rate"] == pytest.approx(0.5)
    assert row["penetration"] == pytest.approx(2 / 3)
    assert row["penetration_score"] == pytest.approx(2 / 6)
    expected = 100 * (0.35 * 0.5 / 0.95 + 0.40 * 0.5 / 0.88 + 0.25 * 2 / 6)
    assert row["phi"] == pytest.approx(expected)  # 49.48...
    assert row["phi"] == pytest.approx(49.4817, abs=1e-3)


def test_above_target_is_capped_at_full_marks() -> None:
    counts = _counts(leads_judged=10, leads_activated=10, actions_judged=10, actions_closed=10,
                     accounts=1, roles_touched=5, roles_capped=2)
    assert score_counts(counts, PhiWeights(), PhiTargets()).loc["r1", "phi"] == 100.0


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"lead_activation": None, "action_closure": 0.5, "penetration": 1.0},
         100 * (0.40 * 0.5 + 0.25 * 1.0) / 0.65),
        ({"lead_activation": None, "action_closure": None, "penetration": 0.0}, 0.0),
        ({"lead_activation": None, "action_closure": None, "penetration": None}, None),
    ],
)
def test_missing_components_are_left_out_not_zero(scores: dict[str, float | None],
                                                  expected: float | None) -> None:
    result = composite_of(scores, PhiWeights())
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_rep_without_any_denominator_has_no_data() -> None:
    row = score_counts(_counts(), PhiWeights(), PhiTargets()).loc["r1"]
    assert row[["lead_activation_rate", "action_closure_rate", "penetration", "phi"]
               ].isna().all()


def test_custom_weights() -> None:
    scores = {"lead_activation": 1.0, "action_closure": 0.0, "penetration": 0.0}
    assert composite_of(scores, PhiWeights(1, 0, 0)) == pytest.approx(100.0)
    assert composite_of(scores, PhiWeights(1, 1, 2)) == pytest.approx(25.0)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: PhiWeights(0, 0, 0), "BAD_PHI_WEIGHTS"),
        (lambda: PhiWeights(-1, 1, 1), "BAD_PHI_WEIGHTS"),
        (lambda: PhiWeights(float("nan"), 1, 1), "BAD_PHI_WEIGHTS"),
        (lambda: PhiTargets(lead_activation=0), "BAD_PHI_TARGETS"),
        (lambda: PhiTargets(action_closure=1.5), "BAD_PHI_TARGETS"),
        (lambda: PhiTargets(roles_per_account=0), "BAD_PHI_TARGETS"),
    ],
)
def test_bad_policies_are_refused(make: object, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        make()  # type: ignore[operator]
    assert raised.value.code == code

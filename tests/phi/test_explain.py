"""Drill-down: every count of the rep's score is a count of listed rows."""

from __future__ import annotations

import json

import pytest

from phi.components import PHI_DEFINITION_VERSION
from phi.explain import explain_rep, explanation_to_dict, explanation_to_text
from tests.builders import make_checkin, make_outcome, make_phi_tables
from tests.phi.scenario import NOW, PERIOD, scenario_tables
from visitproof.errors import NotFound


def test_explain_lists_the_rows_behind_each_count() -> None:
    explanation = explain_rep(scenario_tables(), rep_id="r2", period=PERIOD, now=NOW)
    counts = explanation.score.counts
    assert len(explanation.leads) == counts["leads_new"] == 1
    assert int(explanation.leads["activated"].sum()) == counts["leads_activated"]
    assert len(explanation.actions) == counts["actions_due"] == 1  # the late, verified one
    assert int(explanation.actions["closed"].sum()) == counts["actions_closed"] == 0
    assert len(explanation.accounts) == counts["accounts"] == 2
    assert sorted(explanation.excluded["codes"]) == ["GPS_OUTSIDE_GEOFENCE",
                                                      "GPS_OUTSIDE_GEOFENCE,PHOTO_REUSED"]


def test_explain_renders_text_and_json() -> None:
    explanation = explain_rep(scenario_tables(), rep_id="r1", period=PERIOD, now=NOW)
    text = explanation_to_text(explanation)
    assert "lead activation: no data" in text
    assert "account c1: 1 roles (owner via" in text
    data = json.loads(json.dumps(explanation_to_dict(explanation)))
    assert data["rep_id"] == "r1"
    assert len(data["actions"]) == 5
    assert data["role_touches"][0]["role"] == "owner"


def test_unknown_rep() -> None:
    with pytest.raises(NotFound):
        explain_rep(scenario_tables(), rep_id="ghost", period=PERIOD, now=NOW)


def test_explain_names_the_phi_definition_and_flags_a_missing_strategy() -> None:
    action = make_checkin(due="2026-11-10T10:00:00+00:00")
    tables = make_phi_tables(checkins=[action],
                             outcomes=[make_outcome(action, "2026-11-10T09:00:00+00:00")])
    explanation = explain_rep(tables, rep_id=action.rep_id, period=PERIOD, now=NOW)
    assert explanation.definition == PHI_DEFINITION_VERSION
    assert explanation_to_dict(explanation)["definition"] == PHI_DEFINITION_VERSION
    (row,) = explanation_to_dict(explanation)["actions"]
    assert (row["strategy_required"], row["strategy"], row["closed"]) == (True, None, False)
    text = explanation_to_text(explanation)
    assert f"PHI definition {PHI_DEFINITION_VERSION}" in text
    assert "NOT CLOSED (done 2026-11-10 09:00:00+00:00, pushed; NO STRATEGY)" in text

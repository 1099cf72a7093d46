"""The whole report: levels, exclusions, warnings, JSON/CSV shape, "no data"."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from phi.components import PHI_DEFINITION_VERSION
from phi.report import PhiReport, build_report
from phi.report_export import report_to_csv, report_to_dict, report_to_json
from phi.report_html import report_to_html
from phi.warning_signs import WarningCode, WarningPolicy
from tests.phi.scenario import NOW, PERIOD, scenario_tables
from visitproof.errors import NotFound


def _report(**kwargs: object) -> PhiReport:
    return build_report(scenario_tables(), period=PERIOD, now=NOW,
                        **kwargs)  # type: ignore[arg-type]


def test_levels_and_no_data() -> None:
    report = _report()
    reps = {score.subject_id: score for score in report.reps}
    assert list(reps) == ["r1", "r2", "r3"]
    assert reps["r1"].action_closure_rate == 0.0  # 5 actions due 5 Nov, none closed
    assert reps["r1"].lead_activation_rate is None  # no leads: no data, not 0
    assert reps["r1"].penetration == 1.0  # owner at c1
    assert reps["r1"].counts["roles_distinct"] == 1
    assert reps["r3"].phi is None  # nothing at all
    assert reps["r3"].trend[-1].phi is None
    assert [t.subject_id for t in report.teams] == ["t1", "t2"]
    assert [r.subject_id for r in report.regions] == ["east", "west"]
    assert report.total.counts["actions_judged"] == 6
    assert report.trend_periods[-1] == "2026-11"
    assert len(report.trend_periods) == 6


def test_excluded_checkins_grouped_by_reason() -> None:
    excluded = _report().excluded
    assert (excluded.total, excluded.verified, excluded.excluded) == (8, 6, 2)
    assert dict(excluded.by_status) == {"needs_review": 1, "rejected": 1}
    assert dict(excluded.by_reason) == {"GPS_OUTSIDE_GEOFENCE": 2, "PHOTO_REUSED": 1}
    assert dict(excluded.by_rep) == {"r2": 2}


def test_warning_signs() -> None:
    warnings = _report(policy=WarningPolicy(failure_min_count=2)).warnings
    found = {(w.code, w.rep_id): w for w in warnings}
    assert set(found) == {(WarningCode.WAITING_STREAK, "r1"),
                          (WarningCode.UNTOUCHED_CUSTOMERS, "r1"),
                          (WarningCode.UNTOUCHED_CUSTOMERS, "r2"),
                          (WarningCode.LEAD_NOT_TOUCHED, "r2"),
                          (WarningCode.LATE_CHECKINS, "r2"),
                          (WarningCode.RISING_FAILURES, "r2")}
    assert found[(WarningCode.WAITING_STREAK, "r1")].count == 5
    assert found[(WarningCode.UNTOUCHED_CUSTOMERS, "r2")].subject_ids == ("c5", "c2")
    assert found[(WarningCode.LEAD_NOT_TOUCHED, "r2")].subject_ids == ("l1",)
    assert found[(WarningCode.LATE_CHECKINS, "r2")].count == 1
    assert found[(WarningCode.RISING_FAILURES, "r2")].count == 2
    # With the default minimum of 3 failures, two failures are not "rising" yet.
    assert WarningCode.RISING_FAILURES not in {w.code for w in _report().warnings}


def test_team_filter_and_unknown_team() -> None:
    report = _report(team="t2")
    assert [s.subject_id for s in report.reps] == ["r3"]
    assert [s.subject_id for s in report.teams] == ["t2"]
    assert report.excluded.total == 0
    with pytest.raises(NotFound):
        _report(team="nope")


def test_json_has_the_documented_shape() -> None:
    data = json.loads(report_to_json(_report()))
    assert set(data) >= {"reps", "excluded_checkins", "warnings", "teams", "regions",
                         "total", "period", "weights", "targets"}
    rep = data["reps"][2]
    assert rep["rep_id"] == "r3"
    assert rep["phi"] is None
    assert rep["lead_activation_rate"] is None
    assert set(rep) >= {"rep_id", "phi", "lead_activation_rate", "action_closure_rate",
                        "penetration", "trend", "counts"}
    assert data["excluded_checkins"]["by_reason"]["GPS_OUTSIDE_GEOFENCE"] == 2
    assert {w["code"] for w in data["warnings"]} >= {"WAITING_STREAK", "LATE_CHECKINS"}
    assert report_to_dict(_report())["period"]["start"] == "2026-11-01T00:00:00+00:00"


def test_csv_one_row_per_rep() -> None:
    rows = list(csv.DictReader(io.StringIO(report_to_csv(_report()))))
    assert [row["rep_id"] for row in rows] == ["r1", "r2", "r3"]
    assert rows[2]["phi"] == ""  # no data is blank, not 0
    assert rows[0]["actions_judged"] == "5"


def test_only_history_before_now_counts() -> None:
    early = build_report(scenario_tables(), period=PERIOD, now=datetime(2026, 11, 3, 11, 30,
                                                                  tzinfo=UTC))
    assert early.excluded.total == 4  # submitted by 11:30: r1 10:05, 11:05; r2 10:00, 11:05


def test_no_rising_failures_without_a_baseline() -> None:
    tables = scenario_tables()
    october = tables.checkins["departed_at"] < PERIOD.start
    without = replace(tables, checkins=tables.checkins[~october])
    report = build_report(without, period=PERIOD, now=NOW,
                          policy=WarningPolicy(failure_min_count=2))
    assert WarningCode.RISING_FAILURES not in {w.code for w in report.warnings}


def test_every_rendering_names_the_phi_definition_version() -> None:
    report = _report()
    assert (report.definition, PHI_DEFINITION_VERSION) == ("phi-2", "phi-2")
    assert report_to_dict(report)["definition"] == "phi-2"
    assert json.loads(report_to_json(report))["definition"] == "phi-2"
    rows = list(csv.DictReader(io.StringIO(report_to_csv(report))))
    assert rows
    assert {row["definition"] for row in rows} == {"phi-2"}
    assert "PHI definition phi-2" in report_to_html(report)
    assert report_to_dict(report)["rules"]["push_lead_hours"] == 24.0

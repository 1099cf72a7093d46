"""Invariants of the scorer over generated tenants (hypothesis)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phi.periods import parse_period
from phi.report import PhiReport, Score, build_report
from phi.score import PhiWeights
from phi.tables import PhiTables, frame

BASE = datetime(2026, 10, 20, tzinfo=UTC)
NOW = datetime(2026, 12, 5, tzinfo=UTC)
REPS = ["r0", "r1", "r2", "r3"]
CUSTOMERS = ["c0", "c1", "c2", "c3"]
ROLES = ["owner", "store_manager", "finance", "pharmacist"]
STATUSES = ["verified", "verified", "rejected", "needs_review", "received"]
ZONES = ["UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York"]
SETTINGS = settings(max_examples=12, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow])
hours = st.integers(min_value=0, max_value=45 * 24)


def _at(hour: int) -> datetime:
    return BASE + timedelta(hours=hour)


@st.composite
def tenants(draw: st.DrawFn) -> PhiTables:
    customer_reps = [{"customer_id": c, "rep_id": r} for c in CUSTOMERS
                     for r in draw(st.sets(st.sampled_from(REPS), max_size=2))]
    contacts = [{"contact_id": f"k{i}", "customer_id": draw(st.sampled_from(CUSTOMERS)),
                 "role": draw(st.sampled_from(ROLES))} for i in range(draw(st.integers(0, 6)))]
    contact_ids = [c["contact_id"] for c in contacts] + [None]
    leads: list[dict[str, Any]] = [{"lead_id": f"l{i}", "created_at": _at(draw(hours)),
              "customer_id": draw(st.sampled_from([*CUSTOMERS, None])),
              "rep_id": draw(st.sampled_from([*REPS, None]))}
             for i in range(draw(st.integers(0, 8)))]
    checkins: list[dict[str, Any]] = []
    for i in range(draw(st.integers(0, 14))):
        departed = draw(hours)
        checkins.append({
            "checkin_id": f"ck{i}", "rep_id": draw(st.sampled_from(REPS)),
            "customer_id": draw(st.sampled_from(CUSTOMERS)),
            "arrived_at": _at(departed) - timedelta(minutes=30), "departed_at": _at(departed),
            "submitted_at": _at(departed) + timedelta(minutes=draw(st.integers(0, 40))),
            "status": draw(st.sampled_from(STATUSES)),
            "due_at": _at(departed + draw(st.integers(1, 240))),
            "action_kind": draw(st.sampled_from(["call", "waiting_for_customer"])),
            "contact_id": draw(st.sampled_from(contact_ids))})
    touches = [{"touch_id": f"t{i}", "lead_id": lead["lead_id"],
                "rep_id": draw(st.sampled_from(REPS)),
                "kind": draw(st.sampled_from(["call", "message", "visit"])),
                "at": lead["created_at"] + timedelta(hours=draw(st.integers(-5, 40))),
                "checkin_id": draw(st.sampled_from([None, *(c["checkin_id"] for c in checkins)]))}
               for i, lead in enumerate(leads) if draw(st.booleans())]
    outcomes = [{"checkin_id": c["checkin_id"],
                 "completed_at": c["due_at"] + timedelta(hours=draw(st.integers(-48, 48)))}
                for c in checkins if draw(st.booleans())]
    return PhiTables(
        reps=frame("reps", [{"rep_id": r, "team_id": f"t{i % 2}", "region": f"g{i % 2}"}
                            for i, r in enumerate(REPS)]),
        customer_reps=frame("customer_reps", customer_reps),
        contacts=frame("contacts", contacts), leads=frame("leads", leads),
        touches=frame("touches", touches), checkins=frame("checkins", checkins),
        outcomes=frame("outcomes", outcomes), failures=frame("failures", []))


def _report(tables: PhiTables, zone: str, weights: PhiWeights | None = None) -> PhiReport:
    return build_report(tables, period=parse_period("2026-11", zone), now=NOW,
                        weights=weights, trend_length=1)


def _scores(report: PhiReport) -> list[Score]:
    return [*report.reps, *report.teams, *report.regions, report.total]


def _comparable(report: PhiReport) -> list[tuple[Any, ...]]:
    return [(s.level, s.subject_id, s.phi, s.lead_activation_rate, s.action_closure_rate,
             s.penetration, dict(s.counts), s.trend) for s in _scores(report)]


@SETTINGS
@given(tenants(), st.sampled_from(ZONES),
       st.tuples(*[st.floats(0, 10, allow_nan=False)] * 3).filter(lambda w: sum(w) > 0))
def test_phi_is_between_0_and_100(tables: PhiTables, zone: str,
                                  weights: tuple[float, float, float]) -> None:
    for score in _scores(_report(tables, zone, PhiWeights(*weights))):
        assert score.phi is None or 0.0 <= score.phi <= 100.0
        for rate in (score.lead_activation_rate, score.action_closure_rate):
            assert rate is None or 0.0 <= rate <= 1.0
        assert score.phi is None or not math.isnan(score.phi)


@SETTINGS
@given(tenants(), st.sampled_from(ZONES), hours, st.sampled_from(REPS),
       st.sampled_from(["rejected", "needs_review", "received"]))
def test_adding_an_unverified_checkin_changes_no_score(tables: PhiTables, zone: str,
                                                       hour: int, rep: str,
                                                       status: str) -> None:
    extra = frame("checkins", [{
        "checkin_id": "extra", "rep_id": rep, "customer_id": "c0",
        "arrived_at": _at(hour), "departed_at": _at(hour), "submitted_at": _at(hour),
        "status": status, "due_at": _at(hour + 24), "action_kind": "call",
        "contact_id": "k0"}])
    done = frame("outcomes", [{"checkin_id": "extra", "completed_at": _at(hour + 1)}])
    bigger = replace(tables, checkins=pd.concat([tables.checkins, extra], ignore_index=True),
                     outcomes=pd.concat([tables.outcomes, done], ignore_index=True))
    assert _comparable(_report(bigger, zone)) == _comparable(_report(tables, zone))


@SETTINGS
@given(tenants(), st.sampled_from(ZONES), st.data())
def test_completing_an_open_action_on_time_never_lowers_closure(
        tables: PhiTables, zone: str, data: st.DataObject) -> None:
    open_ids = sorted(set(tables.checkins["checkin_id"]) - set(tables.outcomes["checkin_id"]))
    if not open_ids:
        return
    chosen = data.draw(st.sampled_from(open_ids))
    due = tables.checkins.loc[tables.checkins["checkin_id"] == chosen, "due_at"].iloc[0]
    when = data.draw(st.integers(0, 72))
    done = frame("outcomes", [{"checkin_id": chosen,
                               "completed_at": due - pd.Timedelta(hours=when)}])
    after = replace(tables, outcomes=pd.concat([tables.outcomes, done], ignore_index=True))
    before_scores = {s.subject_id: s for s in _scores(_report(tables, zone))}
    for score in _scores(_report(after, zone)):
        old = before_scores[score.subject_id].action_closure_rate
        if old is not None:
            assert score.action_closure_rate is not None
            assert score.action_closure_rate >= old - 1e-12


@SETTINGS
@given(tenants(), st.sampled_from(ZONES), st.permutations(REPS))
def test_relabelling_reps_permutes_the_output(tables: PhiTables, zone: str,
                                              order: list[str]) -> None:
    mapping = dict(zip(REPS, order, strict=True))

    def relabel(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.assign(rep_id=rows["rep_id"].map(lambda r: mapping.get(r, r)))

    renamed = replace(tables, reps=relabel(tables.reps),
                      customer_reps=relabel(tables.customer_reps),
                      leads=relabel(tables.leads), touches=relabel(tables.touches),
                      checkins=relabel(tables.checkins))
    before = {s.subject_id: s for s in _report(tables, zone).reps}
    after = {s.subject_id: s for s in _report(renamed, zone).reps}
    assert set(after) == set(REPS)
    for old, new in mapping.items():
        a, b = before[old], after[new]
        assert (a.phi, a.lead_activation_rate, a.action_closure_rate, a.penetration,
                dict(a.counts), a.trend) == (b.phi, b.lead_activation_rate,
                                             b.action_closure_rate, b.penetration,
                                             dict(b.counts), b.trend)

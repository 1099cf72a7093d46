"""Benchmark: the full PHI report at 1M check-ins, 100k leads and 1M next actions.

    .venv/bin/python -m benchmarks.phi_report [--checkins 1000000] [--leads 100000]
        [--reps 150] [--customers 20000] [--runs 5] [--subset 0.05] [--loop-runs 3] [--seed 7]

A seeded synthetic tenant (Asia/Shanghai) over twelve months: ``checkins`` check-ins (85%
verified, the rest rejected / needs review / received, with reason codes), one next action
each (so 1M actions; ~70% completed, some late), ``leads`` leads with logged touches, two
or three contacts per customer. The report is for the last month, as of the next morning.

Stages timed (median and min-max over ``runs``), on tables already in memory:
  report      build_report: components for 6 trend periods, teams, regions, exclusions,
              warnings (the figure held to <= 10 s, with json)
  1 period    build_report with no trend: the same work the loop does, plus warnings
  json        report_to_json on that report
  html        report_to_html on that report
  loop        a plain per-row Python loop (dicts, no pandas) computing the current period's
              three components per rep, on a ``subset`` of the rows, scaled by 1/subset
The loop's per-rep results are checked against the vectorised components on the same subset,
so the benchmark doubles as a cross-check of two independent implementations.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from benchmarks.options import command_line
from phi.periods import Period, parse_period
from phi.report import PhiReport, build_report
from phi.report_export import report_to_json
from phi.report_html import report_to_html
from phi.tables import PhiTables, frame

T = TypeVar("T")
ZONE = "Asia/Shanghai"
START = datetime(2025, 12, 1, tzinfo=UTC) - timedelta(hours=8)
SPAN_S = 365 * 86400
ROLES = np.array(["department_head", "equipment_head", "it_engineer", "purchasing_officer",
                  "store_manager", "owner"])
CODES = np.array(["GPS_OUTSIDE_GEOFENCE", "PHOTO_REUSED", "NOT_IN_GOLDEN_ZONE",
                  "LATE_SUBMISSION", "MOCK_LOCATION"])


def synthetic_tenant(checkins: int, leads: int, reps: int, customers: int,
                     seed: int) -> PhiTables:
    """Seeded tables; see the module docstring."""
    rng = np.random.default_rng(seed)
    rep_ids = np.array([f"r{i:04d}" for i in range(reps)], dtype=object)
    cust_ids = np.array([f"c{i:06d}" for i in range(customers)], dtype=object)
    owner = rng.integers(0, reps, customers)
    second = rng.random(customers) < 0.1
    customer_reps = pd.DataFrame({
        "customer_id": np.concatenate([cust_ids, cust_ids[second]]),
        "rep_id": np.concatenate([rep_ids[owner],
                                  rep_ids[(owner[second] + 1) % reps]])})
    per_customer = rng.integers(2, 4, customers)
    contact_customer = np.repeat(np.arange(customers), per_customer)
    contacts = pd.DataFrame({
        "contact_id": np.array([f"k{i:07d}" for i in range(len(contact_customer))],
                               dtype=object),
        "customer_id": cust_ids[contact_customer],
        "role": ROLES[rng.integers(0, len(ROLES), len(contact_customer))]})
    first_contact = np.concatenate([[0], np.cumsum(per_customer)[:-1]])

    customer = np.where(rng.random(checkins) < 0.85,
                        rng.integers(0, customers, checkins),
                        rng.integers(0, customers, checkins))
    rep = owner[customer]
    departed = START + pd.to_timedelta(np.sort(rng.integers(0, SPAN_S, checkins)), unit="s")
    departed = pd.DatetimeIndex(departed)
    delay = pd.to_timedelta(rng.exponential(6 * 60, checkins).astype("int64"), unit="s")
    status = rng.choice(np.array(["verified", "rejected", "needs_review", "received"]),
                        checkins, p=[0.85, 0.08, 0.05, 0.02])
    due = departed + pd.to_timedelta(rng.integers(3600, 10 * 86400, checkins), unit="s")
    contact = contacts["contact_id"].to_numpy()[
        first_contact[customer] + rng.integers(0, 2, checkins)]
    checkin_ids = np.array([f"ck{i:08d}" for i in range(checkins)], dtype=object)
    kinds = np.where(rng.random(checkins) < 0.05, "waiting_for_customer", "call")
    checkin_frame = pd.DataFrame({
        "checkin_id": checkin_ids, "rep_id": rep_ids[rep], "customer_id": cust_ids[customer],
        "arrived_at": departed - pd.Timedelta(minutes=30), "departed_at": departed,
        "submitted_at": departed + delay, "status": status, "due_at": due,
        "action_kind": kinds.astype(object), "contact_id": contact})
    done = rng.random(checkins) < 0.7
    lateness = pd.to_timedelta(rng.integers(-5 * 86400, 2 * 86400, int(done.sum())), unit="s")
    outcomes = pd.DataFrame({"checkin_id": checkin_ids[done],
                             "completed_at": due[done] + lateness})
    failed = status != "verified"
    failures = pd.DataFrame({"checkin_id": checkin_ids[failed & (status != "received")],
                             "code": CODES[rng.integers(0, len(CODES),
                                                        int((failed & (status != "received"))
                                                            .sum()))]})

    lead_customer = rng.integers(0, customers, leads)
    created = START + pd.to_timedelta(np.sort(rng.integers(0, SPAN_S, leads)), unit="s")
    lead_ids = np.array([f"l{i:07d}" for i in range(leads)], dtype=object)
    touched = rng.random(leads) < 0.8
    touch_after = pd.to_timedelta(rng.exponential(14 * 3600, int(touched.sum())).astype("int64"),
                                  unit="s")
    touches = pd.DataFrame({
        "touch_id": np.array([f"t{i:07d}" for i in range(int(touched.sum()))], dtype=object),
        "lead_id": lead_ids[touched], "rep_id": rep_ids[owner[lead_customer[touched]]],
        "kind": rng.choice(np.array(["call", "message"]), int(touched.sum())).astype(object),
        "at": pd.DatetimeIndex(created[touched]) + touch_after, "checkin_id": None})
    lead_frame = pd.DataFrame({"lead_id": lead_ids, "created_at": created,
                               "customer_id": cust_ids[lead_customer],
                               "rep_id": rep_ids[owner[lead_customer]]})
    teams = np.array([f"t{i % 10}" for i in range(reps)], dtype=object)
    return PhiTables(
        reps=frame("reps", {"rep_id": rep_ids, "team_id": teams,
                            "region": np.array([f"g{int(t[1:]) % 3}" for t in teams],
                                               dtype=object)}),
        customer_reps=customer_reps, contacts=contacts,
        leads=frame("leads", lead_frame), touches=frame("touches", touches),
        checkins=frame("checkins", checkin_frame), outcomes=frame("outcomes", outcomes),
        failures=failures)


def subset(tables: PhiTables, share: float, seed: int) -> PhiTables:
    """Every customer's rows with probability ``share`` (check-ins, leads, outcomes follow)."""
    rng = np.random.default_rng(seed)
    ids = tables.customer_reps["customer_id"].drop_duplicates()
    keep = pd.Index(ids[rng.random(len(ids)) < share])
    checkins = tables.checkins[tables.checkins["customer_id"].isin(keep)]
    leads = tables.leads[tables.leads["customer_id"].isin(keep)]
    return PhiTables(
        reps=tables.reps, customer_reps=tables.customer_reps[
            tables.customer_reps["customer_id"].isin(keep)],
        contacts=tables.contacts[tables.contacts["customer_id"].isin(keep)], leads=leads,
        touches=tables.touches[tables.touches["lead_id"].isin(pd.Index(leads["lead_id"]))],
        checkins=checkins,
        outcomes=tables.outcomes[tables.outcomes["checkin_id"].isin(
            pd.Index(checkins["checkin_id"]))],
        failures=tables.failures[tables.failures["checkin_id"].isin(
            pd.Index(checkins["checkin_id"]))])


def per_row_loop(tables: PhiTables, period: Period, now: datetime) -> dict[str, dict[str, Any]]:
    """The current period's three components per rep, one Python object per row."""
    zone = ZoneInfo(period.timezone)
    start, end = period.start, period.end
    verified: dict[str, dict[str, Any]] = {}
    at_customer: dict[str, list[datetime]] = defaultdict(list)
    for row in tables.checkins.to_dict(orient="records"):
        if row["status"] == "verified" and row["submitted_at"].to_pydatetime() <= now:
            verified[row["checkin_id"]] = row
            at_customer[row["customer_id"]].append(row["arrived_at"].to_pydatetime())
    touch_times: dict[str, list[datetime]] = defaultdict(list)
    for row in tables.touches.to_dict(orient="records"):
        at = row["at"].to_pydatetime()
        if at <= now and (row["kind"] != "visit" or row["checkin_id"] in verified):
            touch_times[row["lead_id"]].append(at)
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for lead in tables.leads.to_dict(orient="records"):
        created = lead["created_at"].to_pydatetime()
        if not (start <= created < end and created <= now) or lead["rep_id"] is None:
            continue
        deadline = created + timedelta(hours=24)
        times = touch_times[lead["lead_id"]] + (at_customer[lead["customer_id"]]
                                                if lead["customer_id"] else [])
        hit = any(created <= t <= deadline for t in times)
        counts = out[lead["rep_id"]]
        if hit or deadline <= now:
            counts["leads_judged"] += 1
            counts["leads_activated"] += int(hit)
    completed = {row["checkin_id"]: row["completed_at"].to_pydatetime()
                 for row in tables.outcomes.to_dict(orient="records")
                 if row["completed_at"].to_pydatetime() <= now}
    today = now.astimezone(zone).date()
    for checkin in verified.values():
        due = checkin["due_at"].to_pydatetime()
        if not start <= due < end or not due.astimezone(zone).date() < today:
            continue
        counts = out[checkin["rep_id"]]
        counts["actions_judged"] += 1
        done = completed.get(checkin["checkin_id"])
        counts["actions_closed"] += int(done is not None and done.astimezone(zone).date()
                                        <= due.astimezone(zone).date())
    window_end = min(end, now)
    local_end = window_end.astimezone(zone).replace(tzinfo=None) - timedelta(days=30)
    window_start = local_end.replace(tzinfo=zone).astimezone(UTC)
    role_of = {row["contact_id"]: (row["customer_id"], row["role"])
               for row in tables.contacts.to_dict(orient="records")}
    accounts = {(row["rep_id"], row["customer_id"])
                for row in tables.customer_reps.to_dict(orient="records")}
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    for checkin in verified.values():
        departed = checkin["departed_at"].to_pydatetime()
        contact = role_of.get(checkin["contact_id"])
        key = (checkin["rep_id"], checkin["customer_id"])
        if (window_start <= departed < window_end and contact is not None
                and contact[0] == checkin["customer_id"] and key in accounts):
            roles[key].add(contact[1])
    for rep_id, customer_id in accounts:
        out[rep_id]["accounts"] += 1
        out[rep_id]["roles_touched"] += len(roles[(rep_id, customer_id)])
    return out


def timed(function: Callable[[], T], runs: int) -> tuple[list[float], T]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - started)
    assert result is not None
    return seconds, result


def cross_check(vectorised: PhiReport, loop: dict[str, dict[str, Any]]) -> int:
    """Number of (rep, count) pairs where the loop and the vectorised report disagree."""
    names = ("leads_judged", "leads_activated", "actions_judged", "actions_closed",
             "accounts", "roles_touched")
    return sum(int(score.counts[name]) != loop.get(score.subject_id, {}).get(name, 0)
               for score in vectorised.reps for name in names)


def main() -> None:
    args = command_line(__doc__, checkins=1_000_000, leads=100_000, reps=150, customers=20_000,
                        runs=5, subset=0.05, loop_runs=3, seed=7).parse_args()

    started = time.perf_counter()
    tables = synthetic_tenant(args.checkins, args.leads, args.reps, args.customers, args.seed)
    print(f"generated {len(tables.checkins):,} check-ins, {len(tables.leads):,} leads, "
          f"{len(tables.checkins):,} next actions ({len(tables.outcomes):,} completed), "
          f"{len(tables.touches):,} touches in {time.perf_counter() - started:.1f} s")
    period = parse_period("2026-11", ZONE)
    now = datetime(2026, 12, 1, 2, tzinfo=UTC)

    report_s, report = timed(lambda: build_report(tables, period=period, now=now), args.runs)
    json_s, text = timed(lambda: report_to_json(report), args.runs)
    html_s, page = timed(lambda: report_to_html(report), args.runs)
    small = subset(tables, args.subset, args.seed)
    loop_s, loop = timed(lambda: per_row_loop(small, period, now), args.loop_runs)
    small_report = build_report(small, period=period, now=now, trend_length=1)
    single_s, _ = timed(lambda: build_report(tables, period=period, now=now, trend_length=1),
                        args.runs)
    scale = len(tables.checkins) / max(len(small.checkins), 1)
    mismatches = cross_check(small_report, loop)

    rows = [("report, 6-period trend", report_s, 1.0),
            ("report, 1 period (no trend)", single_s, 1.0),
            ("json", json_s, 1.0), ("html", html_s, 1.0),
            (f"per-row loop, 1 period, subset x{scale:.1f}", loop_s, scale)]
    print(f"\n{'stage':<40}{'median s':>10}{'min s':>9}{'max s':>9}{'runs':>6}")
    for name, seconds, factor in rows:
        scaled = [s * factor for s in seconds]
        print(f"{name:<40}{statistics.median(scaled):>10.2f}{min(scaled):>9.2f}"
              f"{max(scaled):>9.2f}{len(seconds):>6}")
    total = statistics.median(report_s) + statistics.median(json_s)
    loop_full = statistics.median(loop_s) * scale
    print(f"\nfull report + JSON: {total:.2f} s (target <= 10 s)")
    print(f"per-row loop scaled to full size, current period only: {loop_full:.1f} s; "
          f"ratio loop / 1-period report = {loop_full / statistics.median(single_s):.1f}x, "
          f"loop / full report = {loop_full / total:.1f}x")
    print(f"subset: {len(small.checkins):,} check-ins, {len(small.leads):,} leads; "
          f"loop vs vectorised per-rep count mismatches: {mismatches}")
    print(f"output sizes: JSON {len(text) / 1e6:.1f} MB, HTML {len(page) / 1e6:.1f} MB, "
          f"{len(report.reps)} reps, {len(report.warnings)} warnings")


if __name__ == "__main__":
    main()

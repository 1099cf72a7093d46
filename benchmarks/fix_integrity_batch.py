"""Batch fix integrity over many fixes, against the per-row loop, on this machine.

    .venv/bin/python -m benchmarks.fix_integrity_batch --rows 1000000 --runs 5

Builds a synthetic history (reps around Hangzhou, ~8 fixes a day each, GPS noise, a few
percent of bad rows: far fixes, late uploads, clock skew, mock flags), times
``geo.fix_batch.verify_fixes`` over all rows ``--runs`` times, then the single-check-in form
``geo.fix_integrity.check_raw_fix`` row by row (with each rep's earlier rows as history) over
the first ``--loop-rows`` rows, and prints median and spread and the per-fix speed ratio.
Both forms run the same rules (``geo.fix_rules``), on N rows and on one row at a time, so the
loop's per-fix time is what an upload pays. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import platform
import statistics
import time
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd

from benchmarks.options import command_line
from geo.fix_batch import verify_fixes
from geo.fix_integrity import PriorFix, check_raw_fix
from geo.fix_policy import FixIntegrityPolicy
from visitproof.records import Customer, GeoPoint

START = datetime(2026, 10, 5, 1, 0, tzinfo=UTC)


def synthetic(rows: int, seed: int) -> gpd.GeoDataFrame:
    """``rows`` check-in fixes of ``rows // 400`` reps, 8 a day, in the batch layout."""
    rng = np.random.default_rng(seed)
    reps = max(1, rows // 400)
    rep = np.repeat(np.arange(reps), -(-rows // reps))[:rows]
    k = np.arange(rows) - np.searchsorted(rep, rep)  # visit index within the rep
    day, slot = k // 8, k % 8
    arrived = (pd.Timestamp(START) + pd.to_timedelta(day, "D")
               + pd.to_timedelta(slot * 55 + rng.uniform(0, 20, rows), "min"))
    dwell = pd.to_timedelta(rng.uniform(15, 40, rows), "min")
    departed = arrived + dwell
    late = rng.random(rows) < 0.04
    submitted = departed + pd.to_timedelta(np.where(late, rng.uniform(16, 300, rows),
                                                    rng.uniform(1, 12, rows)), "min")
    skew = np.where(rng.random(rows) < 0.01, rng.uniform(600, 7200, rows),
                    rng.normal(0, 3, rows))
    clat = 30.25 + rng.normal(0, 0.08, rows)
    clon = 120.15 + rng.normal(0, 0.1, rows)
    accuracy = np.clip(rng.lognormal(np.log(12), 0.45, rows), 5, 50).round(1)
    far = rng.random(rows) < 0.02
    spread = np.where(far, rng.uniform(0.01, 0.05, rows), accuracy / 111_000 / 1.5)
    lat = clat + rng.normal(0, 1, rows) * spread
    lon = clon + rng.normal(0, 1, rows) * spread
    frame = pd.DataFrame({
        "checkin_id": [f"ck-{i:08d}" for i in range(rows)],
        "rep_id": [f"rep-{r:05d}" for r in rep], "accuracy_m": accuracy,
        "is_mock": rng.random(rows) < 0.005,
        "fix_time": departed - pd.to_timedelta(rng.uniform(1, 6, rows), "min"),
        "arrived_at": arrived, "departed_at": departed, "submitted_at": submitted,
        "photo_captured_at": arrived + pd.to_timedelta(5, "min"),
        "device_submitted_at": submitted + pd.to_timedelta(skew, "s"),
        "customer_lat": clat, "customer_lon": clon,
        "customer_type": rng.choice(["supermarket", "pharmacy", "hospital_department"], rows),
        "customer_radius_m": 150.0})
    for name in ("fix_time", "arrived_at", "departed_at", "submitted_at", "photo_captured_at",
                 "device_submitted_at"):
        frame[name] = frame[name].dt.round("us")  # what a Python datetime can hold
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def per_row(frame: gpd.GeoDataFrame, policy: FixIntegrityPolicy, now: datetime) -> float:
    """Seconds to judge every row alone, in history order, with earlier rows as history."""
    history: dict[str, list[PriorFix]] = {}
    ordered = frame.sort_values(["rep_id", "fix_time", "checkin_id"])
    started = time.perf_counter()
    for row in ordered.itertuples(index=False):
        customer = Customer(tenant_id="bench", id="c", name="c", type=row.customer_type,
                            tier="A", location=GeoPoint(lat=row.customer_lat,
                                                        lon=row.customer_lon))
        verdict = check_raw_fix(
            row.geometry.y, row.geometry.x, row.accuracy_m, row.fix_time.to_pydatetime(),
            is_mock=row.is_mock, customer=customer, arrived_at=row.arrived_at.to_pydatetime(),
            departed_at=row.departed_at.to_pydatetime(),
            submitted_at=row.submitted_at.to_pydatetime(),
            photo_captured_at=row.photo_captured_at.to_pydatetime(),
            device_submitted_at=row.device_submitted_at.to_pydatetime(),
            checkin_id=row.checkin_id, history=history.get(row.rep_id, [])[-10:],
            policy=policy, now=now)
        history.setdefault(row.rep_id, []).append(PriorFix(
            checkin_id=row.checkin_id, lat=row.geometry.y, lon=row.geometry.x,
            accuracy_m=row.accuracy_m, fix_time=row.fix_time.to_pydatetime(),
            position_trusted=verdict.position_trusted))
    return time.perf_counter() - started


def main() -> None:
    args = command_line(__doc__, rows=1_000_000, runs=5, loop_rows=2000, seed=1).parse_args()
    policy = FixIntegrityPolicy()
    built = time.perf_counter()
    frame = synthetic(args.rows, args.seed)
    now = pd.Timestamp(frame["submitted_at"].max()).to_pydatetime() + timedelta(days=1)
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}; built {args.rows:,} rows in "
          f"{time.perf_counter() - built:.1f} s")
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = verify_fixes(frame, policy=policy, now=now, with_messages=False)
        timings.append(time.perf_counter() - started)
    loop_s = per_row(frame.head(args.loop_rows), policy, now)
    batch_per_fix = statistics.median(timings) / args.rows
    loop_per_fix = loop_s / args.loop_rows
    counts = result["status"].value_counts().to_dict()
    print()
    print("| form | rows | runs | median s | min s | max s | fixes/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| batch (verify_fixes) | {args.rows:,} | {args.runs} | "
          f"{statistics.median(timings):.2f} | {min(timings):.2f} | {max(timings):.2f} | "
          f"{1 / batch_per_fix:,.0f} |")
    print(f"| per-row loop (check_raw_fix) | {args.loop_rows:,} | 1 | {loop_s:.2f} | - | - | "
          f"{1 / loop_per_fix:,.0f} |")
    print()
    print(f"per-row loop extrapolated to {args.rows:,} rows: {loop_per_fix * args.rows:,.0f} s;"
          f" batch is {loop_per_fix / batch_per_fix:,.0f}x faster per fix")
    print(f"statuses: {counts}")


if __name__ == "__main__":
    main()

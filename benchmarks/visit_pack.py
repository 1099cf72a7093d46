"""Benchmark: ``GET /v1/customers/{id}/visit-pack`` on the demo store, against a baseline.

    .venv/bin/python -m benchmarks.visit_pack [--customers 50] [--runs 5] [--target-ms 200]

The demo store is the simulated tenant ``demo`` that ``make run`` builds (``visitproof
simulate --reps 40 --customers 800 --days 30 --seed 7``). When ``$VISITPROOF_DATA_DIR`` holds
it, its SQLite file is copied (with SQLite's backup API) into a temporary folder, so the
tokens this script issues never touch it; otherwise the same simulation is written into a
temporary folder first (no shelf photos: the pack's photo section then says the photo isn't
stored, which costs one file check either way).

``customers`` customers are drawn (seed 11) among those with an assigned rep; each request
is made by the customer's first assigned rep with their own token, through one
``TestClient`` over ``create_app`` (the whole FastAPI stack, in process: routing, auth, the
store queries, JSON). The baseline is ``GET /v1/checkins/{id}`` of that rep's latest
check-in, the same client, the same tokens, interleaved with the pack requests. Each run
times every customer once; the table gives per-request p50 / p95 / max over all runs, the
median of the runs' p50s and their spread (min-max), and the ratio pack / baseline of the
medians. The target: every request's p95 within ``target_ms`` (200 ms).
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from fastapi.testclient import TestClient

from application.settings import Settings
from benchmarks.options import command_line
from serving.app import create_app
from serving.auth import Role, issue_token
from visitproof.store import Store, open_database
from visitproof.store.tables import checkins as checkins_table
from visitproof.values import utc_now

TENANT = "demo"
DB_NAME = "visitproof.sqlite3"


def _has_demo(path: Path) -> bool:
    if not path.is_file():
        return False
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        try:
            row = connection.execute("SELECT count(*) FROM checkins WHERE tenant_id = ?",
                                     (TENANT,)).fetchone()
        except sqlite3.Error:
            return False
    return bool(row and row[0])


def demo_store(folder: Path) -> str:
    """Put the demo store's SQLite file in ``folder`` (copied, or simulated); say which."""
    source = Path(os.environ.get("VISITPROOF_DATA_DIR", "var")) / DB_NAME
    target = folder / DB_NAME
    if _has_demo(source):
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, \
                sqlite3.connect(target) as dst:
            src.backup(dst)
        database = open_database(f"sqlite:///{target}")
        database.migrate()  # a demo store from before 0006 gets the new tables (empty)
        database.dispose()
        return f"copied from {source}"
    from simulation.scenario import SimulationConfig, simulate
    from simulation.writer import write_store

    started = time.perf_counter()
    sim = simulate(SimulationConfig(reps=40, customers=800, days=30, seed=7, fraud_rate=0.05,
                                    tenant=TENANT))
    write_store(sim, f"sqlite:///{target}", tenant_name="Simulated distributor (demo)")
    return f"simulated into a temporary folder in {time.perf_counter() - started:.0f} s"


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> None:
    parser = command_line(__doc__, customers=50, runs=5, target_ms=200.0, seed=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vp-visit-pack-") as temporary:
        folder = Path(temporary)
        origin = demo_store(folder)
        settings = Settings(data_dir=folder, rate_limit_per_minute=0)
        database = open_database(f"sqlite:///{folder / DB_NAME}")
        with database.connect() as connection:
            customers = [c for c in Store(connection, TENANT).reference.customers()
                         if c.assigned_rep_ids]
            counts = {name: connection.execute(sa.text(
                f"SELECT count(*) FROM {name} WHERE tenant_id = :t"), {"t": TENANT}
            ).scalar_one() for name in ("customers", "checkins", "orders", "stock_levels",
                                        "promotions", "contacts")}
        rng = np.random.default_rng(args.seed)
        chosen = [customers[int(i)] for i in rng.choice(len(customers),
                                                        size=min(args.customers,
                                                                 len(customers)),
                                                        replace=False)]
        reps = sorted({c.assigned_rep_ids[0] for c in chosen})
        expires = utc_now() + timedelta(hours=1)
        tokens = {rep: issue_token(database, tenant_id=TENANT, user_id=rep, role=Role.REP,
                                   expires_at=expires) for rep in reps}
        c = checkins_table.c
        with database.connect() as connection:
            latest = {rep: connection.execute(
                sa.select(c.id).where(c.tenant_id == TENANT, c.rep_id == rep)
                .order_by(c.submitted_at.desc()).limit(1)).scalar_one()
                for rep in reps}
        database.dispose()
        pack_runs: list[list[float]] = []
        base_runs: list[list[float]] = []
        sections = {"orders": 0, "promotions": 0, "open_actions": 0, "last_verified": 0}
        with TestClient(create_app(settings), raise_server_exceptions=True) as client:
            for customer in chosen[:3]:  # warm-up: imports, caches, the first connection
                rep = customer.assigned_rep_ids[0]
                headers = {"Authorization": f"Bearer {tokens[rep]}"}
                client.get(f"/v1/customers/{customer.id}/visit-pack", headers=headers)
                client.get(f"/v1/checkins/{latest[rep]}", headers=headers)
            for run in range(args.runs):
                pack_times, base_times = [], []
                for customer in chosen:
                    rep = customer.assigned_rep_ids[0]
                    headers = {"Authorization": f"Bearer {tokens[rep]}"}
                    started = time.perf_counter()
                    answer = client.get(f"/v1/customers/{customer.id}/visit-pack",
                                        headers=headers)
                    pack_times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.text
                    if run == 0:
                        body = answer.json()
                        for key in sections:
                            sections[key] += bool(body[key])
                    started = time.perf_counter()
                    baseline = client.get(f"/v1/checkins/{latest[rep]}", headers=headers)
                    base_times.append((time.perf_counter() - started) * 1000)
                    assert baseline.status_code == 200, baseline.text
                pack_runs.append(pack_times)
                base_runs.append(base_times)
    _report(args, origin, counts, len(chosen), sections, pack_runs, base_runs)


def _report(args: object, origin: str, counts: dict[str, int], chosen: int,
            sections: dict[str, int], pack_runs: list[list[float]],
            base_runs: list[list[float]]) -> None:
    target = float(args.target_ms)  # type: ignore[attr-defined]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    print(f"demo store: {origin}; tenant {TENANT}: " + ", ".join(
        f"{value:,} {name}" for name, value in counts.items()))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; commit {commit}")
    print(f"{chosen} customers x {len(pack_runs)} runs; sections with content (run 1): "
          + ", ".join(f"{k} {v}/{chosen}" for k, v in sections.items()))
    print()
    print("| request | p50 ms | p95 ms | max ms | median of run p50s (min-max) |")
    print("|---|---|---|---|---|")
    rows = {"GET /v1/customers/{id}/visit-pack": pack_runs,
            "GET /v1/checkins/{id} (baseline)": base_runs}
    medians = {}
    for name, runs in rows.items():
        flat = [t for run in runs for t in run]
        run_p50s = [statistics.median(run) for run in runs]
        medians[name] = statistics.median(run_p50s)
        print(f"| {name} | {_percentile(flat, 50):.1f} | {_percentile(flat, 95):.1f} | "
              f"{max(flat):.1f} | {medians[name]:.1f} ({min(run_p50s):.1f}-"
              f"{max(run_p50s):.1f}) |")
    pack, base = medians.values()
    p95 = _percentile([t for run in pack_runs for t in run], 95)
    print()
    print(f"ratio pack / baseline (medians): {pack / base:.2f}")
    print(f"target p95 <= {target:.0f} ms: {'met' if p95 <= target else 'NOT met'} "
          f"(p95 {p95:.1f} ms)")


if __name__ == "__main__":
    main()

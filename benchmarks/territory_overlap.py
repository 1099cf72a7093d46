"""Benchmark: territory overlap matrix plus coverage gaps at 500 reps x 30 days x 8 visits.

    .venv/bin/python -m benchmarks.territory_overlap [--reps 500] [--days 30] [--per-day 8]
        [--customers 20000] [--runs 5] [--naive-runs 1] [--seed 7]

A seeded synthetic region around Hangzhou: a grid of square territories, one rep each,
customers spread over them and assigned to the territory's rep. Each day a rep visits
``per-day`` customers, mostly their own (skewed towards favourites, so the long tail goes
untouched); one rep in twenty also farms the neighbouring territories.

Stages timed (median and min-max over ``runs``):
  footprints   routes and 500 m footprints for every rep (geo.routes)
  pairs        STRtree candidate pairs, intersections, shared accounts (geo.territory_overlap)
  matrix       top-N matrix with group overlap
  coverage     coverage gaps for every customer (geo.coverage)
  total        footprints + pairs + matrix + coverage: the figure held to <= 5 s
  naive all-pairs  the all-pairs Shapely loop over the same footprints with the same outputs
               (intersection, union, shares, IoU, shared accounts for every i < j): the
               ratio against "pairs"
  naive intersect  the barest loop, a.intersection(b).area only, as a lower bound
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np
import pandas as pd

from benchmarks.options import command_line
from geo.coverage import CustomerSites, coverage_gaps, sites_frame
from geo.routes import Footprints, Period, Visits, metric_crs, rep_footprints, visits_frame
from geo.territory_overlap import OverlapPolicy, overlap_matrix, pairwise_overlap, top_reps

T = TypeVar("T")
START = datetime(2026, 11, 2, tzinfo=UTC)
WEST, SOUTH, EAST, NORTH = 119.95, 30.05, 120.45, 30.45


def synthetic_region(reps: int, days: int, per_day: int, customers: int,
                     seed: int) -> tuple[Visits, CustomerSites]:
    """Seeded visits and customers; see the module docstring."""
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(reps * (EAST - WEST) / (NORTH - SOUTH))))
    rows = int(np.ceil(reps / cols))
    cell_w, cell_h = (EAST - WEST) / cols, (NORTH - SOUTH) / rows
    owner = rng.integers(0, reps, customers)
    lon = WEST + (owner % cols + rng.random(customers)) * cell_w
    lat = SOUTH + (owner // cols + rng.random(customers)) * cell_h
    rep_ids = np.array([f"r{i:04d}" for i in range(reps)], dtype=object)
    sites = sites_frame(pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(customers)],
        "name": [f"Customer {i}" for i in range(customers)],
        "tier": rng.choice(["A", "B", "C"], customers, p=[0.2, 0.3, 0.5]),
        "lon": lon, "lat": lat, "territory_id": [f"t{o:04d}" for o in owner],
        "assigned_rep_ids": [(rep_ids[o],) for o in owner]}))
    by_owner = [np.flatnonzero(owner == r) for r in range(reps)]
    farmers = set(rng.choice(reps, max(1, reps // 20), replace=False).tolist())
    rep_col, cust_col, day_col, slot_col = [], [], [], []
    for r in range(reps):
        pool = by_owner[r]
        if r in farmers:
            near = [n for n in (r - 1, r + 1, r - cols, r + cols) if 0 <= n < reps]
            pool = np.concatenate([pool, *(by_owner[n] for n in near)])
        if pool.size == 0:
            continue
        # Zipf-like favourites: the same few customers get most visits.
        weights = 1.0 / np.arange(1, pool.size + 1) ** 1.1
        picks = rng.choice(pool, days * per_day, p=weights / weights.sum())
        rep_col.append(np.full(picks.size, r))
        cust_col.append(picks)
        day_col.append(np.repeat(np.arange(days), per_day))
        slot_col.append(np.tile(np.arange(per_day), days))
    rep_idx, cust_idx = np.concatenate(rep_col), np.concatenate(cust_col)
    minutes = np.concatenate(day_col) * 1440 + 60 + np.concatenate(slot_col) * 55
    arrived = pd.to_datetime(START) + pd.to_timedelta(minutes, unit="min")
    visits = visits_frame(pd.DataFrame({
        "rep_id": rep_ids[rep_idx], "customer_id": sites.frame["customer_id"].to_numpy()[
            cust_idx], "arrived_at": arrived, "departed_at": arrived + timedelta(minutes=40),
        "lon": lon[cust_idx], "lat": lat[cust_idx]}))
    return visits, sites


def naive_pairs(footprints: Footprints, visits: Visits,
                ) -> list[tuple[str, str, float, float, float, int]]:
    """The all-pairs loop a first version would write, with the same outputs as
    ``pairwise_overlap``: for every i < j, intersection and union with Shapely, the shares,
    IoU and the shared customers as a set intersection."""
    geoms = list(footprints.frame.geometry)
    reps = list(footprints.frame.index)
    in_period = visits.in_period(footprints.period).frame
    accounts = in_period.groupby("rep_id")["customer_id"].agg(set).to_dict()
    out = []
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            inter = geoms[i].intersection(geoms[j]).area
            shared = len(accounts[reps[i]] & accounts[reps[j]])
            if inter > 0 or shared:
                union = geoms[i].union(geoms[j]).area
                out.append((reps[i], reps[j], inter / geoms[i].area, inter / geoms[j].area,
                            inter / union, shared))
    return out


def naive_intersections(footprints: Footprints) -> int:
    """The barest loop: only ``a.intersection(b).area`` for every i < j (no union, no
    accounts), as a lower bound for any all-pairs approach."""
    geoms = list(footprints.frame.geometry)
    return sum(1 for i in range(len(geoms)) for j in range(i + 1, len(geoms))
               if geoms[i].intersection(geoms[j]).area > 0)


def timed(runs: int, work: Callable[[], T]) -> tuple[list[tuple[float, float]], T]:
    """(wall seconds, CPU seconds of this process) per run, and the last result. CPU time is
    the fairer figure on a shared machine: it doesn't count waiting for a core."""
    seconds, result = [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        seconds.append((time.perf_counter() - wall, time.process_time() - cpu))
    if result is None:
        raise SystemExit("no runs")
    return seconds, result


def main() -> None:
    parser = command_line(__doc__, reps=500, days=30, per_day=8, customers=20000, runs=5,
                          naive_runs=1, seed=7)
    args = parser.parse_args()
    if args.runs < 1 or args.naive_runs < 0:
        parser.error("--runs must be >= 1 and --naive-runs >= 0")
    visits, sites = synthetic_region(args.reps, args.days, args.per_day, args.customers,
                                     args.seed)
    period = Period(START, START + timedelta(days=args.days))
    now = period.end
    policy = OverlapPolicy(buffer_m=500.0, neglect_days=21, top_n=10)
    crs = metric_crs(sites.frame["lon"], sites.frame["lat"])
    print(f"{len(visits.frame):,} verified visits, {args.reps} reps, "
          f"{len(sites.frame):,} customers, CRS {crs.to_string()}, runs={args.runs}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")

    t_fp, footprints = timed(args.runs, lambda: rep_footprints(
        visits, period, crs, buffer_m=policy.buffer_m))
    t_pairs, pairs = timed(args.runs, lambda: pairwise_overlap(footprints, visits))
    top = top_reps(footprints, policy.top_n)
    t_matrix, matrix = timed(args.runs, lambda: overlap_matrix(footprints, pairs, top))
    t_cov, gaps = timed(args.runs, lambda: coverage_gaps(sites, visits, now, policy))
    totals = [(sum(p[0] for p in parts), sum(p[1] for p in parts))
              for parts in zip(t_fp, t_pairs, t_matrix, t_cov, strict=True)]
    rows = [("footprints", t_fp), ("pairs (STRtree)", t_pairs), ("matrix top-10", t_matrix),
            ("coverage gaps", t_cov), ("total", totals)]
    if args.naive_runs:
        t_naive, naive = timed(args.naive_runs, lambda: naive_pairs(footprints, visits))
        t_bare, _ = timed(args.naive_runs, lambda: naive_intersections(footprints))
        rows += [("naive all-pairs", t_naive), ("naive intersect", t_bare)]
        if len(naive) != len(pairs):
            raise SystemExit(f"naive found {len(naive)} pairs, vectorised {len(pairs)}")

    print(f"\n{'stage':<18}{'median s':>10}{'min s':>9}{'max s':>9}{'cpu s':>8}{'runs':>6}")
    for name, runs in rows:
        wall = [w for w, _ in runs]
        print(f"{name:<18}{statistics.median(wall):>10.3f}{min(wall):>9.3f}{max(wall):>9.3f}"
              f"{statistics.median(c for _, c in runs):>8.3f}{len(runs):>6}")
    print(f"\n{len(pairs):,} pairs reported, {len(gaps):,} coverage gaps, "
          f"top-{len(top)} group overlap {matrix.group_overlap:.1%}")
    def median_wall(runs: list[tuple[float, float]]) -> float:
        return statistics.median(w for w, _ in runs)

    if args.naive_runs:
        ratio = median_wall(t_naive) / median_wall(t_pairs)
        bare = median_wall(t_bare) / median_wall(t_pairs)
        print(f"naive all-pairs / STRtree pairs: {ratio:.1f}x; intersection-only loop / "
              f"STRtree pairs: {bare:.1f}x ({args.reps * (args.reps - 1) // 2:,} pairs tried "
              "vs STRtree candidates only)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end (wall times scale with it on a "
          "shared machine)")
    total, cpu = median_wall(totals), statistics.median(c for _, c in totals)
    verdict = "within" if total <= 5.0 else "OVER"
    scale = ("" if (args.reps, args.days, args.per_day) == (500, 30, 8)
             else " (set for 500 reps x 30 days x 8 visits, not this size)")
    print(f"total median {total:.2f} s wall ({cpu:.2f} s CPU): {verdict} the 5 s budget{scale}")


if __name__ == "__main__":
    main()

"""Fraud evaluation over a simulated data directory: per fraud type, how many labelled
check-ins the checks caught; on honest check-ins, how many they wrongly rejected.

Definitions (documented in the README):

- ``recall[type]``: fraction of check-ins labelled ``type`` whose status is not ``verified``
  (rejected or needs review: either way they do not count for PHI and a manager sees them);
  ``reject_recall[type]`` counts ``rejected`` only.
- ``honest_false_reject_rate``: fraction of unlabelled check-ins that are ``rejected``;
  ``honest_review_rate``: fraction sent to review (e.g. honestly late uploads).

The check-ins are re-judged from ``checkins.parquet`` with the default policy and the run's
``now`` from ``meta.json``, so the numbers reflect the current checks, not stored verdicts.

:func:`evaluate_travel` does the same for honest intercity trips
(:mod:`simulation.travel`, regenerated from the seed): the share of rail and air tracks the
movement check flags, the share of their door-to-door legs (first fix to last) it calls
impossible, and the share of teleports (one fix moved 200-1,500 km, then back) it catches.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geo.fix_policy import FixIntegrityPolicy
from geo.movement import check_track, speed_reason
from geo.projection import point_distance_m, utm_epsg
from simulation.scenario import judge
from simulation.travel import honest_trips, with_teleport
from simulation.writer import SIMULATION_FOLDER
from visitproof.errors import InvalidInput


@dataclass(frozen=True, slots=True, kw_only=True)
class FraudEvaluation:
    """Recall per fraud type and variant, honest error rates, counts."""

    recall: dict[str, float]
    reject_recall: dict[str, float]
    variant_recall: dict[str, float]
    support: dict[str, int]
    honest_false_reject_rate: float
    honest_review_rate: float
    checkins: int
    honest_checkins: int
    seed: int

    def as_json(self) -> dict[str, Any]:
        return {"recall": self.recall, "reject_recall": self.reject_recall,
                "variant_recall": self.variant_recall, "support": self.support,
                "honest_false_reject_rate": self.honest_false_reject_rate,
                "honest_review_rate": self.honest_review_rate, "checkins": self.checkins,
                "honest_checkins": self.honest_checkins, "seed": self.seed}


def evaluate_fraud(data_dir: Path, *, policy: FixIntegrityPolicy | None = None,
                   seed: int | None = None) -> FraudEvaluation:
    """Evaluate the simulation stored under ``data_dir/simulation``. ``seed``, when given,
    must match the simulated seed."""
    folder = data_dir / SIMULATION_FOLDER
    if not (folder / "checkins.parquet").exists():
        raise InvalidInput(f"no simulated data in {folder}; run `visitproof simulate "
                           f"--data-dir {data_dir}` first")
    meta = json.loads((folder / "meta.json").read_text())
    if seed is not None and seed != meta["seed"]:
        raise InvalidInput(f"{folder} was simulated with seed {meta['seed']}, not {seed}")
    frame = gpd.read_parquet(folder / "checkins.parquet")
    judged = judge(frame, policy or FixIntegrityPolicy(), datetime.fromisoformat(meta["now"]),
                   with_messages=False)
    flagged = judged["status"] != "verified"
    rejected = judged["status"] == "rejected"
    label = judged["fraud_type"]
    honest = label == ""
    recall, reject_recall, support, variant_recall = {}, {}, {}, {}
    for kind in sorted(set(label[~honest])):
        rows = label == kind
        support[kind] = int(rows.sum())
        recall[kind] = round(float(flagged[rows].mean()), 4)
        reject_recall[kind] = round(float(rejected[rows].mean()), 4)
        for variant in sorted(set(judged.loc[rows, "fraud_variant"])):
            picked = rows & (judged["fraud_variant"] == variant)
            variant_recall[f"{kind}/{variant}"] = round(float(flagged[picked].mean()), 4)
    honest_count = int(honest.sum())
    return FraudEvaluation(
        recall=recall, reject_recall=reject_recall, variant_recall=variant_recall,
        support=support,
        honest_false_reject_rate=round(float(rejected[honest].mean()), 5) if honest_count else 0.0,
        honest_review_rate=round(float((flagged & ~rejected)[honest].mean()), 5)
        if honest_count else 0.0,
        checkins=len(judged), honest_checkins=honest_count, seed=int(meta["seed"]))


@dataclass(frozen=True, slots=True, kw_only=True)
class TravelEvaluation:
    """Per mode (``rail``, ``air``): trips, the share with any ``IMPOSSIBLE_SPEED`` in the
    track, and the share whose door-to-door leg is impossible; over all trips, the fixes
    checked and the teleport recall (share of injected teleports flagged)."""

    trips: dict[str, int]
    track_flag_rate: dict[str, float]
    door_to_door_flag_rate: dict[str, float]
    fixes: int
    teleports: int
    teleport_recall: float

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _speeding(findings: tuple[Any, ...]) -> set[int]:
    return {f.index for f in findings if f.reason.code == "IMPOSSIBLE_SPEED"}


def evaluate_travel(seed: int, *, count: int = 200,
                    policy: FixIntegrityPolicy | None = None) -> TravelEvaluation:
    """Judge ``count`` honest trips of ``seed`` and one teleport injected into each."""
    policy = policy or FixIntegrityPolicy()
    trips = honest_trips(seed, count)
    rng = np.random.default_rng([seed, 18])
    counts: dict[str, int] = {}
    tracks: dict[str, int] = {}
    legs: dict[str, int] = {}
    caught = 0
    for trip in trips:
        mode = trip.mode.value
        counts[mode] = counts.get(mode, 0) + 1
        tracks[mode] = tracks.get(mode, 0) + bool(_speeding(check_track(trip.points, policy)))
        first, last = trip.points[0], trip.points[-1]
        elapsed = (last.time - first.time).total_seconds() if first.time and last.time else 0.0
        distance = point_distance_m(first.lon, first.lat, last.lon, last.lat,
                                    utm_epsg(first.lon, first.lat))
        legs[mode] = legs.get(mode, 0) + (speed_reason(distance, elapsed, 20.0, policy)
                                          is not None)
        spoofed, k = with_teleport(trip, rng)
        caught += bool(_speeding(check_track(spoofed, policy)) & {k, k + 1})
    return TravelEvaluation(
        trips=counts, track_flag_rate={m: round(tracks[m] / counts[m], 4) for m in counts},
        door_to_door_flag_rate={m: round(legs[m] / counts[m], 4) for m in counts},
        fixes=sum(len(t.points) for t in trips), teleports=len(trips),
        teleport_recall=round(caught / len(trips), 4) if trips else 0.0)

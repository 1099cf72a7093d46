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
Twice: as at upload time (each fix judged with its rep's earlier fixes only: the plain
fields) and as batch re-verification, which may look ahead along the rep's whole window
(``batch_*`` fields, :func:`geo.fix_batch.verify_fixes` with ``look_ahead``). Per variant
(``"type/variant"``) both recalls and both reject shares are kept; ``batch_honest_codes``
gives, per spoofing code, the share of honest check-ins that carry it in batch mode.

:func:`evaluate_travel` does the same for honest intercity trips
(:mod:`simulation.travel`, regenerated from the seed): the share of rail and air tracks the
movement check flags, the share of their door-to-door legs (first fix to last) it calls
impossible, and the share of teleports (one fix moved 200-1,500 km, then back) it catches.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.fix_batch import verify_fixes
from geo.fix_policy import FixIntegrityPolicy
from geo.movement import check_track, speed_reason
from geo.projection import point_distance_m, utm_epsg
from simulation.scenario import judge
from simulation.travel import honest_trips, with_teleport
from simulation.writer import SIMULATION_FOLDER
from visitproof.errors import InvalidInput
from visitproof.reasons import ReasonCode, combined_status, status_for
from visitproof.records import CheckinStatus

C = ReasonCode


SPOOFING_CODES = (C.MOCK_LOCATION_FLAG, C.FIX_ACCURACY_ZERO, C.FIX_ACCURACY_CONSTANT,
                  C.FIX_ACCURACY_CONSTANT_RUN, C.FIX_GRID_SNAPPED, C.FIX_REPEATED_COORDINATES,
                  C.FIX_COORDINATES_SENT_AGAIN, C.FIX_EXACTLY_ON_CUSTOMER,
                  C.TIMING_TOO_REGULAR)


@dataclass(frozen=True, slots=True, kw_only=True)
class FraudEvaluation:
    """Recall per fraud type and variant at upload time and in batch re-verification,
    honest error rates in both, counts."""

    recall: dict[str, float]
    reject_recall: dict[str, float]
    variant_recall: dict[str, float]
    support: dict[str, int]
    honest_false_reject_rate: float
    honest_review_rate: float
    checkins: int
    honest_checkins: int
    seed: int
    variant_support: dict[str, int] = field(default_factory=dict)
    variant_reject_recall: dict[str, float] = field(default_factory=dict)
    batch_recall: dict[str, float] = field(default_factory=dict)
    batch_reject_recall: dict[str, float] = field(default_factory=dict)
    batch_variant_recall: dict[str, float] = field(default_factory=dict)
    batch_variant_reject_recall: dict[str, float] = field(default_factory=dict)
    batch_honest_false_reject_rate: float = 0.0
    batch_honest_review_rate: float = 0.0
    batch_honest_codes: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Rates:
    """Recall (not verified) and reject share per type and per ``type/variant``, and the
    honest reject and review rates, of one judgement of the check-ins."""

    recall: dict[str, float]
    rejected: dict[str, float]
    variant_recall: dict[str, float]
    variant_rejected: dict[str, float]
    honest_rejected: float
    honest_review: float

    @classmethod
    def of(cls, status: pd.Series, label: pd.Series, variant: pd.Series) -> _Rates:
        flagged, rejected = status != "verified", status == "rejected"
        honest = label == ""
        recall, reject, by_variant, variant_reject = {}, {}, {}, {}
        for kind in sorted(set(label[~honest])):
            rows = label == kind
            recall[kind] = round(float(flagged[rows].mean()), 4)
            reject[kind] = round(float(rejected[rows].mean()), 4)
            for name in sorted(set(variant[rows])):
                picked = rows & (variant == name)
                by_variant[f"{kind}/{name}"] = round(float(flagged[picked].mean()), 4)
                variant_reject[f"{kind}/{name}"] = round(float(rejected[picked].mean()), 4)
        some = bool(honest.any())
        return cls(recall, reject, by_variant, variant_reject,
                   round(float(rejected[honest].mean()), 5) if some else 0.0,
                   round(float((flagged & ~rejected)[honest].mean()), 5) if some else 0.0)


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
    policy = policy or FixIntegrityPolicy()
    now = datetime.fromisoformat(meta["now"])
    judged = judge(frame, policy, now, with_messages=False)
    ahead = verify_fixes(frame, policy=policy, now=now, with_messages=False, look_ahead=True)
    label, variant = judged["fraud_type"], judged["fraud_variant"]
    upload = _Rates.of(judged["status"], label, variant)
    batch = _Rates.of(_with_photo_reuse(ahead["status"], judged["photo_reused"]), label,
                      variant)
    honest = label == ""
    kinds = label[~honest] + "/" + variant[~honest]
    honest_codes = ahead.loc[honest.to_numpy(), "codes"]
    return FraudEvaluation(
        recall=upload.recall, reject_recall=upload.rejected,
        variant_recall=upload.variant_recall,
        support={kind: int((label == kind).sum()) for kind in upload.recall},
        honest_false_reject_rate=upload.honest_rejected,
        honest_review_rate=upload.honest_review, checkins=len(judged),
        honest_checkins=int(honest.sum()), seed=int(meta["seed"]),
        variant_support={name: int((kinds == name).sum()) for name in upload.variant_recall},
        variant_reject_recall=upload.variant_rejected, batch_recall=batch.recall,
        batch_reject_recall=batch.rejected, batch_variant_recall=batch.variant_recall,
        batch_variant_reject_recall=batch.variant_rejected,
        batch_honest_false_reject_rate=batch.honest_rejected,
        batch_honest_review_rate=batch.honest_review,
        batch_honest_codes={code.value: round(float(honest_codes.map(
            lambda codes, c=code.value: c in codes).mean()), 5) if len(honest_codes) else 0.0
            for code in SPOOFING_CODES})


def _with_photo_reuse(fix_status: pd.Series, reused: pd.Series) -> pd.Series:
    """A check-in's status from its fix status and whether its photo was re-used, as
    :func:`simulation.scenario.judge` combines them."""
    reuse = {False: status_for([]), True: status_for([C.PHOTO_REUSED])}
    return pd.Series([combined_status(CheckinStatus(fix), reuse[bool(r)]).value
                      for fix, r in zip(fix_status, reused, strict=True)],
                     index=fix_status.index)


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

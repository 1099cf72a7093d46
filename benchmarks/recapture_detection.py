"""Does the recapture check catch photos of screens and prints, and leave honest photos alone?

Rendered shelf photos (:mod:`vision.synth.scene`) are the honest set; the same renders shown
on a simulated screen or printed and photographed again (:mod:`vision.synth.recapture`) are
the recaptures. Every photo goes through what the shelf pipeline does (JPEG at a random
quality, decoded at the pipeline's reduced size) and then :func:`vision.recapture.
judge_recapture`. Splits are by seed: ``--tune-seed`` renders the set the committed
coefficients were fitted on (``--tune`` refits and prints them); ``--seed`` the held-out set
reported here. Real camera photos (``--real``: ``photos_exif`` and ``grocery_products``,
every split) are only a false-reject check; the script skips them when the folder is absent.

Cost: the recapture check (EXIF hints + features + model) on a 4000×3000 JPEG decoded as the
pipeline decodes it, on one core, against the quality gate's cost on the same pixels (the
baseline, measured in the same run); median and spread over ``--runs`` runs.

    python -m benchmarks.recapture_detection [--photos 400] [--real ../shared/data/real]
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from benchmarks.options import command_line
from vision.photo_decode import DecodeLimits, PhotoRejected, decode_photo
from vision.photo_exif import read_exif
from vision.photo_quality import QualityPolicy, assess_quality
from vision.recapture import (
    Z_LIMIT,
    RecapturePolicy,
    exif_hints,
    judge_recapture,
    recapture_features,
)
from vision.recapture_coefficients import FEATURES
from vision.synth.camera import encode_jpeg
from vision.synth.catalogue import build_catalogue
from vision.synth.recapture import RecaptureKind, recapture
from vision.synth.scene import render_scene
from visitproof.reasons import ReasonCode

DECODE = DecodeLimits(target_long_side=960)  # as vision.shelf_verification decodes
SIZE = (640, 1400, 0)


def rendered(seed: int, count: int, every: int = 1) -> Iterator[tuple[str, bytes]]:
    """(kind, JPEG bytes): ``count`` honest renders; every ``every``-th one is also
    recaptured, alternately on a screen and on a print."""
    catalogue = build_catalogue(0)
    for index in range(count):
        rng = np.random.default_rng([seed, index])
        scene = render_scene(rng, catalogue, SIZE)
        yield "honest", encode_jpeg(rng, scene.image)
        if index % every:
            continue
        kind = RecaptureKind.SCREEN if (index // every) % 2 == 0 else RecaptureKind.PRINT
        yield kind.value, encode_jpeg(rng, recapture(rng, scene.image, kind).image)


def outcome(data: bytes, policy: RecapturePolicy, gate: bool = True) -> tuple[str, float]:
    """("retake" | "reject" | "review" | "pass", pixel probability) as the pipeline would
    judge: a photo the quality gate sends back for a retake is not judged for recapture
    (the gate here sees the whole frame; the pipeline's sees the packs). ``gate=False``
    judges every photo (the stricter false-reject check on real photos)."""
    photo = decode_photo(data, DECODE)
    if gate and assess_quality(photo.pixels, photo.original_size, QualityPolicy()).reasons:
        return "retake", 0.0
    verdict = judge_recapture(photo.pixels, exif_hints(read_exif(data)), policy)
    codes = {r.code for r in verdict.reasons}
    if ReasonCode.PHOTO_RECAPTURED in codes:
        return "reject", verdict.probability
    if ReasonCode.PHOTO_MAYBE_RECAPTURED in codes:
        return "review", verdict.probability
    return "pass", verdict.probability


def real_photos(root: Path) -> list[Path]:
    """Every JPEG under ``photos_exif`` and ``grocery_products`` (all splits)."""
    found: list[Path] = []
    for folder in ("photos_exif", "grocery_products"):
        base = root / folder
        if base.is_dir():
            found += sorted(p for p in base.rglob("*")
                            if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return found


def fit(photos: Iterable[tuple[str, bytes]]) -> dict[str, object]:
    """Logistic regression (Newton's method, L2 of 1 on the standardised weights) on the
    features of the tune
    split's ``photos`` ((kind, JPEG bytes), as :func:`rendered` yields them)."""
    rows, labels = [], []
    for kind, data in photos:
        photo = decode_photo(data, DECODE)
        if assess_quality(photo.pixels, photo.original_size, QualityPolicy()).reasons:
            continue  # a retake: the pipeline never asks the model about it
        features = recapture_features(photo.pixels)
        if features is not None:
            rows.append(features.vector())
            labels.append(0.0 if kind == "honest" else 1.0)
    x, y = np.array(rows), np.array(labels)
    means, scales = x.mean(axis=0), x.std(axis=0) + 1e-9
    # Held within ±Z_LIMIT as vision.recapture.standardised holds them.
    z = np.hstack([np.ones((len(x), 1)), np.clip((x - means) / scales, -Z_LIMIT, Z_LIMIT)])
    w = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + np.r_[0, w[1:]]
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return {"FEATURES": FEATURES, "MEANS": [round(float(v), 4) for v in means],
            "SCALES": [round(float(v), 4) for v in scales],
            "COEFFICIENTS": [round(float(v), 4) for v in w[1:]],
            "INTERCEPT": round(float(w[0]), 4), "photos": len(y)}


def cost(runs: int, repeats: int) -> dict[str, list[float]]:
    """Per run, the median ms of the recapture check and of the quality gate on one
    4000×3000 rendered JPEG decoded as the pipeline decodes it (OpenCV on one thread)."""
    cv2.setNumThreads(1)
    rng = np.random.default_rng(7)
    scene = render_scene(rng, build_catalogue(0), (4000, 3000))
    data = encode_jpeg(rng, scene.image)
    photo = decode_photo(data, DECODE)
    result: dict[str, list[float]] = {"recapture": [], "quality": []}
    for _ in range(runs):
        spent: dict[str, list[float]] = {"recapture": [], "quality": []}
        for _ in range(repeats):
            start = time.perf_counter()
            judge_recapture(photo.pixels, exif_hints(read_exif(data)))
            spent["recapture"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            assess_quality(photo.pixels, photo.original_size, QualityPolicy())
            spent["quality"].append((time.perf_counter() - start) * 1000)
        for key, values in spent.items():
            result[key].append(float(np.median(values)))
    cv2.setNumThreads(-1)
    return result


def main() -> None:
    parser = command_line(__doc__, photos=300, seed=5, tune_seed=1, tune_photos=600,
                          runs=5, repeats=20, every=2, tune=False, json=False)
    parser.add_argument("--real", type=Path, default=Path("../shared/data/real"))
    args = parser.parse_args()
    if args.tune:
        print(json.dumps(fit(rendered(args.tune_seed, args.tune_photos)), indent=2))
        return
    policy = RecapturePolicy()
    tallies: dict[str, dict[str, int]] = {}
    probabilities: dict[str, list[float]] = {}
    for kind, data in rendered(args.seed, args.photos, args.every):
        verdict, p = outcome(data, policy)
        tallies.setdefault(kind, {"retake": 0, "reject": 0, "review": 0, "pass": 0})[
            verdict] += 1
        if verdict != "retake":
            probabilities.setdefault(kind, []).append(p)
    real = {"photos": 0, "unreadable": 0, "retake": 0, "reject": 0, "review": 0, "pass": 0}
    paths = real_photos(args.real)
    for path in paths:
        try:
            verdict, _ = outcome(path.read_bytes(), policy, gate=False)
        except PhotoRejected:
            real["unreadable"] += 1
            continue
        real["photos"] += 1
        real[verdict] += 1
    for kind, values in sorted(probabilities.items()):
        q = np.percentile(values, [0, 10, 50, 90, 99.5, 100])
        print(f"{kind} probability (photos past the quality gate) min/p10/p50/p90/p99.5/max: "
              + " ".join(f"{v:.3f}" for v in q))
    timing = cost(args.runs, args.repeats)
    report = {"rendered": tallies, "real": real if paths else None, "cost_ms": timing,
              "probability_p50": {k: float(np.median(v)) for k, v in probabilities.items()}}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print("| set | photos | retake (gate) | rejected | review | passed | rejected, of "
          "past the gate |")
    print("|---|---|---|---|---|---|---|")
    for kind in ("screen", "print", "honest"):
        t = tallies.get(kind, {"retake": 0, "reject": 0, "review": 0, "pass": 0})
        n = max(sum(t.values()), 1)
        judged = max(n - t["retake"], 1)
        print(f"| {kind} | {sum(t.values())} | {t['retake']} | {t['reject']} "
              f"({t['reject'] / n:.1%}) | {t['review']} ({t['review'] / n:.1%}) | "
              f"{t['pass']} | {t['reject'] / judged:.1%} |")
    if paths:
        print(f"| real (photos_exif + grocery_products, no gate) | {real['photos']} "
              f"(+{real['unreadable']} unreadable) | - | {real['reject']} | {real['review']} | "
              f"{real['pass']} | |")
    else:
        print(f"real photos: {args.real} absent, skipped")
    rec, qual = np.array(timing["recapture"]), np.array(timing["quality"])
    print(f"cost per photo, one core, 4000x3000 JPEG decoded at pipeline size: recapture "
          f"{np.median(rec):.1f} ms (runs {rec.min():.1f}-{rec.max():.1f}), quality gate "
          f"(baseline) {np.median(qual):.1f} ms (runs {qual.min():.1f}-{qual.max():.1f}), "
          f"ratio {np.median(rec) / max(np.median(qual), 1e-9):.2f}")


if __name__ == "__main__":
    main()

"""Where one upload's time goes (``python -m benchmarks.serving_load --profile N``): the app
in this process (no Ray, no HTTP) under cProfile, stage by stage."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.load_fixtures import (
    TENANT,
    Photo,
    checkin_meta,
    seed_store,
    unique_copy,
)

# (stage, file, function) whose cumulative time cProfile reports per upload.
PROFILE_STAGES = (
    ("one upload (upload_of + intake.submit), all of the below", "benchmarks/upload_profile.py",
     "submit"),
    ("  SHA-256 of the photo", "~", "<built-in method _hashlib.openssl_sha256>"),
    ("  intake.submit", "application/checkin_intake.py", "submit"),
    ("  shelf check (verify_shelf_photo)", "vision/shelf_verification.py", "verify_shelf_photo"),
    ("    JPEG decode (draft)", "vision/photo_decode.py", "decode_photo"),
    ("    detector (ONNX)", "vision/detector.py", "detect"),
    ("    identification (embedder)", "vision/product_gallery.py", "identify"),
    ("    photo quality", "vision/photo_quality.py", "assess_quality"),
    ("    perceptual hash", "vision/perceptual_hash.py", "perceptual_hash"),
    ("  photo write (fsync)", "visitproof/store/photos.py", "put"),
    ("  transaction: judge, insert, read back", "application/checkin_intake.py",
     "_judge_and_store"),
    ("    photo re-use / near-duplicates", "application/checkin_intake.py",
     "_photo_history_reasons"),
    ("    fix check", "geo/fix_integrity.py", "check_checkin"),
    ("    Checkins.find (read back)", "visitproof/store/checkins.py", "find"),
    ("    Checkins.fix_history", "visitproof/store/checkins.py", "fix_history"),
)


def profile(args: argparse.Namespace, photos: list[Photo]) -> None:
    """Where one upload's time goes: the app in this process (no Ray, no HTTP), the
    intake called directly under cProfile, then the response's JSON, then the same upload
    through the ASGI app (multipart parsing, auth and JSON included)."""
    import cProfile
    import pstats

    from fastapi.testclient import TestClient

    from application.settings import Settings
    from serving.app import create_app
    from serving.checkin_upload import upload_of
    from serving.schemas import CheckinMeta, VerdictPublic

    runs = args.profile
    with tempfile.TemporaryDirectory(prefix="visitproof-profile-") as scratch:
        data_dir = Path(scratch) / "var"
        tokens = seed_store(data_dir, len(photos), photos, args.featured)
        settings = Settings(data_dir=data_dir, detector_threads=args.detector_threads,
                            rate_limit_per_minute=0)
        app = create_app(settings)
        rng = np.random.default_rng(args.seed)
        with TestClient(app) as client:
            intake = app.state.runtime.intake

            def submit(index: int) -> Any:
                rep = index % len(photos)
                meta = checkin_meta(rep, rng)
                now = datetime.now(UTC)
                return intake.submit(upload_of(
                    CheckinMeta.model_validate_json(json.dumps(meta)), tenant_id=TENANT,
                    rep_id=f"r{rep}", photo=unique_copy(photos[rep].data, meta["id"]),
                    filename="shelf.jpg", content_type="image/jpeg", received_at=now), now=now)

            for index in range(len(photos)):  # warm caches: gallery, photo index, sessions
                submit(index)
            profiler = cProfile.Profile()
            wall, cpu = time.perf_counter(), time.process_time()
            profiler.enable()
            submissions = [submit(index) for index in range(runs)]
            profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            started = time.perf_counter()
            for submission in submissions:
                VerdictPublic.of(submission.checkin).model_dump_json()
            json_ms = (time.perf_counter() - started) / runs * 1000
            started = time.perf_counter()
            for index in range(runs):
                rep = index % len(photos)
                meta = checkin_meta(rep, rng)
                photo = unique_copy(photos[rep].data, meta["id"])
                client.post("/v1/checkins", data={"meta": json.dumps(meta)},
                            headers={"Authorization": f"Bearer {tokens[f'r{rep}']}"},
                            files={"photo": ("shelf.jpg", photo, "image/jpeg")})
            http_ms = (time.perf_counter() - started) / runs * 1000
    table = pstats.Stats(profiler)
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = table.stats  # type: ignore[attr-defined]
    print(f"\nprofile of {runs} uploads in one process (no Ray), wall ms per upload:")
    print("| stage | ms |\n|---|---:|")
    for label, file, function in PROFILE_STAGES:
        seconds = sum(row[3] for (path, _, name), row in stats.items()
                      if name == function and path.endswith(file))
        print(f"| {label} | {seconds / runs * 1000:.1f} |")
    print(f"| response JSON (VerdictPublic) | {json_ms:.1f} |")
    print(f"| whole upload through the ASGI app (multipart, auth, JSON) | {http_ms:.1f} |")
    cpu_ms = cpu / runs * 1000
    cores = os.cpu_count() or 1
    print(f"\nintake: {wall / runs * 1000:.0f} ms wall, {cpu_ms:.0f} ms CPU per upload (all "
          f"threads); {cores} cores bound it to ~{cores * 1000 / cpu_ms:.1f} uploads/s "
          "before HTTP, Ray and the client take their share")

"""``visitproof simulate`` with shelf photos: the rendered window's check-ins have their photo
in the photo store, re-used frauds share bytes, a second run reuses the cache, and
``reverify`` judges those check-ins (photo and fix checks) on the real store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import ray
from typer.testing import CliRunner

from application.reverify import reverify
from application.settings import Settings, build_settings
from cli.main import app as cli
from simulation.days import photo_digest
from simulation.shelf_photos import MIN_DISTANCE, near_copy
from vision.near_duplicates import NearDuplicatePolicy
from vision.perceptual_hash import hamming
from visitproof.errors import NotFound
from visitproof.records import Checkin
from visitproof.store import PhotoStore, Store, open_database

# 3 simulated days from Monday 5 October 2026; photos for the last 2 (6 and 7 October).
ARGS = ["simulate", "--reps", "4", "--customers", "40", "--days", "3", "--seed", "11",
        "--fraud-rate", "0.25", "--photo-days", "2"]
WINDOW = {"since": date(2026, 10, 6), "until": date(2026, 10, 7)}


def _simulate(data_dir: Path, cache: Path) -> str:
    result = CliRunner().invoke(cli, [*ARGS, "--data-dir", str(data_dir),
                                         "--photo-cache", str(cache)])
    assert result.exit_code == 0, result.output
    return result.output


def _checkins(data_dir: Path) -> list[Checkin]:
    settings = build_settings(data_dir=data_dir)
    database = open_database(settings.resolved_database_url)
    try:
        with database.connect() as connection:
            return Store(connection, settings.tenant).checkins.find()
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("shelf-photos")
    output = _simulate(root / "first", root / "cache")
    return root / "first", root / "cache", output


def test_every_checkin_of_the_window_has_its_photo_in_the_store(
        simulated: tuple[Path, Path, str]) -> None:
    data_dir, _, output = simulated
    assert "rendered" in output
    assert "shelf photos" in output
    frame = pd.read_parquet(data_dir / "simulation" / "checkins.parquet")
    photos = PhotoStore(build_settings(data_dir=data_dir).photos_dir)
    checkins = {str(c.id): c for c in _checkins(data_dir)}
    in_window = frame[frame["day"] >= 1]
    assert len(in_window) > 20
    for row in in_window.itertuples(index=False):
        stored = checkins[row.checkin_id]
        assert stored.photo_sha256 == row.photo_sha256
        assert hashlib.sha256(photos.get(stored.photo_sha256)).hexdigest() == \
            stored.photo_sha256
        assert stored.photo_phash is not None
    # Outside the window, a check-in whose photo nobody re-uses keeps its placeholder.
    shared = set(in_window["photo_sha256"])
    for row in frame[(frame["day"] < 1) & ~frame["photo_sha256"].isin(shared)].itertuples():
        assert row.photo_sha256 == photo_digest(11, row.checkin_id)
        with pytest.raises(NotFound):
            photos.get(row.photo_sha256)


def test_reused_photos_are_the_same_bytes_and_honest_ones_are_distinct(
        simulated: tuple[Path, Path, str]) -> None:
    data_dir, _, _ = simulated
    checkins = sorted(_checkins(data_dir), key=lambda c: c.submitted_at)
    frame = pd.read_parquet(data_dir / "simulation" / "checkins.parquet")
    labels = dict(zip(frame["checkin_id"], frame["fraud_type"], strict=True))
    reused = [c for c in checkins if labels[str(c.id)] == "photo_reuse" and c.photo_phash]
    assert reused, "the seed should give a photo_reuse fraud in the window"
    for copy in reused:
        assert any(c.photo_sha256 == copy.photo_sha256 and c.submitted_at < copy.submitted_at
                   for c in checkins)
    # an old photo re-sent (exif_mismatch) is a near copy on purpose
    hashes = {c.photo_sha256: c.photo_phash for c in checkins
              if c.photo_phash is not None and labels[str(c.id)] != "exif_mismatch"}
    distinct = list(hashes.values())
    assert min(hamming(a, b) for i, a in enumerate(distinct)
               for b in distinct[i + 1:]) >= MIN_DISTANCE


def test_an_old_photo_resent_is_a_near_copy() -> None:
    from simulation.shelf_photos import _distinct_photos

    original = _distinct_photos(3, 1, workers=1)[0]
    copies = [near_copy(original, seed=s) for s in range(5)]
    assert all(c.sha256 != original.sha256 for c in copies)
    assert max(hamming(c.phash, original.phash) for c in copies) <= \
        NearDuplicatePolicy().stale_distance


def test_a_second_run_reuses_the_cached_photos(simulated: tuple[Path, Path, str],
                                               tmp_path: Path) -> None:
    data_dir, cache, _ = simulated
    output = _simulate(tmp_path, cache)
    assert "reused" in output
    assert sorted(c.photo_sha256 for c in _checkins(tmp_path)) == \
        sorted(c.photo_sha256 for c in _checkins(data_dir))


@pytest.fixture
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_reverify_judges_the_photos_and_fixes_of_the_window(
        simulated: tuple[Path, Path, str], local_ray: None) -> None:
    data_dir, _, _ = simulated
    settings = Settings(data_dir=data_dir, tenant=build_settings(data_dir=data_dir).tenant)
    report = reverify(settings, **WINDOW, cpus_per_worker=0.5, batch_size=16)
    assert report.in_window > 20
    assert report.photo_missing == ()
    assert report.judged_now == report.in_window
    for checkin in _checkins(data_dir):
        run = {v.checker for v in checkin.verifications
               if v.details.get("reverify_run") == report.run_id}
        if run:
            assert {"shelf", "fix"} <= run  # "evidence" only under a rule set
    assert report.judged_in_run == report.in_window

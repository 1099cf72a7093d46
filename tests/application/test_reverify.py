"""Batch re-verification end to end: check-ins uploaded through the API (and one imported
with an older model's verdict), judged again with Ray Data under a new rules version.

One local Ray for the module (Ray is slow to start); every run reuses it.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import ray
import sqlalchemy as sa
from typer.testing import CliRunner

from application.archive_check import check_stored
from application.evidence_archive import EvidenceArchive
from application.reverify import PHOTO_MISSING, PROGRESS_FILE, RUN_TAG, RunProgress, reverify
from application.settings import Settings
from cli.main import app as cli
from cli.reverify import RAY_LOG, ray_output_to
from serving.metrics import Metrics
from tests.api_harness import Api, shelf_photo
from tests.builders import HANGZHOU, TENANT, make_checkin, make_fix, make_upload_meta, shifted
from tests.serving.test_metrics import parse_exposition
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import CheckinStatus, Verification
from visitproof.store import PhotoStore, ReferenceData, Store
from visitproof.store.tables import metadata, verifications


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


TODAY = datetime.now(UTC).date()
WINDOW = {"since": TODAY - timedelta(days=1), "until": TODAY + timedelta(days=1)}


def settings_of(api: Api) -> Settings:
    return Settings(data_dir=api.photos_dir.parent, tenant=TENANT)


def run(api: Api, **options: Any) -> Any:
    return reverify(settings_of(api), **WINDOW, cpus_per_worker=0.5, **options)


def imported_verified_checkin(api: Api) -> uuid.UUID:
    """A check-in of r2 imported with the verdict of an older model (verified), its photo in
    the photo store: re-judging it with today's model and rules flips it."""
    sha = PhotoStore(api.photos_dir).put(shelf_photo(50))
    departed = datetime.now(UTC) - timedelta(hours=2)
    fix = make_fix(*shifted(*HANGZHOU, north_m=31.7, east_m=-12.3),
                   t=departed - timedelta(minutes=10))
    checkin = replace(make_checkin(rep="r2", arrived=departed - timedelta(minutes=40),
                                   departed=departed, fix=fix,
                                   captured=departed - timedelta(minutes=20),
                                   submitted=departed + timedelta(minutes=8)),
                      photo_sha256=sha)
    old = Verification(checkin_id=checkin.id, checker="shelf", status=CheckinStatus.VERIFIED,
                       reasons=(), model_version="shelf-detector-0.0.1",
                       policy_version="golden-zone-default-1",
                       verified_at=checkin.submitted_at)
    with api.database.begin() as connection:
        Store(connection, TENANT).checkins.add(replace(checkin, verifications=(old,)))
    return checkin.id


def uploads(api: Api, count: int, first_seed: int = 60) -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        response = api.upload(make_upload_meta(north_m=20.0 + 7 * (first_seed - 60 + n)),
                              shelf_photo(first_seed + n))
        assert response.status_code == 201, response.text
        ids.append(uuid.UUID(response.json()["checkin_id"]))
    return ids


def verification_rows(api: Api) -> list[tuple[uuid.UUID, str, int | None, Any]]:
    v = verifications.c
    with api.database.connect() as connection:
        return [(row.checkin_id, row.checker, row.rules_version, row.details)
                for row in connection.execute(sa.select(v.checkin_id, v.checker,
                                                        v.rules_version, v.details)
                                              .order_by(v.id))]


def test_reverify_judges_again_stores_beside_reports_flips_and_resumes(
        make_api: Callable[..., Api]) -> None:
    api = make_api()
    imported = imported_verified_checkin(api)
    uploaded = uploads(api, 3)
    lost_photo = uploads(api, 1, first_seed=70)[0]
    with api.database.connect() as connection:
        lost = Store(connection, TENANT).checkins.get(lost_photo)
    assert lost is not None
    PhotoStore(api.photos_dir).path_for(lost.photo_sha256).unlink()
    rules = api.client.post("/v1/rules", json={"evidence": {"supermarket": ["contract_number"]},
                                                 "base_version": 0},
                            headers=api.auth("director"))
    assert rules.status_code == 201
    before = verification_rows(api)
    statuses_before = {c["id"]: c["status"] for c in api.client.get(
        "/v1/checkins", headers=api.auth("director")).json()["data"]}

    # An interrupted run: only two check-ins judged (the oldest departures first).
    first = run(api, limit=2)
    assert (first.in_window, first.already_done, first.rules_version) == (5, 0, 1)
    assert first.judged_now + len(first.photo_missing) == 2
    added = verification_rows(api)[len(before):]
    assert [(checker, version) for _, checker, version, _ in added] == \
        [("shelf", 1), ("fix", 1), ("evidence", 1)] * first.judged_now
    assert {details[RUN_TAG] for *_, details in added} == {first.run_id}

    # The same command again resumes: the rest is judged, nothing twice.
    second = run(api)
    assert second.run_id == first.run_id
    assert (second.judged_now, second.already_done, second.judged_in_run) == \
        (4 - first.judged_now, first.judged_now, 4)
    assert [checkin_id for checkin_id, _ in second.photo_missing] == [lost_photo]
    assert "restore it" in second.photo_missing[0][1]
    rows = verification_rows(api)
    assert rows[:len(before)] == before  # history is never overwritten
    assert len(rows) == len(before) + 4 * 3
    assert all(checkin_id != lost_photo for checkin_id, *_ in rows[len(before):])

    # The flips: every judged check-in verified before (the imported one among them) now
    # lacks the contract number the new rules ask of a supermarket.
    was_verified = {uuid.UUID(i) for i, status in statuses_before.items()
                    if status == "verified"} - {lost_photo}
    assert imported in was_verified
    assert {f.checkin_id for f in second.flips} == was_verified
    for flip in second.flips:
        assert (flip.old_status, flip.new_status) == (CheckinStatus.VERIFIED,
                                                      CheckinStatus.NEEDS_REVIEW)
        assert "MANDATORY_EVIDENCE_MISSING" in flip.gained
    assert second.by_transition == {"verified->needs_review": len(was_verified)}
    assert second.by_reason["MANDATORY_EVIDENCE_MISSING"] == len(was_verified)

    # Statuses move to the new verdicts; the verdict shows the rules that judged it.
    after = {c["id"]: c for c in api.client.get(
        "/v1/checkins", headers=api.auth("director")).json()["data"]}
    assert after[str(imported)]["status"] == "needs_review"
    assert after[str(imported)]["verdict"]["rules_version"] == 1
    assert after[str(lost_photo)]["status"] == statuses_before[str(lost_photo)]
    assert after[str(lost_photo)]["verdict"]["rules_version"] is None
    for checkin_id in uploaded:
        checkin = after[str(checkin_id)]
        assert checkin["verdict"]["rules_version"] == 1
        assert "MANDATORY_EVIDENCE_MISSING" in [r["code"] for r in checkin["verdict"]["reasons"]]
        if checkin_id not in was_verified:
            assert checkin["status"] == statuses_before[str(checkin_id)]

    # A third time: nothing left but the missing photo; the report still covers the run.
    third = run(api)
    assert (third.judged_now, third.already_done, third.judged_in_run) == (0, 4, 4)
    assert third.flips == second.flips
    assert len(verification_rows(api)) == len(rows)

    json_path, csv_path = third.write(api.photos_dir.parent / "reverify" / third.run_id)
    report = json.loads(json_path.read_text(encoding="utf-8"))
    assert (report["flipped"], report["rules_version"], report["judged_in_run"]) == \
        (len(was_verified), 1, 4)
    assert report["photo_missing"][0]["code"] == PHOTO_MISSING
    with csv_path.open(encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))
    assert sorted((r["checkin_id"], r["old_status"], r["new_status"]) for r in table) == \
        sorted((str(i), "verified", "needs_review") for i in was_verified)


def test_the_command_prints_the_flips_and_writes_the_report(
        make_api: Callable[..., Api]) -> None:
    api = make_api()
    imported = imported_verified_checkin(api)
    assert api.client.post("/v1/rules", json={"evidence": {"supermarket": ["device_clock"]},
                                                "base_version": 0},
                           headers=api.auth("director")).status_code == 201
    data_dir = api.photos_dir.parent
    result = CliRunner().invoke(cli, [
        "reverify", "--since", WINDOW["since"].isoformat(),
        "--until", WINDOW["until"].isoformat(), "--run-id", "after-model-fix",
        "--data-dir", str(data_dir), "--tenant", TENANT])
    assert result.exit_code == 0, result.output
    assert "1 judged now" in result.output
    assert "1 flipped" in result.output
    assert "Flipped verdicts" in result.output
    assert "MANDATORY_EVIDENCE_MISSING" in result.output  # the reasons' counts
    assert "rules version 1," in result.output
    with api.database.connect() as connection:  # departures in the tenant's zone, as pages
        zone = ReferenceData(connection, TENANT).require_tenant().timezone
    assert f"Flipped verdicts (times in {zone})" in result.output
    assert "streaming_executor" not in result.output  # Ray's own INFO lines stay out
    assert "Ray's own output of the run" in result.output  # and say where they went
    assert (data_dir / "reverify" / RAY_LOG).exists()
    report = json.loads((data_dir / "reverify" / "after-model-fix" / "flips.json")
                        .read_text(encoding="utf-8"))
    assert [f["checkin_id"] for f in report["flips"]] == [str(imported)]
    assert report["rules_version"] == 1  # the current rules by default


@pytest.mark.parametrize(("options", "error", "code"), [
    ({"since": date(2026, 11, 30), "until": date(2026, 11, 1)}, InvalidValue, "BAD_PERIOD"),
    ({"rules_version": 7}, NotFound, "NOT_FOUND"),
    ({"model": Path("no/such/model.onnx")}, NotFound, "NOT_FOUND"),
])
def test_bad_options_are_refused_before_anything_runs(
        api: Api, options: dict[str, Any], error: type[Exception], code: str) -> None:
    with pytest.raises(error) as raised:
        reverify(settings_of(api), **{**WINDOW, **options})
    assert getattr(raised.value, "code", None) == code


def test_an_empty_window_reports_nothing(api: Api) -> None:
    report = reverify(settings_of(api), since=date(2020, 1, 1), until=date(2020, 1, 31))
    assert (report.in_window, report.judged_now, report.flips) == (0, 0, ())


def test_a_fix_sent_again_later_sends_the_original_to_review(
        make_api: Callable[..., Api]) -> None:
    # Two visits with exactly the same coordinates: the second upload sees the first
    # (FIX_REPEATED_COORDINATES), but the first was verified when it came in. Looking back,
    # re-verification sees that its coordinates were sent again and sends it to review.
    api = make_api()
    archive = EvidenceArchive.of(settings_of(api))
    archive.keys.ensure()  # with a signing key, so the run's verdicts extend the record
    first, _other, replay = (
        uuid.UUID(api.upload(make_upload_meta(north_m=north), shelf_photo(seed)).json()
                  ["checkin_id"]) for north, seed in ((30.0, 61), (44.0, 62), (30.0, 63)))

    def fix_codes(checkin_id: uuid.UUID) -> tuple[str, list[str]]:
        body = api.client.get(f"/v1/checkins/{checkin_id}", headers=api.auth("director")).json()
        return body["status"], [r["code"] for r in body["verdict"]["reasons"]
                                if r["code"].startswith("FIX_")]

    assert fix_codes(first) == ("verified", [])
    assert "FIX_REPEATED_COORDINATES" in fix_codes(replay)[1]
    report = run(api)
    assert fix_codes(first) == ("needs_review", ["FIX_COORDINATES_SENT_AGAIN"])
    assert report.by_transition.get("verified->needs_review", 0) >= 1
    assert "FIX_COORDINATES_SENT_AGAIN" in report.by_reason
    # The signed record of the check-in now ends with the run's verdicts, and still agrees.
    checked = check_stored(archive, api.database, TENANT, first)
    assert checked.agrees, checked.as_json()
    entries = [json.loads(line) for line in archive.lines(first)]
    with api.database.connect() as connection:
        stored = Store(connection, TENANT).checkins.get(first)
    assert stored is not None
    run_checks = [v.checker for v in stored.verifications
                  if v.details.get(RUN_TAG) == report.run_id]
    assert "fix" in run_checks
    assert [e["payload"]["checker"] for e in entries
            if e["payload"].get("reverify_run") == report.run_id] == run_checks


def store_snapshot(api: Api) -> tuple[bytes, dict[str, list[tuple[Any, ...]]]]:
    """The database image, byte for byte (its pages as SQLite serialises them, the WAL
    applied), and every row of every table in key order. Read through SQLite itself: opening
    the file any other way would drop this process's SQLite locks on it."""
    with api.database.connect() as connection:
        rows = {table.name: [tuple(row) for row in connection.execute(
                    sa.select(table).order_by(*table.primary_key.columns))]
                for table in metadata.sorted_tables}
    image = sqlite3.connect(str(api.database.engine.url.database))
    try:
        return image.serialize(), rows
    finally:
        image.close()


def test_a_dry_run_writes_nothing_and_reports_the_flips_a_real_run_makes(
        make_api: Callable[..., Api]) -> None:
    api = make_api()
    imported_verified_checkin(api)
    uploads(api, 2, first_seed=80)
    lost_photo = uploads(api, 1, first_seed=85)[0]
    with api.database.connect() as connection:
        lost = Store(connection, TENANT).checkins.get(lost_photo)
    assert lost is not None
    PhotoStore(api.photos_dir).path_for(lost.photo_sha256).unlink()
    assert api.client.post("/v1/rules", json={"evidence": {"supermarket": ["contract_number"]},
                                               "base_version": 0},
                           headers=api.auth("director")).status_code == 201
    before = store_snapshot(api)

    dry = run(api, dry_run=True)
    assert dry.dry_run
    assert dry.as_json()["dry_run"] is True
    assert (dry.judged_now, len(dry.photo_missing), dry.judged_in_run) == (3, 1, 3)
    assert dry.flips  # something to compare
    after_dry = store_snapshot(api)
    assert after_dry[1] == before[1]  # row for row: no verification, no status moved
    assert after_dry[0] == before[0]  # byte for byte
    assert not (api.photos_dir.parent / "reverify").exists()  # no report, no resume state

    real = run(api)
    assert not real.dry_run
    assert (real.run_id, real.already_done) == (dry.run_id, 0)  # nothing to resume from
    assert real.flips == dry.flips
    assert (real.by_transition, real.by_reason, real.photo_missing, real.judged_in_run) == \
        (dry.by_transition, dry.by_reason, dry.photo_missing, dry.judged_in_run)
    assert {k: v for k, v in real.as_json().items() if k != "dry_run"} == \
        {k: v for k, v in dry.as_json().items() if k != "dry_run"}


def test_the_command_says_a_dry_run_stored_nothing(make_api: Callable[..., Api]) -> None:
    api = make_api()
    imported = imported_verified_checkin(api)
    assert api.client.post("/v1/rules", json={"evidence": {"supermarket": ["device_clock"]},
                                               "base_version": 0},
                           headers=api.auth("director")).status_code == 201
    data_dir = api.photos_dir.parent
    command = ["reverify", "--since", WINDOW["since"].isoformat(), "--until",
               WINDOW["until"].isoformat(), "--run-id", "try-first", "--dry-run",
               "--data-dir", str(data_dir), "--tenant", TENANT]
    before = store_snapshot(api)
    printed = CliRunner().invoke(cli, command)
    assert printed.exit_code == 0, printed.output
    for said in ("dry run", "nothing was stored", "1 flipped", "1 would flip"):
        assert said in printed.output
    as_json = CliRunner().invoke(cli, [*command, "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert report["dry_run"] is True
    assert [f["checkin_id"] for f in report["flips"]] == [str(imported)]
    assert store_snapshot(api) == before
    assert not (data_dir / "reverify").exists()


def saved_progress(folder: Path) -> RunProgress:
    return RunProgress.from_json(json.loads((folder / PROGRESS_FILE).read_text("utf-8")))


def test_a_run_keeps_a_progress_file_that_the_metrics_show(
        make_api: Callable[..., Api]) -> None:
    api = make_api()
    uploads(api, 3, first_seed=90)
    runs = api.photos_dir.parent / "reverify"
    seen: list[tuple[int, int, RunProgress]] = []

    def watch(done: int, total: int) -> None:  # the file is written before the callback
        seen.append((done, total, saved_progress(next(runs.iterdir()))))

    first = run(api, limit=2, batch_size=1, progress=watch)
    folder = runs / first.run_id
    assert seen
    assert seen[-1][:2] == (2, 2)
    for done, total, during in seen:
        assert (during.done, during.total, during.finished) == (done, total, False)
    after_first = saved_progress(folder)
    assert (after_first.run_id, after_first.done, after_first.total, after_first.finished) == \
        (first.run_id, 2, 2, True)
    assert after_first.started_at <= after_first.updated_at

    # Resumed: the file covers the whole run, the earlier attempt's check-ins included.
    second = run(api)
    resumed = saved_progress(folder)
    assert (resumed.done, resumed.total, resumed.finished) == (3, 3, True)
    assert resumed.started_at >= after_first.updated_at  # this attempt's start
    assert [p.name for p in folder.iterdir()] == [PROGRESS_FILE]  # no temporary file left

    metrics = parse_exposition(Metrics(reverify_runs=runs).exposition())
    assert metrics.value("visitproof_reverify_checkins", run_id=second.run_id,
                         state="done") == 3
    assert metrics.value("visitproof_reverify_checkins", run_id=second.run_id,
                         state="total") == 3
    assert metrics.value("visitproof_reverify_finished", run_id=second.run_id) == 1
    assert metrics.value("visitproof_reverify_updated_timestamp_seconds",
                         run_id=second.run_id) == pytest.approx(resumed.updated_at.timestamp())


def test_native_output_goes_to_the_ray_log_and_the_terminal_comes_back(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "reverify" / RAY_LOG
    with ray_output_to(log) as terminal:
        os.write(2, b"[E core_worker.cc] a native line\n")  # as Ray's C++ core writes
        terminal.write("progress for the operator\n")
        terminal.flush()
    os.write(2, b"after the run\n")
    assert log.read_text(encoding="utf-8") == "[E core_worker.cc] a native line\n"
    seen = capfd.readouterr().err
    assert "progress for the operator" in seen
    assert "after the run" in seen
    assert "core_worker" not in seen


def test_the_terminal_comes_back_when_the_run_fails(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), ray_output_to(tmp_path / RAY_LOG):
        raise RuntimeError("the run broke")
    os.write(2, b"the error message\n")
    assert "the error message" in capfd.readouterr().err

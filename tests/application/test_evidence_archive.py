"""The evidence archive end to end: a real upload through the API is archived (watermarked
copy + signed manifest), verify-archive agrees, and each kind of tampering is caught with
its code; later verdicts extend the chain; keys rotate; appends from two processes keep one
chain."""

from __future__ import annotations

import csv
import io
import multiprocessing
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.archive_check import check_folder, check_stored
from application.evidence_archive import EvidenceArchive, backfill, record_verifications
from application.review import ReviewDecision, decide_review
from application.settings import Settings
from application.signing_keys import SigningKeys
from tests.api_harness import Api, shelf_photo
from tests.builders import (
    TENANT,
    make_checkin,
    make_customer,
    make_rep,
    make_team,
    make_upload_meta,
    with_verdict,
)
from visitproof.errors import InvalidInput
from visitproof.evidence import EntryKind, chain_findings, parse_line, sha256_hex, sign_entry
from visitproof.records import CheckinStatus, Verification
from visitproof.store import Database, PhotoStore, Store, open_database
from visitproof.store.tables import checkins
from visitproof.values import utc_now

Archived = tuple[Api, EvidenceArchive, UUID]


@pytest.fixture
def archived(make_api: Callable[..., Api], tmp_path: Path) -> Archived:
    """One check-in uploaded through the API with a signing key in place."""
    settings = Settings(data_dir=tmp_path / "store")
    SigningKeys(settings.signing_key_path).ensure()
    api = make_api()
    response = api.upload(make_upload_meta(), shelf_photo(seed=5))
    assert response.status_code == 201, response.text
    return api, EvidenceArchive.of(settings), UUID(response.json()["checkin_id"])


def codes(api: Api, archive: EvidenceArchive, checkin_id: UUID) -> set[str]:
    return set(check_stored(archive, api.database, TENANT, checkin_id).codes)


def test_an_upload_is_archived_and_agrees(archived: Archived) -> None:
    api, archive, checkin_id = archived
    report = check_stored(archive, api.database, TENANT, checkin_id)
    assert report.agrees, report.as_json()
    assert [c.status for c in report.checks] == ["OK"] * 7
    with api.database.connect() as connection:
        stored = Store(connection, TENANT).checkins.get(checkin_id)
    assert stored is not None
    assert report.entries == 1 + len(stored.verifications)  # capture + each verification
    # The original stays byte for byte; the manager's copy is the watermarked one.
    assert api.client.get(f"/v1/checkins/{checkin_id}/photo",
                          headers=api.auth("manager")).content == shelf_photo(seed=5)
    copy = api.client.get(f"/v1/checkins/{checkin_id}/photo/archive",
                          headers=api.auth("manager"))
    assert copy.headers["content-type"] == "image/jpeg"
    assert copy.content == archive.watermarked_path(checkin_id).read_bytes()
    manifest = api.client.get(f"/v1/checkins/{checkin_id}/manifest",
                              headers=api.auth("manager"))
    assert manifest.headers["content-type"] == "application/x-ndjson"
    assert manifest.headers["x-manifest-sha256"] == report.manifest_sha256
    assert manifest.content.count(b"\n") == report.entries


def test_managers_see_the_watermarked_copy_and_exports_carry_the_manifest(
        archived: Archived) -> None:
    api, archive, checkin_id = archived
    api.client.get("/manager/login", params={"token": api.tokens["manager"]},
                   follow_redirects=False)
    page_photo = api.client.get(f"/manager/checkins/{checkin_id}/photo?annotated=false")
    assert page_photo.content == archive.watermarked_path(checkin_id).read_bytes()
    rows = list(csv.DictReader(io.StringIO(api.client.get("/manager/checkins.csv").text)))
    (row,) = [r for r in rows if r["checkin_id"] == str(checkin_id)]
    assert row["manifest_sha256"] == archive.manifest_sha256(checkin_id)


def test_refusals_of_the_archive_endpoints(archived: Archived) -> None:
    api, _, checkin_id = archived
    other = api.client.get(f"/v1/checkins/{checkin_id}/manifest",
                           headers=api.auth("manager_t2"))  # another team's check-in
    assert (other.status_code, other.json()["code"]) == (404, "NOT_FOUND")
    unknown = api.client.get("/v1/checkins/00000000-0000-4000-8000-000000000000/photo/"
                             "archive", headers=api.auth("manager"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
    bad = api.client.get("/v1/checkins/nope/manifest", headers=api.auth("manager"))
    assert bad.status_code == 422
    assert api.client.get(f"/v1/checkins/{checkin_id}/manifest").status_code == 401


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _photo(archive: EvidenceArchive, api: Api, checkin_id: UUID) -> Path:
    with api.database.connect() as connection:
        stored = Store(connection, TENANT).checkins.get(checkin_id)
    assert stored is not None
    return archive.photos.path_for(stored.photo_sha256)


def _edit_line(path: Path, number: int, old: bytes, new: bytes) -> None:
    lines = path.read_bytes().split(b"\n")
    assert old in lines[number]
    lines[number] = lines[number].replace(old, new, 1)
    path.write_bytes(b"\n".join(lines))


def _lines(path: Path, change: Callable[[list[bytes]], list[bytes]]) -> None:
    lines = [line for line in path.read_bytes().split(b"\n") if line]
    path.write_bytes(b"".join(line + b"\n" for line in change(lines)))


def _edit_time(api: Api, checkin_id: UUID) -> None:
    with api.database.begin() as connection:
        row = connection.execute(sa.select(checkins.c.departed_at).where(
            checkins.c.id == checkin_id)).scalar_one()
        connection.execute(sa.update(checkins).where(checkins.c.id == checkin_id)
                           .values(departed_at=row + timedelta(minutes=7)))


def _foreign_signature(archive: EvidenceArchive, path: Path) -> None:
    lines = [line for line in path.read_bytes().split(b"\n") if line]
    forged = sign_entry(Ed25519PrivateKey.generate(), seq=len(lines),
                        kind=EntryKind.REVIEW, at=utc_now(), payload={"checker": "review"},
                        prev=sha256_hex(lines[-1])).line()
    assert parse_line(forged).key_id not in archive.keys.public_keys()
    path.write_bytes(path.read_bytes() + forged + b"\n")


TAMPERING: list[tuple[str, Callable[[Api, EvidenceArchive, UUID], None], str]] = [
    ("original photo: one byte changed",
     lambda api, archive, cid: _flip_byte(_photo(archive, api, cid)), "ARCHIVE_PHOTO_CHANGED"),
    ("original photo swapped for another JPEG",
     lambda api, archive, cid: _photo(archive, api, cid).write_bytes(shelf_photo(seed=9)),
     "ARCHIVE_PHOTO_CHANGED"),
    ("watermarked copy: one byte changed",
     lambda api, archive, cid: _flip_byte(archive.watermarked_path(cid)),
     "ARCHIVE_WATERMARK_CHANGED"),
    ("watermarked copy deleted",
     lambda api, archive, cid: archive.watermarked_path(cid).unlink(), "ARCHIVE_MISSING"),
    ("departure time edited in the database",
     lambda api, archive, cid: _edit_time(api, cid), "ARCHIVE_RECORD_CHANGED"),
    ("manifest line edited",
     lambda api, archive, cid: _edit_line(archive.manifest_path(cid), 0, b'"rep_id":"r1"',
                                          b'"rep_id":"r2"'), "ARCHIVE_SIGNATURE_INVALID"),
    ("middle line removed",
     lambda api, archive, cid: _lines(archive.manifest_path(cid),
                                      lambda lines: [lines[0], *lines[2:]]),
     "ARCHIVE_CHAIN_BROKEN"),
    ("last line removed",
     lambda api, archive, cid: _lines(archive.manifest_path(cid), lambda lines: lines[:-1]),
     "ARCHIVE_ENTRY_MISSING"),
    ("lines reordered",
     lambda api, archive, cid: _lines(archive.manifest_path(cid),
                                      lambda lines: [lines[0], lines[2], lines[1]]),
     "ARCHIVE_CHAIN_BROKEN"),
    ("entry signed by an unknown key",
     lambda api, archive, cid: _foreign_signature(archive, archive.manifest_path(cid)),
     "ARCHIVE_UNKNOWN_KEY"),
    ("manifest deleted",
     lambda api, archive, cid: archive.manifest_path(cid).unlink(), "ARCHIVE_MISSING"),
]


@pytest.mark.parametrize(("tamper", "code"), [(t, c) for _, t, c in TAMPERING],
                         ids=[name for name, _, _ in TAMPERING])
def test_each_tampering_is_caught_with_its_code(archived: Archived,
                                                tamper: Callable[[Api, EvidenceArchive,
                                                                  UUID], None],
                                                code: str) -> None:
    api, archive, checkin_id = archived
    tamper(api, archive, checkin_id)
    report = check_stored(archive, api.database, TENANT, checkin_id)
    assert not report.agrees
    assert code in report.codes, report.as_json()


def test_an_exported_folder_verifies_and_its_tampering_is_caught(archived: Archived,
                                                                tmp_path: Path) -> None:
    api, archive, checkin_id = archived
    exported = tmp_path / "export"
    shutil.copytree(archive.folder(checkin_id), exported)
    shutil.copy(_photo(archive, api, checkin_id), exported / "photo.jpg")
    keys = archive.keys.public_keys()
    assert check_folder(exported, keys).agrees
    assert check_folder(exported / "manifest.jsonl", keys).agrees
    assert "ARCHIVE_UNKNOWN_KEY" in check_folder(exported, {}).codes
    _flip_byte(exported / "photo.jpg")
    assert check_folder(exported, keys).codes == ("ARCHIVE_PHOTO_CHANGED",)
    with pytest.raises(InvalidInput, match="can't read") as refused:
        check_folder(tmp_path / "nowhere", keys)
    assert refused.value.code == "FILE_UNREADABLE"


# -- later verdicts, keys, concurrency --------------------------------------------------------


@pytest.fixture
def stored(database: Database, tmp_path: Path) -> tuple[EvidenceArchive, Database, UUID]:
    """A needs_review check-in in the store with its photo, archived."""
    settings = Settings(data_dir=tmp_path / "store")
    archive = EvidenceArchive.of(settings)
    archive.keys.ensure()
    checkin = make_checkin()
    sha = PhotoStore(settings.photos_dir).put(shelf_photo(seed=2))
    checkin = with_verdict(replace(checkin, photo_sha256=sha), CheckinStatus.NEEDS_REVIEW,
                           "GPS_LOW_ACCURACY")
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_teams([make_team("t1")])
        store.reference.put_reps([make_rep("r1")])
        store.reference.put_customers([make_customer("c1")])
        store.checkins.add(checkin)
    assert backfill(archive, database, TENANT) == (1, 2)  # capture + the fix check
    assert backfill(archive, database, TENANT) == (1, 0)  # nothing twice
    return archive, database, checkin.id


def test_a_check_in_without_a_stored_photo_binds_the_rest(database: Database,
                                                         tmp_path: Path) -> None:
    archive = EvidenceArchive.of(Settings(data_dir=tmp_path / "store"))
    archive.keys.ensure()
    checkin = with_verdict(make_checkin(), CheckinStatus.VERIFIED)  # its photo never stored
    with database.begin() as connection:
        Store(connection, TENANT).checkins.add(checkin)
    assert archive.record(database, checkin) == 2
    assert not archive.watermarked_path(checkin.id).exists()
    report = check_stored(archive, database, TENANT, checkin.id)
    assert report.agrees, report.as_json()
    assert {c.name: c.status for c in report.checks}["photo"] == "SKIPPED"
    with database.begin() as connection:
        connection.execute(sa.update(checkins).where(checkins.c.id == checkin.id)
                           .values(fix_lat=checkin.fix.lat + 0.01))
    assert check_stored(archive, database, TENANT, checkin.id).codes == (
        "ARCHIVE_RECORD_CHANGED",)


def test_a_review_decision_extends_the_chain(
        stored: tuple[EvidenceArchive, Database, UUID]) -> None:
    archive, database, checkin_id = stored
    before = archive.lines(checkin_id)
    decide_review(database, TENANT, checkin_id, ReviewDecision.APPROVE, note="seen it",
                  reviewer="m1", role="manager", visible_rep_ids=None, now=utc_now(),
                  archive=archive)
    after = archive.lines(checkin_id)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 1
    assert b'"kind":"review"' in after[-1]
    report = check_stored(archive, database, TENANT, checkin_id)
    assert report.agrees, report.as_json()


def test_a_reverification_recorded_later_extends_the_chain(
        stored: tuple[EvidenceArchive, Database, UUID]) -> None:
    archive, database, checkin_id = stored
    with database.begin() as connection:
        checkins_ = Store(connection, TENANT).checkins
        checkin = checkins_.get(checkin_id)
        assert checkin is not None
        rerun = Verification(checkin_id=checkin_id, checker="fix",
                             status=CheckinStatus.VERIFIED, reasons=(), model_version=None,
                             policy_version="fix-2", verified_at=utc_now(),
                             details={"reverify_run": "run-1"})
        checkins_.add_verifications([rerun])
    assert "ARCHIVE_ENTRY_MISSING" in check_stored(archive, database, TENANT,
                                                   checkin_id).codes
    with database.connect() as connection:
        again = Store(connection, TENANT).checkins.get(checkin_id)
    assert again is not None
    record_verifications(archive, database, [again])
    assert check_stored(archive, database, TENANT, checkin_id).agrees


def test_entries_before_and_after_a_key_rotation_verify(
        stored: tuple[EvidenceArchive, Database, UUID]) -> None:
    archive, database, checkin_id = stored
    old = archive.keys.private_key().public_key()
    archive.keys.rotate()
    assert archive.keys.private_key().public_key() != old
    decide_review(database, TENANT, checkin_id, ReviewDecision.REJECT, note="another store",
                  reviewer="m1", role="manager", visible_rep_ids=None, now=utc_now(),
                  archive=archive)
    report = check_stored(archive, database, TENANT, checkin_id)
    assert report.agrees, report.as_json()
    assert len({line.split(b'"key_id":"')[1][:16] for line in
                archive.lines(checkin_id)}) == 2


def test_a_key_inside_the_data_folder_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "store",
                        signing_key=tmp_path / "store" / "keys" / "k.pem")
    with pytest.raises(InvalidInput, match="inside the data folder") as refused:
        settings.signing_key_path  # noqa: B018 - the property refuses
    assert refused.value.code == "SIGNING_KEY_IN_DATA_DIR"
    assert Settings(data_dir=tmp_path / "store").signing_key_path == \
        (tmp_path / "keys" / "visitproof-signing.pem").resolve()


def test_the_key_is_private_and_its_public_half_published(tmp_path: Path) -> None:
    keys = SigningKeys(tmp_path / "keys" / "k.pem")
    assert keys.ensure() is True
    assert keys.ensure() is False
    assert keys.path.stat().st_mode & 0o777 == 0o600
    keys.publish(tmp_path / "archive")
    assert (tmp_path / "archive" / "public-keys.json").read_bytes() == \
        keys.public_keys_path.read_bytes()


def _append_many(data_dir: str, checkin_id: str, count: int) -> None:
    settings = Settings(data_dir=Path(data_dir))
    archive = EvidenceArchive.of(settings)
    database = _open(settings)
    with database.connect() as connection:
        checkin = Store(connection, TENANT).checkins.get(UUID(checkin_id))
    assert checkin is not None
    for n in range(count):
        extra = Verification(checkin_id=checkin.id, checker=f"extra-{n}",
                             status=CheckinStatus.VERIFIED, reasons=(), model_version=None,
                             policy_version="p", verified_at=utc_now())
        archive.record(database, replace(checkin, verifications=(*checkin.verifications,
                                                                 extra)))
    database.dispose()


def _open(settings: Settings) -> Database:
    return open_database(settings.resolved_database_url)


def test_appends_from_two_processes_keep_one_valid_chain(
        stored: tuple[EvidenceArchive, Database, UUID], tmp_path: Path) -> None:
    archive, _, checkin_id = stored
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many,
                               args=(str(tmp_path / "store"), str(checkin_id), 15))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    lines = archive.lines(checkin_id)
    entries, findings = chain_findings(lines, archive.keys.public_keys())
    assert findings == []
    # Both processes append "extra-0".."extra-14": each checker once (keyed by checker and
    # time, so the second process's are new entries too), every line in sequence.
    assert [e.seq for e in entries] == list(range(len(lines)))
    assert len(lines) == 2 + 30

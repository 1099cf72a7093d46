"""``visitproof verify-archive``, ``archive backfill`` and ``keys rotate`` as a user runs
them: exit 0 when all agree, 1 on tampering (with its code), 2 on bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from application.settings import Settings
from tests.api_harness import shelf_photo
from tests.builders import (
    TENANT,
    make_checkin,
    make_customer,
    make_rep,
    make_team,
    with_verdict,
)
from tests.subprocess_cli import run_visitproof
from visitproof.records import CheckinStatus
from visitproof.store import PhotoStore, Store, open_database

ENV = {"VISITPROOF_TENANT": TENANT}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised store (key created by init) with one check-in, archived by backfill;
    shared by the module's tests (each leaves it agreeing: a CLI run takes seconds)."""
    data = tmp_path_factory.mktemp("cli") / "data"
    result = run_visitproof(data, "init", **ENV)
    assert result.returncode == 0, result.stderr
    assert "signing key created at" in result.stdout
    settings = Settings(data_dir=data)
    sha = PhotoStore(settings.photos_dir).put(shelf_photo(seed=4))
    checkin = with_verdict(replace(make_checkin(), photo_sha256=sha), CheckinStatus.VERIFIED)
    database = open_database(settings.resolved_database_url)
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_teams([make_team("t1")])
        store.reference.put_reps([make_rep("r1")])
        store.reference.put_customers([make_customer("c1")])
        store.checkins.add(checkin)
    database.dispose()
    (data / "id").write_text(str(checkin.id))
    result = run_visitproof(data, "archive", "backfill", **ENV)
    assert result.returncode == 0, result.stderr
    assert "archived 1 check-ins" in result.stdout
    return data


def test_verify_archive_agrees_then_finds_tampering(data_dir: Path) -> None:
    checkin_id = (data_dir / "id").read_text()
    ok = run_visitproof(data_dir, "verify-archive", checkin_id, **ENV)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "all agree" in ok.stdout
    as_json = json.loads(run_visitproof(data_dir, "verify-archive", checkin_id, "--json",
                                        **ENV).stdout)
    assert as_json["agrees"] is True
    assert [c["status"] for c in as_json["checks"]] == ["OK"] * 7
    folder = data_dir / "archive" / checkin_id[:2] / checkin_id
    exported = run_visitproof(data_dir, "verify-archive", str(folder), **ENV)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    copy = folder / "watermarked.jpg"
    data = bytearray(copy.read_bytes())
    data[100] ^= 0xFF
    copy.write_bytes(bytes(data))
    found = run_visitproof(data_dir, "verify-archive", checkin_id, "--json", **ENV)
    assert found.returncode == 1
    assert json.loads(found.stdout)["codes"] == ["ARCHIVE_WATERMARK_CHANGED"]
    table = run_visitproof(data_dir, "verify-archive", checkin_id, **ENV)
    assert table.returncode == 1
    assert "watermark      FAIL" in table.stdout
    assert "TAMPERING FOUND: ARCHIVE_WATERMARK_CHANGED" in table.stdout
    data[100] ^= 0xFF
    copy.write_bytes(bytes(data))


def test_a_rotated_key_keeps_old_entries_verifiable(data_dir: Path) -> None:
    checkin_id = (data_dir / "id").read_text()
    rotated = run_visitproof(data_dir, "keys", "rotate", **ENV)
    assert rotated.returncode == 0, rotated.stderr
    assert "is now current" in rotated.stdout
    assert run_visitproof(data_dir, "verify-archive", checkin_id, **ENV).returncode == 0


@pytest.mark.parametrize(("target", "code"), [
    ("00000000-0000-4000-8000-000000000000", "NOT_FOUND"),
    ("not-a-checkin", "BAD_IDENTIFIER"),
    ("{data}", "FILE_UNREADABLE"),  # a folder without manifest.jsonl
])
def test_bad_input_exits_2_with_its_code(data_dir: Path, target: str, code: str) -> None:
    result = run_visitproof(data_dir, "verify-archive", target.format(data=data_dir), **ENV)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"error [{code}]" in result.stderr


def test_init_refuses_a_key_inside_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run_visitproof(data, "init", VISITPROOF_SIGNING_KEY=str(data / "k.pem"), **ENV)
    assert result.returncode == 2
    assert "error [SIGNING_KEY_IN_DATA_DIR]" in result.stderr
    assert not data.exists()

"""``visitproof init / import / export`` as a user runs them: a real process, a real file."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from tests.subprocess_cli import run_visitproof
from visitproof.store.database import alembic_config

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "company"


visitproof = run_visitproof


@pytest.fixture
def company(tmp_path: Path) -> Path:
    data_dir = tmp_path / "var"
    assert visitproof(data_dir, "init").returncode == 0
    for kind, name in (("reps", "reps.geojson"), ("customers", "customers.csv"),
                       ("contacts", "contacts.csv"), ("leads", "leads.csv")):
        result = visitproof(data_dir, "import", kind, str(EXAMPLES / name))
        assert result.returncode == 0, result.stderr
    return data_dir


def test_init_import_export(company: Path) -> None:
    exported = visitproof(company, "export", "customers")
    assert exported.returncode == 0
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    with (EXAMPLES / "customers.csv").open(encoding="utf-8") as original:
        expected = list(csv.DictReader(original))
    assert [r["id"] for r in rows] == sorted(r["id"] for r in expected)
    assert (company / "photos").is_dir()


def test_init_twice_is_harmless(company: Path) -> None:
    again = visitproof(company, "init")
    assert again.returncode == 0
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert f"schema {head}" in again.stdout


def test_a_bad_file_lists_every_row_and_imports_nothing(company: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,type,tier,lat,lon\n"
                   "n1,New shop,pharmacy,A,30.1,120.1\n"
                   "n2,Lost,pharmacy,,91,120\n", encoding="utf-8")
    result = visitproof(company, "import", "customers", str(bad))
    assert result.returncode == 2
    assert "IMPORT_REJECTED" in result.stderr
    assert "line 3, tier" in result.stderr
    assert "line 3, lat" in result.stderr
    assert "Traceback" not in result.stderr
    exported = visitproof(company, "export", "customers").stdout
    assert "n1" not in exported


@pytest.mark.parametrize(("prepare", "code", "exit_code"), [
    (lambda d: None, "STORE_NOT_INITIALISED", 3),
    (lambda d: (d.mkdir(parents=True),
                (d / "visitproof.sqlite3").write_bytes(b"garbage" * 500)), "STORE_CORRUPT", 3),
])
def test_unusable_stores_give_a_clear_error(tmp_path: Path, prepare: object, code: str,
                                            exit_code: int) -> None:
    data_dir = tmp_path / "var"
    prepare(data_dir)  # type: ignore[operator]
    result = visitproof(data_dir, "export", "reps")
    assert result.returncode == exit_code
    assert code in result.stderr
    assert "Traceback" not in result.stderr


def test_a_locked_store_gives_a_clear_error(company: Path) -> None:
    holder = sqlite3.connect(company / "visitproof.sqlite3")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = visitproof(company, "import", "reps", str(EXAMPLES / "reps.geojson"),
                            VISITPROOF_DB_BUSY_TIMEOUT_S="0.2")
    finally:
        holder.rollback()
        holder.close()
    assert result.returncode == 3
    assert "STORE_LOCKED" in result.stderr


def test_unknown_kind_is_a_usage_error(company: Path) -> None:
    result = visitproof(company, "export", "planets")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr

"""Alembic: upgrade from empty, downgrade to nothing, upgrade again; schema == tables.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from visitproof.store import open_database
from visitproof.store.tables import metadata

ROOT = Path(__file__).resolve().parents[3]


def _table_names(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    database = open_database(url, create_dir=True)
    database.migrate()
    assert _table_names(url) == set(metadata.tables)
    database.downgrade("base")
    assert _table_names(url) == set()
    assert database.current_revision() is None
    database.migrate()
    assert _table_names(url) == set(metadata.tables)
    database.require_current()
    database.dispose()


def test_migrated_schema_matches_the_tables_module(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    database = open_database(url, create_dir=True)
    database.migrate()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    database.dispose()
    assert differences == []


def test_the_alembic_command_line_works_from_the_repository_root(tmp_path: Path) -> None:
    environment = {**os.environ, "VISITPROOF_DATA_DIR": str(tmp_path)}
    environment.pop("VISITPROOF_DATABASE_URL", None)
    alembic = [sys.executable, "-m", "alembic"]
    for arguments in (["upgrade", "head"], ["downgrade", "base"], ["upgrade", "head"]):
        subprocess.run([*alembic, *arguments], cwd=ROOT, env=environment, check=True,
                       capture_output=True)
    assert _table_names(f"sqlite:///{tmp_path / 'visitproof.sqlite3'}") == set(metadata.tables)


def _outcome_columns(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return {column["name"] for column in sa.inspect(engine).get_columns("action_outcomes")}
    finally:
        engine.dispose()


def test_0005_adds_and_drops_the_action_strategy_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    database = open_database(url, create_dir=True)
    database.migrate()
    assert "strategy" in _outcome_columns(url)
    database.downgrade("0004")
    assert database.current_revision() == "0004"
    assert "strategy" not in _outcome_columns(url)
    database.migrate()
    assert "strategy" in _outcome_columns(url)
    database.require_current()
    database.dispose()


@pytest.mark.parametrize(("revision", "below", "added"), [
    ("0006", "0005", {"orders", "stock_levels", "promotions"}),
    ("0007", "0006", {"visit_notes"}),
])
def test_a_revision_adds_its_tables_and_its_downgrade_drops_them(
        tmp_path: Path, revision: str, below: str, added: set[str]) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    database = open_database(url, create_dir=True)
    database.migrate()
    assert _table_names(url) >= added
    database.downgrade(below)
    assert database.current_revision() == below
    assert not added & _table_names(url)
    database.migrate()
    assert _table_names(url) >= added
    database.require_current()
    database.dispose()

"""A store that can't be used says why, with a stable code, instead of a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.builders import TENANT, make_rep
from visitproof.errors import StoreCorrupt, StoreLocked, StoreNotInitialised
from visitproof.store import Database, Store, open_database


def test_wal_mode_and_foreign_keys_are_on(database: Database) -> None:
    with database.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_locked_store_is_reported_as_locked(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    database = open_database(f"sqlite:///{path}", create_dir=True, busy_timeout_s=0.2)
    database.migrate()
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLocked, match="locked by another process"), \
                database.begin() as connection:
            Store(connection, TENANT).reference.put_reps([make_rep()])
    finally:
        holder.rollback()
        holder.close()
        database.dispose()


def test_a_file_that_is_not_a_database_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    database = open_database(f"sqlite:///{path}")
    with pytest.raises(StoreCorrupt, match="not a readable visitproof database"):
        database.require_current()


def test_a_missing_store_asks_for_init(tmp_path: Path) -> None:
    with pytest.raises(StoreNotInitialised, match="visitproof init"):
        open_database(f"sqlite:///{tmp_path / 'absent.sqlite3'}")


def test_an_empty_database_file_asks_for_init(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    sqlite3.connect(path).close()
    with pytest.raises(StoreNotInitialised, match="visitproof init"):
        open_database(f"sqlite:///{path}").require_current()

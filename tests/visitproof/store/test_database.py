"""A store that can't be used says why, with a stable code, instead of a traceback."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.builders import TENANT, make_rep, make_tenant
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


def test_a_transaction_that_reads_then_writes_waits_for_a_writer_that_commits_first(
        tmp_path: Path) -> None:
    # The upload's shape: read the history, then insert. While the first transaction holds
    # the lock, a second one begins; once the first commits, the second must get the lock
    # and write (it waits within the busy timeout) instead of failing on a stale snapshot.
    database = open_database(f"sqlite:///{tmp_path / 's.sqlite3'}", create_dir=True,
                             busy_timeout_s=10)
    database.migrate()
    with database.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant())
    first_in = threading.Event()
    failures: list[BaseException] = []

    def second() -> None:
        first_in.wait(10)
        try:
            with database.begin() as connection:
                store = Store(connection, TENANT)
                assert "r-first" in {rep.id for rep in store.reference.reps()}
                store.reference.put_reps([make_rep("r-second")])
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    thread = threading.Thread(target=second)
    thread.start()
    with database.begin() as connection:
        store = Store(connection, TENANT)
        assert "r-second" not in {rep.id for rep in store.reference.reps()}
        first_in.set()
        time.sleep(0.3)  # the second transaction is waiting for the lock meanwhile
        store.reference.put_reps([make_rep("r-first")])
    thread.join(20)
    database.dispose()
    assert failures == []


def test_nine_threads_writing_one_file_all_get_their_turn(tmp_path: Path) -> None:
    # The upload path's load: nine request threads, each transaction reading then writing.
    # Every one commits within a one-second busy timeout; none is refused as locked.
    database = open_database(f"sqlite:///{tmp_path / 's.sqlite3'}", create_dir=True,
                             busy_timeout_s=1)
    database.migrate()
    with database.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant())
    refused: list[StoreLocked] = []

    def write(thread: int) -> None:
        for n in range(30):
            try:
                with database.begin() as connection:
                    store = Store(connection, TENANT)
                    store.reference.reps()
                    store.reference.put_reps([make_rep(f"r{thread}-{n}")])
            except StoreLocked as error:
                refused.append(error)

    threads = [threading.Thread(target=write, args=(thread,)) for thread in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with database.connect() as connection:
        stored = len(Store(connection, TENANT).reference.reps())
    database.dispose()
    assert (refused, stored) == ([], 9 * 30)


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

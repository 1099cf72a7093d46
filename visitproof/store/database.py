"""Opening the database, migrating it, and turning driver errors into visitproof errors.

SQLite gets WAL journaling (readers don't block the writer), a busy timeout (a second writer
waits instead of failing at once), one writer at a time per process and write transactions that
take the lock when they begin, and enforced foreign keys. Nothing else is SQLite-only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from visitproof.errors import StoreCorrupt, StoreError, StoreLocked, StoreNotInitialised


@dataclass(frozen=True)
class Database:
    """An engine plus the knowledge of where its migrations live."""

    engine: Engine
    url: str
    busy_timeout_s: float = 30.0
    _writer: threading.RLock = field(default_factory=threading.RLock, compare=False,
                                     repr=False)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises.

        On SQLite, one writer at a time: the threads of this process queue for the write
        turn (a lock, woken in turn), and the transaction takes the database's own write
        lock when it begins (``BEGIN IMMEDIATE``), waiting for other processes within the
        busy timeout. Left to SQLite's busy handler alone, nine threads sharing one file
        poll with growing sleeps and one of them can starve past the timeout; a deferred
        transaction would also read state another writer changes before it commits.
        """
        if self.engine.dialect.name != "sqlite":
            with translate_errors(self.url), self.engine.begin() as connection:
                yield connection
            return
        if not self._writer.acquire(timeout=self.busy_timeout_s):
            raise StoreLocked(f"the store at {_display(self.url)} is busy with other writes "
                              f"for more than {self.busy_timeout_s:g} s; try again shortly")
        try:
            with translate_errors(self.url), self.engine.begin() as connection:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield connection
        finally:
            self._writer.release()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads (autobegin; nothing is committed)."""
        with translate_errors(self.url), self.engine.connect() as connection:
            yield connection

    def migrate(self, revision: str = "head") -> None:
        """Upgrade the schema to ``revision`` (creates every table on an empty database)."""
        with translate_errors(self.url), self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def downgrade(self, revision: str) -> None:
        with translate_errors(self.url), self.engine.begin() as connection:
            config = alembic_config(self.url)
            config.attributes["connection"] = connection
            command.downgrade(config, revision)

    def current_revision(self) -> str | None:
        with translate_errors(self.url), self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def require_current(self) -> None:
        """Raise unless the schema is at the newest migration."""
        head = ScriptDirectory.from_config(alembic_config(self.url)).get_current_head()
        current = self.current_revision()
        if current is None:
            raise StoreNotInitialised(
                f"no visitproof store at {_display(self.url)}; run `visitproof init` first")
        if current != head:
            raise StoreNotInitialised(
                f"store at {_display(self.url)} is at schema {current}, this version needs "
                f"{head}; run `visitproof init` to migrate")

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, busy_timeout_s: float = 30.0,
                  create_dir: bool = False) -> Database:
    """Create an engine for ``url``. For SQLite files, ``create_dir`` makes the parent folder;
    otherwise a missing folder is reported as an uninitialised store."""
    connect_args: dict[str, Any] = {}
    sqlite_file = _sqlite_path(url)
    if sqlite_file is not None:
        connect_args["timeout"] = busy_timeout_s
        if create_dir:
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        elif not sqlite_file.exists():
            raise StoreNotInitialised(
                f"no visitproof store at {sqlite_file}; run `visitproof init` first")
    engine = sa.create_engine(url, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return Database(engine=engine, url=url, busy_timeout_s=busy_timeout_s)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    config = Config()
    config.set_main_option("script_location",
                           str(resources.files("visitproof.store") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def translate_errors(url: str) -> Iterator[None]:
    """Map driver errors that mean "the store can't be used" to :class:`StoreError`s."""
    try:
        yield
    except IntegrityError:
        raise  # a constraint the caller may expect (a retried upload's id): theirs to handle
    except OperationalError as error:
        text = str(error.orig)
        if "locked" in text or "busy" in text:
            raise StoreLocked(
                f"the store at {_display(url)} is locked by another process; try again when "
                "it has finished") from None
        if "no such table" in text:
            raise StoreNotInitialised(
                f"the store at {_display(url)} has no visitproof tables; run `visitproof init`"
            ) from None
        if "unable to open" in text:
            raise StoreError(f"can't open the store at {_display(url)}: {text}") from None
        raise StoreError(f"store error at {_display(url)}: {text}") from None
    except DatabaseError as error:
        text = str(error.orig)
        if "not a database" in text or "malformed" in text:
            raise StoreCorrupt(
                f"{_display(url)} is not a readable visitproof database ({text}); restore it "
                "from a backup or point VISITPROOF_DATA_DIR elsewhere") from None
        raise StoreError(f"store error at {_display(url)}: {text}") from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _display(url: str) -> str:
    """The URL without a password, for messages."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)

"""Shared fixtures: a real SQLite store in a temporary folder, the real-data folder, and the
API over a seeded store (:mod:`tests.api_harness`, for the serving and application tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import TENANT, make_tenant
from visitproof.store import Database, Store, open_database

pytest_plugins = ["tests.api_harness"]

REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file with the test tenant in it."""
    db = open_database(f"sqlite:///{tmp_path / 'store' / 'visitproof.sqlite3'}",
                       create_dir=True)
    db.migrate()
    with db.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant())
    yield db
    db.dispose()


@pytest.fixture
def real_data() -> Path:
    """``../shared/data/real``; tests using it skip when it's absent."""
    if not REAL_DATA.is_dir():
        pytest.skip(f"real data folder {REAL_DATA} not present")
    return REAL_DATA

"""Options every command shares, and opening the store the way every command does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from application.settings import Settings, build_settings
from visitproof.store import Database, open_database

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (default: $VISITPROOF_DATA_DIR or ./var).",
                 show_default=False),
]
TenantOption = Annotated[
    str | None,
    typer.Option("--tenant", help="Tenant id (default: $VISITPROOF_TENANT or 'default').",
                 show_default=False),
]


def settings_for(data_dir: Path | None, tenant: str | None = None) -> Settings:
    return build_settings(data_dir=data_dir, tenant=tenant)


def open_current_store(settings: Settings) -> Database:
    """The store, checked to be initialised and at the current schema."""
    database = open_database(settings.resolved_database_url,
                             busy_timeout_s=settings.db_busy_timeout_s)
    database.require_current()
    return database


@contextmanager
def current_store(settings: Settings) -> Iterator[Database]:
    """:func:`open_current_store`, disposed of when the block ends."""
    database = open_current_store(settings)
    try:
        yield database
    finally:
        database.dispose()

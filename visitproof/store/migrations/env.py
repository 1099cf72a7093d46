"""Alembic environment: runs migrations on the connection visitproof hands over, or on the
URL from alembic.ini / ``VISITPROOF_DATABASE_URL`` when run as ``alembic upgrade head``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from visitproof.store.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    from application.settings import build_settings

    configured = config.get_main_option("sqlalchemy.url")
    return configured or build_settings().resolved_database_url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        engine = create_engine(_url())
        with engine.begin() as owned:
            _run(owned)
        engine.dispose()

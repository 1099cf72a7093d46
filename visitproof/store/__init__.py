"""The store: SQLAlchemy tables with Alembic migrations, and a content-addressed photo folder.

SQLite (WAL mode) by default; any SQLAlchemy URL that speaks standard SQL (PostgreSQL) works.
"""

from visitproof.store.database import Database, open_database
from visitproof.store.photos import PhotoStore
from visitproof.store.repository import Repository

__all__ = ["Database", "PhotoStore", "Repository", "open_database"]

"""The store: SQLAlchemy tables with Alembic migrations, and a content-addressed photo folder.

SQLite (WAL mode) by default; any SQLAlchemy URL that speaks standard SQL (PostgreSQL) works.
Records are read and written by aggregate, within one tenant: :class:`ReferenceData`,
:class:`Checkins` and :class:`Crm`, together as a :class:`Store`.
"""

from visitproof.store.checkins import Checkins, HashedPhoto, UploadFingerprint
from visitproof.store.commerce import Commerce
from visitproof.store.crm import Crm, PlannedAction
from visitproof.store.database import Database, open_database
from visitproof.store.photos import PhotoStore
from visitproof.store.queries import Page
from visitproof.store.reference import ReferenceData
from visitproof.store.tenant_store import Store
from visitproof.store.visit_notes import AudioStore, VisitNotes

__all__ = ["AudioStore", "Checkins", "Commerce", "Crm", "Database", "HashedPhoto", "Page",
           "PhotoStore", "PlannedAction", "ReferenceData", "Store", "UploadFingerprint",
           "VisitNotes", "open_database"]

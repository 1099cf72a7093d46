"""A tenant's stored rule sets, as rows: version, author, note and the JSON body.

Rule sets are insert-only: :meth:`RuleSets.add` writes a new version and nothing here
updates or deletes a row, so the rules behind any stored verdict can always be read back.
Versions count 1, 2, 3, ... per tenant without gaps (:class:`application.rule_book.RuleBook`
only ever writes the version after an existing one).
What a body means is :mod:`application.rules`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from visitproof.store import tables


@dataclass(frozen=True, slots=True)
class RuleSetSummary:
    """One stored version, without its body (for listings)."""

    version: int
    created_at: datetime
    created_by: str
    note: str | None


@dataclass(frozen=True, slots=True)
class StoredRuleSet:
    """One stored version as written: the JSON body (without its note) and who wrote it.
    Parsing and validating a body is the application's (:mod:`application.rules`)."""

    version: int
    created_at: datetime
    created_by: str
    note: str | None
    body: Mapping[str, Any]


class RuleSets:
    """The rule-set rows of one tenant over one open connection (the caller owns the
    transaction)."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self.connection = connection
        self.tenant_id = tenant_id

    def latest_version(self) -> int | None:
        """The newest version number, None when the tenant has no rule set (cheap: one
        primary-key lookup, done before every upload)."""
        t = tables.rule_sets.c
        latest: int | None = self.connection.execute(
            sa.select(sa.func.max(t.version)).where(t.tenant_id == self.tenant_id)
        ).scalar_one()
        return latest

    def get(self, version: int) -> StoredRuleSet | None:
        t = tables.rule_sets.c
        row = self.connection.execute(sa.select(tables.rule_sets).where(
            t.tenant_id == self.tenant_id, t.version == version)).mappings().first()
        if row is None:
            return None
        return StoredRuleSet(version=row["version"], created_at=row["created_at"],
                             created_by=row["created_by"], note=row["note"], body=row["body"])

    def versions(self) -> list[RuleSetSummary]:
        """Every version, oldest first."""
        t = tables.rule_sets.c
        return [RuleSetSummary(version=row.version, created_at=row.created_at,
                               created_by=row.created_by, note=row.note)
                for row in self.connection.execute(
                    sa.select(t.version, t.created_at, t.created_by, t.note)
                    .where(t.tenant_id == self.tenant_id).order_by(t.version))]

    def add(self, stored: StoredRuleSet) -> None:
        """Insert ``stored`` as written (the caller validated it and chose its version). The
        primary key (tenant, version) is the concurrency guard: of two writers inserting the
        same version, on SQLite and PostgreSQL alike, the second raises ``IntegrityError``
        (PostgreSQL makes it wait for the first to commit), so exactly one wins."""
        self.connection.execute(sa.insert(tables.rule_sets), [{
            "tenant_id": self.tenant_id, "version": stored.version,
            "created_at": stored.created_at, "created_by": stored.created_by,
            "note": stored.note, "body": dict(stored.body)}])

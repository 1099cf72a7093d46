"""A tenant's rule sets as the application reads and adds them: stored rows
(:mod:`visitproof.store.rule_sets`) turned into validated :class:`~application.rules.RuleSet`
values.

    with database.begin() as connection:
        rules = RuleBook(connection, "acme").add(body, created_by="d1", now=utc_now())

Versions are insert-only: :meth:`RuleBook.add` validates the body, then writes version
n + 1; nothing updates or deletes one, so the rules behind any stored verdict can be read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from application.rules import RuleSet, rules_from_mapping
from visitproof.store.rule_sets import RuleSets, RuleSetSummary, StoredRuleSet


class RuleBook:
    """The rule sets of one tenant over one open connection (the caller owns the
    transaction)."""

    def __init__(self, connection: Connection, tenant_id: str) -> None:
        self.rows = RuleSets(connection, tenant_id)

    def latest_version(self) -> int | None:
        """The newest version number (None: no rule set), one primary-key lookup."""
        return self.rows.latest_version()

    def get(self, version: int) -> RuleSet | None:
        stored = self.rows.get(version)
        return None if stored is None else _parsed(stored)

    def current(self) -> RuleSet | None:
        latest = self.rows.latest_version()
        return None if latest is None else self.get(latest)

    def versions(self) -> list[RuleSetSummary]:
        """Every version, oldest first."""
        return self.rows.versions()

    def add(self, body: Mapping[str, Any], *, created_by: str, now: datetime,
            note: str | None = None) -> RuleSet:
        """Validate ``body`` and store it as the next version (``InvalidValue`` on a bad
        body, nothing stored). Two directors saving at once: the second insert hits the
        primary key and raises ``IntegrityError``; the caller retries."""
        content = {name: value for name, value in body.items() if name != "note"}
        note = note if note is not None else body.get("note")
        version = (self.rows.latest_version() or 0) + 1
        rules = rules_from_mapping(content, version=version, created_at=now,
                                   created_by=created_by, note=note)
        self.rows.add(StoredRuleSet(version=version, created_at=now, created_by=created_by,
                                    note=note, body=content))
        return rules


def _parsed(stored: StoredRuleSet) -> RuleSet:
    return rules_from_mapping(stored.body, version=stored.version,
                              created_at=stored.created_at, created_by=stored.created_by,
                              note=stored.note)

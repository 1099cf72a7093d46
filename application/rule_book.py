"""A tenant's rule sets as the application reads and adds them: stored rows
(:mod:`visitproof.store.rule_sets`) turned into validated :class:`~application.rules.RuleSet`
values.

    rules = post_rules(database, "acme", body, base_version=3, created_by="d1",
                       now=utc_now())                          # version 4, or 409

Versions are insert-only: nothing updates or deletes one, so the rules behind any stored
verdict can be read back. Every post names the version it was edited from
(``base_version``; :data:`NO_VERSION`, 0, for a tenant's very first rules) and is stored as
the next one only while that is still the current version: optimistic concurrency, so of
two directors editing version 3 at once one stores version 4 and the other gets
:class:`~visitproof.errors.StaleRulesVersion` naming it, instead of silently undoing it.
The check and the insert are atomic in the database: the pre-check reads the newest
version, and the table's primary key (tenant, version) refuses a second version 4 that a
concurrent writer slipped in between (``IntegrityError``, turned into the same
``StaleRulesVersion`` by :func:`post_rules`), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from application.rules import RuleSet, rules_from_mapping
from visitproof.errors import InvalidValue, StaleRulesVersion
from visitproof.store import Database
from visitproof.store.rule_sets import RuleSets, RuleSetSummary, StoredRuleSet
from visitproof.values import NUMBER_NOT_FINITE, non_finite_path

NO_VERSION = 0
"""The ``base_version`` of a tenant's very first rules: there is no version to edit yet."""


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

    def add(self, body: Mapping[str, Any], *, base_version: int, created_by: str,
            now: datetime, note: str | None = None) -> RuleSet:
        """Validate ``body`` and store it as version ``base_version + 1``.

        ``InvalidValue`` on a bad body (``NUMBER_NOT_FINITE`` for a NaN or an infinity
        anywhere in it); :class:`StaleRulesVersion` when ``base_version`` is
        not the tenant's current version (:data:`NO_VERSION` while it has none); nothing is
        stored either way. A concurrent writer storing the same next version after the
        check makes the insert raise ``IntegrityError`` (the caller's transaction is then
        spoilt: :func:`post_rules` owns one and answers ``StaleRulesVersion``)."""
        if isinstance(base_version, bool) or not isinstance(base_version, int) \
                or base_version < NO_VERSION:
            raise InvalidValue("base_version", f"must be a version number >= 0 (0: the "
                               f"tenant's first rules), got {base_version!r}",
                               code="OUT_OF_RANGE")
        found = non_finite_path(dict(body))
        if found is not None:  # a policy would store it as null, or judge with it
            raise InvalidValue(found[0] or "body", f"must be a finite number, got "
                               f"{found[1]}; JSON has no NaN or infinity",
                               code=NUMBER_NOT_FINITE)
        content = {name: value for name, value in body.items() if name != "note"}
        note = note if note is not None else body.get("note")
        version = base_version + 1
        rules = rules_from_mapping(content, version=version, created_at=now,
                                   created_by=created_by, note=note)
        current = self.rows.latest_version() or NO_VERSION
        if current != base_version:
            raise StaleRulesVersion(base_version, current)
        self.rows.add(StoredRuleSet(version=version, created_at=now, created_by=created_by,
                                    note=note, body=content))
        return rules


def post_rules(database: Database, tenant_id: str, body: Mapping[str, Any], *,
               base_version: int, created_by: str, now: datetime,
               note: str | None = None) -> RuleSet:
    """Store ``body`` as the tenant's next version in a transaction of its own (what
    ``POST /v1/rules`` and ``visitproof rules set`` do): :meth:`RuleBook.add`, with a lost
    race for the version number answered as :class:`StaleRulesVersion` naming the winner's
    version."""
    try:
        with database.begin() as connection:
            return RuleBook(connection, tenant_id).add(
                body, base_version=base_version, created_by=created_by, now=now, note=note)
    except IntegrityError:
        with database.connect() as connection:
            current = RuleBook(connection, tenant_id).latest_version() or NO_VERSION
        if current == base_version:  # no newer version: another constraint failed
            raise
        raise StaleRulesVersion(base_version, current) from None


def _parsed(stored: StoredRuleSet) -> RuleSet:
    return rules_from_mapping(stored.body, version=stored.version,
                              created_at=stored.created_at, created_by=stored.created_by,
                              note=stored.note)

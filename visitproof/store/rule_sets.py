"""Reading and adding a tenant's rule sets (:mod:`visitproof.rules`), and storing
verifications stamped with the rule set that judged them.

    with database.begin() as connection:
        rules = RuleSets(connection, "acme").add(body, created_by="d1", now=utc_now())

Rule sets are insert-only: :meth:`RuleSets.add` writes version n + 1 and nothing here
updates or deletes a row, so the rules behind any stored verdict can always be read back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from visitproof.records import CheckinStatus, Verification
from visitproof.rules import RuleSet, rules_from_mapping
from visitproof.store import rows, tables


@dataclass(frozen=True, slots=True)
class RuleSetSummary:
    """One stored version, without its body (for listings)."""

    version: int
    created_at: datetime
    created_by: str
    note: str | None


class RuleSets:
    """The rule sets of one tenant over one open connection (the caller owns the
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

    def get(self, version: int) -> RuleSet | None:
        t = tables.rule_sets.c
        row = self.connection.execute(sa.select(tables.rule_sets).where(
            t.tenant_id == self.tenant_id, t.version == version)).mappings().first()
        if row is None:
            return None
        return rules_from_mapping(row["body"], version=row["version"],
                                  created_at=row["created_at"], created_by=row["created_by"],
                                  note=row["note"])

    def current(self) -> RuleSet | None:
        latest = self.latest_version()
        return None if latest is None else self.get(latest)

    def versions(self) -> list[RuleSetSummary]:
        """Every version, oldest first."""
        t = tables.rule_sets.c
        return [RuleSetSummary(version=row.version, created_at=row.created_at,
                               created_by=row.created_by, note=row.note)
                for row in self.connection.execute(
                    sa.select(t.version, t.created_at, t.created_by, t.note)
                    .where(t.tenant_id == self.tenant_id).order_by(t.version))]

    def add(self, body: Mapping[str, Any], *, created_by: str, now: datetime,
            note: str | None = None) -> RuleSet:
        """Validate ``body`` and store it as the next version (``InvalidValue`` on a bad
        body, nothing stored). Two directors saving at once: the second insert hits the
        primary key and raises ``IntegrityError``; the caller retries."""
        content = {name: value for name, value in body.items() if name != "note"}
        note = note if note is not None else body.get("note")
        version = (self.latest_version() or 0) + 1
        rules = rules_from_mapping(content, version=version, created_at=now,
                                   created_by=created_by, note=note)
        self.connection.execute(sa.insert(tables.rule_sets), [{
            "tenant_id": self.tenant_id, "version": version, "created_at": now,
            "created_by": created_by, "note": note, "body": content}])
        return rules

    def add_verifications(self, verifications: Iterable[Verification],
                          rules_version: int | None, *,
                          update_status: tuple[UUID, CheckinStatus] | None = None) -> None:
        """Append verifications (history is kept), each stamped with ``rules_version``
        (None: judged without a rule set); optionally move one check-in's status."""
        batch = [{**rows.verification_row(self.tenant_id, v), "rules_version": rules_version}
                 for v in verifications]
        if batch:
            self.connection.execute(sa.insert(tables.verifications), batch)
        if update_status is not None:
            checkin_id, status = update_status
            c = tables.checkins.c
            self.connection.execute(
                sa.update(tables.checkins).where(c.tenant_id == self.tenant_id,
                                                 c.id == checkin_id)
                .values(status=status.value))


def rep_region(connection: Connection, tenant_id: str, rep_id: str) -> str | None:
    """The region of the rep's team (``teams.region``): what featured rules key on. None
    for a rep without team or a team without region."""
    r, t = tables.reps.c, tables.teams.c
    region: str | None = connection.execute(
        sa.select(t.region).select_from(tables.reps.join(
            tables.teams, sa.and_(t.tenant_id == r.tenant_id, t.id == r.team_id)))
        .where(r.tenant_id == tenant_id, r.id == rep_id)).scalar_one_or_none()
    return region

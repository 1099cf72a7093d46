"""The check-ins of one tenant with everything stored beside them: their verifications
(appended, never overwritten), the fingerprint of the upload that created each, and the
perceptual-hash index of their photos.

``add`` inserts and fails on a duplicate id (IntegrityError), which is what idempotent
upload handling needs to see. :meth:`Checkins.add_verifications` is the one writer of the
``verifications`` table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from visitproof.records import Checkin, CheckinStatus, StoredFix, Verification
from visitproof.store import rows, tables
from visitproof.store.queries import Page, TenantScope, Where, chunks


@dataclass(frozen=True, slots=True)
class UploadFingerprint:
    """The fingerprint of the upload that created a stored check-in (``fingerprint`` None:
    it came from an import or the simulator, not the upload endpoint)."""

    checkin_id: UUID
    fingerprint: str | None


@dataclass(frozen=True, slots=True)
class HashedPhoto:
    """A check-in whose photo has a perceptual hash: what the near-duplicate index needs.
    ``phash`` is the unsigned 64-bit hash; ``submitted_at`` the server clock (UTC)."""

    checkin_id: str
    customer_id: str
    submitted_at: datetime
    phash: int
    status: CheckinStatus


class Checkins(TenantScope):
    """Check-ins, their verifications, upload fingerprints and photo hashes of one tenant."""

    # -- writing -------------------------------------------------------------------------

    def add(self, checkin: Checkin) -> None:
        """Insert a check-in and its verifications. Raises IntegrityError on a known id."""
        self.add_many([checkin])

    def add_many(self, checkins: Sequence[Checkin]) -> int:
        """Bulk insert (the simulator, imports); same rules as :meth:`add`."""
        for checkin in checkins:
            self._require_own(checkin.tenant_id)
        for chunk in chunks(list(checkins), 2000):
            self.connection.execute(sa.insert(tables.checkins),
                                    [rows.checkin_row(c) for c in chunk])
            self.add_verifications(v for c in chunk for v in c.verifications)
        return len(checkins)

    def add_verifications(self, verifications: Iterable[Verification], *,
                          update_status: tuple[UUID, CheckinStatus] | None = None) -> None:
        """Append verifications (history is kept), each with its own ``rules_version``;
        optionally move one check-in's status."""
        batch = [rows.verification_row(self.tenant_id, v) for v in verifications]
        if batch:
            self.connection.execute(sa.insert(tables.verifications), batch)
        if update_status is not None:
            checkin_id, status = update_status
            c = tables.checkins.c
            self.connection.execute(
                sa.update(tables.checkins).where(c.tenant_id == self.tenant_id,
                                                 c.id == checkin_id)
                .values(status=status.value))

    def decide(self, verification: Verification, *, expected: CheckinStatus) -> bool:
        """Append ``verification`` and move its check-in's status to the verification's,
        only if the stored status is still ``expected``; False (nothing written) when it is
        not. The status moves first, by one conditional UPDATE, so of two transactions
        deciding the same check-in at once exactly one sees its row change (the other
        waits for the write lock, then finds the status moved): a person's decision on a
        ``needs_review`` check-in (:mod:`application.review`) is made once."""
        c = tables.checkins.c
        moved = self.connection.execute(
            sa.update(tables.checkins)
            .where(c.tenant_id == self.tenant_id, c.id == verification.checkin_id,
                   c.status == expected.value)
            .values(status=verification.status.value))
        if moved.rowcount != 1:
            return False
        self.add_verifications([verification])
        return True

    def set_upload_fingerprint(self, checkin_id: UUID, fingerprint: str) -> None:
        """Record the fingerprint of the upload that created ``checkin_id``."""
        c = tables.checkins.c
        self.connection.execute(
            sa.update(tables.checkins).where(c.tenant_id == self.tenant_id, c.id == checkin_id)
            .values(upload_fingerprint=fingerprint))

    # -- reading -------------------------------------------------------------------------

    def get(self, checkin_id: UUID) -> Checkin | None:
        """One check-in with every verification it ever had, or None."""
        found = self.find(ids=[checkin_id])
        return found[0] if found else None

    def find(self, *, ids: Sequence[UUID] | None = None,
             rep_ids: Sequence[str] | None = None, customer_id: str | None = None,
             status: CheckinStatus | None = None, departed_from: datetime | None = None,
             departed_until: datetime | None = None, limit: int | None = None,
             offset: int = 0) -> list[Checkin]:
        """Check-ins of this tenant, oldest departure first. ``rep_ids`` None means every
        rep (an empty sequence matches nothing); ``departed_until`` is exclusive. Each
        carries every verification it ever had, oldest first."""
        c = tables.checkins.c
        where = self._filter(rep_ids=rep_ids, customer_id=customer_id, status=status,
                             departed_from=departed_from, departed_until=departed_until)
        found = self._listed([tables.checkins], tables.checkins, where.among(c.id, ids),
                             [c.departed_at, c.id], limit=limit, offset=offset)
        return self._with_verifications(found)

    def page(self, *, rep_ids: Sequence[str] | None = None, customer_id: str | None = None,
             status: CheckinStatus | None = None, departed_from: datetime | None = None,
             departed_until: datetime | None = None, limit: int = 100,
             offset: int = 0, oldest_first: bool = False,
             reason_code: str | None = None) -> Page[Checkin]:
        """One page of check-ins, newest submission first (the server's ``submitted_at``,
        then id; ``oldest_first``: oldest submission first, then id, as a queue is worked),
        and the number matching in all; the filters as in :meth:`find`. Not by the phone's
        own times: a check-in claiming to depart in year 9999 (a broken or tampered clock,
        stored as rejected) would head every list forever. ``reason_code``: only check-ins
        whose verdict lists that reason (:meth:`_has_reason`)."""
        c = tables.checkins.c
        where = self._filter(rep_ids=rep_ids, customer_id=customer_id, status=status,
                             departed_from=departed_from, departed_until=departed_until)
        if reason_code is not None:
            where.also(self._has_reason(reason_code))
        order = [c.submitted_at, c.id] if oldest_first else [c.submitted_at.desc(), c.id]
        found, count = self._counted([c.id], tables.checkins, where, order, limit=limit,
                                     offset=offset)
        return Page(items=tuple(self.in_order([row["id"] for row in found])), count=count)

    def departure_span(self, until: datetime) -> tuple[datetime, datetime] | None:
        """The first and the latest departure at or before ``until`` (UTC), or None when
        there is none: where the data lies, for a page's default period. Departures after
        ``until`` (a phone clock in year 9999) are left out."""
        c = tables.checkins.c
        row = self.connection.execute(
            sa.select(sa.func.min(c.departed_at), sa.func.max(c.departed_at))
            .where(c.tenant_id == self.tenant_id, c.departed_at <= until)).first()
        if row is None or row[1] is None:
            return None
        return row[0], row[1]

    def checks_by_checkin(self, *, rep_ids: Sequence[str] | None = None,
                          status: CheckinStatus | None = None
                          ) -> dict[UUID, tuple[Verification, ...]]:
        """Every verification, oldest first, of each check-in matching the filters (as in
        :meth:`find`), without ``details`` (a shelf verdict's detections weigh far more
        than its reasons): what a verdict's status and reasons need, for a whole queue at
        once. A matching check-in without verifications is absent."""
        c, v = tables.checkins.c, tables.verifications.c
        where = self._filter(rep_ids=rep_ids, customer_id=None, status=status,
                             departed_from=None, departed_until=None)
        grouped: dict[UUID, list[Verification]] = defaultdict(list)
        for row in self.connection.execute(
                sa.select(v.checkin_id, v.checker, v.status, v.reasons, v.model_version,
                          v.policy_version, v.verified_at, v.rules_version)
                .join(tables.checkins, sa.and_(c.tenant_id == v.tenant_id,
                                               c.id == v.checkin_id))
                .where(*where.conditions).order_by(v.id)).mappings():
            grouped[row["checkin_id"]].append(rows.verification_from({**row, "details": {}}))
        return {checkin_id: tuple(found) for checkin_id, found in grouped.items()}

    def in_order(self, ids: Sequence[UUID]) -> list[Checkin]:
        """The check-ins ``ids``, in that order (each id must be stored)."""
        by_id = {checkin.id: checkin for checkin in self.find(ids=ids)} if ids else {}
        return [by_id[checkin_id] for checkin_id in ids]

    def with_photo(self, photo_sha256: str) -> list[Checkin]:
        """Every check-in whose photo is ``photo_sha256``, oldest departure first."""
        c = tables.checkins.c
        found = self.connection.execute(
            sa.select(c.id).where(c.tenant_id == self.tenant_id,
                                  c.photo_sha256 == photo_sha256)).scalars()
        return self.find(ids=list(found))

    def fix_history(self, *, rep_id: str, departed_from: datetime, departed_until: datetime,
                    submitted_until: datetime, excluding: UUID) -> list[StoredFix]:
        """The fixes of ``rep_id``'s check-ins that departed in [from, until) and were
        received by ``submitted_until``, other than ``excluding``, oldest departure first:
        the fix check's history, without the verifications' details (a shelf verdict's
        detections weigh far more than a fix)."""
        c, v = tables.checkins.c, tables.verifications.c
        found = list(self.connection.execute(
            sa.select(c.id, c.fix_lat, c.fix_lon, c.fix_accuracy_m, c.fix_time, c.fix_provider,
                      c.fix_is_mock, c.status)
            .where(c.tenant_id == self.tenant_id, c.rep_id == rep_id,
                   c.departed_at >= departed_from, c.departed_at < departed_until,
                   c.submitted_at <= submitted_until, c.id != excluding)
            .order_by(c.departed_at, c.id)).mappings())
        latest: dict[UUID, tuple[str, ...]] = {}
        for chunk in chunks([row["id"] for row in found], 500):
            for checkin_id, reasons in self.connection.execute(
                    sa.select(v.checkin_id, v.reasons)
                    .where(v.tenant_id == self.tenant_id, v.checker == "fix",
                           v.checkin_id.in_(chunk))
                    .order_by(v.id)):
                latest[checkin_id] = tuple(str(r["code"]) for r in reasons)
        return [StoredFix(checkin_id=row["id"], fix=rows.fix_from(row), status=row["status"],
                          fix_reason_codes=latest.get(row["id"])) for row in found]

    def upload_fingerprint(self, checkin_id: UUID) -> UploadFingerprint | None:
        """The fingerprint of the upload that created ``checkin_id`` (None: no such
        check-in)."""
        c = tables.checkins.c
        row = self.connection.execute(
            sa.select(c.upload_fingerprint).where(c.tenant_id == self.tenant_id,
                                                  c.id == checkin_id)).first()
        return None if row is None else UploadFingerprint(checkin_id=checkin_id,
                                                          fingerprint=row.upload_fingerprint)

    def hashed_photos(self, submitted_from: datetime | None = None) -> list[HashedPhoto]:
        """Every check-in whose photo has a perceptual hash, submitted at or after
        ``submitted_from`` if given, oldest submission first."""
        c = tables.checkins.c
        where = (Where(tables.checkins, self.tenant_id).present(c.photo_phash, True)
                 .within(c.submitted_at, submitted_from, None))
        found = self.connection.execute(
            sa.select(c.id, c.customer_id, c.submitted_at, c.photo_phash, c.status)
            .where(*where.conditions).order_by(c.submitted_at, c.id))
        return [HashedPhoto(checkin_id=str(row.id), customer_id=row.customer_id,
                            submitted_at=row.submitted_at,
                            phash=row.photo_phash & ((1 << 64) - 1),
                            status=CheckinStatus(row.status))
                for row in found]

    # -- internals -----------------------------------------------------------------------

    def _filter(self, *, rep_ids: Sequence[str] | None, customer_id: str | None,
                status: CheckinStatus | None, departed_from: datetime | None,
                departed_until: datetime | None) -> Where:
        """The filters :meth:`find` and :meth:`page` share."""
        c = tables.checkins.c
        return (self._where(tables.checkins).among(c.rep_id, rep_ids)
                .equals(c.customer_id, customer_id).equals(c.status, status)
                .within(c.departed_at, departed_from, departed_until))

    def _has_reason(self, code: str) -> sa.ColumnElement[bool]:
        """A check-in's verdict lists reason ``code`` (the rule of
        :mod:`visitproof.verdicts`, in SQL): a reason of some checker's latest verification,
        or ``UNSPECIFIED`` for a latest verification that is not verified and gives no
        reason, or ``NOT_YET_JUDGED`` for a check-in with no verification that is not
        verified. SQLite's JSON functions read the stored reasons; each check-in costs a
        look at its own few verifications (the ``tenant_id, checkin_id`` index)."""
        c = tables.checkins.c
        v = tables.verifications.alias("v")
        newer = tables.verifications.alias("newer")
        latest = (v.c.tenant_id == c.tenant_id) & (v.c.checkin_id == c.id) & ~sa.exists(
            sa.select(newer.c.id).where(newer.c.tenant_id == v.c.tenant_id,
                                        newer.c.checkin_id == v.c.checkin_id,
                                        newer.c.checker == v.c.checker, newer.c.id > v.c.id))
        reasons = sa.func.json_each(v.c.reasons).table_valued("value").alias("reason")
        listed = sa.exists(
            sa.select(v.c.id).select_from(v.join(reasons, sa.true()))
            .where(latest, sa.func.json_extract(reasons.c.value, "$.code") == code))
        if code == "UNSPECIFIED":
            return listed | sa.exists(
                sa.select(v.c.id).where(latest, v.c.status != CheckinStatus.VERIFIED.value,
                                        sa.func.json_array_length(v.c.reasons) == 0))
        if code == "NOT_YET_JUDGED":
            nothing = ~sa.exists(sa.select(v.c.id).where(v.c.tenant_id == c.tenant_id,
                                                         v.c.checkin_id == c.id))
            return listed | (nothing & (c.status != CheckinStatus.VERIFIED.value))
        return listed

    def _with_verifications(self, found: list[RowMapping]) -> list[Checkin]:
        v = tables.verifications.c
        grouped: dict[UUID, list[Verification]] = defaultdict(list)
        for chunk in chunks([row["id"] for row in found], 500):
            for row in self.connection.execute(
                sa.select(tables.verifications)
                .where(v.tenant_id == self.tenant_id, v.checkin_id.in_(chunk))
                .order_by(v.id)
            ).mappings():
                grouped[row["checkin_id"]].append(rows.verification_from(row))
        return [rows.checkin_from(row, tuple(grouped.get(row["id"], ()))) for row in found]

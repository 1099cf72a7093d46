"""The evidence archive on disk: a watermarked copy and a signed manifest per check-in.

    archive = EvidenceArchive.of(settings)
    archive.record(database, checkin)       # after an upload, a re-verification, a review

Files, one folder per check-in beside the photo store::

    DATA_DIR/archive/<first 2 of id>/<id>/watermarked.jpg   the photo with the watermark
    DATA_DIR/archive/<first 2 of id>/<id>/manifest.jsonl    one signed entry per line
    DATA_DIR/archive/public-keys.json                       the keys that verify them

The stored original stays byte for byte in the photo store. A check-in whose photo is not
in the store when it is first archived (the simulator's history keeps photos for its last
days only) gets a capture entry with ``photo_stored: false`` and no watermarked copy: its
fix, times and verdicts are still bound. :meth:`EvidenceArchive.record`
writes what is missing: the watermarked copy and entry 0 (``capture``) on first sight, then
one entry per stored verification not yet in the chain (``verification``; ``review`` for a
manager's decision), so calling it again is harmless and later verdicts extend the record.
It holds an exclusive ``fcntl`` lock on the folder's ``.lock`` file while it reads the chain
and appends, so two processes recording one check-in keep one chain; each line is written
whole (the entries of one call with one ``write``) and fsynced.

Archiving never loses an upload: the hooks (:meth:`EvidenceArchive.record_quietly`) log a
failure and go on; ``visitproof verify-archive`` then reports the entry or the archive
missing. Without a signing key (``visitproof init`` creates it) nothing is archived.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from application.signing_keys import SigningKeys
from vision.watermark import WatermarkFacts, watermark_lines, watermarked_jpeg
from visitproof.evidence import (
    GENESIS,
    EntryKind,
    capture_payload,
    parse_line,
    sha256_hex,
    sign_entry,
    verification_key,
    verification_payload,
)
from visitproof.records import Checkin
from visitproof.store import Checkins, Database, PhotoStore, ReferenceData
from visitproof.values import utc_now
from visitproof.verdicts import REVIEW_CHECKER

if TYPE_CHECKING:
    from application.settings import Settings

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
WATERMARKED = "watermarked.jpg"


class EvidenceArchive:
    """The archive under ``root``, signing with ``keys``, reading originals from ``photos``."""

    def __init__(self, root: Path, keys: SigningKeys, photos: PhotoStore) -> None:
        self.root = root
        self.keys = keys
        self.photos = photos
        self._warned = False
        self._zones: dict[str, str] = {}

    @classmethod
    def of(cls, settings: Settings) -> EvidenceArchive:
        return cls(settings.archive_dir, SigningKeys(settings.signing_key_path),
                   PhotoStore(settings.photos_dir))

    def folder(self, checkin_id: object) -> Path:
        text = str(checkin_id)
        return self.root / text[:2] / text

    def manifest_path(self, checkin_id: object) -> Path:
        return self.folder(checkin_id) / MANIFEST

    def watermarked_path(self, checkin_id: object) -> Path:
        return self.folder(checkin_id) / WATERMARKED

    def lines(self, checkin_id: object) -> list[bytes]:
        """The manifest's lines (empty when there is none)."""
        return read_lines(self.manifest_path(checkin_id))

    def manifest_sha256(self, checkin_id: object) -> str | None:
        """The SHA-256 of the manifest file as it is now (None: not archived)."""
        path = self.manifest_path(checkin_id)
        return sha256_hex(path.read_bytes()) if path.is_file() else None

    def record(self, database: Database, checkin: Checkin, *,
               now: datetime | None = None, sync: bool = True) -> int:
        """Write what the archive lacks of ``checkin`` (as stored, with its verifications):
        the capture entry and watermarked copy, then each missing verification. Returns the
        number of entries appended. ``sync`` False: no fsync per file (a batch syncs once
        at its end, :func:`backfill`)."""
        key = self.keys.private_key()
        folder = self.folder(checkin.id)
        with _locked(folder):
            path = folder / MANIFEST
            lines = read_lines(path)
            entries = [parse_line(line) for line in lines]
            appended = []
            now = now or utc_now()
            if not entries:
                text = watermark_lines(_facts(checkin, self._timezone(database, checkin)))
                digest = None  # no photo stored (a simulated check-in): no copy to bind
                if self.photos.exists(checkin.photo_sha256):
                    copy = watermarked_jpeg(self.photos.get(checkin.photo_sha256), text)
                    _write_atomic(folder / WATERMARKED, copy, sync=sync)
                    digest = sha256_hex(copy)
                appended.append((EntryKind.CAPTURE, capture_payload(
                    checkin, watermarked_sha256=digest, watermark=text)))
            recorded = {verification_key(e.payload) for e in entries
                        if e.kind is not EntryKind.CAPTURE}
            for verification in checkin.verifications:
                payload = verification_payload(verification)
                if verification_key(payload) in recorded:
                    continue
                recorded.add(verification_key(payload))
                kind = EntryKind.REVIEW if verification.checker == REVIEW_CHECKER \
                    else EntryKind.VERIFICATION
                appended.append((kind, payload))
            prev = sha256_hex(lines[-1]) if lines else GENESIS
            new_lines = []
            for seq, (kind, payload) in enumerate(appended, start=len(lines)):
                line = sign_entry(key, seq=seq, kind=kind, at=now, payload=payload,
                                  prev=prev).line()
                new_lines.append(line + b"\n")
                prev = sha256_hex(line)
            if new_lines:
                _append(path, b"".join(new_lines), sync=sync)
        if appended and not (self.root / "public-keys.json").is_file():
            self.keys.publish(self.root)
        return len(appended)

    def _timezone(self, database: Database, checkin: Checkin) -> str:
        """The tenant's time zone (the watermark's local time), read once per tenant."""
        zone = self._zones.get(checkin.tenant_id)
        if zone is None:
            with database.connect() as connection:
                tenant = ReferenceData(connection, checkin.tenant_id).tenant()
            zone = tenant.timezone if tenant is not None else "UTC"
            self._zones[checkin.tenant_id] = zone
        return zone

    def record_quietly(self, database: Database, checkin: Checkin) -> None:
        """:meth:`record`, logging instead of raising (the hooks: an upload or a decision
        must not fail because its archive could not be written)."""
        if not self.keys.exists():
            if self._warned:
                return
            self._warned = True
            log.warning("no signing key at %s: check-in %s not archived (run `visitproof "
                        "init`); nothing is archived until one exists", self.keys.path, checkin.id)
            return
        try:
            self.record(database, checkin)
        except Exception:  # archive problems are logged, never the caller's failure
            log.exception("check-in %s: the evidence archive could not be written",
                          checkin.id)


def record_verifications(archive: EvidenceArchive | None, database: Database,
                         checkins: Sequence[Checkin]) -> None:
    """Archive the stored verifications of ``checkins`` (each as stored, with every
    verification; what the chain has is skipped). For re-verification: call it with the
    check-ins as re-read after their new verifications were committed."""
    if archive is None:
        return
    for checkin in checkins:
        archive.record_quietly(database, checkin)


def backfill(archive: EvidenceArchive, database: Database, tenant_id: str, *,
             batch: int = 500) -> tuple[int, int]:
    """Archive every stored check-in of ``tenant_id`` (the simulator's history, check-ins
    from before the archive); returns (check-ins seen, entries appended)."""
    seen = appended = 0
    offset = 0
    while True:
        with database.connect() as connection:
            page = Checkins(connection, tenant_id).page(rep_ids=None, limit=batch,
                                                        offset=offset, oldest_first=True)
        if not page.items:
            os.sync()  # one flush for the whole batch instead of one fsync per file
            return seen, appended
        for checkin in page.items:
            appended += archive.record(database, checkin, sync=False)
        seen += len(page.items)
        offset += len(page.items)


def read_lines(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return [line for line in data.split(b"\n") if line]


def _facts(checkin: Checkin, timezone: str) -> WatermarkFacts:
    local = checkin.photo_captured_at.astimezone(ZoneInfo(timezone))
    offset = local.strftime("%z")
    return WatermarkFacts(local_time=f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]} "
                          f"({timezone})", lat=checkin.fix.lat, lon=checkin.fix.lon,
                          accuracy_m=checkin.fix.accuracy_m, customer_id=checkin.customer_id,
                          rep_id=checkin.rep_id, checkin_id=str(checkin.id))




@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _append(path: Path, data: bytes, *, sync: bool) -> None:
    """``data`` (whole lines) appended with one write, then fsynced."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        written = os.write(descriptor, data)
        if written != len(data):  # pragma: no cover - a full disk
            raise OSError(f"{path}: wrote {written} of {len(data)} bytes")
        if sync:
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_atomic(path: Path, data: bytes, *, sync: bool) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        if sync:
            os.fsync(file.fileno())
    os.replace(temporary, path)

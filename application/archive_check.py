"""``visitproof verify-archive``: do photo, watermark, manifest and store agree?

    report = check_stored(archive, database, tenant_id, checkin_id)
    report = check_folder(path, public_keys)     # an exported folder or a manifest.jsonl

A stored check-in is checked against everything: every entry's signature with its key, the
chain (``seq`` and ``prev``), the stored photo's SHA-256 against entry 0 (a changed byte or
a swapped file), the watermarked copy's SHA-256 against entry 0, the stored row's ids, fix
and four times against entry 0 (an edited time in the database), and each stored
verification present and unchanged in the chain. An exported folder (``manifest.jsonl``,
optionally ``watermarked.jpg``, the original as ``photo.jpg`` and ``public-keys.json``) or
a lone manifest is checked as far as its files go; the store's checks are then "skipped".

A report is a list of checks, each OK, FAIL (with :class:`~visitproof.evidence.Finding`\\ s)
or SKIPPED; it agrees when nothing failed. A removed *last* line leaves a valid chain: with
the store it shows as a stored verification missing from the manifest, without it only
the manifest's SHA-256 (exported beside the check-in, ``manifest_sha256``) tells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from application.evidence_archive import MANIFEST, WATERMARKED, EvidenceArchive, read_lines
from application.signing_keys import PUBLIC_KEYS, read_public_keys
from visitproof.errors import InvalidInput, NotFound
from visitproof.evidence import (
    ArchiveCode,
    EntryKind,
    Finding,
    ManifestEntry,
    chain_findings,
    record_findings,
    sha256_hex,
    verification_findings,
)
from visitproof.store import Checkins, Database

CHECKS = ("manifest", "signatures", "chain", "photo", "watermark", "record", "verifications")
ORIGINAL = "photo.jpg"


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the report: ``status`` is ``OK``, ``FAIL`` or ``SKIPPED``."""

    name: str
    status: str
    findings: tuple[Finding, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    """What verify-archive found for one check-in (``target``: its id or the file)."""

    target: str
    checks: tuple[Check, ...]
    entries: int = 0
    manifest_sha256: str | None = None
    codes: tuple[str, ...] = field(default=())

    @property
    def agrees(self) -> bool:
        return all(check.status != "FAIL" for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {"target": self.target, "agrees": self.agrees, "entries": self.entries,
                "manifest_sha256": self.manifest_sha256, "codes": list(self.codes),
                "checks": [{"name": c.name, "status": c.status, "note": c.note,
                            "findings": [{"code": f.code.value, "detail": f.detail}
                                         for f in c.findings]} for c in self.checks]}


def check_stored(archive: EvidenceArchive, database: Database, tenant_id: str,
                 checkin_id: UUID) -> ArchiveReport:
    """Check the archive of stored check-in ``checkin_id`` against the store
    (:class:`NotFound` when the tenant has no such check-in)."""
    with database.connect() as connection:
        checkin = Checkins(connection, tenant_id).get(checkin_id)
    if checkin is None:
        raise NotFound(f"no check-in {checkin_id} in tenant {tenant_id}")
    lines = archive.lines(checkin_id)
    keys = {**read_public_keys(archive.root / PUBLIC_KEYS), **archive.keys.public_keys()}
    photo = archive.photos.path_for(checkin.photo_sha256)
    found = _findings(lines, keys, photo=photo if photo.exists() else None,
                      photo_expected=True,
                      watermarked=archive.watermarked_path(checkin_id))
    entries, findings = found
    skipped = _photo_less(entries)
    if entries and entries[0].kind is EntryKind.CAPTURE:
        findings += record_findings(entries[0], checkin)
        findings += verification_findings(entries, checkin.verifications)
    elif not lines:
        skipped |= {"record", "verifications"}
    return _report(str(checkin_id), lines, entries, findings, skipped,
                   archive.manifest_sha256(checkin_id))


def check_folder(path: Path, public_keys: Mapping[str, Ed25519PublicKey] | None = None,
                 ) -> ArchiveReport:
    """Check an exported folder or a ``manifest.jsonl`` on its own with ``public_keys``
    (the store's checks are skipped; :class:`InvalidInput` ``FILE_UNREADABLE`` when
    ``path`` can't be read). A ``public-keys.json`` inside the folder is not trusted: who
    could edit the manifest could add their key there too."""
    manifest = path / MANIFEST if path.is_dir() else path
    try:
        data = manifest.read_bytes()
    except OSError as error:
        raise InvalidInput(f"can't read {manifest}: {error.strerror or error}; give a "
                           "check-in id, an exported folder or its manifest.jsonl",
                           code="FILE_UNREADABLE") from error
    lines = [line for line in data.split(b"\n") if line]
    keys = dict(public_keys or {})
    original = manifest.parent / ORIGINAL
    watermarked = manifest.parent / WATERMARKED
    entries, findings = _findings(
        lines, keys, photo=original if original.is_file() else None, photo_expected=False,
        watermarked=watermarked if watermarked.is_file() else None)
    skipped = {"record", "verifications", *_photo_less(entries)}
    if not original.is_file():
        skipped.add("photo")
    if not watermarked.is_file():
        skipped.add("watermark")
    return _report(str(path), lines, entries, findings, skipped, sha256_hex(data))


def _photo_less(entries: Sequence[ManifestEntry]) -> set[str]:
    """The checks with nothing to compare when the capture recorded no stored photo."""
    if entries and entries[0].kind is EntryKind.CAPTURE \
            and entries[0].payload.get("photo_stored") is False:
        return {"photo", "watermark"}
    return set()


def _findings(lines: Sequence[bytes], keys: Mapping[str, Ed25519PublicKey], *,
              photo: Path | None, photo_expected: bool, watermarked: Path | None,
              ) -> tuple[list[ManifestEntry], list[Finding]]:
    if not lines:
        return [], [Finding(ArchiveCode.ARCHIVE_MISSING, "manifest",
                            "no manifest (or an empty one) for this check-in")]
    entries, findings = chain_findings(lines, keys)
    capture = entries[0].payload if entries and entries[0].kind is EntryKind.CAPTURE else None
    if capture is None or capture.get("photo_stored") is False:
        return entries, findings  # no photo was stored when it was archived
    if photo is not None:
        digest = sha256_hex(photo.read_bytes())
        if digest != capture.get("photo_sha256"):
            findings.append(Finding(ArchiveCode.ARCHIVE_PHOTO_CHANGED, "photo",
                                    f"the stored photo's SHA-256 is {digest}, entry 0 binds "
                                    f"{capture.get('photo_sha256')}"))
    elif photo_expected:
        findings.append(Finding(ArchiveCode.ARCHIVE_PHOTO_CHANGED, "photo",
                                "the original photo is not in the photo store"))
    if watermarked is not None:
        if not watermarked.is_file():
            findings.append(Finding(ArchiveCode.ARCHIVE_MISSING, "watermark",
                                    "the watermarked copy is missing"))
        else:
            digest = sha256_hex(watermarked.read_bytes())
            if digest != capture.get("watermarked_sha256"):
                findings.append(Finding(ArchiveCode.ARCHIVE_WATERMARK_CHANGED, "watermark",
                                        f"the watermarked copy's SHA-256 is {digest}, entry 0 "
                                        f"binds {capture.get('watermarked_sha256')}"))
    return entries, findings


def _report(target: str, lines: Sequence[bytes], entries: Sequence[ManifestEntry],
            findings: Sequence[Finding], skipped: set[str],
            manifest_sha256: str | None) -> ArchiveReport:
    missing = not lines
    checks = []
    for name in CHECKS:
        mine = tuple(f for f in findings if f.check == name)
        if mine:
            checks.append(Check(name, "FAIL", mine))
        elif name in skipped or (missing and name != "manifest"):
            checks.append(Check(name, "SKIPPED", note="nothing to check against"))
        else:
            checks.append(Check(name, "OK"))
    codes = tuple(dict.fromkeys(f.code.value for f in findings))
    return ArchiveReport(target=target, checks=tuple(checks), entries=len(entries),
                         manifest_sha256=manifest_sha256, codes=codes)


def read_manifest(archive: EvidenceArchive, checkin_id: UUID) -> list[bytes]:
    """The manifest's lines for an export (empty: not archived)."""
    return read_lines(archive.manifest_path(checkin_id))

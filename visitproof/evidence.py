"""The evidence manifest of a check-in: signed entries, each chained to the one before.

    entry = sign_entry(key, seq=0, kind=EntryKind.CAPTURE, at=now, payload=..., prev=GENESIS)
    findings = chain_findings(lines, public_keys)

One check-in's manifest is a list of JSON lines. Entry 0 (``capture``) binds the stored
photo's SHA-256, the fix, the four times, customer, rep and check-in id, the watermarked
copy's SHA-256 and its watermark text; each later entry (``verification``, ``review``) carries
one verification as stored. Every line is the canonical JSON (keys sorted, no spaces, ASCII)
of ``{seq, kind, at, payload, prev, key_id, signature}``:

- ``prev`` is the SHA-256 (hex) of the previous line's bytes (without its newline);
  :data:`GENESIS` for entry 0. Appending a later verdict extends the chain; editing, removing
  or reordering a line breaks it.
- ``signature`` is the Ed25519 signature (base64) of the canonical JSON of the entry without
  ``signature``; ``key_id`` names the key (:func:`key_id`: the first 16 hex digits of the
  SHA-256 of the raw 32-byte public key), so entries signed before a key rotation still
  verify with the old public key.

Checking a manifest is a list of :class:`Finding` (empty: all agree); their codes,
:class:`ArchiveCode`, are stable like reason codes. Nothing here touches files.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from visitproof.records import Checkin, Verification
from visitproof.values import require_utc

GENESIS = "0" * 64
"""The ``prev`` of entry 0."""


class EntryKind(StrEnum):
    """What a manifest entry records."""

    CAPTURE = "capture"
    VERIFICATION = "verification"
    REVIEW = "review"


class ArchiveCode(StrEnum):
    """Why ``verify-archive`` found that photo, watermark, manifest and store disagree."""

    ARCHIVE_MISSING = "ARCHIVE_MISSING"
    """No archive for the check-in (no manifest, no capture entry or no watermarked copy)."""
    ARCHIVE_ENTRY_MISSING = "ARCHIVE_ENTRY_MISSING"
    """A verification stored for the check-in is not in its manifest."""
    ARCHIVE_SIGNATURE_INVALID = "ARCHIVE_SIGNATURE_INVALID"
    """An entry's signature does not verify with its key (the line was edited)."""
    ARCHIVE_UNKNOWN_KEY = "ARCHIVE_UNKNOWN_KEY"
    """An entry is signed by a key that is not among the known public keys."""
    ARCHIVE_CHAIN_BROKEN = "ARCHIVE_CHAIN_BROKEN"
    """A line is unreadable, out of sequence, or its ``prev`` is not the line before's."""
    ARCHIVE_PHOTO_CHANGED = "ARCHIVE_PHOTO_CHANGED"
    """The stored photo's bytes are not the ones entry 0 binds (changed or swapped)."""
    ARCHIVE_WATERMARK_CHANGED = "ARCHIVE_WATERMARK_CHANGED"
    """The watermarked copy's bytes are not the ones entry 0 binds."""
    ARCHIVE_RECORD_CHANGED = "ARCHIVE_RECORD_CHANGED"
    """The stored check-in (fix, times, ids, photo digest) or one of its verifications
    differs from what the manifest recorded."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement: its ``code``, the ``check`` that found it and what differs."""

    code: ArchiveCode
    check: str
    detail: str


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One signed line of a manifest (``at``: ISO 8601 UTC text, when it was written)."""

    seq: int
    kind: EntryKind
    at: str
    payload: Mapping[str, Any]
    prev: str
    key_id: str
    signature: str

    def unsigned(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind.value, "at": self.at,
                "payload": dict(self.payload), "prev": self.prev, "key_id": self.key_id}

    def line(self) -> bytes:
        """The line's bytes (canonical JSON, without the newline)."""
        return canonical_bytes({**self.unsigned(), "signature": self.signature})


class ManifestLineError(ValueError):
    """A manifest line that is not a well-formed entry (a finding, never a refusal)."""


def canonical_bytes(value: Any) -> bytes:
    """``value`` as canonical JSON: keys sorted, no whitespace, ASCII, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw 32-byte public key."""
    return sha256_hex(raw_public_key(public_key))[:16]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def sign_entry(private_key: Ed25519PrivateKey, *, seq: int, kind: EntryKind, at: datetime,
               payload: Mapping[str, Any], prev: str) -> ManifestEntry:
    """The entry ``seq`` of ``kind`` after the line whose SHA-256 is ``prev``, signed."""
    unsigned = ManifestEntry(seq=seq, kind=EntryKind(kind),
                             at=require_utc(at, "at").isoformat(), payload=dict(payload),
                             prev=prev, key_id=key_id(private_key.public_key()), signature="")
    signature = private_key.sign(canonical_bytes(unsigned.unsigned()))
    return ManifestEntry(seq=unsigned.seq, kind=unsigned.kind, at=unsigned.at,
                         payload=unsigned.payload, prev=prev, key_id=unsigned.key_id,
                         signature=base64.b64encode(signature).decode("ascii"))


def parse_line(line: bytes) -> ManifestEntry:
    """The entry on ``line`` (:class:`ManifestLineError` when it is not one)."""
    try:
        data = json.loads(line)
        entry = ManifestEntry(seq=data["seq"], kind=EntryKind(data["kind"]), at=data["at"],
                              payload=data["payload"], prev=data["prev"],
                              key_id=data["key_id"], signature=data["signature"])
    except (ValueError, KeyError, TypeError) as error:
        raise ManifestLineError(f"not a manifest entry: {error}") from error
    if not isinstance(entry.seq, int) or not isinstance(entry.payload, dict) or not all(
            isinstance(text, str) for text in (entry.at, entry.prev, entry.key_id,
                                               entry.signature)):
        raise ManifestLineError("not a manifest entry: a field of the wrong type")
    return entry


def signature_valid(entry: ManifestEntry, public_key: Ed25519PublicKey) -> bool:
    try:
        public_key.verify(base64.b64decode(entry.signature, validate=True),
                          canonical_bytes(entry.unsigned()))
    except (InvalidSignature, ValueError):
        return False
    return True


def chain_findings(lines: Sequence[bytes], public_keys: Mapping[str, Ed25519PublicKey],
                   ) -> tuple[list[ManifestEntry], list[Finding]]:
    """The readable entries of ``lines`` and what is wrong with the manifest as a chain:
    each signature with its key, each ``seq`` and ``prev``, entry 0 a capture."""
    entries: list[ManifestEntry] = []
    findings: list[Finding] = []
    prev = GENESIS
    for number, line in enumerate(lines):
        try:
            entry = parse_line(line)
        except ManifestLineError as error:
            findings.append(Finding(ArchiveCode.ARCHIVE_CHAIN_BROKEN, "chain",
                                    f"line {number + 1}: {error}"))
            prev = sha256_hex(line)
            continue
        key = public_keys.get(entry.key_id)
        if key is None:
            findings.append(Finding(ArchiveCode.ARCHIVE_UNKNOWN_KEY, "signatures",
                                    f"line {number + 1}: signed by unknown key "
                                    f"{entry.key_id!r}"))
        elif not signature_valid(entry, key):
            findings.append(Finding(ArchiveCode.ARCHIVE_SIGNATURE_INVALID, "signatures",
                                    f"line {number + 1}: the signature does not match the "
                                    f"entry (key {entry.key_id})"))
        if entry.seq != number or entry.prev != prev:
            findings.append(Finding(ArchiveCode.ARCHIVE_CHAIN_BROKEN, "chain",
                                    f"line {number + 1}: seq {entry.seq}, expected {number}"
                                    if entry.seq != number else
                                    f"line {number + 1}: prev is not the SHA-256 of line "
                                    f"{number}"))
        if number == 0 and entry.kind is not EntryKind.CAPTURE:
            findings.append(Finding(ArchiveCode.ARCHIVE_CHAIN_BROKEN, "chain",
                                    f"line 1 is a {entry.kind.value} entry, not the capture"))
        entries.append(entry)
        prev = sha256_hex(line)
    return entries, findings


# -- payloads ------------------------------------------------------------------------------


def capture_payload(checkin: Checkin, *, watermarked_sha256: str | None,
                    watermark: Sequence[str]) -> dict[str, Any]:
    """Entry 0's payload: what the store must still say of ``checkin``
    (:func:`record_payload`), the watermarked copy's digest and its text lines.
    ``watermarked_sha256`` None: the photo was not in the store when the check-in was
    archived (a simulated history), so there is no copy and ``photo_stored`` is false."""
    return {**record_payload(checkin), "watermarked_sha256": watermarked_sha256,
            "watermark": list(watermark), "photo_stored": watermarked_sha256 is not None}


def record_payload(checkin: Checkin) -> dict[str, Any]:
    """The stored facts entry 0 binds: ids, photo SHA-256, the fix, the four times (UTC)."""
    fix = checkin.fix
    return {
        "tenant_id": checkin.tenant_id, "checkin_id": str(checkin.id),
        "rep_id": checkin.rep_id, "customer_id": checkin.customer_id,
        "photo_sha256": checkin.photo_sha256,
        "fix": {"lat": fix.lat, "lon": fix.lon, "accuracy_m": fix.accuracy_m,
                "fix_time": _instant(fix.fix_time), "provider": fix.provider.value,
                "is_mock": fix.is_mock},
        "arrived_at": _instant(checkin.arrived_at),
        "departed_at": _instant(checkin.departed_at),
        "photo_captured_at": _instant(checkin.photo_captured_at),
        "submitted_at": _instant(checkin.submitted_at),
    }


def verification_payload(verification: Verification) -> dict[str, Any]:
    """A verification as stored: checker, status, reason codes, versions, ``verified_at``
    (UTC), the re-verification run if any, and the SHA-256 of its canonical details."""
    details = dict(verification.details)
    return {
        "checker": verification.checker, "status": verification.status.value,
        "reason_codes": [r.code for r in verification.reasons],
        "model_version": verification.model_version,
        "policy_version": verification.policy_version,
        "rules_version": verification.rules_version,
        "verified_at": _instant(verification.verified_at),
        "reverify_run": details.get("reverify_run"),
        "details_sha256": sha256_hex(canonical_bytes(_jsonable(details))),
    }


def verification_key(payload: Mapping[str, Any]) -> tuple[str, str]:
    """How a stored verification is matched to its entry: checker and ``verified_at``."""
    return str(payload.get("checker")), str(payload.get("verified_at"))


def record_findings(entry0: ManifestEntry, checkin: Checkin) -> list[Finding]:
    """Where the stored check-in no longer says what entry 0 recorded (one finding per
    differing field)."""
    recorded = entry0.payload
    findings = []
    for name, value in record_payload(checkin).items():
        if recorded.get(name) != value:
            findings.append(Finding(ArchiveCode.ARCHIVE_RECORD_CHANGED, "record",
                                    f"{name}: stored {value!r}, manifest "
                                    f"{recorded.get(name)!r}"))
    return findings


def verification_findings(entries: Iterable[ManifestEntry],
                          verifications: Iterable[Verification]) -> list[Finding]:
    """Stored verifications missing from the chain, or changed since they were recorded."""
    recorded = {verification_key(e.payload): e.payload for e in entries
                if e.kind is not EntryKind.CAPTURE}
    findings = []
    for verification in verifications:
        payload = verification_payload(verification)
        key = verification_key(payload)
        if key not in recorded:
            findings.append(Finding(ArchiveCode.ARCHIVE_ENTRY_MISSING, "verifications",
                                    f"{key[0]} verification of {key[1]} is not in the "
                                    "manifest"))
        elif dict(recorded[key]) != payload:
            findings.append(Finding(ArchiveCode.ARCHIVE_RECORD_CHANGED, "verifications",
                                    f"{key[0]} verification of {key[1]} differs from the "
                                    "manifest's"))
    return findings


def _instant(value: datetime) -> str:
    return require_utc(value, "time").isoformat()


def _jsonable(value: Any) -> Any:
    """``value`` with mappings and sequences as JSON types (details are stored as JSON)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value

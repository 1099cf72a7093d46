"""The manifest kernel: canonical lines, Ed25519 signatures, the chain, and its findings."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.builders import make_checkin, with_verdict
from visitproof.evidence import (
    GENESIS,
    ArchiveCode,
    EntryKind,
    canonical_bytes,
    capture_payload,
    chain_findings,
    key_id,
    parse_line,
    record_findings,
    sha256_hex,
    sign_entry,
    verification_findings,
    verification_payload,
)
from visitproof.records import CheckinStatus

AT = datetime(2026, 11, 3, 9, 45, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
KEYS = {key_id(KEY.public_key()): KEY.public_key(), key_id(OTHER.public_key()):
        OTHER.public_key()}


def chain(count: int = 3, key: Ed25519PrivateKey = KEY) -> list[bytes]:
    lines: list[bytes] = []
    prev = GENESIS
    for seq in range(count):
        kind = EntryKind.CAPTURE if seq == 0 else EntryKind.VERIFICATION
        line = sign_entry(key, seq=seq, kind=kind, at=AT, payload={"n": seq},
                          prev=prev).line()
        lines.append(line)
        prev = sha256_hex(line)
    return lines


def codes(lines: list[bytes]) -> set[str]:
    return {finding.code.value for finding in chain_findings(lines, KEYS)[1]}


def test_canonical_bytes_are_sorted_compact_ascii() -> None:
    assert canonical_bytes({"b": 1, "a": "é"}) == b'{"a":"\\u00e9","b":1}'
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_bytes({"x": float("nan")})


def test_key_id_is_16_hex_of_the_raw_public_key() -> None:
    name = key_id(KEY.public_key())
    assert len(name) == 16
    assert int(name, 16) >= 0
    assert name != key_id(OTHER.public_key())


def test_a_signed_chain_verifies_and_round_trips() -> None:
    lines = chain()
    entries, findings = chain_findings(lines, KEYS)
    assert findings == []
    assert [e.seq for e in entries] == [0, 1, 2]
    assert parse_line(lines[1]).line() == lines[1]
    assert entries[1].prev == sha256_hex(lines[0])
    assert entries[0].at == "2026-11-03T09:45:00+00:00"


def _edit(lines: list[bytes]) -> list[bytes]:
    entry = json.loads(lines[1])
    entry["payload"]["n"] = 99
    return [lines[0], canonical_bytes(entry), *lines[2:]]


def _resign_other(lines: list[bytes]) -> list[bytes]:
    stranger = Ed25519PrivateKey.generate()
    entry = parse_line(lines[1])
    forged = sign_entry(stranger, seq=1, kind=entry.kind, at=AT, payload=entry.payload,
                        prev=entry.prev).line()
    return [lines[0], forged, *lines[2:]]


TAMPERING: list[tuple[str, Callable[[list[bytes]], list[bytes]], set[str]]] = [
    ("edited line", _edit, {"ARCHIVE_SIGNATURE_INVALID", "ARCHIVE_CHAIN_BROKEN"}),
    ("removed line", lambda lines: [lines[0], lines[2]], {"ARCHIVE_CHAIN_BROKEN"}),
    ("reordered lines", lambda lines: [lines[0], lines[2], lines[1]],
     {"ARCHIVE_CHAIN_BROKEN"}),
    ("unknown key", _resign_other, {"ARCHIVE_UNKNOWN_KEY", "ARCHIVE_CHAIN_BROKEN"}),
    ("not JSON", lambda lines: [lines[0], b"{oops", lines[2]], {"ARCHIVE_CHAIN_BROKEN"}),
    ("capture removed", lambda lines: lines[1:], {"ARCHIVE_CHAIN_BROKEN"}),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in TAMPERING],
                         ids=[name for name, _, _ in TAMPERING])
def test_tampering_is_found(change: Callable[[list[bytes]], list[bytes]],
                            expected: set[str]) -> None:
    assert codes(change(chain())) == expected


def test_entries_of_a_rotated_key_verify_beside_the_new_ones() -> None:
    old = chain(2, KEY)
    newer = sign_entry(OTHER, seq=2, kind=EntryKind.REVIEW, at=AT, payload={},
                       prev=sha256_hex(old[-1])).line()
    assert codes([*old, newer]) == set()


def test_record_and_verification_findings() -> None:
    checkin = with_verdict(make_checkin(), CheckinStatus.VERIFIED)
    entry0 = parse_line(sign_entry(KEY, seq=0, kind=EntryKind.CAPTURE, at=AT, payload=
                                   capture_payload(checkin, watermarked_sha256="0" * 64,
                                                   watermark=["x"]), prev=GENESIS).line())
    assert record_findings(entry0, checkin) == []
    edited = replace(checkin, departed_at=datetime(2026, 11, 3, 9, 50, tzinfo=UTC))
    (finding,) = record_findings(entry0, edited)
    assert finding.code is ArchiveCode.ARCHIVE_RECORD_CHANGED
    assert finding.detail.startswith("departed_at:")
    (verification,) = checkin.verifications
    entry = parse_line(sign_entry(KEY, seq=1, kind=EntryKind.VERIFICATION, at=AT,
                                  payload=verification_payload(verification),
                                  prev="x").line())
    assert verification_findings([entry0, entry], checkin.verifications) == []
    (missing,) = verification_findings([entry0], checkin.verifications)
    assert missing.code is ArchiveCode.ARCHIVE_ENTRY_MISSING

"""The photo folder: content-addressed, atomic, idempotent."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from visitproof.errors import InvalidValue, NotFound
from visitproof.store import PhotoStore


def test_put_returns_the_sha256_and_get_returns_the_bytes(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path)
    data = b"\xff\xd8 a jpeg, honestly"
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    assert store.path_for(digest).relative_to(tmp_path).parts[:2] == (digest[:2], digest[2:4])


def test_put_is_idempotent_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path)
    first = store.put(b"photo")
    second = store.put(b"photo")
    assert first == second
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [store.path_for(first)]


def test_a_truncated_file_in_place_is_rewritten(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path)
    digest = store.put(b"whole photo")
    store.path_for(digest).write_bytes(b"who")
    store.put(b"whole photo")
    assert store.get(digest) == b"whole photo"


@pytest.mark.parametrize(("action", "error"), [
    (lambda s: s.put(b""), InvalidValue),
    (lambda s: s.get("0" * 64), NotFound),
    (lambda s: s.get("../../etc/passwd"), InvalidValue),
])
def test_bad_requests(tmp_path: Path, action: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        action(PhotoStore(tmp_path))  # type: ignore[operator]


def test_sweep_removes_old_leftovers_of_cut_writes_but_not_fresh_ones(tmp_path: Path) -> None:
    store = PhotoStore(tmp_path)
    digest = store.put(b"a photo")
    folder = store.path_for(digest).parent
    old, fresh = folder / ".incoming-old", folder / ".incoming-fresh"
    old.write_bytes(b"half a pho")
    fresh.write_bytes(b"half a")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert store.sweep_incoming(older_than_s=3600) == 1
    assert (old.exists(), fresh.exists(), store.get(digest)) == (False, True, b"a photo")
    assert PhotoStore(tmp_path / "absent").sweep_incoming() == 0

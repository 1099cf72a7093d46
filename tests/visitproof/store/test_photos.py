"""The photo folder: content-addressed, atomic, idempotent."""

from __future__ import annotations

import hashlib
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

"""A content-addressed photo folder: ``<root>/ab/cd/abcd…ef.jpg`` by SHA-256.

A photo is written to a temporary file in the same folder, flushed, fsynced, then renamed into
place, so a crash leaves either no file or a whole one, never a partial one. Callers write the
photo *before* committing the row that points to it; an orphan photo is harmless, a row
without its photo is not.

Once on disk a photo's pages leave the page cache: photos are written once and read rarely
(a manager's drill-down, a re-verification). Kept, 2 MB photos written one after another
filled the cache and each write then cost about 4 ms of CPU instead of about 1
(``benchmarks/photo_write.py``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from visitproof.errors import InvalidValue, NotFound
from visitproof.values import require_sha256


class PhotoStore:
    """Photos keyed by the SHA-256 of their bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def sweep_incoming(self, older_than_s: float = 3600.0) -> int:
        """Delete temporary files left by writes a crash cut short (``.incoming-*`` older
        than ``older_than_s``; younger ones may belong to a write in flight). Returns how
        many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff, removed = time.time() - older_than_s, 0
        for leftover in self.root.glob("*/*/.incoming-*"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def path_for(self, sha256: str) -> Path:
        require_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes, sha256: str | None = None) -> str:
        """Store ``data`` (idempotent) and return its SHA-256 hex digest. ``sha256``: the
        digest the caller has just computed from these same bytes (skips hashing again)."""
        if not data:
            raise InvalidValue("photo", "is empty (0 bytes)", code="EMPTY_FILE")
        digest = sha256 or hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
                drop_cached_pages(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no photo with sha256 {sha256}") from None

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()


def drop_cached_pages(descriptor: int) -> None:
    """Ask the kernel to drop the (clean, fsynced) cached pages of an open file; a no-op
    where ``posix_fadvise`` is missing (macOS, Windows)."""
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)


def _fsync_directory(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

"""Visit notes of one tenant (``visit_notes``), and the content-addressed audio folder.

The recording is written to :class:`AudioStore` (``DATA_DIR/audio``, the photo store's
atomic, content-addressed write) *before* the row that points to it is committed: an orphan
recording is harmless, a note without its recording is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from visitproof.errors import NotFound
from visitproof.records import NoteAudio, VisitNote, VisitNoteStatus
from visitproof.store import tables
from visitproof.store.photos import PhotoStore
from visitproof.store.queries import Page, TenantScope


class AudioStore(PhotoStore):
    """Recordings keyed by the SHA-256 of their bytes (the photo store's layout and atomic
    write, in a folder of its own)."""

    def get(self, sha256: str) -> bytes:
        try:
            return super().get(sha256)
        except NotFound:
            raise NotFound(f"no recording with sha256 {sha256}") from None

    @classmethod
    def under(cls, data_dir: Path) -> AudioStore:
        return cls(data_dir / "audio")


class VisitNotes(TenantScope):
    """The visit notes of one tenant."""

    def add(self, note: VisitNote) -> None:
        """Insert a new note (IntegrityError on a known id)."""
        self._require_own(note.tenant_id)
        self.connection.execute(sa.insert(tables.visit_notes), [_row(note)])

    def get(self, note_id: UUID) -> VisitNote | None:
        row = self._one(tables.visit_notes, tables.visit_notes.c.id == note_id)
        return None if row is None else _note(row)

    def for_checkin(self, checkin_id: UUID) -> VisitNote | None:
        """The note a check-in was made from, or None."""
        row = self._one(tables.visit_notes, tables.visit_notes.c.checkin_id == checkin_id)
        return None if row is None else _note(row)

    def page(self, *, rep_id: str | None = None, limit: int = 50,
             offset: int = 0) -> Page[VisitNote]:
        """One page of notes (newest first), of ``rep_id`` when given."""
        t = tables.visit_notes
        rows, count = self._counted([t], t, self._where(t).equals(t.c.rep_id, rep_id),
                                    [t.c.created_at.desc(), t.c.id], limit=limit,
                                    offset=offset)
        return Page(items=tuple(_note(r) for r in rows), count=count)

    def mark_used(self, note_id: UUID, checkin_id: UUID) -> bool:
        """Link an unused note to ``checkin_id`` (status ``used``); False when the note is
        missing or already used. Runs in the caller's transaction."""
        c = tables.visit_notes.c
        result = self.connection.execute(
            sa.update(tables.visit_notes)
            .where(c.tenant_id == self.tenant_id, c.id == note_id, c.checkin_id.is_(None))
            .values(checkin_id=checkin_id, status=VisitNoteStatus.USED.value))
        return bool(result.rowcount)


def _row(note: VisitNote) -> dict[str, Any]:
    audio = note.audio
    return {"tenant_id": note.tenant_id, "id": note.id, "rep_id": note.rep_id,
            "created_at": note.created_at, "language": note.language.value,
            "text": note.text, "transcript": note.transcript,
            "audio_sha256": None if audio is None else audio.sha256,
            "audio_media_type": None if audio is None else audio.media_type,
            "audio_duration_s": None if audio is None else audio.duration_s,
            "draft": dict(note.draft), "status": note.status.value,
            "checkin_id": note.checkin_id}


def _note(row: RowMapping) -> VisitNote:
    audio = None if row["audio_sha256"] is None else NoteAudio(
        sha256=row["audio_sha256"], media_type=row["audio_media_type"],
        duration_s=row["audio_duration_s"])
    return VisitNote(tenant_id=row["tenant_id"], id=row["id"], rep_id=row["rep_id"],
                     created_at=row["created_at"], language=row["language"],
                     status=row["status"], text=row["text"], transcript=row["transcript"],
                     audio=audio, draft=row["draft"], checkin_id=row["checkin_id"])

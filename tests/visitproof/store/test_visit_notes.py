"""visitproof.store.visit_notes: notes by id and by check-in, the one-time link to a
check-in, the audio folder; and the record's own rules (migration 0007: test_migrations.py)."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from tests.builders import TENANT, at
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import NoteAudio, VisitNote
from visitproof.store import AudioStore, Database, VisitNotes


def make_note(*, rep: str = "r1", text: str | None = "浙一放射科李主任同意",
              audio: NoteAudio | None = None, status: str = "draft") -> VisitNote:
    return VisitNote(tenant_id=TENANT, id=uuid.uuid4(), rep_id=rep, created_at=at("10:00"),
                     language="zh", status=status, text=text, audio=audio,
                     draft={"customer": None, "unresolved": ["customer"]})


def test_a_note_round_trips_and_is_linked_once(database: Database) -> None:
    audio = NoteAudio(sha256="a" * 64, media_type="audio/ogg", duration_s=12.5)
    note = make_note(text=None, audio=audio, status="needs_typing")
    checkin, other = uuid.uuid4(), uuid.uuid4()
    with database.begin() as connection:
        notes = VisitNotes(connection, TENANT)
        notes.add(note)
        assert notes.get(note.id) == note
        assert notes.mark_used(note.id, checkin)
        assert not notes.mark_used(note.id, other)  # used once
        assert not notes.mark_used(uuid.uuid4(), other)  # no such note
        used = notes.for_checkin(checkin)
        assert used is not None
        assert used.status == "used"
        assert used.checkin_id == checkin
        assert notes.for_checkin(other) is None
        assert VisitNotes(connection, "globex").get(note.id) is None
        assert notes.page(rep_id="r1").count == 1
        assert notes.page(rep_id="r2").count == 0


def test_a_note_of_another_tenant_is_refused(database: Database) -> None:
    with database.begin() as connection, pytest.raises(InvalidValue) as raised:
        VisitNotes(connection, "globex").add(make_note())
    assert raised.value.code == "TENANT_MISMATCH"


@pytest.mark.parametrize(("changes", "code"), [
    ({"text": None}, "VISIT_NOTE_EMPTY"),
    ({"text": "x" * 4001}, "TOO_LONG"),
    ({"status": "used"}, "INVALID_VALUE"),  # used, but no check-in
    ({"status": "lost"}, "UNKNOWN_ENUM_VALUE"),
])
def test_the_record_refuses_what_cannot_be_a_note(changes: dict[str, object],
                                                  code: str) -> None:
    fields: dict[str, object] = {"tenant_id": TENANT, "id": uuid.uuid4(), "rep_id": "r1",
                                 "created_at": at("10:00"), "language": "zh",
                                 "status": "draft", "text": "浙一"} | changes
    with pytest.raises(InvalidValue) as raised:
        VisitNote(**fields)  # type: ignore[arg-type]
    assert raised.value.code == code


def test_the_audio_folder_is_content_addressed(tmp_path: Path) -> None:
    store = AudioStore.under(tmp_path)
    data = b"RIFF....WAVEfmt "
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.get(digest) == data
    assert (tmp_path / "audio" / digest[:2] / digest[2:4] / digest).is_file()
    with pytest.raises(NotFound):
        store.get("b" * 64)

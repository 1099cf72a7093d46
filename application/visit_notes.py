"""Taking a rep's visit note: text or a recording in, a stored note with its draft out.

    note = take_note(database, audio_store, tenant_id="acme", rep_id="r1",
                     submitted=NoteSubmission(text="今天拜访浙一医院放射科李主任..."),
                     now=utc_now())

1. Exactly one of text and recording (``VISIT_NOTE_BOTH``, ``VISIT_NOTE_EMPTY``); text at
   most :data:`~visitproof.records.visit_notes.NOTE_TEXT_MAX` characters (``TOO_LONG``);
   ``recorded_at`` aware (``NAIVE_TIMESTAMP``) and not in the future (``FUTURE_TIMESTAMP``),
   the server clock when absent.
2. A recording is checked and decoded (:mod:`application.visit_note_audio`) and written to
   the audio store *before* the row. Its language: the one given, else the tenant's
   (:func:`tenant_language`: zh for a tenant in a Chinese time zone). English is transcribed
   on this machine; Chinese is kept with no transcript, status ``needs_typing`` (no packaged
   Mandarin model here).
3. The draft (:func:`application.visit_note_draft.draft_from_text`) is read from the text or
   the transcript against the rep's customers (those assigned to them) and their contacts,
   in the tenant's time zone, relative to ``recorded_at``.

A check-in names the note it was made from (``visit_note_id``); :func:`require_usable`
checks it and :class:`~visitproof.store.VisitNotes.mark_used` links it in the check-in's
own transaction (:mod:`application.checkin_intake`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from application.visit_note_audio import decode_audio, transcribe_english
from application.visit_note_draft import VisitNoteDraft, detect_language, draft_from_text
from visitproof.errors import Conflict, InvalidValue
from visitproof.records import (
    NoteAudio,
    NoteLanguage,
    VisitNote,
    VisitNoteStatus,
)
from visitproof.records.visit_notes import NOTE_TEXT_MAX
from visitproof.store import AudioStore, Database, Store, VisitNotes
from visitproof.values import require_not_future, require_utc

CHINESE_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi",
                           "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "PRC"})


@dataclass(frozen=True, slots=True)
class NoteSubmission:
    """A note as the edge received it: ``text`` or ``audio`` (with its file name and
    declared type), the ``language`` the rep chose (None: detect) and when it was recorded
    (None: now)."""

    text: str | None = None
    audio: bytes | None = field(default=None, repr=False)
    filename: str | None = None
    content_type: str | None = None
    language: str | None = None
    recorded_at: datetime | None = None


def tenant_language(timezone: str) -> NoteLanguage:
    """The language a tenant's reps speak by default: zh in a Chinese time zone, else en."""
    return NoteLanguage.ZH if timezone in CHINESE_ZONES else NoteLanguage.EN


def take_note(database: Database, audio_store: AudioStore, *, tenant_id: str, rep_id: str,
              submitted: NoteSubmission, now: datetime) -> VisitNote:
    """Check, read and store one note (see the module docstring); returns it as stored."""
    text = submitted.text.strip() if submitted.text is not None else None
    if submitted.audio is not None and not submitted.audio:
        raise InvalidValue("audio", "the recording is empty (0 bytes); record the note again",
                           code="AUDIO_EMPTY")
    if text and submitted.audio:
        raise InvalidValue("audio", "send the note as text or as a recording, not both",
                           code="VISIT_NOTE_BOTH")
    if not text and not submitted.audio:
        raise InvalidValue("text", "the note is empty: type it or record it",
                           code="VISIT_NOTE_EMPTY")
    if text and len(text) > NOTE_TEXT_MAX:
        raise InvalidValue("text", f"the note is {len(text)} characters; at most "
                           f"{NOTE_TEXT_MAX}", code="TOO_LONG")
    language = None if submitted.language is None else _language(submitted.language)
    recorded_at = now if submitted.recorded_at is None else require_not_future(
        require_utc(submitted.recorded_at, "recorded_at"), "recorded_at", now)
    with database.connect() as connection:
        store = Store(connection, tenant_id)
        tenant = store.reference.require_tenant()
        customers = [c for c in store.reference.customers() if rep_id in c.assigned_rep_ids]
        mine = {c.id for c in customers}
        contacts = [c for c in store.crm.contacts() if c.customer_id in mine]
    zone = ZoneInfo(tenant.timezone)
    audio, transcript = None, None
    if submitted.audio:
        decoded = decode_audio(submitted.audio, filename=submitted.filename,
                               content_type=submitted.content_type)
        language = language or tenant_language(tenant.timezone)
        digest = audio_store.put(submitted.audio,
                                 sha256=hashlib.sha256(submitted.audio).hexdigest())
        audio = NoteAudio(sha256=digest, media_type=decoded.media_type,
                          duration_s=decoded.duration_s)
        if language is NoteLanguage.EN:
            transcript = transcribe_english(
                decoded, names=[c.name for c in customers] + [c.name for c in contacts])
    heard = text if text else transcript
    language = language or NoteLanguage(detect_language(heard or ""))
    draft: VisitNoteDraft | None = None
    if heard:
        draft = draft_from_text(heard, language=language.value, customers=customers,
                                contacts=contacts, now=recorded_at, zone=zone)
    status = VisitNoteStatus.DRAFT if draft is not None else VisitNoteStatus.NEEDS_TYPING
    note = VisitNote(tenant_id=tenant_id, id=uuid.uuid4(), rep_id=rep_id,
                     created_at=recorded_at, language=language, status=status,
                     text=text or None, transcript=transcript, audio=audio,
                     draft={} if draft is None else draft.to_json())
    with database.begin() as connection:
        VisitNotes(connection, tenant_id).add(note)
    return note


def require_usable(notes: VisitNotes, note_id: UUID, *, rep_id: str,
                   checkin_id: UUID) -> VisitNote:
    """The rep's note ``note_id``, unused or used by ``checkin_id`` itself: 422
    ``VISIT_NOTE_NOT_FOUND`` (none, or another rep's), 409 ``VISIT_NOTE_ALREADY_USED``."""
    note = notes.get(note_id)
    if note is None or note.rep_id != rep_id:
        raise InvalidValue("visit_note_id", f"no visit note {note_id} of yours",
                           code="VISIT_NOTE_NOT_FOUND")
    if note.checkin_id is not None and note.checkin_id != checkin_id:
        raise already_used(note_id)
    return note


def _language(value: str) -> NoteLanguage:
    try:
        return NoteLanguage(value)
    except ValueError:
        raise InvalidValue("language", f"unknown language {value!r}; expected zh or en",
                           code="UNKNOWN_ENUM_VALUE") from None


def already_used(note_id: UUID) -> Conflict:
    return Conflict(f"visit note {note_id} was already used for another check-in; record "
                    "a new note", code="VISIT_NOTE_ALREADY_USED")

"""The HTTP shapes of visit notes (``/v1/visit-notes``).

Same conventions as :mod:`serving.schemas`: the JSON input is strict (unknown fields
refused, ``recorded_at`` needs a UTC offset); ``*Public`` models are what the API answers,
times in UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from serving.schemas import UtcInstant
from visitproof.records import DecisionRole, VisitNote, VisitNoteStatus
from visitproof.records.visit_notes import NOTE_TEXT_MAX


class VisitNoteCreate(BaseModel):
    """``POST /v1/visit-notes`` as JSON: a typed note. (A recording comes as multipart:
    the same fields as form fields plus the ``audio`` file.)"""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    text: str | None = Field(default=None, max_length=NOTE_TEXT_MAX * 2,
                             description="The note as the rep typed it (Chinese or English).")
    language: Literal["zh", "en"] | None = Field(
        default=None, description="zh or en; absent: detected from the text (a recording: "
        "the tenant's language, zh in a Chinese time zone).")
    recorded_at: UtcInstant | None = Field(
        default=None, description="When the rep made the note, with an offset; absent: the "
        "server clock. Dates in the note are read relative to it.")


class CustomerDraft(BaseModel):
    id: str
    name: str
    confidence: float = Field(description="0..1: the share of the name the note says.")


class ContactDraft(BaseModel):
    id: str
    name: str
    role: DecisionRole


class NextActionDraftPublic(BaseModel):
    text: str
    due_at: datetime | None = Field(description="UTC; null when the note names no date.")
    due_phrase: str | None = Field(description="The words the due date was read from.")


class VisitNoteDraftPublic(BaseModel):
    """What the note says, for the rep to confirm into the check-in's commitment
    (``conclusion``) and next action. ``unresolved``: fields the note left open."""

    language: Literal["zh", "en"]
    customer: CustomerDraft | None
    department: str | None
    contact: ContactDraft | None
    conclusion: str | None
    next_action: NextActionDraftPublic | None
    unresolved: list[str]


class NoteAudioPublic(BaseModel):
    media_type: str
    duration_s: float
    url: str = Field(description="GET it with the same token: the bytes as uploaded.")


class VisitNotePublic(BaseModel):
    """A stored visit note. ``status``: ``draft`` (read; the rep confirms it into a
    check-in), ``needs_typing`` (a Chinese recording: stored and playable, no transcript;
    the rep types the note), ``used`` (``checkin_id`` names the check-in it became)."""

    id: UUID
    rep_id: str
    created_at: datetime
    language: Literal["zh", "en"]
    status: VisitNoteStatus
    text: str | None
    transcript: str | None
    audio: NoteAudioPublic | None
    draft: VisitNoteDraftPublic | None
    checkin_id: UUID | None

    @classmethod
    def of(cls, note: VisitNote) -> VisitNotePublic:
        draft: dict[str, Any] = dict(note.draft)
        audio = note.audio
        return cls(
            id=note.id, rep_id=note.rep_id, created_at=note.created_at,
            language=note.language.value,
            status=note.status, text=note.text, transcript=note.transcript,
            audio=None if audio is None else NoteAudioPublic(
                media_type=audio.media_type, duration_s=audio.duration_s,
                url=f"/v1/visit-notes/{note.id}/audio"),
            draft=VisitNoteDraftPublic.model_validate(draft) if draft else None,
            checkin_id=note.checkin_id)

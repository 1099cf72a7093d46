"""Visit notes: what a rep said or typed after a visit, with the draft read from it and,
once confirmed, the check-in it became."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from visitproof.errors import InvalidValue
from visitproof.records._validation import normalise, one_of, require_ids
from visitproof.values import require_sha256, require_utc

NOTE_TEXT_MAX = 4000
"""The longest note text or transcript (characters)."""


class VisitNoteStatus(StrEnum):
    """``draft``: read, waiting for the rep; ``needs_typing``: audio no model here can
    transcribe (Chinese), stored for playback, the rep types the draft; ``used``: linked to
    the check-in it became."""

    DRAFT = "draft"
    NEEDS_TYPING = "needs_typing"
    USED = "used"


class NoteLanguage(StrEnum):
    ZH = "zh"
    EN = "en"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteAudio:
    """A note's recording: the SHA-256 of its bytes as uploaded (the audio store's key),
    its media type and duration in seconds."""

    sha256: str
    media_type: str
    duration_s: float

    def __post_init__(self) -> None:
        require_sha256(self.sha256, "audio_sha256")
        if not 0 < self.duration_s < 24 * 3600:
            raise InvalidValue("audio", f"duration {self.duration_s} s is not usable",
                               code="OUT_OF_RANGE")


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitNote:
    """One note: typed ``text`` or recorded ``audio`` (with its ``transcript`` where one
    could be made), the draft (JSON-ready, ``application.visit_note_draft``), its status and
    the check-in it was used for. ``created_at``: when the rep recorded it (UTC)."""

    tenant_id: str
    id: UUID
    rep_id: str
    created_at: datetime
    language: NoteLanguage
    status: VisitNoteStatus
    text: str | None = None
    transcript: str | None = None
    audio: NoteAudio | None = None
    draft: Mapping[str, Any] = field(default_factory=dict)
    checkin_id: UUID | None = None

    def __post_init__(self) -> None:
        require_ids(self, "tenant_id", "rep_id")
        normalise(self, created_at=require_utc, language=one_of(NoteLanguage),
                  status=one_of(VisitNoteStatus))
        if self.text is None and self.audio is None:
            raise InvalidValue("text", "a visit note needs a text or a recording",
                               code="VISIT_NOTE_EMPTY")
        for name in ("text", "transcript"):
            value = getattr(self, name)
            if value is not None and len(value) > NOTE_TEXT_MAX:
                raise InvalidValue(name, f"is {len(value)} characters; at most "
                                   f"{NOTE_TEXT_MAX}", code="TOO_LONG")
        if (self.status is VisitNoteStatus.USED) != (self.checkin_id is not None):
            raise InvalidValue("status", "a used note names its check-in, and only a used "
                               "one", code="INVALID_VALUE")

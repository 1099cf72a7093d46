"""``/v1/visit-notes``: a rep's note after a visit (text, or a WAV/OGG recording) read into
a draft for the check-in, and reading it back (the rep, their manager, a director or admin).

The rep's app shows the draft, the rep confirms or edits it into the check-in's commitment
and next action, and uploads the check-in with ``visit_note_id`` (``POST /v1/checkins``):
the note is linked once, in the check-in's transaction.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from application.visit_note_audio import MAX_AUDIO_BYTES
from application.visit_notes import NoteSubmission, take_note
from serving.auth import CurrentRep, CurrentUser, User, visible_rep_ids
from serving.errors import ApiError, error_responses
from serving.runtime import Runtime, RuntimeDep
from serving.schemas_visit_notes import VisitNoteCreate, VisitNotePublic
from visitproof.errors import InvalidValue, NotFound
from visitproof.records import VisitNote
from visitproof.store import AudioStore, ReferenceData, VisitNotes
from visitproof.values import utc_now

router = APIRouter(prefix="/v1/visit-notes", tags=["visit notes"])


class AudioTooLarge(ApiError):
    status_code = 413
    code = "AUDIO_TOO_LARGE"


_DESCRIBED = {
    404: "No such note in the caller's scope, or no recording (NOT_FOUND).",
    413: "The recording is over 8 MiB (AUDIO_TOO_LARGE), or the body over the upload limit "
         "(PAYLOAD_TOO_LARGE).",
    422: "Invalid note: VISIT_NOTE_EMPTY (neither text nor audio), VISIT_NOTE_BOTH, TOO_LONG "
         "(text over 4000 characters), NAIVE_TIMESTAMP / FUTURE_TIMESTAMP / BAD_TIMESTAMP "
         "(recorded_at), UNKNOWN_ENUM_VALUE (language), AUDIO_EMPTY, AUDIO_TOO_LONG (over "
         "180 s), AUDIO_UNREADABLE (not WAV/OGG, or damaged), AUDIO_UNSUPPORTED_FORMAT (MP3, "
         "M4A, ...), DUPLICATE_FIELD.",
}
_errors = partial(error_responses, _DESCRIBED)

_BODY = {
    "required": True,
    "content": {
        # Inlined: a body read by hand is not in the document's components.
        "application/json": {"schema": VisitNoteCreate.model_json_schema()},
        "multipart/form-data": {"schema": {
            "type": "object",
            "properties": {
                "text": {"type": "string", "description": "A typed note (or send audio)."},
                "audio": {"type": "string", "format": "binary",
                          "description": "The recording: WAV or OGG (Vorbis/Opus), at most "
                          "180 s and 8 MiB."},
                "language": {"type": "string", "enum": ["zh", "en"]},
                "recorded_at": {"type": "string", "format": "date-time"},
            }}},
    },
}


async def note_submission(request: Request) -> NoteSubmission:
    """The note from a JSON or a form body (the API's and the rep page's). A file part with
    neither a name nor bytes is a browser's "no file chosen": no recording."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data" or kind == "application/x-www-form-urlencoded":
        form = await request.form()
        for name in ("text", "audio", "language", "recorded_at"):
            if len(form.getlist(name)) > 1:
                raise InvalidValue(name, f"the form has {len(form.getlist(name))} '{name}' "
                                   "parts; send exactly one", code="DUPLICATE_FIELD")
        fields: dict[str, Any] = {name: value for name in ("text", "language", "recorded_at")
                                  if isinstance(value := form.get(name), str) and value}
        upload = form.get("audio")
        if isinstance(upload, UploadFile) and not upload.filename and not upload.size:
            upload = None
        audio = await _audio_bytes(upload) if isinstance(upload, UploadFile) else None
        if isinstance(upload, str) and upload:
            raise InvalidValue("audio", "audio must be a file part", code="AUDIO_UNREADABLE")
    else:
        try:
            fields = json.loads(await request.body() or b"null")
        except ValueError:
            raise InvalidValue("body", "the body is not valid JSON", code="BAD_JSON") from None
        if not isinstance(fields, dict):
            raise InvalidValue("body", "send a JSON object {\"text\": ...} or a multipart "
                               "form with an audio file", code="VISIT_NOTE_EMPTY")
        audio, upload = None, None
    try:
        body = VisitNoteCreate.model_validate(fields)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from None
    return NoteSubmission(
        text=body.text, audio=audio, language=body.language, recorded_at=body.recorded_at,
        filename=upload.filename if isinstance(upload, UploadFile) else None,
        content_type=upload.content_type if isinstance(upload, UploadFile) else None)


async def _audio_bytes(upload: UploadFile) -> bytes:
    data = await upload.read(MAX_AUDIO_BYTES + 1)
    if len(data) > MAX_AUDIO_BYTES:
        raise AudioTooLarge(f"the recording is over {MAX_AUDIO_BYTES // (1024 * 1024)} MiB; "
                            "record a shorter note")
    return data


@router.post(
    "", status_code=201, response_model=VisitNotePublic,
    summary="A visit note (text or WAV/OGG audio) read into a draft",
    openapi_extra={"requestBody": _BODY},
    responses=_errors(401, 403, 413, 422, 503),
)
async def create_visit_note(request: Request, user: CurrentRep,
                            runtime: RuntimeDep) -> VisitNotePublic:
    """Store a rep's note and answer its draft: customer (among the rep's), department,
    contact with their decision role, conclusion, next action with its due time in the
    tenant's zone. English audio is transcribed here (PocketSphinx); Chinese audio is
    stored and playable, status ``needs_typing``, no transcript. Only ``rep`` tokens."""
    submitted = await note_submission(request)
    note = await runtime.workers.run(
        take_note, runtime.database, audio_store(runtime), tenant_id=user.tenant_id,
        rep_id=user.user_id, submitted=submitted, now=utc_now())
    return VisitNotePublic.of(note)


@router.get("/{note_id}", response_model=VisitNotePublic, responses=_errors(401, 404, 503))
def get_visit_note(note_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> VisitNotePublic:
    """One note: the rep's own, a manager's team's, any for a director or admin."""
    return VisitNotePublic.of(visible_note(note_id, user, runtime))


@router.get("/{note_id}/audio", response_class=Response,
            responses={200: {"content": {"audio/wav": {}, "audio/ogg": {}},
                             "description": "The recording, byte for byte as uploaded."},
                       **_errors(401, 404, 503)})
def get_visit_note_audio(note_id: UUID, user: CurrentUser, runtime: RuntimeDep) -> Response:
    """The note's recording as uploaded, with its media type (404 for a typed note)."""
    note = visible_note(note_id, user, runtime)
    if note.audio is None:
        raise NotFound(f"visit note {note_id} was typed; it has no recording")
    return Response(content=audio_store(runtime).get(note.audio.sha256),
                    media_type=note.audio.media_type,
                    headers={"Cache-Control": "private, max-age=86400",
                             "ETag": f'"{note.audio.sha256}"'})


def audio_store(runtime: Runtime) -> AudioStore:
    return AudioStore.under(runtime.settings.data_dir)


def visible_note(note_id: UUID, user: User, runtime: Runtime) -> VisitNote:
    """The note if ``user`` may see it, else 404 (existence doesn't leak)."""
    with runtime.database.connect() as connection:
        note = VisitNotes(connection, user.tenant_id).get(note_id)
        visible = visible_rep_ids(user, ReferenceData(connection, user.tenant_id))
    if note is None or (visible is not None and note.rep_id not in visible):
        raise NotFound(f"no visit note {note_id}")
    return note



"""``/rep/notes``: the rep's visit-note page (HTML, for the phone).

``GET /rep/notes`` shows a form: a text area and an audio file input (WAV or OGG), the
language. Posting it (``POST /rep/notes``, the rep cookie plus the page's form token) stores
the note through the same use case as ``POST /v1/visit-notes`` and shows the draft it was
read into, as fields the rep checks (customer, department, contact and role, conclusion,
next action and its due time, local) before confirming them into the check-in. Refusals are
rep error pages with the API's stable codes.
"""

from __future__ import annotations

from html import escape
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Cookie, Request
from fastapi.responses import HTMLResponse

from application.visit_notes import take_note
from serving.form_token import FORM_FIELD, form_token, require_form_token
from serving.pages.visit_note_page import draft_html
from serving.routes.rep_pages import (
    COOKIE,
    REP_PAGE_ERROR_RESPONSES,
    RepHtmlErrorRoute,
    RepPageUser,
    rep_page,
)
from serving.routes.visit_notes import audio_store, note_submission
from serving.runtime import RuntimeDep
from serving.schemas_visit_notes import VisitNotePublic
from visitproof.store import ReferenceData
from visitproof.values import utc_now

router = APIRouter(prefix="", tags=["rep pages"], route_class=RepHtmlErrorRoute,
                   responses=REP_PAGE_ERROR_RESPONSES)


def _form(token: str, text: str = "") -> str:
    return (
        "<form method='post' action='/rep/notes' enctype='multipart/form-data' "
        "id='vp-note-form'>"
        f"<input type='hidden' name='{FORM_FIELD}' value='{form_token(token)}'>"
        "<p><label for='vp-note-text'>Type the note (中文 or English)</label><br>"
        "<textarea id='vp-note-text' name='text' rows='5' style='width:100%' "
        "placeholder='今天拜访浙一医院放射科李主任，他同意对比报价，下周三前给反馈'>"
        f"{escape(text)}</textarea></p>"
        "<p><label for='vp-note-audio'>or record it (WAV or OGG, up to 3 minutes)</label><br>"
        "<input id='vp-note-audio' type='file' name='audio' accept='audio/wav,audio/ogg,"
        ".wav,.ogg' capture></p>"
        "<p><label for='vp-note-language'>Language</label> "
        "<select id='vp-note-language' name='language'><option value=''>detect</option>"
        "<option value='zh'>中文</option><option value='en'>English</option></select></p>"
        "<p class='muted'>English recordings are transcribed on the server; Chinese "
        "recordings are kept for playback and marked for typing (no Chinese speech model "
        "is installed).</p>"
        "<p><button type='submit'>Read the note</button></p></form>")


@router.get("/rep/notes", response_class=HTMLResponse)
def rep_notes(user: RepPageUser,
              token: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> HTMLResponse:
    """The note form."""
    return HTMLResponse(rep_page("Visit note", _form(token or "")))


@router.post("/rep/notes", response_class=HTMLResponse, status_code=201)
async def rep_post_note(request: Request, user: RepPageUser, runtime: RuntimeDep,
                        token: Annotated[str | None, Cookie(alias=COOKIE)] = None
                        ) -> HTMLResponse:
    """Store the note and show its draft for the rep to check."""
    form = await request.form()
    sent = form.get(FORM_FIELD)
    require_form_token(token or "", sent if isinstance(sent, str) else None)
    submitted = await note_submission(request)  # the API's own reading of the form
    note = await runtime.workers.run(
        take_note, runtime.database, audio_store(runtime), tenant_id=user.tenant_id,
        rep_id=user.user_id, now=utc_now(), submitted=submitted)
    with runtime.database.connect() as connection:
        tenant = ReferenceData(connection, user.tenant_id).require_tenant()
    body = draft_html(VisitNotePublic.of(note), ZoneInfo(tenant.timezone))
    return HTMLResponse(rep_page("Visit note: check the draft", body), status_code=201)

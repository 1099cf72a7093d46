"""The rules pages (HTML): ``/manager/rules`` shows a version of the tenant's rules with the
history of versions; ``/manager/rules/diff?from=A&to=B`` what changed between two.

Every page role (manager, director, admin) may read, as every role may read ``GET
/v1/rules``; only directors and admins get the editor, as only they may ``POST /v1/rules``.
The editor's post (``POST /manager/rules``) carries the session's form token (403
``CSRF_REJECTED`` without it, before anything is read) and is stored by the very code of
``POST /v1/rules`` (:func:`serving.routes.rules.create_rules` on a
:class:`~serving.routes.rules.RulesCreate`), so the page refuses exactly what the API
refuses. Saved: 303 to ``/manager/rules?saved=N`` (a reload doesn't post twice). Refused:
422 with the editor again, the text as sent and every error's field path and message.
Edited from a version that is no longer the current one: 409 ``STALE_RULES_VERSION`` with
what the other director saved and what the text would change in it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from application.reports import tenant_timezone
from application.rule_book import NO_VERSION, RuleBook
from application.rules_diff import rules_diff
from serving.auth import Role, User
from serving.errors import validation_details
from serving.form_token import form_token
from serving.pages.rules_pages import (
    BASE_FIELD,
    NOTE_FIELD,
    STARTER_BODY,
    TEXT_FIELD,
    Draft,
    body_json,
    diff_page,
    refused_page,
    rules_editor,
    rules_page,
    stale_page,
)
from serving.query_params import MAX_VERSION
from serving.routes import rules
from serving.routes.pages import (
    COOKIE,
    PAGE_ERROR_RESPONSES,
    FormUser,
    HtmlErrorRoute,
    PageUser,
)
from serving.runtime import Runtime, RuntimeDep
from serving.schemas import ErrorDetail
from visitproof.errors import InvalidInput, InvalidValue, NotFound, StaleRulesVersion

router = APIRouter(prefix="", tags=["pages"], route_class=HtmlErrorRoute,
                   responses=PAGE_ERROR_RESPONSES)

#: Who gets the editor: who may ``POST /v1/rules``.
EDITOR_ROLES = (Role.DIRECTOR, Role.ADMIN)
#: The longest rules text the editor takes (characters); a real rule book is a few KB.
TEXT_MAX_LENGTH = 200_000

Version = Annotated[int, Query(ge=1, le=MAX_VERSION)]
SessionToken = Annotated[str, Cookie(alias=COOKIE)]


@router.get("/manager/rules", response_class=HTMLResponse)
def rules_view(user: PageUser, runtime: RuntimeDep, version: Version | None = None,
               saved: Version | None = None, token: SessionToken = "") -> HTMLResponse:
    """The current rules (or ``version``), readable and as JSON, the history of versions,
    and for a director or admin the editor of the current version."""
    with runtime.database.connect() as connection:
        book = RuleBook(connection, user.tenant_id)
        versions = book.versions()
        latest = versions[-1].version if versions else None
        chosen = latest if version is None else version
        shown = None if chosen is None else book.get(chosen)
        if version is not None and shown is None:
            raise NotFound(f"no rules version {version} in this tenant")
        timezone = tenant_timezone(connection, user.tenant_id)
    editor: str | None = None
    if user.role in EDITOR_ROLES:
        editor = ""
        if shown is None or shown.version == latest:
            draft = Draft(text=body_json(shown.body if shown else STARTER_BODY), note="",
                          base_version=shown.version if shown else NO_VERSION)
            editor = rules_editor(draft, form_token(token))
    return HTMLResponse(rules_page(shown, versions=versions, timezone=timezone,
                                   editor=editor, saved=saved))


@router.post("/manager/rules", response_class=HTMLResponse, status_code=303, responses={
    303: {"description": "Saved: to the rules page, which names the new version."},
    403: {"description": "A manager's cookie (FORBIDDEN: directors and admins only), or a "
          "post without the session's form token (CSRF_REJECTED).",
          "content": {"text/html": {}}},
    409: {"description": "Edited from a version that is no longer the current one "
          "(STALE_RULES_VERSION); nothing stored, the page shows what changed.",
          "content": {"text/html": {}}},
    422: {"description": "Not JSON, or rules that POST /v1/rules refuses; the editor again "
          "with the text and every error.", "content": {"text/html": {}}}})
def rules_save(
    user: FormUser, runtime: RuntimeDep,
    text: Annotated[str, Form(alias=TEXT_FIELD)],
    base_version: Annotated[int, Form(alias=BASE_FIELD, ge=NO_VERSION, le=MAX_VERSION)],
    note: Annotated[str, Form(alias=NOTE_FIELD)] = "",
    token: SessionToken = "",
) -> Response:
    """Store the editor's text as the next version, as ``POST /v1/rules`` does."""
    rules.current_director(user)
    draft = Draft(text=text, note=note, base_version=base_version)
    try:
        body = _rules_create(draft)
    except _Refused as refused:
        return _refused(draft, refused.errors, token)
    try:
        saved = rules.create_rules(body, user, runtime)
    except StaleRulesVersion as stale:
        return _stale(runtime, user, draft, body.as_body(), stale, form_token(token))
    except InvalidValue as error:
        return _refused(draft, [ErrorDetail(field=error.field, code=error.code,
                                            message=error.reason)], token)
    except InvalidInput as error:
        return _refused(draft, [ErrorDetail(code=error.code, message=error.message)], token)
    return RedirectResponse(f"/manager/rules?saved={saved.version}", status_code=303)


@router.get("/manager/rules/diff", response_class=HTMLResponse)
def rules_diff_view(user: PageUser, runtime: RuntimeDep,
                    version_from: Annotated[int, Query(alias="from", ge=1, le=MAX_VERSION)],
                    version_to: Annotated[int, Query(alias="to", ge=1, le=MAX_VERSION)],
                    ) -> HTMLResponse:
    """What changed from version ``from`` to version ``to``: keys added, removed and
    changed, by JSON path, with old and new values."""
    with runtime.database.connect() as connection:
        book = RuleBook(connection, user.tenant_id)
        old, new = book.get(version_from), book.get(version_to)
        timezone = tenant_timezone(connection, user.tenant_id)
    if old is None or new is None:
        missing = version_from if old is None else version_to
        raise NotFound(f"no rules version {missing} in this tenant")
    return HTMLResponse(diff_page(old, new, rules_diff(old.body, new.body), timezone=timezone))


class _Refused(Exception):
    """The editor's text refused before the rules are read: the errors to show."""

    def __init__(self, errors: list[ErrorDetail]) -> None:
        super().__init__("refused")
        self.errors = errors


def _rules_create(draft: Draft) -> rules.RulesCreate:
    """The editor's text and note as ``POST /v1/rules``'s body, validated by its model."""
    if len(draft.text) > TEXT_MAX_LENGTH:
        raise _Refused([ErrorDetail(code="TOO_LONG", message=f"the rules text is "
                                    f"{len(draft.text):,} characters; at most "
                                    f"{TEXT_MAX_LENGTH:,}")])
    try:
        parsed: Any = json.loads(draft.text)
    except json.JSONDecodeError as error:
        raise _Refused([ErrorDetail(code="BAD_JSON", message=f"not valid JSON: {error.msg} "
                                    f"(line {error.lineno}, column {error.colno})")]) from None
    except RecursionError:
        raise _Refused([ErrorDetail(code="BAD_JSON",
                                    message="not valid JSON: nested too deeply")]) from None
    if not isinstance(parsed, dict):
        raise _Refused([ErrorDetail(code="BAD_TYPE", message="the rules must be one JSON "
                                    "object: {\"featured\": [...], \"golden_zones\": {...}, "
                                    "...}")])
    if BASE_FIELD in parsed:
        raise _Refused([ErrorDetail(field=BASE_FIELD, code="UNKNOWN_FIELD", message="the "
                                    "form keeps the version you edited from; remove it from "
                                    "the text")])
    if draft.note.strip():
        if "note" in parsed:
            raise _Refused([ErrorDetail(field="note", code="INVALID_VALUE", message="given "
                                        "both in the text and in the note box; keep one")])
        parsed["note"] = draft.note.strip()
    try:
        # The model refuses a policy nested too deeply to store (MAX_POLICY_DEPTH).
        created = rules.RulesCreate.model_validate({**parsed, BASE_FIELD: draft.base_version})
    except ValidationError as error:
        raise _Refused(validation_details(error.errors())) from None
    return created


def _refused(draft: Draft, errors: list[ErrorDetail], token: str) -> HTMLResponse:
    return HTMLResponse(refused_page(draft, form_token(token), errors), status_code=422)


def _stale(runtime: Runtime, user: User, draft: Draft, submitted: dict[str, Any],
           stale: StaleRulesVersion, token: str) -> HTMLResponse:
    """The 409 page: what the other director saved, and the draft against it."""
    with runtime.database.connect() as connection:
        book = RuleBook(connection, user.tenant_id)
        theirs = book.get(stale.current_version) if stale.current_version else None
        base = book.get(stale.base_version) if stale.base_version else None
        timezone = tenant_timezone(connection, user.tenant_id)
    their_body = theirs.body if theirs else {}
    their_changes = None
    if base is not None or stale.base_version == NO_VERSION:
        their_changes = rules_diff(base.body if base else {}, their_body)
    return HTMLResponse(stale_page(draft, token, theirs=theirs, their_changes=their_changes,
                                   your_changes=rules_diff(their_body, submitted),
                                   timezone=timezone), status_code=409)

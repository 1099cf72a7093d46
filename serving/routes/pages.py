"""Manager pages (HTML): overlap map, PHI report, check-in list and drill-down.

Signing in: a plain link can't send an ``Authorization`` header, so a manager opens
``/manager/login?token=<token>`` once; the token is checked (manager, director or admin) and
kept in an HttpOnly cookie (``SameSite=Lax``, path ``/manager``, 8 hours, ``Secure`` over
HTTPS), then the browser is sent on to ``next`` (a ``/manager/...`` path) or the check-in
list. The token is never put in page URLs, so it doesn't end up in history or server logs
after that first request. ``/manager/logout`` drops the cookie.

Every page answers an HTML page on failure, never JSON: 401 (no, unknown, expired or
revoked token) says how to sign in; 403, 404, 422 and 503 say what went wrong, with the
stable code of the API. The figures come from the same functions as the API
(:mod:`serving.routes.reports`, :mod:`serving.routes.checkins`), in the same scope.

The drill-down's photo is served at ``/manager/checkins/{id}/photo`` under the cookie by the
very handler of ``GET /v1/checkins/{id}/photo`` (an ``<img>`` can't send a bearer header).

Reviews: ``/manager/reviews`` is the queue of ``GET /v1/reviews``; the drill-down of a
``needs_review`` check-in carries an approve/reject form with a required note, posted to
``/manager/checkins/{id}/review`` and decided by the very code of
``POST /v1/checkins/{id}/review`` (a rep is refused, a manager decides their team's only).
The form carries the session's form token (:mod:`serving.form_token`): a post without it
is 403 ``CSRF_REJECTED`` before anything is read or written. A decision answers 303 back to
the drill-down (so a reload doesn't post twice); a second decision is a 409 page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Cookie, Depends, Form, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from application.review import NOTE_MAX_LENGTH, ReviewDecision
from geo.overlap_map import MapOptions, overlap_map_html
from geo.territory_overlap import OverlapPolicy
from phi.periods import FIRST_DAY
from phi.report_html import report_to_html
from serving.auth import REVIEWER_ROLES, Role, User, authenticate, require_role
from serving.errors import ApiError, Unauthenticated, validation_details
from serving.form_token import FORM_FIELD, form_token, require_form_token
from serving.pages.checkin_pages import checkin_page, checkins_page
from serving.pages.layout import error_page, page
from serving.pages.review_pages import review_form, review_queue_page
from serving.query_params import Offset
from serving.routes import checkins, reports, reviews
from serving.runtime import RuntimeDep
from visitproof.errors import Conflict, InvalidInput, NotFound, StoreError
from visitproof.records import CheckinStatus
from visitproof.values import utc_now

COOKIE = "vp_manager_token"
COOKIE_PATH = "/manager"
COOKIE_MAX_AGE_S = 8 * 3600
PAGE_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
DEFAULT_PAGE = "/manager/checkins"
OVERLAP_DAYS = 28


class HtmlErrorRoute(APIRoute):
    """A route whose refusals are HTML pages (see :func:`html_error`), not JSON bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:
                refusal = html_error(error)
                if refusal is None:
                    raise  # a bug: the app's handler logs it and answers 500
                return refusal

        return answer


def html_error(error: Exception) -> HTMLResponse | None:
    """The HTML page for an error the API maps to a 4xx or 503; None for anything else."""
    headers = None
    if isinstance(error, ApiError):
        status, code, message = error.status_code, error.code, error.message
        if isinstance(error, Unauthenticated):
            headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(error, NotFound):
        status, code, message = 404, "NOT_FOUND", error.message
    elif isinstance(error, Conflict):
        status, code, message = 409, error.code, error.message
    elif isinstance(error, InvalidInput):
        status, code, message = 422, error.code, error.message
    elif isinstance(error, RequestValidationError):
        details = validation_details(error.errors())
        status, code, message = 422, "INVALID_VALUE", "invalid request"
        if details:
            first = details[0]
            code = first.code
            message = f"{first.field}: {first.message}" if first.field else first.message
    elif isinstance(error, StoreError):
        status, code, message = 503, "STORE_UNAVAILABLE", "the store is busy or unavailable"
        headers = {"Retry-After": "1"}
    else:
        return None
    return HTMLResponse(error_page(status, code, message), status_code=status,
                        headers=headers)


_HTML_ERRORS = {401: "Not signed in, or the token is invalid or expired (UNAUTHENTICATED).",
                403: "The token's role may not see the manager pages (FORBIDDEN).",
                404: "Nothing there in the caller's scope (NOT_FOUND).",
                422: "A bad query value; the page names it.",
                503: "The store is busy or unavailable (STORE_UNAVAILABLE)."}
router = APIRouter(prefix="", tags=["pages"], route_class=HtmlErrorRoute, responses={
    code: {"description": text, "content": {"text/html": {}}}
    for code, text in _HTML_ERRORS.items()})


def page_user(runtime: RuntimeDep,
              token: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> User:
    """FastAPI dependency: the signed-in manager, director or admin (from the cookie)."""
    if not token:
        raise Unauthenticated("you are not signed in")
    user = authenticate(runtime.database, token, utc_now())
    require_role(user, *PAGE_ROLES)
    return user


PageUser = Annotated[User, Depends(page_user)]


@router.get("/manager/login", response_class=HTMLResponse, responses={303: {}})
def login(runtime: RuntimeDep, request: Request,
          token: Annotated[str, Query(description="A manager, director or admin token.")],
          next_page: Annotated[str, Query(alias="next")] = DEFAULT_PAGE) -> Response:
    """Check ``token`` and keep it in a cookie for the manager pages, then go to ``next``."""
    user = authenticate(runtime.database, token, utc_now())
    require_role(user, *PAGE_ROLES)
    # Only our own pages: "next" must not send a signed-in manager to another site.
    target = next_page if next_page.startswith("/manager/") and "//" not in next_page \
        and "\\" not in next_page else DEFAULT_PAGE
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE_S, path=COOKIE_PATH,
                        httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.get("/manager/logout", response_class=HTMLResponse)
def logout() -> Response:
    """Drop the sign-in cookie."""
    response = HTMLResponse(page("Signed out", "<p>Open <code>/manager/login?token=...</code>"
                                 " to sign in again.</p>", nav=False))
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    """No icon: an empty answer, so browsers don't log a 404 on every page."""
    return Response(status_code=204, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/manager", response_class=RedirectResponse, status_code=303)
def home() -> str:
    return DEFAULT_PAGE


@router.get("/manager/checkins", response_class=HTMLResponse)
def checkins_list(
    user: PageUser, runtime: RuntimeDep,
    rep_id: str | None = None, customer_id: str | None = None,
    status: Annotated[CheckinStatus | Literal[""] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> HTMLResponse:
    """Recent check-ins in the caller's scope with their status and reasons."""
    rep_id, customer_id = rep_id or None, customer_id or None
    chosen = CheckinStatus(status) if status else None
    found = checkins.list_checkins(user=user, runtime=runtime, rep_id=rep_id,
                                   customer_id=customer_id, status=chosen,
                                   departed_from=None, departed_until=None, limit=limit,
                                   offset=offset)
    filters = {k: v for k, v in (("rep_id", rep_id), ("customer_id", customer_id),
                                 ("status", chosen.value if chosen else None)) if v}
    _, timezone = reports.local_today(runtime, user)
    return HTMLResponse(checkins_page(found, timezone=timezone, filters=filters, limit=limit,
                                      offset=offset))


@router.get("/manager/checkins/{checkin_id}", response_class=HTMLResponse)
def checkin_detail(checkin_id: UUID, user: PageUser, runtime: RuntimeDep,
                   token: Annotated[str, Cookie(alias=COOKIE)] = "") -> HTMLResponse:
    """One check-in: fields, each check's verdict with reasons, the annotated photo, and
    for a ``needs_review`` one the approve/reject form."""
    checkin = checkins.get_checkin(checkin_id, user, runtime)
    _, timezone = reports.local_today(runtime, user)
    form = review_form(checkin.id, form_token(token)) if (
        checkin.status is CheckinStatus.NEEDS_REVIEW and user.role in REVIEWER_ROLES) else ""
    return HTMLResponse(checkin_page(checkin, timezone=timezone, review_form=form))


def form_session(user: PageUser,
                 token: Annotated[str, Cookie(alias=COOKIE)] = "",
                 sent: Annotated[str | None, Form(alias=FORM_FIELD)] = None) -> User:
    """FastAPI dependency: the signed-in user of a page's form post, which must carry the
    session's form token (403 ``CSRF_REJECTED`` otherwise, before the form's other fields
    are validated)."""
    require_form_token(token, sent)
    return user


FormUser = Annotated[User, Depends(form_session)]


@router.post("/manager/checkins/{checkin_id}/review", response_class=HTMLResponse,
             status_code=303, responses={
                 303: {"description": "Decided: back to the check-in's page."},
                 403: {"description": "A rep's cookie (FORBIDDEN), or a post without the "
                       "session's form token (CSRF_REJECTED).",
                       "content": {"text/html": {}}},
                 409: {"description": "Not waiting for review (NOT_UNDER_REVIEW): never was,"
                       " or decided first by someone else.", "content": {"text/html": {}}},
                 422: {"description": "A missing or blank note, or a decision other than "
                       "approve or reject; the page names it.",
                       "content": {"text/html": {}}}})
def review_decision(
    checkin_id: UUID, user: FormUser, runtime: RuntimeDep,
    decision: Annotated[ReviewDecision, Form()],
    note: Annotated[str, Form(max_length=NOTE_MAX_LENGTH)],
) -> Response:
    """Approve or reject a ``needs_review`` check-in with a note (the form of its page),
    then go back to its page."""
    reviews.decide(runtime, user, checkin_id, decision, note)
    return RedirectResponse(f"/manager/checkins/{checkin_id}", status_code=303)


@router.get("/manager/reviews", response_class=HTMLResponse)
def reviews_page(user: PageUser, runtime: RuntimeDep, rep_id: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Offset = 0) -> HTMLResponse:
    """The review queue in the caller's scope: oldest first, with the count per reason."""
    rep_id = rep_id or None
    queue = reviews.list_reviews(user=user, runtime=runtime, rep_id=rep_id, limit=limit,
                                 offset=offset)
    _, timezone = reports.local_today(runtime, user)
    return HTMLResponse(review_queue_page(queue, timezone=timezone,
                                          filters={"rep_id": rep_id} if rep_id else {},
                                          limit=limit, offset=offset))


@router.get("/manager/checkins/{checkin_id}/photo", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
def checkin_photo(checkin_id: UUID, user: PageUser, runtime: RuntimeDep,
                  annotated: bool = True) -> Response:
    """The photo of the drill-down: ``GET /v1/checkins/{id}/photo``'s answer, under the
    sign-in cookie."""
    return checkins.get_checkin_photo(checkin_id, user, runtime, annotated=annotated)


@router.get("/manager/phi", response_class=HTMLResponse)
def phi_page(user: PageUser, runtime: RuntimeDep, period: str | None = None,
             team: str | None = None) -> HTMLResponse:
    """The PHI report page (``visitproof phi --format html``) for ``period`` (default:
    this month in the tenant's time zone); a manager sees their team."""
    if not period:
        today, _ = reports.local_today(runtime, user)
        period = f"{today:%Y-%m}"
    report = reports.phi_report(user, runtime, period=period, team=team or None, now=None)
    return HTMLResponse(report_to_html(report))


@router.get("/manager/overlap", response_class=HTMLResponse)
def overlap_page(
    user: PageUser, runtime: RuntimeDep,
    date_from: Annotated[str | None, Query(alias="from")] = None,
    date_to: Annotated[str | None, Query(alias="to")] = None,
    top: Annotated[int, Query(ge=1, le=200)] = 10,
    neglect_days: Annotated[int, Query(ge=1, le=3650)] = 21,
    tiles: Literal["configured", "none"] = "configured",
) -> HTMLResponse:
    """The offline overlap map (Leaflet and the page's script inlined from the vendored
    ``geo/map_assets``). Map tiles come from the network only where the operator set
    ``VISITPROOF_MAP_TILE_URL`` (``tiles=none`` turns them off even then); unset, a plain
    background. Default range: the last 28 days, with one view per week."""
    today, _ = reports.local_today(runtime, user)
    last = reports.parse_day(date_to, "to") if date_to else today
    # The default range never starts before the calendar (a "to" of 1970-01-05).
    first = reports.parse_day(date_from, "from") if date_from \
        else max(FIRST_DAY, last - timedelta(days=OVERLAP_DAYS - 1))
    policy = OverlapPolicy(neglect_days=neglect_days, top_n=top)
    found = reports.overlap_reports(user, runtime, first=first, last=last, policy=policy,
                                    now=None, weekly=True)
    if found[0].customers.empty:
        return HTMLResponse(page("Territory overlap", "<p>No customers are assigned to the "
                                 "reps you manage yet: nothing to map.</p>"))
    options = MapOptions(title="Territory overlap", tile_url=runtime.settings.map_tile_url
                         if tiles == "configured" else None)
    return HTMLResponse(overlap_map_html(found, options))

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

Periods open on the data: ``/manager/phi`` without ``period`` shows the month of the
tenant's latest check-in (local time), ``/manager/overlap`` without ``from``/``to`` the 28
days ending on its local day (today's month or days when there are no check-ins yet). The
check-in list filters by rep, customer, status and local days (``from``/``to``), sorts by
the server's submission time (``sort=newest|oldest``); ``/manager/checkins.csv`` and ``.xlsx``
export it with the same filters (:mod:`serving.routes.manager_exports`).

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
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Cookie, Depends, Form, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from application.reports import tenant_timezone
from application.review import NOTE_MAX_LENGTH, ReviewDecision
from geo.overlap_map import MapOptions, overlap_map_html
from geo.territory_overlap import OverlapPolicy
from phi.periods import FIRST_DAY
from phi.report_html import report_to_html
from serving.auth import (
    REVIEWER_ROLES,
    Role,
    User,
    authenticate,
    listed_rep_ids,
    require_role,
    visible_rep_ids,
)
from serving.errors import ApiError, Unauthenticated, validation_details
from serving.form_token import FORM_FIELD, form_token, require_form_token
from serving.pages.checkin_filters import CheckinFilters, Names, Sort
from serving.pages.checkin_pages import checkin_page, checkins_page
from serving.pages.layout import error_page, page, with_nav
from serving.pages.phi_pickers import months_between, phi_pickers
from serving.pages.review_pages import review_form, review_queue_page
from serving.pages.visit_note_page import checkin_note_section
from serving.query_params import Offset
from serving.routes import checkins, reports, reviews, visit_notes
from serving.runtime import Runtime, RuntimeDep
from serving.schemas import CheckinPublic, CheckinsPublic
from serving.schemas_visit_notes import VisitNotePublic
from visitproof.errors import Conflict, InvalidInput, InvalidValue, NotFound, StoreError
from visitproof.reasons import ReasonCode
from visitproof.records import CheckinStatus
from visitproof.store import ReferenceData, Store, VisitNotes
from visitproof.values import utc_now

COOKIE = "vp_manager_token"
COOKIE_PATH = "/manager"
COOKIE_MAX_AGE_S = 8 * 3600
PAGE_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
DEFAULT_PAGE = "/manager/checkins"
OVERLAP_DAYS = 28
#: Up to this many customers on a page are looked up one by one for their names.
NAME_LOOKUPS = 100


class HtmlErrorRoute(APIRoute):
    """A route whose refusals are HTML pages (see :func:`html_error`), not JSON bodies;
    ``render`` draws the page (the rep pages' subclass draws theirs)."""

    @staticmethod
    def render(status_code: int, code: str, message: str) -> str:
        return error_page(status_code, code, message)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        render = self.render

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as error:
                refusal = html_error(error, render)
                if refusal is None:
                    raise  # a bug: the app's handler logs it and answers 500
                return refusal

        return answer


def html_error(error: Exception, render: Callable[[int, str, str], str] | None = None
               ) -> HTMLResponse | None:
    """The HTML page (``render(status, code, message)``, by default :func:`error_page`) for
    an error the API maps to a 4xx or 503; None for anything else."""
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
    return HTMLResponse((render or error_page)(status, code, message), status_code=status,
                        headers=headers)


_HTML_ERRORS = {401: "Not signed in, or the token is invalid or expired (UNAUTHENTICATED).",
                403: "The token's role may not see the manager pages (FORBIDDEN).",
                404: "Nothing there in the caller's scope (NOT_FOUND).",
                422: "A bad query value; the page names it.",
                503: "The store is busy or unavailable (STORE_UNAVAILABLE)."}
#: The refusals every manager page may answer, as HTML (for the routers of the other page
#: modules too).
PAGE_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"text/html": {}}}
    for code, text in _HTML_ERRORS.items()}
router = APIRouter(prefix="", tags=["pages"], route_class=HtmlErrorRoute,
                   responses=PAGE_ERROR_RESPONSES)


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


def list_filters(
    rep_id: str | None = None, customer_id: str | None = None,
    status: Annotated[CheckinStatus | Literal[""] | None, Query()] = None,
    day_from: Annotated[str | None, Query(alias="from",
                                          description="Departed on or after this local day "
                                          "(YYYY-MM-DD, the tenant's time zone).")] = None,
    day_to: Annotated[str | None, Query(alias="to",
                                        description="Departed on or before this local day."
                                        )] = None,
    sort: Annotated[Sort, Query(description="By the server's submission time.")] = "newest",
    reason: Annotated[ReasonCode | Literal[""] | None, Query(
        description="Only check-ins whose verdict lists this reason code.")] = None,
) -> CheckinFilters:
    """FastAPI dependency: the check-in list's filters (a blank form field: no filter). A
    bad day is 422 ``BAD_DATE``, ``from`` after ``to`` 422 ``TIME_ORDER``."""
    first = reports.parse_day(day_from, "from") if day_from else None
    last = reports.parse_day(day_to, "to") if day_to else None
    if first and last and first > last:
        raise InvalidValue("to", f"{last} is before from ({first})", code="TIME_ORDER")
    return CheckinFilters(rep_id=rep_id or None, customer_id=customer_id or None,
                          status=CheckinStatus(status) if status else None,
                          day_from=first, day_to=last, sort=sort,
                          reason=ReasonCode(reason) if reason else None)


ListFilters = Annotated[CheckinFilters, Depends(list_filters)]


def _checkin_page(store: Store, user: User, filters: CheckinFilters, timezone: str, *,
                  limit: int, offset: int) -> CheckinsPublic:
    """One page of the list in ``user``'s scope: the query of ``GET /v1/checkins`` with the
    page's day range and order."""
    departed_from, departed_until = filters.departed_between(timezone)
    found = store.checkins.page(
        rep_ids=listed_rep_ids(user, store.reference, filters.rep_id),
        customer_id=filters.customer_id, status=filters.status,
        departed_from=departed_from, departed_until=departed_until, limit=limit,
        offset=offset, oldest_first=filters.sort == "oldest",
        reason_code=filters.reason.value if filters.reason else None)
    return CheckinsPublic(data=[CheckinPublic.of(c) for c in found.items], count=found.count)


def _names(store: Store, customer_ids: set[str]) -> Names:
    """The names of every rep and of ``customer_ids`` (one by one for a page's few, the
    whole list for an export's many)."""
    reps = {rep.id: rep.name for rep in store.reference.reps()}
    if len(customer_ids) <= NAME_LOOKUPS:
        found = (store.reference.customer(key) for key in sorted(customer_ids))
        customers = {c.id: c.name for c in found if c is not None}
    else:
        customers = {c.id: c.name for c in store.reference.customers()
                     if c.id in customer_ids}
    return Names(reps=reps, customers=customers)


@dataclass(frozen=True)
class Listing:
    """What a page of the check-in list shows (the list and the gallery)."""

    found: CheckinsPublic
    timezone: str
    names: Names
    reps: list[tuple[str, str]]  # the rep picker's choices
    photos: set[str]  # digests of the shown check-ins whose photo is stored


def listing(runtime: Runtime, user: User, filters: CheckinFilters, *, limit: int,
            offset: int) -> Listing:
    """One page of the list in ``user``'s scope, with the names, picker and photos its
    page shows."""
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        timezone = tenant_timezone(connection, user.tenant_id)
        found = _checkin_page(store, user, filters, timezone, limit=limit, offset=offset)
        names = _names(store, {c.customer_id for c in found.data})
        reps = rep_choices(store, user, names)
    return Listing(found=found, timezone=timezone, names=names, reps=reps,
                   photos=stored_photos(runtime, found.data))


def rep_choices(store: Store, user: User, names: Names) -> list[tuple[str, str]]:
    """The rep picker's choices: the reps ``user`` may see, as (id, name), by id."""
    visible = visible_rep_ids(user, store.reference)
    return [(rep_id, names.reps.get(rep_id, rep_id))
            for rep_id in sorted(names.reps if visible is None else visible)]


def stored_photos(runtime: Runtime, shown: list[CheckinPublic]) -> set[str]:
    """The digests of ``shown`` whose photo is in the photo store (one stat each): the
    rows that get a thumbnail."""
    return {c.photo_sha256 for c in shown if runtime.photos.exists(c.photo_sha256)}


@router.get("/manager/checkins", response_class=HTMLResponse)
def checkins_list(
    user: PageUser, runtime: RuntimeDep, filters: ListFilters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> HTMLResponse:
    """Check-ins in the caller's scope with names, status and reasons: filtered by rep,
    customer, status and local days, newest (or oldest) submission first, paged."""
    shown = listing(runtime, user, filters, limit=limit, offset=offset)
    return HTMLResponse(checkins_page(shown.found, timezone=shown.timezone, filters=filters,
                                      names=shown.names, reps=shown.reps, limit=limit,
                                      offset=offset, photos=shown.photos,
                                      reason_filter=True))


@router.get("/manager/checkins/{checkin_id}", response_class=HTMLResponse)
def checkin_detail(checkin_id: UUID, user: PageUser, runtime: RuntimeDep,
                   token: Annotated[str, Cookie(alias=COOKIE)] = "") -> HTMLResponse:
    """One check-in: fields (rep and customer named), each check's verdict with reasons,
    the annotated photo, and for a ``needs_review`` one the approve/reject form."""
    checkin = checkins.get_checkin(checkin_id, user, runtime)
    with runtime.database.connect() as connection:
        timezone = tenant_timezone(connection, user.tenant_id)
        names = _names(Store(connection, user.tenant_id), {checkin.customer_id})
        note = VisitNotes(connection, user.tenant_id).for_checkin(checkin.id)
    note_html = "" if note is None else checkin_note_section(VisitNotePublic.of(note),
                                                             ZoneInfo(timezone))
    form = review_form(checkin.id, form_token(token)) if (
        checkin.status is CheckinStatus.NEEDS_REVIEW and user.role in REVIEWER_ROLES) else ""
    html = checkin_page(checkin, timezone=timezone, review_form=form, names=names,
                        visit_note=note_html)
    # The customer's visit pack (serving.routes.manager_visit_pack), under the heading.
    pack = (f"<p><a href='/manager/customers/{quote(checkin.customer_id, safe='')}"
            "/visit-pack'>Visit pack of this customer</a></p>")
    return HTMLResponse(html.replace("</h1>", f"</h1>{pack}", 1))


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
    with runtime.database.connect() as connection:
        timezone = tenant_timezone(connection, user.tenant_id)
        names = _names(Store(connection, user.tenant_id), {c.customer_id for c in queue.data})
    return HTMLResponse(review_queue_page(queue, timezone=timezone,
                                          filters={"rep_id": rep_id} if rep_id else {},
                                          limit=limit, offset=offset, names=names))


@router.get("/manager/checkins/{checkin_id}/photo", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
def checkin_photo(checkin_id: UUID, user: PageUser, runtime: RuntimeDep,
                  annotated: bool = True) -> Response:
    """The photo of the drill-down: ``GET /v1/checkins/{id}/photo``'s answer, under the
    sign-in cookie; not annotated, the evidence archive's watermarked copy
    (``/v1/checkins/{id}/photo/archive``) when the check-in is archived, else the original."""
    if not annotated:
        try:
            return checkins.get_checkin_archive_photo(checkin_id, user, runtime)
        except NotFound:
            pass  # not archived (yet): the photo as uploaded
    return checkins.get_checkin_photo(checkin_id, user, runtime, annotated=annotated)


@router.get("/manager/visit-notes/{note_id}/audio", response_class=Response,
            responses={200: {"content": {"audio/wav": {}, "audio/ogg": {}}}})
def visit_note_audio(note_id: UUID, user: PageUser, runtime: RuntimeDep) -> Response:
    """The drill-down's recording: ``GET /v1/visit-notes/{id}/audio``'s answer, under the
    sign-in cookie (an ``<audio>`` can't send a bearer header)."""
    return visit_notes.get_visit_note_audio(note_id, user, runtime)


def data_days(runtime: Runtime, user: User) -> tuple[tuple[date, date] | None, str]:
    """The local days (tenant's time zone) of the tenant's first and latest departure up
    to now (None: no check-ins yet), and the zone."""
    with runtime.database.connect() as connection:
        timezone = tenant_timezone(connection, user.tenant_id)
        span = Store(connection, user.tenant_id).checkins.departure_span(utc_now())
    zone = ZoneInfo(timezone)
    if span is None:
        return None, timezone
    return (span[0].astimezone(zone).date(), span[1].astimezone(zone).date()), timezone


@router.get("/manager/phi", response_class=HTMLResponse)
def phi_page(user: PageUser, runtime: RuntimeDep, period: str | None = None,
             team: str | None = None) -> HTMLResponse:
    """The PHI report page (``visitproof phi --format html``) for ``period`` (default: the
    month of the tenant's latest check-in, local time; this month when there is none), with
    the navigation and the period and team pickers; a manager sees their team."""
    span, timezone = data_days(runtime, user)
    today = utc_now().astimezone(ZoneInfo(timezone)).date()
    first, last = span or (today, today)
    period = period or f"{last:%Y-%m}"
    report = reports.phi_report(user, runtime, period=period, team=team or None, now=None)
    teams = None
    if user.role in (Role.DIRECTOR, Role.ADMIN):
        with runtime.database.connect() as connection:
            teams = [(t.id, t.name) for t in ReferenceData(connection, user.tenant_id).teams()]
    pickers = phi_pickers(period=period, months=months_between(first, last), teams=teams,
                          team=team or None, own_team=user.team_id)
    return HTMLResponse(with_nav(report_to_html(report), "/manager/phi", pickers))


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
    background. Default range: the 28 days ending on the local day of the tenant's latest
    check-in (today when there is none), with one view per week."""
    span, timezone = data_days(runtime, user)
    latest = span[1] if span else utc_now().astimezone(ZoneInfo(timezone)).date()
    last = reports.parse_day(date_to, "to") if date_to else latest
    # The default range never starts before the calendar (a "to" of 1970-01-05).
    first = reports.parse_day(date_from, "from") if date_from \
        else max(FIRST_DAY, last - timedelta(days=OVERLAP_DAYS - 1))
    policy = OverlapPolicy(neglect_days=neglect_days, top_n=top)
    found = reports.overlap_reports(user, runtime, first=first, last=last, policy=policy,
                                    now=None, weekly=True)
    if found[0].customers.empty:
        return HTMLResponse(page("Territory overlap", "<p>No customers are assigned to the "
                                 "reps you manage yet: nothing to map.</p>",
                                 current="/manager/overlap"))
    options = MapOptions(title="Territory overlap", tile_url=runtime.settings.map_tile_url
                         if tiles == "configured" else None)
    return HTMLResponse(with_nav(overlap_map_html(found, options), "/manager/overlap",
                                 after="<header>"))

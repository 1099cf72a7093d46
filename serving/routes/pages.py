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
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from geo.overlap_map import OSM_TILES, MapOptions, overlap_map_html
from geo.territory_overlap import OverlapPolicy
from phi.periods import FIRST_DAY
from phi.report_html import report_to_html
from serving.auth import Role, User, authenticate, require_role
from serving.errors import ApiError, Unauthenticated, validation_details
from serving.pages.checkin_pages import checkin_page, checkins_page
from serving.pages.layout import error_page, page
from serving.query_params import Offset
from serving.routes import checkins, reports
from serving.runtime import RuntimeDep
from visitproof.errors import InvalidInput, NotFound, StoreError
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
def checkin_detail(checkin_id: UUID, user: PageUser, runtime: RuntimeDep) -> HTMLResponse:
    """One check-in: fields, each check's verdict with reasons, the annotated photo."""
    checkin = checkins.get_checkin(checkin_id, user, runtime)
    _, timezone = reports.local_today(runtime, user)
    return HTMLResponse(checkin_page(checkin, timezone=timezone))


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
    tiles: Literal["osm", "none"] = "osm",
) -> HTMLResponse:
    """The offline overlap map (Leaflet and the page's script inlined from the vendored
    ``geo/map_assets``; only the optional OpenStreetMap tiles come from the network, and
    ``tiles=none`` turns them off). Default range: the last 28 days, with one view per week."""
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
    options = MapOptions(title="Territory overlap",
                         tile_url=OSM_TILES if tiles == "osm" else None)
    return HTMLResponse(overlap_map_html(found, options))

"""Rep pages (HTML, for the phone): sign-in, the rep's customers, the visit pack.

Signing in mirrors the manager pages (:mod:`serving.routes.pages`): a rep opens
``/rep/login?token=<rep token>`` once; the token is checked (role ``rep`` only) and kept in an
HttpOnly cookie (``SameSite=Lax``, path ``/rep``, 8 hours, ``Secure`` over HTTPS), then the
browser goes on to ``next`` (a ``/rep/...`` path) or ``/rep``. ``/rep/logout`` drops it.

Every page answers an HTML page on failure, never JSON: 401 says how to sign in, 403 (a
manager's token), 404 (a customer not assigned to the rep, or none at all) and 422 say what
went wrong with the stable code of the API.

Other page modules build on the two names here: :data:`RepPageUser` (the signed-in rep, a
FastAPI dependency) and :func:`rep_page` (a whole page in the rep layout).
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from serving.auth import Role, User, authenticate, require_role
from serving.errors import Unauthenticated
from serving.pages.layout import STYLE
from serving.pages.visit_pack_page import PACK_STYLE, visit_pack_body
from serving.routes import checkins
from serving.routes.customers import AtInstant, build_pack
from serving.routes.pages import HtmlErrorRoute
from serving.runtime import RuntimeDep
from visitproof.store import Store
from visitproof.values import utc_now

COOKIE = "vp_rep_token"
COOKIE_PATH = "/rep"
COOKIE_MAX_AGE_S = 8 * 3600
DEFAULT_PAGE = "/rep"

#: The rep layout: the manager style sheet plus a phone-first frame (390 CSS px, no
#: sideways scroll; long ids break anywhere).
REP_STYLE = STYLE + PACK_STYLE + "main{margin:12px;max-width:640px}\n"
_NAV = (("/rep", "My customers"), ("/rep/logout", "Sign out"))
_NAV_STYLE = ("background:#1b3a4b;padding:8px 12px;font:14px/1.4 system-ui,sans-serif;"
              "display:flex;flex-wrap:wrap;gap:4px 18px")
_LINK_STYLE = "color:#fff;text-decoration:none;white-space:nowrap"


def rep_page(title: str, body_html: str, *, nav: bool = True) -> str:
    """A whole page in the rep layout: ``title`` (plain text, escaped here) around
    ``body_html`` (HTML, already escaped by the caller)."""
    links = "".join(f"<a href='{href}' style='{_LINK_STYLE}'>{label}</a>"
                    for href, label in _NAV)
    bar = f"<nav id='vp-nav' style='{_NAV_STYLE}'>{links}</nav>" if nav else ""
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(title)} · visitproof</title><style>{REP_STYLE}</style></head>"
            f"<body>{bar}<main><h1>{escape(title)}</h1>{body_html}</main></body></html>\n")


def rep_error_page(status_code: int, code: str, message: str) -> str:
    """The rep page for a refused request: what happened, the stable code, what to do."""
    if status_code == 401:
        title, hint = "Sign in needed", (
            "Open <code>/rep/login?token=YOUR_TOKEN</code> with your rep token. The page "
            "keeps it in a cookie for this phone until you sign out.")
    elif status_code == 403:
        title, hint = "Not allowed", "These pages are for reps; managers use /manager."
    elif status_code == 404:
        title, hint = "Not found", ("It does not exist, or it is not one of your "
                                    "customers.")
    elif status_code == 422:
        title, hint = "Check the address", "A value in the address is not valid."
    else:
        title, hint = "Try again", "The service is busy or unavailable; reload in a moment."
    body = (f"<div class='error'><p><strong>{escape(message)}</strong></p>"
            f"<p class='muted'>HTTP {status_code} · <code>{escape(code)}</code></p>"
            f"<p>{hint}</p></div>")
    return rep_page(title, body, nav=status_code != 401)


class RepHtmlErrorRoute(HtmlErrorRoute):
    """A route whose refusals are rep HTML pages (:func:`rep_error_page`), not JSON."""

    @staticmethod
    def render(status_code: int, code: str, message: str) -> str:
        return rep_error_page(status_code, code, message)


_HTML_ERRORS = {401: "Not signed in, or the token is invalid or expired (UNAUTHENTICATED).",
                403: "The token is not a rep's (FORBIDDEN).",
                404: "Not one of the rep's customers or check-ins, or no such thing (NOT_FOUND).",
                422: "A bad path or query value; the page names it.",
                503: "The store is busy or unavailable (STORE_UNAVAILABLE)."}
#: The refusals every rep page may answer, as HTML.
REP_PAGE_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {"text/html": {}}}
    for code, text in _HTML_ERRORS.items()}
router = APIRouter(prefix="", tags=["rep pages"], route_class=RepHtmlErrorRoute,
                   responses=REP_PAGE_ERROR_RESPONSES)


def rep_page_user(runtime: RuntimeDep,
                  token: Annotated[str | None, Cookie(alias=COOKIE)] = None) -> User:
    """FastAPI dependency: the signed-in rep (from the ``/rep`` cookie)."""
    if not token:
        raise Unauthenticated("you are not signed in")
    user = authenticate(runtime.database, token, utc_now())
    require_role(user, Role.REP)
    return user


RepPageUser = Annotated[User, Depends(rep_page_user)]


@router.get("/rep/login", response_class=HTMLResponse, responses={303: {}})
def rep_login(runtime: RuntimeDep, request: Request,
              token: Annotated[str, Query(description="A rep token.")],
              next_page: Annotated[str, Query(alias="next")] = DEFAULT_PAGE) -> Response:
    """Check ``token`` (a rep's) and keep it in a cookie for the rep pages, then go to
    ``next``."""
    user = authenticate(runtime.database, token, utc_now())
    require_role(user, Role.REP)
    # Only our own pages: "next" must not send a signed-in rep to another site.
    target = next_page if (next_page == "/rep" or next_page.startswith("/rep/")) \
        and "//" not in next_page and "\\" not in next_page else DEFAULT_PAGE
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE_S, path=COOKIE_PATH,
                        httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")
    return response


@router.get("/rep/logout", response_class=HTMLResponse)
def rep_logout() -> Response:
    """Drop the sign-in cookie."""
    response = HTMLResponse(rep_page("Signed out", "<p>Open <code>/rep/login?token=...</code>"
                                     " to sign in again.</p>", nav=False))
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def customer_link(prefix: str, customer_id: str) -> str:
    """The visit pack's page of ``customer_id`` under ``prefix`` (``/rep`` or
    ``/manager``), path-escaped."""
    return f"{prefix}/customers/{quote(customer_id, safe='')}/visit-pack"


@router.get("/rep", response_class=HTMLResponse)
def rep_home(user: RepPageUser, runtime: RuntimeDep) -> HTMLResponse:
    """The rep's customers (those assigned to them), each linking to its visit pack."""
    with runtime.database.connect() as connection:
        mine = [c for c in Store(connection, user.tenant_id).reference.customers()
                if user.user_id in c.assigned_rep_ids]
    if not mine:
        body = "<p class='empty'>No customers are assigned to you yet.</p>"
    else:
        items = "".join(
            f"<li><a href='{customer_link('/rep', c.id)}'>{escape(c.name)}</a> "
            f"<span class='muted'>{escape(c.type.value)} · tier {escape(c.tier.value)} · "
            f"<code>{escape(c.id)}</code></span></li>" for c in mine)
        body = (f"<p class='muted'>{len(mine)} customers. Open one before the visit.</p>"
                f"<ul class='plain'>{items}</ul>")
    return HTMLResponse(rep_page("My customers", body))


@router.get("/rep/customers/{customer_id}/visit-pack", response_class=HTMLResponse)
def rep_visit_pack(customer_id: str, user: RepPageUser, runtime: RuntimeDep,
                   at: AtInstant = None) -> HTMLResponse:
    """The visit pack of one of the rep's customers, for the phone (what
    ``GET /v1/customers/{id}/visit-pack`` answers, as a page)."""
    pack = build_pack(runtime, user, customer_id, at)
    body = visit_pack_body(pack, photo_base="/rep/checkins")
    return HTMLResponse(rep_page(f"Visit pack: {pack.customer.name}", body))


@router.get("/rep/checkins/{checkin_id}/photo", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
def rep_checkin_photo(checkin_id: UUID, user: RepPageUser, runtime: RuntimeDep) -> Response:
    """The photo of one of the rep's check-ins: ``GET /v1/checkins/{id}/photo``'s answer,
    under the rep sign-in cookie."""
    return checkins.get_checkin_photo(checkin_id, user, runtime, annotated=False)

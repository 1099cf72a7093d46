"""``/manager/customers/{id}/visit-pack``: the rep's visit pack, in the manager layout.

The same pack and renderer as the rep page (:mod:`serving.routes.rep_pages`), in the manager's
scope (their team's reps' customers; a director or admin any), linked from the check-in
drill-down. Refusals are the manager pages' HTML error pages.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from serving.pages.layout import page
from serving.pages.visit_pack_page import PACK_STYLE, visit_pack_body
from serving.routes.customers import AtInstant, build_pack
from serving.routes.pages import PAGE_ERROR_RESPONSES, HtmlErrorRoute, PageUser
from serving.runtime import RuntimeDep

router = APIRouter(prefix="", tags=["pages"], route_class=HtmlErrorRoute,
                   responses=PAGE_ERROR_RESPONSES)


@router.get("/manager/customers/{customer_id}/visit-pack", response_class=HTMLResponse)
def manager_visit_pack(customer_id: str, user: PageUser, runtime: RuntimeDep,
                       at: AtInstant = None) -> HTMLResponse:
    """The visit pack of a customer of the manager's team (``GET /v1/customers/{id}/
    visit-pack``, as a page)."""
    pack = build_pack(runtime, user, customer_id, at)
    body = visit_pack_body(pack, photo_base="/manager/checkins",
                           photo_query="?annotated=false", checkin_base="/manager/checkins")
    return HTMLResponse(page(f"Visit pack: {pack.customer.name}",
                             f"<style>{PACK_STYLE}</style>{body}"))

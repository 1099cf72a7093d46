"""Manager pages over the shelf photos: a check-in's thumbnail and the photo gallery.

``/manager/checkins/{id}/thumbnail`` answers a small JPEG of the check-in's photo
(:mod:`application.thumbnails`, cached on disk beside the photo store) under the sign-in
cookie, in the scope of the drill-down's photo: the check-in is looked up by
``GET /v1/checkins/{id}``'s own code, so one outside the caller's scope is a 404 page, as is
a check-in whose photo is not in the store. Its address carries the photo's digest
(``?v=``), so it may be cached for a day.

``/manager/gallery`` is the check-in list's query (rep, customer, status, reason, local
days, order; :func:`serving.routes.pages.list_filters`) shown as a grid of thumbnails,
grouped by rep, customer, local day or status (``group``), paged with the total
(:mod:`serving.pages.gallery_pages`). The reason filter is the store's
(``Checkins.page(reason_code=...)``): check-ins whose verdict lists that code.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from application.thumbnails import Thumbnails
from serving.pages.gallery_pages import GalleryView, Group, gallery_page
from serving.query_params import Offset
from serving.routes import checkins
from serving.routes.pages import (
    PAGE_ERROR_RESPONSES,
    HtmlErrorRoute,
    ListFilters,
    PageUser,
    listing,
)
from serving.runtime import RuntimeDep

#: How long a browser may keep a thumbnail (its address changes with the photo).
THUMBNAIL_MAX_AGE_S = 86400

router = APIRouter(prefix="", tags=["pages"], route_class=HtmlErrorRoute,
                   responses=PAGE_ERROR_RESPONSES)


@router.get("/manager/checkins/{checkin_id}/thumbnail", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}},
                             "description": "The photo, at most 240 px on its long side."}})
def checkin_thumbnail(
    checkin_id: UUID, user: PageUser, runtime: RuntimeDep,
    v: Annotated[str | None, Query(max_length=64, description=(
        "The start of the photo's digest, as the pages link it: a retake's new photo gets "
        "a new address, so a cached thumbnail is never the old photo's. Not checked."))
    ] = None,
) -> Response:
    """A small JPEG of the check-in's shelf photo, in the scope of its drill-down."""
    checkin = checkins.get_checkin(checkin_id, user, runtime)
    data = Thumbnails(runtime.photos).jpeg(checkin.photo_sha256)
    return Response(content=data, media_type="image/jpeg",
                    headers={"Cache-Control": f"private, max-age={THUMBNAIL_MAX_AGE_S}",
                             "ETag": f'"{checkin.photo_sha256}-thumbnail"'})


@router.get("/manager/gallery", response_class=HTMLResponse)
def gallery(
    user: PageUser, runtime: RuntimeDep, filters: ListFilters,
    group: Annotated[Group, Query(description="Group the page's tiles by this.")] = "day",
    limit: Annotated[int, Query(ge=1, le=240)] = 60,
    offset: Offset = 0,
) -> HTMLResponse:
    """The check-ins of the list's filters as a grid of photo thumbnails, grouped."""
    shown = listing(runtime, user, filters, limit=limit, offset=offset)
    return HTMLResponse(gallery_page(
        shown.found, timezone=shown.timezone, filters=filters,
        view=GalleryView(group=group, limit=limit, offset=offset), names=shown.names,
        reps=shown.reps, photos=shown.photos))

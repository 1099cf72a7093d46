"""Manager pages: a rep's day on the map (issue 19).

``/manager/reps/{rep_id}/day?date=YYYY-MM-DD`` shows the check-ins of ``rep_id`` that
departed on that local day (the tenant's time zone; the list filters' day,
:meth:`~serving.pages.checkin_filters.CheckinFilters.departed_between`), in visiting order
on an offline map and in a list (:mod:`serving.pages.day_pages`). Without ``date``: the
rep's latest local day with a check-in departed up to now (a phone clock in year 9999 does
not become the default). Previous and next link to the nearest days with check-ins.

Scope: a manager sees their team's reps, a director or admin every rep of the tenant
(:func:`serving.auth.visible_rep_ids`); a rep outside it, or unknown, is a 404 page, the
same answer for both, so ids don't leak. A bad ``date`` is a 422 page ``BAD_DATE``.
``/manager/reps/day?rep_id=...&date=...`` is the picker form's target: it sends the
browser on (303) to that rep's page.

Map tiles come from the network only where the operator set ``VISITPROOF_MAP_TILE_URL``
(``tiles=none`` turns them off even then), as on the overlap map.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from application.reports import tenant_timezone
from geo.day_map import DaySite
from serving.auth import visible_rep_ids
from serving.pages.checkin_filters import CheckinFilters, Names
from serving.pages.day_pages import day_page, day_path
from serving.routes import reports
from serving.routes.pages import PAGE_ERROR_RESPONSES, HtmlErrorRoute, PageUser
from serving.runtime import RuntimeDep
from serving.schemas import CheckinPublic
from visitproof.errors import NotFound
from visitproof.store import Store
from visitproof.values import utc_now

#: The most check-ins one day's page shows (a real day has a few dozen at most).
DAY_LIMIT = 500

router = APIRouter(prefix="", tags=["pages"], route_class=HtmlErrorRoute,
                   responses=PAGE_ERROR_RESPONSES)

DayQuery = Annotated[str | None, Query(
    alias="date", description="A local day (YYYY-MM-DD, the tenant's time zone); default: "
    "the rep's latest day with check-ins.")]


@router.get("/manager/reps/day", response_class=RedirectResponse, status_code=303,
            responses={303: {"description": "On to the rep's day page."}})
def day_picker(user: PageUser, rep_id: Annotated[str, Query(min_length=1)],
               day: DayQuery = None) -> RedirectResponse:
    """The picker form's target: on to ``rep_id``'s page for ``date`` (blank: their latest
    day). A bad day is 422 ``BAD_DATE`` here already."""
    chosen = reports.parse_day(day, "date") if day else None
    return RedirectResponse(day_path(rep_id, chosen), status_code=303)


@router.get("/manager/reps/{rep_id}/day", response_class=HTMLResponse)
def rep_day(rep_id: str, user: PageUser, runtime: RuntimeDep, day: DayQuery = None,
            tiles: Literal["configured", "none"] = "configured") -> HTMLResponse:
    """The rep's check-ins of one local day on a map and in a list, in visiting order,
    with the day's totals, previous/next days with check-ins and a rep picker."""
    chosen = reports.parse_day(day, "date") if day else None
    with runtime.database.connect() as connection:
        store = Store(connection, user.tenant_id)
        timezone = tenant_timezone(connection, user.tenant_id)
        zone = ZoneInfo(timezone)
        reps = {rep.id: rep.name for rep in store.reference.reps()}
        visible = visible_rep_ids(user, store.reference)
        if rep_id not in reps or (visible is not None and rep_id not in visible):
            raise NotFound(f"no rep {rep_id!r} among the reps you may see")
        now = utc_now()
        if chosen is None:
            chosen = _latest_day(store, rep_id, until=now, zone=zone)
        checkins: list[CheckinPublic] = []
        total = 0
        previous_day = next_day = None
        if chosen is not None:
            start, end = _day_span(chosen, timezone)
            found = store.checkins.page(rep_ids=[rep_id], departed_from=start,
                                        departed_until=end, limit=DAY_LIMIT,
                                        oldest_first=True)
            checkins = [CheckinPublic.of(c) for c in found.items]
            total = found.count
            previous_day = _latest_day(store, rep_id, until=start, zone=zone)
            next_day = _first_day(store, rep_id, since=end, until=now, zone=zone)
        sites = {}
        customer_names = {}
        for customer_id in sorted({c.customer_id for c in checkins}):
            customer = store.reference.customer(customer_id)
            if customer is not None:
                customer_names[customer_id] = customer.name
                sites[customer_id] = DaySite(lat=customer.location.lat,
                                             lon=customer.location.lon,
                                             radius_m=customer.geofence_radius_m)
    picker = sorted(reps if visible is None else visible & reps.keys())
    names = Names(reps=reps, customers=customer_names)
    return HTMLResponse(day_page(
        checkins, rep_id=rep_id, day=chosen, timezone=timezone, names=names, sites=sites,
        reps=[(key, reps[key]) for key in picker], previous_day=previous_day,
        next_day=next_day, total=total,
        tile_url=runtime.settings.map_tile_url if tiles == "configured" else None))


def _day_span(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The local ``day`` as UTC instants [start, end), as the check-in list's day filter."""
    start, end = CheckinFilters(day_from=day, day_to=day).departed_between(timezone)
    if start is None or end is None:  # never: both days are given
        raise ValueError(f"no span for {day}")
    return start, end


def _latest_day(store: Store, rep_id: str, *, until: datetime, zone: ZoneInfo) -> date | None:
    """The local day of ``rep_id``'s latest departure before ``until`` (None: none)."""
    count = store.checkins.page(rep_ids=[rep_id], departed_until=until, limit=1).count
    if not count:
        return None
    latest = store.checkins.find(rep_ids=[rep_id], departed_until=until, offset=count - 1,
                                 limit=1)
    return latest[0].departed_at.astimezone(zone).date() if latest else None


def _first_day(store: Store, rep_id: str, *, since: datetime, until: datetime,
               zone: ZoneInfo) -> date | None:
    """The local day of ``rep_id``'s first departure in [``since``, ``until``] (None:
    none)."""
    if since > until:
        return None
    first = store.checkins.find(rep_ids=[rep_id], departed_from=since,
                                departed_until=until + timedelta(microseconds=1), limit=1)
    return first[0].departed_at.astimezone(zone).date() if first else None

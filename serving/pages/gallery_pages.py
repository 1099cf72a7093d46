"""The photo gallery: the check-in list's filters over a grid of shelf-photo thumbnails,
grouped by rep, customer (store), local day or status.

Each tile is one check-in: its thumbnail, the rep and customer named beside their ids, the
local date and time of the departure, a status badge, and a link to its drill-down. The
grid fills the width with as many 160-pixel columns as fit (two on a 390-pixel phone, seven
or so at 1400 pixels). Grouping arranges one page of the list (the ``limit`` check-ins
matching, in the list's order): a group may go on over the next page; filter by a rep,
customer or day to see all of one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from serving.pages.checkin_filters import CheckinFilters, Names
from serving.pages.checkin_pages import filter_form, local_time, thumbnail
from serving.pages.layout import page
from serving.schemas import CheckinPublic, CheckinsPublic
from visitproof.records import CheckinStatus

GALLERY_PAGE = "/manager/gallery"
Group = Literal["rep", "customer", "day", "status"]
GROUP_LABELS: dict[Group, str] = {"rep": "rep", "customer": "store", "day": "day",
                                  "status": "status"}
#: The tile's image box (CSS pixels; the thumbnail is 240 px, sharp on a dense screen).
TILE_THUMB = (240, 180)
#: Statuses in the order their groups are shown: what needs a look first.
_STATUS_ORDER = (CheckinStatus.NEEDS_REVIEW, CheckinStatus.REJECTED, CheckinStatus.RECEIVED,
                 CheckinStatus.VERIFIED)
_STYLE = (
    "<style>.vp-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));"
    "gap:12px;margin:8px 0 20px}.vp-tile{border:1px solid #ddd;border-radius:6px;"
    "padding:6px;overflow-wrap:anywhere;min-width:0}.vp-tile img.vp-thumb{width:100%;"
    "height:auto;aspect-ratio:4/3;object-fit:cover;background:#eee;display:block}"
    ".vp-tile p{margin:4px 0}.vp-no-photo{display:block;aspect-ratio:4/3;background:#eee;"
    "text-align:center;padding-top:30%}.vp-badge{display:inline-block;padding:0 6px;"
    "border-radius:9px;border:1px solid currentColor;font-size:12px}"
    "form.filters label{display:inline-block;margin:2px 12px 2px 0}"
    "form.filters select,form.filters input{max-width:100%}"
    "@media (max-width:640px){main{margin:12px}.vp-grid{gap:8px}"
    "form.filters select{max-width:300px}}</style>")


@dataclass(frozen=True, slots=True)
class GalleryView:
    """How the gallery arranges the page: ``group`` and the page's ``limit``/``offset``."""

    group: Group = "day"
    limit: int = 60
    offset: int = 0


def gallery_page(checkins: CheckinsPublic, *, timezone: str, filters: CheckinFilters,
                 view: GalleryView, names: Names, reps: Sequence[tuple[str, str]],
                 photos: Collection[str] | None = None) -> str:
    """The gallery page: the filter form (with the grouping), the position ("1–60 of
    812"), one grid of tiles per group, and paging links keeping the filters and the
    grouping. ``photos``: the digests in the photo store (see
    :func:`serving.pages.checkin_pages.checkins_page`)."""
    zone = ZoneInfo(timezone)
    groups: dict[tuple[object, ...], tuple[str, list[str]]] = {}
    for checkin in checkins.data:
        key, heading = _group_of(checkin, view.group, zone, names,
                                 newest_first=filters.sort == "newest")
        groups.setdefault(key, (heading, []))[1].append(_tile(checkin, zone, names, photos))
    sections = "".join(
        f"<section class='vp-group'><h2>{heading} <span class='muted'>({len(tiles)})</span>"
        f"</h2><div class='vp-grid'>{''.join(tiles)}</div></section>"
        for _, (heading, tiles) in sorted(groups.items(), key=lambda item: item[0]))
    shown_to = view.offset + len(checkins.data)
    order = "newest" if filters.sort == "newest" else "oldest"
    summary = (f"<p class='muted' id='vp-position'>{view.offset + 1 if checkins.data else 0:,}"
               f"–{shown_to:,} of {checkins.count:,}, {order} submission first, grouped by "
               f"{GROUP_LABELS[view.group]}; times in {escape(timezone)}.</p>")
    query = {**filters.query(), "group": view.group}
    paging = []
    if view.offset > 0:
        paging.append(_page_link("← previous", query, view.limit,
                                 max(view.offset - view.limit, 0)))
    if shown_to < checkins.count:
        paging.append(_page_link("next →", query, view.limit, shown_to))
    body = sections or "<p>No check-ins match.</p>"
    grouping = "".join(
        f"<option value='{value}'{' selected' if value == view.group else ''}>{label}</option>"
        for value, label in GROUP_LABELS.items())
    form = filter_form(filters, reps, action=GALLERY_PAGE,
                       extra=f"<label>group by <select name='group'>{grouping}</select>"
                       "</label>")
    return page("Photo gallery", _STYLE + form + summary + body
                + f"<p id='vp-paging'>{' '.join(paging)}</p>", current=GALLERY_PAGE)


def _group_of(checkin: CheckinPublic, group: Group, zone: ZoneInfo, names: Names, *,
              newest_first: bool) -> tuple[tuple[object, ...], str]:
    """The sort key and the heading (HTML) of ``checkin``'s group: reps and customers by
    name, days in the list's order, statuses in :data:`_STATUS_ORDER`."""
    if group == "rep":
        return (names.rep(checkin.rep_id), checkin.rep_id), names.rep_html(checkin.rep_id)
    if group == "customer":
        return ((names.customer(checkin.customer_id), checkin.customer_id),
                names.customer_html(checkin.customer_id))
    if group == "day":
        day = checkin.departed_at.astimezone(zone).date()
        ordinal = (day - date.min).days
        return (-ordinal if newest_first else ordinal,), f"{day:%A %Y-%m-%d}"
    status = checkin.status
    rank = _STATUS_ORDER.index(status) if status in _STATUS_ORDER else len(_STATUS_ORDER)
    return (rank, status.value), _badge(status)


def _tile(checkin: CheckinPublic, zone: ZoneInfo, names: Names,
          photos: Collection[str] | None) -> str:
    return (f"<article class='vp-tile' data-checkin-id='{checkin.id}'>"
            f"{thumbnail(checkin, photos, TILE_THUMB)}"
            f"<p>{_badge(checkin.status)} <a href='/manager/checkins/{checkin.id}'>"
            f"{local_time(checkin.departed_at, zone)}</a></p>"
            f"<p data-rep-id='{escape(checkin.rep_id)}'>{names.rep_html(checkin.rep_id)}</p>"
            f"<p data-customer-id='{escape(checkin.customer_id)}'>"
            f"{names.customer_html(checkin.customer_id)}</p></article>")


def _badge(status: CheckinStatus) -> str:
    return f"<span class='vp-badge {status.value}'>{status.value}</span>"


def _page_link(label: str, query: dict[str, str], limit: int, offset: int) -> str:
    address = urlencode({**query, "limit": limit, "offset": offset})
    return f"<a href='{GALLERY_PAGE}?{escape(address)}'>{label}</a>"

"""The page of a rep's day: the day's check-ins on a map and in a list, in visiting order.

Above the map: the rep and day pickers (a GET form to ``/manager/reps/day``, which sends
the browser on to the rep's page), links to the previous and the next local day with
check-ins, and the day's totals (visits, straight-line kilometres between consecutive
fixes, and the count per status). The map is :func:`geo.day_map.day_map_html`. Below it,
one row per check-in: its number on the map, local arrival and departure, the customer
(name beside id), status with reasons, the distance and the minutes from the previous
stop, and a link to the check-in's page.

Times are in the tenant's time zone, named on the page. On a phone (390 px) the map takes
the full width at 60% of the screen's height and the list's rows become blocks, so nothing
runs off the screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from geo.day_map import (
    STATUS_COLOURS,
    DayMapOptions,
    DaySite,
    DayStop,
    Leg,
    day_legs,
    day_map_html,
    visiting_order,
)
from serving.pages.checkin_filters import Names
from serving.pages.checkin_pages import LIST_PAGE, reason_list
from serving.pages.layout import page
from serving.schemas import CheckinPublic
from visitproof.records import CheckinStatus

PICKER_PAGE = "/manager/reps/day"
#: The page's own style: pickers, the list, and the phone layout.
DAY_STYLE = (
    "<style>form.filters label{display:inline-block;margin:2px 12px 2px 0}"
    "form.filters select,form.filters input{max-width:100%}"
    "#vp-day-links a{margin-right:16px}#vp-day-totals span{margin-right:14px;"
    "white-space:nowrap}#vp-day-stops{width:100%}#vp-day-stops td{overflow-wrap:anywhere}"
    "#vp-day-stops .vp-arrived,#vp-day-stops .vp-departed,#vp-day-stops .vp-leg"
    "{white-space:nowrap}"
    ".vp-reasons{margin:0;padding-left:16px}.vp-number{font-weight:bold;color:#fff;"
    "border-radius:50%;display:inline-block;min-width:22px;text-align:center}"
    "@media (max-width:640px){main{margin:12px}#vp-day-stops thead{display:none}"
    "#vp-day-stops,#vp-day-stops tbody,#vp-day-stops tr,#vp-day-stops td{display:block}"
    "#vp-day-stops tr{border-bottom:1px solid #ccc;padding:6px 0}"
    "#vp-day-stops td{border:0;padding:2px 0}form.filters select{max-width:300px}}</style>")


def day_path(rep_id: str, day: date | None = None) -> str:
    """The address of ``rep_id``'s page for ``day`` (None: their latest day)."""
    path = f"/manager/reps/{quote(rep_id, safe='')}/day"
    return f"{path}?{urlencode({'date': day.isoformat()})}" if day else path


def day_stops(checkins: Sequence[CheckinPublic],
              sites: Mapping[str, DaySite], names: Names) -> tuple[DayStop, ...]:
    """The map's stops of ``checkins``, in visiting order; ``sites``: the customers'
    registered locations by id (a customer absent from it is drawn without one)."""
    return visiting_order([DayStop(
        checkin_id=str(c.id), lat=c.fix.lat, lon=c.fix.lon, accuracy_m=c.fix.accuracy_m,
        arrived_at=c.arrived_at, departed_at=c.departed_at, status=c.status,
        customer_id=c.customer_id, customer_name=names.customer(c.customer_id),
        link=f"/manager/checkins/{c.id}", site=sites.get(c.customer_id))
        for c in checkins])


def day_page(checkins: Sequence[CheckinPublic], *, rep_id: str, day: date | None,
             timezone: str, names: Names, sites: Mapping[str, DaySite],
             reps: Sequence[tuple[str, str]], previous_day: date | None,
             next_day: date | None, total: int, tile_url: str | None = None) -> str:
    """The page of ``rep_id``'s ``day`` (None: the rep has no check-ins at all):
    ``checkins`` are the day's (any order; shown in visiting order), ``total`` how many
    the day has in all (more than shown: the page says so), ``reps`` the (id, name) pairs
    the picker offers, ``previous_day``/``next_day`` the nearest local days with
    check-ins."""
    rep = names.rep(rep_id)
    title = f"{rep} — {day:%A %Y-%m-%d}" if day else f"{rep} — no check-ins yet"
    body = [DAY_STYLE, _pickers(rep_id, day, reps), _day_links(rep_id, previous_day,
                                                                next_day)]
    if not checkins:
        what = f"on {day:%Y-%m-%d}" if day else "yet"
        body.append(f"<p id='vp-day-empty'>No check-ins by {escape(rep)} {what}.</p>")
        return page(title, "".join(body), current=LIST_PAGE)
    stops = day_stops(checkins, sites, names)
    legs = day_legs(stops)
    by_id = {str(c.id): c for c in checkins}
    body.append(_totals(stops, legs, timezone))
    if total > len(checkins):
        body.append(f"<p class='muted' id='vp-day-truncated'>The first {len(checkins):,} "
                    f"of {total:,} check-ins of the day are shown.</p>")
    body.append(day_map_html(stops, timezone=timezone,
                             options=DayMapOptions(tile_url=tile_url)))
    body.append(_stop_table(stops, legs, by_id, names, ZoneInfo(timezone)))
    return page(title, "".join(body), current=LIST_PAGE)


def _pickers(rep_id: str, day: date | None, reps: Sequence[tuple[str, str]]) -> str:
    options = []
    for key, name in reps:
        label = f"{name} ({key})" if name != key else key
        selected = " selected" if key == rep_id else ""
        options.append(f"<option value='{escape(key)}'{selected}>{escape(label)}</option>")
    chosen = day.isoformat() if day else ""
    return (f"<form class='filters' id='vp-day-pickers' method='get' action='{PICKER_PAGE}'>"
            f"<label>rep <select name='rep_id'>{''.join(options)}</select></label>"
            f"<label>day <input type='date' name='date' value='{chosen}'></label>"
            "<button type='submit'>Show</button> <span class='muted'>(no day: the rep's "
            "latest day with check-ins)</span></form>")


def _day_links(rep_id: str, previous_day: date | None, next_day: date | None) -> str:
    links = []
    if previous_day:
        links.append(f"<a id='vp-day-previous' href='{escape(day_path(rep_id, previous_day))}'"
                     f">← {previous_day:%a %Y-%m-%d}</a>")
    if next_day:
        links.append(f"<a id='vp-day-next' href='{escape(day_path(rep_id, next_day))}'>"
                     f"{next_day:%a %Y-%m-%d} →</a>")
    if not links:
        return ""
    return ("<p id='vp-day-links'><span class='muted'>Days with check-ins:</span> "
            f"{' '.join(links)}</p>")


def _totals(stops: Sequence[DayStop], legs: Sequence[Leg | None], timezone: str) -> str:
    km = sum(leg.distance_m for leg in legs if leg is not None) / 1000.0
    counts = {status: sum(1 for s in stops if s.status is status) for status in CheckinStatus}
    shown = [CheckinStatus.VERIFIED, CheckinStatus.REJECTED, CheckinStatus.NEEDS_REVIEW]
    if counts[CheckinStatus.RECEIVED]:
        shown.append(CheckinStatus.RECEIVED)
    statuses = " ".join(f"<span class='{s.value}' data-status='{s.value}'>{counts[s]} "
                       f"{s.value}</span>" for s in shown)
    return (f"<p id='vp-day-totals'><span data-total='visits'><strong>{len(stops)}</strong>"
            f" visit{'s' if len(stops) != 1 else ''}</span> <span data-total='km'><strong>"
            f"{km:.1f} km</strong> straight-line between stops</span> {statuses}</p>"
            f"<p class='muted'>Times in {escape(timezone)}.</p>")


def _stop_table(stops: Sequence[DayStop], legs: Sequence[Leg | None],
                by_id: Mapping[str, CheckinPublic], names: Names, zone: ZoneInfo) -> str:
    rows = []
    for number, (stop, leg) in enumerate(zip(stops, legs, strict=True), start=1):
        checkin = by_id[stop.checkin_id]
        arrived = stop.arrived_at.astimezone(zone)
        departed = stop.departed_at.astimezone(zone)
        rows.append(
            f"<tr data-checkin-id='{checkin.id}'><td><span class='vp-number' "
            f"style='background:{STATUS_COLOURS[stop.status]}'>{number}</span></td>"
            f"<td class='vp-arrived'>{escape(f'{arrived:%H:%M %Z}')}</td>"
            f"<td class='vp-departed'>{escape(f'{departed:%H:%M %Z}')}</td>"
            f"<td data-customer-id='{escape(stop.customer_id)}'>"
            f"{names.customer_html(stop.customer_id)}</td>"
            f"<td><span class='{stop.status.value}'>{stop.status.value}</span>"
            f"{reason_list(checkin.verdict.reasons)}</td>"
            f"<td class='vp-leg'>{_leg_text(leg)}</td>"
            f"<td><a href='{escape(stop.link)}'>check-in</a></td></tr>")
    return ("<table id='vp-day-stops'><thead><tr><th>#</th><th>arrived</th>"
            "<th>departed</th><th>customer</th><th>status and reasons</th>"
            "<th title='straight line · minutes since leaving it'>from the previous stop</th>"
            "<th>details</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _leg_text(leg: Leg | None) -> str:
    if leg is None:
        return "<span class='muted'>first stop</span>"
    metres = leg.distance_m
    distance = f"{metres / 1000:.2f} km" if metres >= 1000 else f"{metres:.0f} m"
    return f"{distance} · {leg.minutes:.0f} min"

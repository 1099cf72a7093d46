"""The check-in pages: the recent list (thumbnail, status and reasons) and one check-in's
drill-down (its fields, each check's verdict with reason messages, and the annotated shelf
photo).

Both render the API's own answers (:class:`~serving.schemas.CheckinsPublic`,
:class:`~serving.schemas.CheckinPublic`), so a page never shows what the API would not.
Times are shown in the tenant's time zone, with the zone named.

On a phone (390 px) the list drops its table layout: each check-in is a block of its
cells, the departure column is left out, and long codes wrap, so nothing runs off the
screen (the page's own style, :data:`LIST_STYLE`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from serving.pages.checkin_filters import CheckinFilters, Names
from serving.pages.layout import page
from serving.schemas import CheckinPublic, CheckinsPublic, ReasonPublic
from visitproof.reasons import ReasonCode
from visitproof.records import CheckinStatus

LIST_PAGE = "/manager/checkins"
EXPORT_PAGE = "/manager/checkins.csv"
EXCEL_PAGE = "/manager/checkins.xlsx"
#: The list's thumbnail box (CSS pixels; the image itself is up to 240 px, sharp on a
#: high-density screen).
LIST_THUMB = (80, 60)
#: The list page's own style: thumbnails, wrapping reasons, and the phone layout.
LIST_STYLE = (
    "<style>img.vp-thumb{object-fit:cover;background:#eee;border:1px solid #ddd;"
    "display:block}#vp-checkins td{overflow-wrap:break-word}"
    ".vp-reasons{margin:0;padding-left:16px}"
    "form.filters label{display:inline-block;margin:2px 12px 2px 0}"
    "form.filters select,form.filters input{max-width:100%}"
    "@media (max-width:640px){main{margin:12px}#vp-checkins thead,#vp-checkins .vp-departed"
    "{display:none}#vp-checkins,#vp-checkins tbody,#vp-checkins tr,#vp-checkins td"
    "{display:block}#vp-checkins tr{border-bottom:1px solid #ccc;padding:6px 0}"
    "#vp-checkins td{border:0;padding:2px 0}form.filters select{max-width:300px}}</style>")


def checkins_page(checkins: CheckinsPublic, *, timezone: str, filters: CheckinFilters,
                  names: Names, reps: Sequence[tuple[str, str]], limit: int,
                  offset: int, photos: Collection[str] | None = None,
                  reason_filter: bool = False) -> str:
    """The list page: the filter form (``reps``: the (id, name) pairs the rep select
    offers; ``reason_filter``: with the reason select, for a route that reads ``reason``),
    one row per check-in in the order of ``filters.sort`` with its thumbnail, the position
    ("51–100 of 8,238"), paging links and the CSV and Excel export links, all keeping
    ``filters``. ``photos``: the digests whose photo is in the store (the others say "no
    photo" instead of a broken image); None: take every photo as there."""
    zone = ZoneInfo(timezone)
    rows = []
    for c in checkins.data:
        rows.append(
            f"<tr data-checkin-id='{c.id}'><td class='vp-thumb-cell'>"
            f"{thumbnail(c, photos, LIST_THUMB)}</td>"
            f"<td><a href='/manager/checkins/{c.id}'>"
            f"{local_time(c.submitted_at, zone)}</a></td>"
            f"<td class='vp-departed'>{local_time(c.departed_at, zone)}</td>"
            f"<td data-rep-id='{escape(c.rep_id)}'>{names.rep_html(c.rep_id)}</td>"
            f"<td data-customer-id='{escape(c.customer_id)}'>"
            f"{names.customer_html(c.customer_id)}</td>{_status_cell(c.status)}"
            f"<td>{reason_list(c.verdict.reasons)}</td></tr>")
    table = ("<table id='vp-checkins'><thead><tr><th>photo</th><th>submitted</th>"
             "<th class='vp-departed'>departed</th><th>rep</th><th>customer</th>"
             "<th>status</th><th>reasons</th></tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>") if rows else \
        "<p>No check-ins match.</p>"
    shown_to = offset + len(checkins.data)
    order = "newest" if filters.sort == "newest" else "oldest"
    summary = (f"<p class='muted' id='vp-position'>{offset + 1 if rows else 0:,}–"
               f"{shown_to:,} of {checkins.count:,}, {order} submission first; times in "
               f"{escape(timezone)}.</p>")
    query = filters.query()
    earlier, later = ("← newer", "older →") if filters.sort == "newest" else \
        ("← older", "newer →")
    paging = []
    if offset > 0:
        paging.append(_page_link(earlier, query, limit, max(offset - limit, 0)))
    if shown_to < checkins.count:
        paging.append(_page_link(later, query, limit, shown_to))
    exported = escape(urlencode(query))
    export = (f"<p><a id='vp-export' href='{EXPORT_PAGE}?{exported}'>"
              f"Download these {checkins.count:,} check-ins as CSV</a> · "
              f"<a id='vp-export-xlsx' href='{EXCEL_PAGE}?{exported}'>Excel</a></p>")
    form = filter_form(filters, reps, reason_filter=reason_filter)
    return page("Check-ins", LIST_STYLE + form + summary + table
                + f"<p>{' '.join(paging)}</p>" + export, current=LIST_PAGE)


def thumbnail(checkin: CheckinPublic, photos: Collection[str] | None,
              box: tuple[int, int]) -> str:
    """The check-in's thumbnail (``/manager/checkins/{id}/thumbnail``, lazily loaded, in a
    ``box`` of (width, height) CSS pixels) linking to its drill-down; "no photo" when
    ``photos`` lacks its digest. The digest rides in the address, so a retake's new photo
    is a new address and the browser's cached thumbnail never shows the old one."""
    link = f"/manager/checkins/{checkin.id}"
    if photos is not None and checkin.photo_sha256 not in photos:
        return f"<a href='{link}' class='muted vp-no-photo'>no photo</a>"
    width, height = box
    return (f"<a href='{link}'><img class='vp-thumb' loading='lazy' width='{width}' "
            f"height='{height}' src='{link}/thumbnail?v={escape(checkin.photo_sha256[:16])}'"
            f" alt='shelf photo of check-in {checkin.id}'></a>")


def filter_form(filters: CheckinFilters, reps: Sequence[tuple[str, str]], *,
                action: str = LIST_PAGE, extra: str = "", reason_filter: bool = True) -> str:
    """The GET form of ``filters`` (rep, customer, status, reason unless not
    ``reason_filter``, local days, order) sent to ``action``; ``extra`` (HTML: more
    labelled fields) goes before the button."""
    def option(value: str, label: str, chosen: str | None) -> str:
        selected = " selected" if value == chosen else ""
        return f"<option value='{escape(value)}'{selected}>{escape(label)}</option>"

    statuses = "".join(option(s.value, s.value, filters.status and filters.status.value)
                       for s in CheckinStatus)
    reasons = "".join(option(r.value, r.value, filters.reason and filters.reason.value)
                      for r in sorted(ReasonCode, key=lambda code: code.value))
    reason_field = (f"<label>reason <select name='reason'><option value=''>any</option>"
                    f"{reasons}</select></label>") if reason_filter else ""
    rep_options = "".join(option(rep_id, f"{name} ({rep_id})" if name != rep_id else rep_id,
                                 filters.rep_id) for rep_id, name in reps)
    if filters.rep_id and filters.rep_id not in {rep_id for rep_id, _ in reps}:
        rep_options += option(filters.rep_id, filters.rep_id, filters.rep_id)
    sorts = "".join(option(value, label, filters.sort) for value, label in (
        ("newest", "newest first"), ("oldest", "oldest first")))
    day_from = filters.day_from.isoformat() if filters.day_from else ""
    day_to = filters.day_to.isoformat() if filters.day_to else ""
    return (f"<form class='filters' id='vp-filters' method='get' action='{escape(action)}'>"
            f"<label>rep <select name='rep_id'><option value=''>any</option>{rep_options}"
            "</select></label>"
            "<label>customer id <input name='customer_id' "
            f"value='{escape(filters.customer_id or '')}' size='10'></label>"
            f"<label>status <select name='status'><option value=''>any</option>{statuses}"
            "</select></label>"
            f"{reason_field}<label>departed from <input type='date' name='from' "
            f"value='{day_from}'></label>"
            f"<label>to <input type='date' name='to' value='{day_to}'></label>"
            f"<label>order <select name='sort'>{sorts}</select></label>"
            f"{extra}<button type='submit'>Filter</button></form>")


def checkin_page(checkin: CheckinPublic, *, timezone: str, review_form: str = "",
                 names: Names | None = None, visit_note: str = "") -> str:
    """One check-in: what the rep sent, each check's verdict, and the annotated photo;
    ``review_form`` (HTML: the approve/reject form of a ``needs_review`` check-in, see
    :mod:`serving.pages.review_pages`) goes under its reasons, ``visit_note`` (HTML: the
    visit note it was made from, :mod:`serving.pages.visit_note_page`) under what the rep
    sent."""
    zone = ZoneInfo(timezone)
    names = names or Names()
    verdict = checkin.verdict
    fix, action, commitment = checkin.fix, checkin.next_action, checkin.commitment
    day = (f"/manager/reps/{quote(checkin.rep_id, safe='')}/day"
           f"?date={checkin.departed_at.astimezone(zone):%Y-%m-%d}")
    fields = [
        ("check-in id", f"<code>{checkin.id}</code>"),
        ("rep", names.rep_html(checkin.rep_id) + f" · <a id='vp-rep-day' href='{day}'>"
         "their day on the map</a>"),
        ("customer", names.customer_html(checkin.customer_id)),
        ("arrived", local_time(checkin.arrived_at, zone)),
        ("departed", local_time(checkin.departed_at, zone)),
        ("photo captured", local_time(checkin.photo_captured_at, zone)),
        ("submitted (server)", local_time(checkin.submitted_at, zone)),
        ("submitted (phone clock)", local_time(checkin.device_submitted_at, zone)),
        ("GPS fix", f"{fix.lat:.6f}, {fix.lon:.6f} ±{fix.accuracy_m:g} m at "
                    f"{local_time(fix.fix_time, zone)} ({escape(fix.provider)}"
                    f"{', MOCK LOCATION' if fix.is_mock else ''})"),
        ("commitment", escape(commitment.text) + (
            f" (contract {escape(commitment.contract_number)})"
            if commitment.contract_number else "")),
        ("next action", f"{escape(action.text)} — {escape(action.kind)}, due "
                        f"{local_time(action.due_at, zone)}"
                        + (f", with {escape(action.contact_id)}" if action.contact_id else "")),
    ]
    body = [f"<p>Status: <strong class='{checkin.status.value}' id='vp-status'>"
            f"{checkin.status.value}</strong></p>",
            "<h2>Reasons</h2>", reason_list(verdict.reasons, block=True), review_form,
            "<h2>What the rep sent</h2>", _table(fields), visit_note]
    if verdict.shelf is not None:
        body += ["<h2>Shelf check</h2>", _shelf(verdict.shelf)]
    if verdict.fix is not None:
        measured = [(escape(name), "—" if value is None else f"{value:g}")
                    for name, value in sorted(verdict.fix.measurements.items())]
        risk = "—" if verdict.fix.risk is None else f"{verdict.fix.risk:.2f}"
        body += ["<h2>GPS and time check</h2>",
                 f"<p>{_status_text(verdict.fix.status)} · risk {risk} · policy "
                 f"<code>{escape(verdict.fix.policy_version)}</code></p>",
                 reason_list(verdict.fix.reasons, block=True), _table(measured)]
    photo = f"/manager/checkins/{checkin.id}/photo"
    body.append("<h2>Shelf photo</h2>")
    if verdict.shelf is not None:
        body.append(f"<p><img id='vp-photo' class='photo' src='{photo}?annotated=true' "
                    "alt='the shelf photo with the verdict drawn on it'></p>")
    body.append(f"<p><a href='{photo}?annotated=false'>photo as uploaded</a> · "
                f"sha256 <code>{checkin.photo_sha256}</code></p>")
    return page(f"Check-in at {names.customer(checkin.customer_id)} by "
                f"{names.rep(checkin.rep_id)}", "".join(body), current=LIST_PAGE)


def _shelf(shelf: Mapping[str, Any]) -> str:
    featured = [(escape(str(f.get("sku"))),
                 f"{f.get('facings_in_zone', 0)} in the golden zone, "
                 f"{f.get('facings_elsewhere', 0)} elsewhere")
                for f in shelf.get("featured", ())]
    share = shelf.get("share_in_zone")
    facts = [("status", _status_text(CheckinStatus(shelf["status"]))),
             ("golden-zone rows", escape(", ".join(str(r) for r in
                                                   shelf.get("golden_zone_rows", ())) or "—")),
             ("featured share in zone", "—" if share is None else f"{share:.0%}"),
             ("detections", str(len(shelf.get("detections", ())))),
             ("model", f"<code>{escape(str(shelf.get('model_version')))}</code>")]
    reasons = [ReasonPublic(code=r["code"], message=r["message"])
               for r in shelf.get("reasons", ())]
    return reason_list(reasons, block=True) + _table(facts + featured)


def _table(rows: list[tuple[str, str]]) -> str:
    """Two columns: a plain-text label (escaped here) and an HTML value."""
    cells = "".join(f"<tr><th>{escape(label)}</th><td>{value}</td></tr>"
                    for label, value in rows)
    return f"<table>{cells}</table>"


def reason_list(reasons: list[ReasonPublic], *, block: bool = False) -> str:
    """Reasons as a list of code and message (``block``: "none" when there are none)."""
    if not reasons:
        return "<p class='muted'>none</p>" if block else ""
    items = "".join(f"<li><code>{escape(r.code)}</code> {escape(r.message)}</li>"
                    for r in reasons)
    return f"<ul class='vp-reasons'>{items}</ul>"


def _status_cell(status: CheckinStatus) -> str:
    return f"<td class='{status.value}'>{status.value}</td>"


def _status_text(status: CheckinStatus) -> str:
    return f"<span class='{status.value}'>{status.value}</span>"


def local_time(instant: datetime | None, zone: ZoneInfo) -> str:
    """``instant`` in ``zone``, with the zone's abbreviation (a dash for None)."""
    if instant is None:
        return "<span class='muted'>—</span>"
    return escape(instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z"))


def _page_link(label: str, filters: Mapping[str, str], limit: int, offset: int) -> str:
    query = urlencode({**filters, "limit": limit, "offset": offset})
    return f"<a href='{LIST_PAGE}?{escape(query)}'>{label}</a>"

"""The review pages: the queue of ``needs_review`` check-ins (oldest first, with the number
per reason code) and the approve/reject form on a queued check-in's drill-down.

The queue renders the API's own answer (:class:`~serving.schemas_review.ReviewQueuePublic`);
the form posts to ``/manager/checkins/{id}/review`` with the session's form token
(:mod:`serving.form_token`) in a hidden field.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from application.review import NOTE_MAX_LENGTH, ReviewDecision
from serving.form_token import FORM_FIELD
from serving.pages.checkin_filters import Names
from serving.pages.checkin_pages import local_time, reason_list
from serving.pages.layout import page
from serving.schemas_review import ReviewQueuePublic

QUEUE_PAGE = "/manager/reviews"


#: On a phone the queue's rows become cards (no sideways scrolling, reasons shown).
QUEUE_STYLE = (
    "<style>@media (max-width:640px){#vp-reviews thead{display:none}"
    "#vp-reviews,#vp-reviews tbody,#vp-reviews tr,#vp-reviews td{display:block}"
    "#vp-reviews tr{border-bottom:1px solid #ccc;padding:6px 0}"
    "#vp-reviews td{border:0;padding:2px 0}}</style>")


def review_queue_page(queue: ReviewQueuePublic, *, timezone: str,
                      filters: Mapping[str, str], limit: int, offset: int,
                      names: Names | None = None) -> str:
    """The queue page: the reason counts, then one row per check-in, oldest submission
    first, each linking to its drill-down (where it is decided), reps and customers
    named."""
    zone = ZoneInfo(timezone)
    names = names or Names()
    counts = "".join(f"<tr><td><code>{escape(code)}</code></td><td>{count}</td></tr>"
                     for code, count in queue.by_reason.items())
    summary = (f"<p><strong id='vp-queue-count'>{queue.count}</strong> check-in"
               f"{'' if queue.count == 1 else 's'} waiting for a decision, oldest first; "
               f"times in {escape(timezone)}.</p>")
    if counts:
        summary += ("<h2>By reason</h2><table id='vp-review-reasons'><thead><tr><th>reason"
                    "</th><th>check-ins</th></tr></thead><tbody>" + counts + "</tbody></table>")
    rows = [f"<tr data-checkin-id='{c.id}'><td><a href='/manager/checkins/{c.id}'>"
            f"{local_time(c.submitted_at, zone)}</a></td>"
            f"<td>{local_time(c.departed_at, zone)}</td><td>{names.rep_html(c.rep_id)}</td>"
            f"<td>{names.customer_html(c.customer_id)}</td><td>{reason_list(c.verdict.reasons)}</td></tr>"
            for c in queue.data]
    table = ("<h2>Queue</h2><table id='vp-reviews'><thead><tr><th>submitted</th>"
             "<th>departed</th><th>rep</th><th>customer</th><th>reasons</th></tr></thead>"
             f"<tbody>{''.join(rows)}</tbody></table>") if rows else \
        "<p>Nothing is waiting for review.</p>"
    shown_to = offset + len(queue.data)
    paging = []
    if offset > 0:
        paging.append(_page_link("← older", filters, limit, max(offset - limit, 0)))
    if shown_to < queue.count:
        paging.append(_page_link("newer →", filters, limit, shown_to))
    position = (f"<p class='muted'>{offset + 1 if rows else 0}–{shown_to} of "
                f"{queue.count}</p>") if queue.count else ""
    return page("Review queue", QUEUE_STYLE + summary + table + position + " ".join(paging),
                current=QUEUE_PAGE)


def review_form(checkin_id: UUID, form_token: str) -> str:
    """The approve/reject form of a ``needs_review`` check-in, with a required note."""
    choices = "".join(
        f"<label><input type='radio' name='decision' value='{d.value}' required> {label}"
        "</label> " for d, label in ((ReviewDecision.APPROVE, "approve: the visit counts"),
                                     (ReviewDecision.REJECT, "reject: it does not")))
    return (f"<form id='vp-review' method='post' action='/manager/checkins/{checkin_id}/review'>"
            "<h2>Decide</h2>"
            f"<input type='hidden' name='{FORM_FIELD}' value='{escape(form_token)}'>"
            f"<p>{choices}</p><p><label>why (required, stored with your name)<br>"
            f"<textarea name='note' required maxlength='{NOTE_MAX_LENGTH}' rows='3' "
            "cols='70'></textarea></label></p><p><button type='submit'>Record the decision"
            "</button></p></form>")


def _page_link(label: str, filters: Mapping[str, str], limit: int, offset: int) -> str:
    query = urlencode({**filters, "limit": limit, "offset": offset})
    return f"<a href='{QUEUE_PAGE}?{escape(query)}'>{label}</a>"

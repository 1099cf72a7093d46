"""``/manager/phi/explain``: the records behind one rep's PHI (``visitproof phi explain``
as a page).

Each component with its counts and, below, the rows it counts: the leads with intake in the
period (activated, missed or still in their window), the next actions due (closed on time
or not), the accounts with the decision roles their verified check-ins touched, and the
check-ins left out of every figure because they are not verified, with the reasons. Every
check-in id links to its drill-down (``/manager/checkins/{id}``); times are local (the
tenant's zone); rep and customer names stand beside their ids. Tables scroll sideways on
a phone instead of widening the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pandas as pd

from phi.explain import RepExplanation
from serving.pages.checkin_filters import Names
from serving.pages.layout import page

PHI_PAGE = "/manager/phi"
CHECKIN_PAGE = "/manager/checkins"
_STYLE = ("<style>.vp-scroll{overflow-x:auto;max-width:100%}.vp-figures td:first-child"
          "{font-weight:600}.missed{color:#b00020}.met{color:#1b5e20}</style>")


def phi_explain_page(explanation: RepExplanation, *, timezone: str, names: Names) -> str:
    """The whole page (HTML text) for one rep and period."""
    score, zone = explanation.score, ZoneInfo(timezone)
    rep_id, period = score.subject_id, explanation.period
    back = f"{PHI_PAGE}?{escape(urlencode({'period': period.label}))}"
    intro = (f"<p>{names.rep_html(rep_id)} · team <code>{escape(score.team_id or '-')}</code>"
             f" · period <strong>{escape(period.label)}</strong> (local days "
             f"{period.first_day} to {period.last_day}, {escape(timezone)}) · as of "
             f"{_when(explanation.now, zone)}. <a href='{back}'>← the PHI report</a></p>"
             "<p class='muted'>Only verified check-ins count; every figure below is a count "
             "of the rows listed under it. PHI definition "
             f"{escape(explanation.definition)}.</p>")
    body = "".join([
        _STYLE, intro, _figures(explanation), _leads(explanation, zone, names),
        _actions(explanation, zone, names), _penetration(explanation, zone, names),
        _excluded(explanation, zone, names)])
    return page(f"PHI explained: {names.rep(rep_id)}, {period.label}", body,
                current=PHI_PAGE)


def _figures(explanation: RepExplanation) -> str:
    score, counts = explanation.score, explanation.score.counts
    pending = int(counts["leads_new"] - counts["leads_judged"])
    rows = [
        ("PHI", _fmt(score.phi, ".1f"), "0 to 100, the weighted components against target"),
        ("lead activation", _fmt(score.lead_activation_rate, ".0%"),
         f"<a href='#leads'>{int(counts['leads_activated'])} activated of "
         f"{int(counts['leads_judged'])} judged</a> ({pending} still in their window)"),
        ("action closure", _fmt(score.action_closure_rate, ".0%"),
         f"<a href='#actions'>{int(counts['actions_closed'])} closed on time of "
         f"{int(counts['actions_judged'])} due</a>"),
        ("penetration", _fmt(score.penetration, ".2f"),
         f"<a href='#penetration'>roles per account over {int(counts['accounts'])} "
         f"accounts</a>, {int(counts['roles_distinct'])} distinct roles in all"),
        ("excluded check-ins", str(len(explanation.excluded)),
         "<a href='#excluded'>not verified: counted nowhere</a>"),
    ]
    return _table(("figure", "value", "from"), rows, css="vp-figures")


def _leads(explanation: RepExplanation, zone: ZoneInfo, names: Names) -> str:
    rows = []
    for lead in explanation.leads.itertuples():
        verdict = ("<span class='met'>activated</span>" if lead.activated else
                   "<span class='missed'>missed</span>" if lead.judged else
                   "<span class='muted'>in window</span>")
        touch = "—"
        if _present(lead.touch_ref):
            ref = str(lead.touch_ref)
            what = _checkin_link(ref) if lead.touch_source == "checkin" else \
                f"call or message <code>{escape(ref)}</code>"
            touch = f"{_when(lead.touched_at, zone)} · {what}"
        rows.append((f"<code>{escape(str(lead.lead_id))}</code>",
                     _customer(lead.customer_id, names), _when(lead.created_at, zone),
                     _when(lead.deadline, zone), touch, verdict))
    return _section("leads",
                    f"Lead activation: {_count(len(rows), 'lead')} with intake in the period",
                    ("lead", "customer", "intake", "deadline", "first touch", "verdict"),
                    rows, "No leads with intake in this period.")


def _actions(explanation: RepExplanation, zone: ZoneInfo, names: Names) -> str:
    rows = []
    for action in explanation.actions.itertuples():
        verdict = ("<span class='muted'>not yet due</span>" if not action.judged else
                   "<span class='met'>closed on time</span>" if action.closed else
                   "<span class='missed'>not closed: pushed, no strategy</span>"
                   if action.strategy_required and not _present(action.strategy) else
                   "<span class='missed'>not closed</span>")
        rows.append((_checkin_link(str(action.checkin_id)),
                     _customer(action.customer_id, names),
                     escape(str(action.action_kind)), _when(action.due_at, zone),
                     _when(action.completed_at, zone), verdict))
    return _section("actions",
                    f"Action closure: {_count(len(rows), 'next action')} due in the period",
                    ("check-in", "customer", "action", "due", "completed", "verdict"),
                    rows, "No next actions due in this period.")


def _penetration(explanation: RepExplanation, zone: ZoneInfo, names: Names) -> str:
    start, end = explanation.penetration_window
    touches = explanation.role_touches
    accounts = []
    for account in explanation.accounts.itertuples():
        here = touches[touches["customer_id"] == account.customer_id].drop_duplicates("role")
        via = ", ".join(f"{escape(str(t.role))} via {_checkin_link(str(t.checkin_id))}"
                        for t in here.itertuples()) or "<span class='muted'>none</span>"
        roles = 0 if not _present(account.roles) else int(account.roles)
        accounts.append((_customer(account.customer_id, names), str(roles), via))
    touched = [(_checkin_link(str(t.checkin_id)), _customer(t.customer_id, names),
                _when(t.departed_at, zone), f"<code>{escape(str(t.contact_id))}</code>",
                escape(str(t.role))) for t in touches.itertuples()]
    window = (f"<p class='muted'>Verified check-ins departed from {_when(start, zone)} to "
              f"{_when(end, zone)}.</p>")
    return (_section("penetration", f"Penetration: {_count(len(accounts), 'account')}",
                     ("account", "distinct roles", "touched"), accounts,
                     "No accounts assigned to this rep.", before=window)
            + _section("touches", f"Role touches ({len(touched)})",
                       ("check-in", "customer", "departed", "contact", "role"), touched,
                       "No decision role touched in the window."))


def _excluded(explanation: RepExplanation, zone: ZoneInfo, names: Names) -> str:
    rows = [(_checkin_link(str(row.checkin_id)), _customer(row.customer_id, names),
             _when(row.departed_at, zone),
             f"<span class='{escape(str(row.status))}'>{escape(str(row.status))}</span>",
             " ".join(f"<code>{escape(code)}</code>" for code in str(row.codes).split(",")
                      if code)) for row in explanation.excluded.itertuples()]
    return _section("excluded", f"Excluded check-ins ({len(rows)})",
                    ("check-in", "customer", "departed", "status", "reasons"), rows,
                    "None: every check-in of the period is verified.")


def _section(anchor: str, title: str, head: Sequence[str], rows: Sequence[Sequence[str]],
             empty: str, *, before: str = "") -> str:
    table = _table(head, rows) if rows else f"<p class='muted'>{escape(empty)}</p>"
    return f"<h2 id='{anchor}'>{escape(title)}</h2>{before}{table}"


def _table(head: Iterable[str], rows: Iterable[Sequence[str]], *, css: str = "") -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
                   for row in rows)
    klass = f" class='{css}'" if css else ""
    return (f"<div class='vp-scroll'><table{klass}><tr>{header}</tr>{body}</table></div>")


def _checkin_link(checkin_id: str) -> str:
    key = escape(checkin_id)
    # The start of the id, as a commit is shown: the full id is in the link and its title.
    return (f"<a href='{CHECKIN_PAGE}/{key}' data-checkin-id='{key}' title='{key}'>"
            f"<code>{escape(checkin_id[:8])}</code></a>")


def _customer(customer_id: Any, names: Names) -> str:
    if not _present(customer_id):
        return "<span class='muted'>—</span>"
    return names.customer_html(str(customer_id))


def _when(value: Any, zone: ZoneInfo) -> str:
    if not _present(value):
        return "<span class='muted'>—</span>"
    instant = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    if not isinstance(instant, datetime) or instant.tzinfo is None:
        return escape(str(value))
    return escape(instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"))


def _present(value: Any) -> bool:
    return not (value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value))))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _fmt(value: float | None, spec: str) -> str:
    return "<span class='muted'>no data</span>" if value is None else format(value, spec)

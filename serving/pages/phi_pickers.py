"""The period and team pickers above the PHI report page: a GET form back to
``/manager/phi`` with a month select (the months that hold check-ins, newest first) and,
for a director or admin, a team select (the tenant's teams; a manager sees their own team
and no choice). Below it, the exports of what the page shows: the PHI rows
(``/manager/phi.csv`` / ``.xlsx``, same period and team) and the coverage gaps in scope
(``/manager/gaps.csv`` / ``.xlsx``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from urllib.parse import urlencode

#: The most months the picker lists (back from the latest with data); older ones are
#: still one ``?period=`` away.
MAX_MONTHS = 36

_STYLE = "margin:12px 24px;font:14px/1.4 system-ui,sans-serif"
_EXPORT_STYLE = "margin:0 24px 12px;font:14px/1.4 system-ui,sans-serif;color:#555"


def months_between(first: date, last: date, *, most: int = MAX_MONTHS) -> list[str]:
    """``YYYY-MM`` of every month from ``last`` back to ``first``, newest first, at most
    ``most`` of them."""
    months: list[str] = []
    year, month = last.year, last.month
    while (year, month) >= (first.year, first.month) and len(months) < most:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def phi_pickers(*, period: str, months: Sequence[str], teams: Sequence[tuple[str, str]] | None,
                team: str | None, own_team: str | None = None) -> str:
    """The form. ``teams`` None: no team choice (a manager: ``own_team`` is named)."""
    choices = list(months) if period in months else [period, *months]
    month_options = "".join(
        f"<option value='{escape(m)}'{' selected' if m == period else ''}>{escape(m)}</option>"
        for m in choices)
    parts = [f"<form id='vp-phi-pickers' method='get' action='/manager/phi' style='{_STYLE}'>",
             f"<label>period <select name='period'>{month_options}</select></label> "]
    if teams is None:
        if own_team:
            parts.append(f"<span>team <code>{escape(own_team)}</code></span> ")
    else:
        team_options = "".join(
            f"<option value='{escape(key)}'{' selected' if key == team else ''}>"
            f"{escape(name if name == key else f'{name} ({key})')}</option>"
            for key, name in teams)
        parts.append(f"<label>team <select name='team'><option value=''>all teams</option>"
                     f"{team_options}</select></label> ")
    parts.append("<button type='submit'>Show</button> <span style='color:#777'>any "
                 "period also by address: <code>?period=2026-W45</code> or "
                 "<code>?period=2026-11-01..2026-11-15</code></span></form>")
    parts.append(export_links(period=period, team=team))
    return "".join(parts)


def export_links(*, period: str, team: str | None) -> str:
    """Links to the page's PHI rows and the coverage gaps as CSV and Excel."""
    query = escape(urlencode({"period": period, **({"team": team} if team else {})}))
    return (f"<p id='vp-phi-exports' style='{_EXPORT_STYLE}'>Download PHI per rep: "
            f"<a href='/manager/phi.csv?{query}'>CSV</a> · "
            f"<a href='/manager/phi.xlsx?{query}'>Excel</a>; coverage gaps: "
            "<a href='/manager/gaps.csv'>CSV</a> · <a href='/manager/gaps.xlsx'>Excel</a></p>")

"""The report as one self-contained HTML page: inline CSS and SVG drawn here, no scripts,
no external resources (it opens offline and can be mailed as a file).

Per rep: components against their targets (bars with a target mark) and PHI over the trend
periods that have data (a line; one period is one dot, none a line of text). Then teams,
regions, excluded check-ins by reason, and the warnings grouped by code: one heading per
code with its count and the reps it concerns.

Every rep's PHI and component rates link to the drill-down of the records behind them
(``explain_url``: by default the manager pages' ``/manager/phi/explain?rep=R&period=P``,
a path of the server; None for a file without links).

Phone width: the page sets the viewport, tables scroll sideways in their own wrapper, the
rep cards stack, and the charts shrink to the width, so nothing but a table's wrapper is
wider than the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from phi.report import PhiReport, Score, TrendPoint
from phi.warning_signs import WarningSign

#: ``(rep_id, period label) -> URL`` of the records behind a rep's figures.
ExplainUrl = Callable[[str, str], str]
#: The drill-down of the manager pages (:mod:`serving.routes.manager_exports`).
EXPLAIN_PATH = "/manager/phi/explain"


def manager_explain_url(rep_id: str, period: str) -> str:
    """``/manager/phi/explain?rep=...&period=...`` (query-encoded)."""
    return f"{EXPLAIN_PATH}?{urlencode({'rep': rep_id, 'period': period})}"


BAR_WIDTH = 260.0
IDS_SHOWN = 12
#: Horizontal room per trend period, pixels (the chart is as wide as its periods need).
TREND_STEP = 80.0
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px;overflow-wrap:anywhere}h2{font-size:18px;margin-top:32px;
border-bottom:1px solid #ccc}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;text-align:right;
border-bottom:1px solid #eee}th{background:#f4f4f4}td.l,th.l{text-align:left}
.scroll{overflow-x:auto;max-width:100%}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;
padding:8px 12px;width:560px;max-width:100%;box-sizing:border-box}
.card h3{margin:4px 0}.nodata{color:#888}svg{max-width:100%;height:auto}
.bad{color:#b00020}.ok{color:#1b5e20}code{font-size:12px;color:#555;overflow-wrap:anywhere}
.warning-group{margin:8px 0 16px}
@media (max-width:600px){body{margin:8px}.card{width:100%}}
"""


def report_to_html(report: PhiReport, *,
                   explain_url: ExplainUrl | None = manager_explain_url) -> str:
    """The whole page as a string (UTF-8 text); ``explain_url`` builds the links of the
    figures to their records (None: no links)."""
    period = report.period
    scope = f"team {escape(report.team)}" if report.team else "all teams"

    def link(rep_id: str) -> str | None:
        return None if explain_url is None else explain_url(rep_id, period.label)

    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>PHI {escape(period.label)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Process Health Index — {escape(period.label)} ({scope})</h1>",
        f"<p>Local days {period.first_day} to {period.last_day} in "
        f"{escape(period.timezone)}; as of {_local(report.now, period.timezone)}. Only verified "
        f"check-ins count: {report.excluded.verified} counted, {report.excluded.excluded} "
        f"excluded. Weights: activation {report.weights.lead_activation:g}, closure "
        f"{report.weights.action_closure:g}, penetration {report.weights.penetration:g}. "
        f"Targets: activation {report.targets.lead_activation:.0%}, closure "
        f"{report.targets.action_closure:.0%}, {report.targets.roles_per_account:g} roles "
        "per account.</p>",
        f"<p>PHI definition {escape(report.definition)}: a pushed follow-up counts as closed "
        "only with the rep's one-sentence strategy for it.</p>",
        "<h2>Summary</h2>", _table([report.total, *report.regions, *report.teams]),
        f"<h2>Warnings by kind ({len(report.warnings)} in all, grouped at the end)</h2>",
        _reason_bars(_warning_counts(report.warnings), colour="#b00020"),
        _warning_index(report.warnings),
        f"<h2>Excluded check-ins ({report.excluded.excluded} of {report.excluded.total})</h2>",
        _reason_bars(report.excluded.by_reason),
        "<h2>Reps</h2>", _table(list(report.reps), link), "<div class='cards'>",
        *(_card(score, report, link(score.subject_id)) for score in report.reps), "</div>",
        f"<h2 id='warnings'>Warnings ({len(report.warnings)})</h2>",
        _warnings(report.warnings, link),
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _table(scores: list[Score], link: Callable[[str], str | None] | None = None) -> str:
    head = ("<tr><th class='l'>level</th><th class='l'>id</th><th>PHI</th><th>activation</th>"
            "<th>leads</th><th>closure</th><th>actions</th><th>roles/account</th>"
            "<th>accounts</th><th>distinct roles</th></tr>")
    rows = []
    for s in scores:
        c = s.counts
        url = link(s.subject_id) if link is not None and s.level == "rep" else None
        rows.append(
            f"<tr><td class='l'>{s.level}</td><td class='l'>{escape(s.subject_id)}</td>"
            f"<td>{_linked(_fmt(s.phi, '.1f'), url, '', 'phi')}</td>"
            f"<td>{_linked(_fmt(s.lead_activation_rate, '.0%'), url, '#leads')}</td>"
            f"<td>{int(c['leads_activated'])}/{int(c['leads_judged'])}</td>"
            f"<td>{_linked(_fmt(s.action_closure_rate, '.0%'), url, '#actions')}</td>"
            f"<td>{int(c['actions_closed'])}/{int(c['actions_judged'])}</td>"
            f"<td>{_linked(_fmt(s.penetration, '.2f'), url, '#penetration')}</td>"
            f"<td>{int(c['accounts'])}</td><td>{int(c['roles_distinct'])}</td></tr>")
    return f"<div class='scroll'><table>{head}{''.join(rows)}</table></div>"


def _linked(text: str, url: str | None, anchor: str = "", kind: str = "") -> str:
    """``text`` (HTML) as a link to ``url`` + ``anchor``; as is without a URL."""
    if url is None:
        return text
    mark = f" data-phi-link='{kind}'" if kind else ""
    return f"<a href='{escape(url + anchor)}'{mark}>{text}</a>"


def _card(score: Score, report: PhiReport, url: str | None) -> str:
    targets = report.targets
    pen_scale = max(targets.roles_per_account * 1.5, score.penetration or 0.0)
    bars = [("lead activation", score.lead_activation_rate, targets.lead_activation, 1.0,
             ".0%"),
            ("action closure", score.action_closure_rate, targets.action_closure, 1.0, ".0%"),
            ("roles per account", score.penetration, targets.roles_per_account, pen_scale,
             ".2f")]
    codes = sorted({w.code.value for w in report.warnings if w.rep_id == score.subject_id})
    flags = ("<p class='bad'>warnings: " + ", ".join(
        f"<a href='#{_group_id(code)}'>{code}</a>" for code in codes) + "</p>" if codes
        else "")
    phi = _linked(_fmt(score.phi, '.1f'), url, "", "card-phi")
    return (f"<div class='card' id='{escape(_card_id(score.subject_id))}'><h3>"
            f"{escape(score.subject_id)} · team {escape(score.team_id or '-')} · PHI {phi}"
            f"</h3>{_component_bars(bars, url)}{_trend_line(score)}{flags}</div>")


def _component_bars(bars: list[tuple[str, float | None, float, float, str]],
                    url: str | None = None) -> str:
    """Horizontal bars (value on 0..scale) with a vertical target mark; with ``url`` each
    value links to its component's records."""
    height, left = 26, 130.0
    anchors = ("#leads", "#actions", "#penetration")
    width = left + BAR_WIDTH + 70
    items = [f"<svg width='{width:.0f}' height='{height * len(bars) + 6}' "
             f"viewBox='0 0 {width:.0f} {height * len(bars) + 6}' "
             "role='img' aria-label='components against targets'>"]
    for i, (label, value, target, scale, spec) in enumerate(bars):
        y = 4 + i * height
        items.append(f"<text x='0' y='{y + 14}' font-size='12'>{label}</text>")
        items.append(f"<rect x='{left}' y='{y}' width='{BAR_WIDTH}' height='18' "
                     "fill='#f0f0f0'/>")
        if value is None:
            items.append(f"<text x='{left + 6}' y='{y + 13}' font-size='12' "
                         "fill='#888'>no data</text>")
        else:
            width = BAR_WIDTH * min(value / scale, 1.0)
            colour = "#2e7d32" if value >= target else "#c62828"
            items.append(f"<rect x='{left}' y='{y}' width='{width:.1f}' height='18' "
                         f"fill='{colour}'/>")
            shown = (f"<text x='{left + BAR_WIDTH + 6}' y='{y + 14}' font-size='12'>"
                     f"{format(value, spec)}</text>")
            if url is not None and i < len(anchors):
                shown = (f"<a href='{escape(url + anchors[i])}' fill='#1565c0'>"
                         f"{shown}</a>")
            items.append(shown)
        mark = left + BAR_WIDTH * min(target / scale, 1.0)
        items.append(f"<line x1='{mark:.1f}' x2='{mark:.1f}' y1='{y - 2}' y2='{y + 20}' "
                     "stroke='#111' stroke-width='2'><title>target "
                     f"{format(target, spec)}</title></line>")
    items.append("</svg>")
    return "".join(items)


def _trend_line(score: Score) -> str:
    """PHI (0..100) per trend period, from the first period with data to the last (gaps
    where one between has none), as wide as those periods need; no chart, a line of text,
    when no period has data."""
    points = _trend_with_data(score.trend)
    if not points:
        return ("<p class='nodata'>No PHI in the trend periods yet.</p>" if score.trend
                else "")
    height, pad = 120.0, 28.0
    step = TREND_STEP
    width = 2 * pad + step * (len(points) - 1) + (pad if len(points) == 1 else 0)
    items = [f"<svg width='{width:.0f}' height='{height + 20:.0f}' "
             f"viewBox='0 0 {width:.0f} {height + 20:.0f}' role='img' "
             "aria-label='PHI trend'>"]
    for level in (0, 50, 100):
        y = pad / 2 + (height - pad) * (1 - level / 100)
        items.append(f"<line x1='{pad}' x2='{width - pad / 2}' y1='{y:.1f}' y2='{y:.1f}' "
                     "stroke='#e0e0e0'/>"
                     f"<text x='0' y='{y + 4:.1f}' font-size='10'>{level}</text>")
    segment: list[str] = []
    for i, point in enumerate(points):
        x = pad + i * step
        items.append(f"<text x='{x:.1f}' y='{height + 14:.0f}' font-size='10' "
                     f"text-anchor='middle'>{escape(point.period)}</text>")
        if point.phi is None:
            items.append(_polyline(segment))
            segment = []
            continue
        y = pad / 2 + (height - pad) * (1 - point.phi / 100)
        segment.append(f"{x:.1f},{y:.1f}")
        items.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='#1565c0'>"
                     f"<title>{escape(point.period)}: {point.phi:.1f}</title></circle>")
    items.append(_polyline(segment))
    items.append("</svg>")
    return "".join(items)


def _trend_with_data(points: tuple[TrendPoint, ...]) -> tuple[TrendPoint, ...]:
    """``points`` without the periods before the first and after the last with a PHI."""
    known = [i for i, point in enumerate(points) if point.phi is not None]
    return points[known[0]:known[-1] + 1] if known else ()


def _polyline(points: list[str]) -> str:
    if len(points) < 2:
        return ""
    return (f"<polyline points='{' '.join(points)}' fill='none' stroke='#1565c0' "
            "stroke-width='2'/>")


def _warning_counts(warnings: tuple[WarningSign, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for warning in warnings:
        counts[warning.code.value] = counts.get(warning.code.value, 0) + 1
    return counts


def _reason_bars(by_reason: Mapping[str, int], colour: str = "#ef6c00") -> str:
    """Horizontal bars, one per key (a reason or warning code), longest first."""
    reasons = dict(sorted(by_reason.items(), key=lambda item: (-item[1], item[0])))
    if not reasons:
        return "<p>None.</p>"
    top = max(reasons.values())
    height = 22
    items = [f"<svg width='620' height='{height * len(reasons) + 4}' "
             f"viewBox='0 0 620 {height * len(reasons) + 4}' role='img' "
             "aria-label='excluded check-ins by reason'>"]
    for i, (code, count) in enumerate(reasons.items()):
        y = 2 + i * height
        items.append(f"<text x='0' y='{y + 14}' font-size='12'>{escape(code)}</text>"
                     f"<rect x='240' y='{y}' width='{300 * count / top:.1f}' height='16' "
                     f"fill='{colour}'/><text x='{246 + 300 * count / top:.1f}' y='{y + 13}' "
                     f"font-size='12'>{count}</text>")
    items.append("</svg>")
    return "".join(items)


def _warning_index(warnings: tuple[WarningSign, ...]) -> str:
    """One link per warning code to its group below, with the number of reps."""
    groups = _warning_groups(warnings)
    if not groups:
        return ""
    items = "".join(f"<li><a href='#{_group_id(code)}'>{code}</a>: {len(group)}</li>"
                    for code, group in groups.items())
    return f"<ul class='warning-index'>{items}</ul>"


def _warnings(warnings: tuple[WarningSign, ...],
              link: Callable[[str], str | None] | None = None) -> str:
    """The warnings grouped by code: a heading per code with its count and the reps it
    concerns (each linked to their records), then one row per rep."""
    if not warnings:
        return "<p class='ok'>No warnings.</p>"
    parts = []
    for code, group in _warning_groups(warnings).items():
        reps = sorted({w.rep_id for w in group if w.rep_id is not None})
        named = ", ".join(_rep_link(rep, link) for rep in reps)
        if any(w.rep_id is None for w in group):
            named = ", ".join(part for part in (named, "(no owner)") if part)
        rows = []
        for w in group:
            shown = ", ".join(escape(i) for i in w.subject_ids[:IDS_SHOWN])
            more = f" … and {w.count - IDS_SHOWN} more" if w.count > IDS_SHOWN else ""
            who = _rep_link(w.rep_id, link) if w.rep_id is not None else "(no owner)"
            rows.append(f"<tr><td class='l'>{who}</td>"
                        f"<td class='l'>{escape(w.team_id or '-')}</td>"
                        f"<td class='l'>{escape(w.message)}</td>"
                        f"<td class='l'><code>{shown}{more}</code></td></tr>")
        parts.append(
            f"<section class='warning-group' id='{_group_id(code)}' data-warning-code="
            f"'{code}'><h3 class='bad'>{code} · {len(group)} "
            f"{'warning' if len(group) == 1 else 'warnings'}</h3><p>reps: {named}</p>"
            "<div class='scroll'><table><tr><th class='l'>rep</th><th class='l'>team</th>"
            f"<th class='l'>what</th><th class='l'>ids</th></tr>{''.join(rows)}</table>"
            "</div></section>")
    return "".join(parts)


def _warning_groups(warnings: tuple[WarningSign, ...]) -> dict[str, list[WarningSign]]:
    """The warnings by code, in the order of :class:`~phi.warning_signs.WarningCode`'s
    first appearance; within a code, by rep."""
    groups: dict[str, list[WarningSign]] = {}
    for warning in warnings:
        groups.setdefault(warning.code.value, []).append(warning)
    return {code: sorted(group, key=lambda w: (w.rep_id is None, w.rep_id or ""))
            for code, group in groups.items()}


def _rep_link(rep_id: str, link: Callable[[str], str | None] | None) -> str:
    url = None if link is None else link(rep_id)
    text = escape(rep_id)
    return text if url is None else f"<a href='{escape(url)}'>{text}</a>"


def _group_id(code: str) -> str:
    return f"warning-{code}"


def _card_id(rep_id: str) -> str:
    return f"rep-{rep_id}"


def _local(instant: datetime, timezone: str) -> str:
    """``instant`` in the tenant's zone, to the minute, with the zone's abbreviation."""
    return escape(instant.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z"))


def _fmt(value: float | None, spec: str) -> str:
    return "<span class='nodata'>no data</span>" if value is None else format(value, spec)

"""The report as one self-contained HTML page: inline CSS and SVG drawn here, no scripts,
no external resources (it opens offline and can be mailed as a file).

Per rep: components against their targets (bars with a target mark) and PHI over the trend
periods (a line). Then teams, regions, excluded check-ins by reason, and the warning list.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from phi.report import PhiReport, Score
from phi.warning_signs import WarningSign

BAR_WIDTH = 260.0
IDS_SHOWN = 12
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 8px;text-align:right;
border-bottom:1px solid #eee}th{background:#f4f4f4}td.l,th.l{text-align:left}
.cards{display:flex;flex-wrap:wrap;gap:12px}.card{border:1px solid #ddd;border-radius:6px;
padding:8px 12px;width:560px}.card h3{margin:4px 0;font-size:15px}.nodata{color:#888}
.bad{color:#b00020}.ok{color:#1b5e20}code{font-size:12px;color:#555}
"""


def report_to_html(report: PhiReport) -> str:
    """The whole page as a string (UTF-8 text)."""
    period = report.period
    scope = f"team {escape(report.team)}" if report.team else "all teams"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>PHI {escape(period.label)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Process Health Index — {escape(period.label)} ({scope})</h1>",
        f"<p>Local days {period.first_day} to {period.last_day} in "
        f"{escape(period.timezone)}; as of {escape(report.now.isoformat())}. Only verified "
        f"check-ins count: {report.excluded.verified} counted, {report.excluded.excluded} "
        f"excluded. Weights: activation {report.weights.lead_activation:g}, closure "
        f"{report.weights.action_closure:g}, penetration {report.weights.penetration:g}. "
        f"Targets: activation {report.targets.lead_activation:.0%}, closure "
        f"{report.targets.action_closure:.0%}, {report.targets.roles_per_account:g} roles "
        "per account.</p>",
        "<h2>Summary</h2>", _table([report.total, *report.regions, *report.teams]),
        f"<h2>Warnings by kind ({len(report.warnings)} in all, listed at the end)</h2>",
        _reason_bars(_warning_counts(report.warnings), colour="#b00020"),
        f"<h2>Excluded check-ins ({report.excluded.excluded} of {report.excluded.total})</h2>",
        _reason_bars(report.excluded.by_reason),
        "<h2>Reps</h2>", _table(list(report.reps)), "<div class='cards'>",
        *(_card(score, report) for score in report.reps), "</div>",
        f"<h2>Warnings ({len(report.warnings)})</h2>", _warnings(report.warnings),
        "</body></html>\n",
    ]
    return "\n".join(parts)


def _table(scores: list[Score]) -> str:
    head = ("<tr><th class='l'>level</th><th class='l'>id</th><th>PHI</th><th>activation</th>"
            "<th>leads</th><th>closure</th><th>actions</th><th>roles/account</th>"
            "<th>accounts</th><th>distinct roles</th></tr>")
    rows = []
    for s in scores:
        c = s.counts
        rows.append(
            f"<tr><td class='l'>{s.level}</td><td class='l'>{escape(s.subject_id)}</td>"
            f"<td>{_fmt(s.phi, '.1f')}</td><td>{_fmt(s.lead_activation_rate, '.0%')}</td>"
            f"<td>{int(c['leads_activated'])}/{int(c['leads_judged'])}</td>"
            f"<td>{_fmt(s.action_closure_rate, '.0%')}</td>"
            f"<td>{int(c['actions_closed'])}/{int(c['actions_judged'])}</td>"
            f"<td>{_fmt(s.penetration, '.2f')}</td><td>{int(c['accounts'])}</td>"
            f"<td>{int(c['roles_distinct'])}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _card(score: Score, report: PhiReport) -> str:
    targets = report.targets
    pen_scale = max(targets.roles_per_account * 1.5, score.penetration or 0.0)
    bars = [("lead activation", score.lead_activation_rate, targets.lead_activation, 1.0,
             ".0%"),
            ("action closure", score.action_closure_rate, targets.action_closure, 1.0, ".0%"),
            ("roles per account", score.penetration, targets.roles_per_account, pen_scale,
             ".2f")]
    codes = sorted({w.code.value for w in report.warnings if w.rep_id == score.subject_id})
    flags = (f"<p class='bad'>warnings: {', '.join(codes)}</p>" if codes else "")
    return (f"<div class='card'><h3>{escape(score.subject_id)} · team "
            f"{escape(score.team_id or '-')} · PHI {_fmt(score.phi, '.1f')}</h3>"
            f"{_component_bars(bars)}{_trend_line(score)}{flags}</div>")


def _component_bars(bars: list[tuple[str, float | None, float, float, str]]) -> str:
    """Horizontal bars (value on 0..scale) with a vertical target mark."""
    height, left = 26, 130.0
    items = [f"<svg width='{left + BAR_WIDTH + 70:.0f}' height='{height * len(bars) + 6}' "
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
            items.append(f"<text x='{left + BAR_WIDTH + 6}' y='{y + 14}' font-size='12'>"
                         f"{format(value, spec)}</text>")
        mark = left + BAR_WIDTH * min(target / scale, 1.0)
        items.append(f"<line x1='{mark:.1f}' x2='{mark:.1f}' y1='{y - 2}' y2='{y + 20}' "
                     "stroke='#111' stroke-width='2'><title>target "
                     f"{format(target, spec)}</title></line>")
    items.append("</svg>")
    return "".join(items)


def _trend_line(score: Score) -> str:
    """PHI (0..100) per trend period; gaps where a period has no data."""
    width, height, pad = 520.0, 120.0, 28.0
    points = score.trend
    if not points:
        return ""
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    items = [f"<svg width='{width:.0f}' height='{height + 20:.0f}' role='img' "
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
    items = [f"<svg width='620' height='{height * len(reasons) + 4}' role='img' "
             "aria-label='excluded check-ins by reason'>"]
    for i, (code, count) in enumerate(reasons.items()):
        y = 2 + i * height
        items.append(f"<text x='0' y='{y + 14}' font-size='12'>{escape(code)}</text>"
                     f"<rect x='240' y='{y}' width='{300 * count / top:.1f}' height='16' "
                     f"fill='{colour}'/><text x='{246 + 300 * count / top:.1f}' y='{y + 13}' "
                     f"font-size='12'>{count}</text>")
    items.append("</svg>")
    return "".join(items)


def _warnings(warnings: tuple[WarningSign, ...]) -> str:
    if not warnings:
        return "<p class='ok'>No warnings.</p>"
    rows = []
    for w in warnings:
        shown = ", ".join(escape(i) for i in w.subject_ids[:IDS_SHOWN])
        more = f" … and {w.count - IDS_SHOWN} more" if w.count > IDS_SHOWN else ""
        rows.append(f"<tr><td class='l bad'>{w.code.value}</td>"
                    f"<td class='l'>{escape(w.rep_id or '(no owner)')}</td>"
                    f"<td class='l'>{escape(w.team_id or '-')}</td>"
                    f"<td class='l'>{escape(w.message)}</td>"
                    f"<td class='l'><code>{shown}{more}</code></td></tr>")
    return ("<table><tr><th class='l'>code</th><th class='l'>rep</th><th class='l'>team</th>"
            f"<th class='l'>what</th><th class='l'>ids</th></tr>{''.join(rows)}</table>")


def _fmt(value: float | None, spec: str) -> str:
    return "<span class='nodata'>no data</span>" if value is None else format(value, spec)

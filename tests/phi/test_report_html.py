"""The HTML report is one self-contained page with a chart per rep."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from phi.report import PhiReport, build_report
from phi.report_html import manager_explain_url, report_to_html
from tests.phi.scenario import NOW, PERIOD, scenario_tables


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_html_is_self_contained_with_charts_and_warnings() -> None:
    page = report_to_html(build_report(scenario_tables(), period=PERIOD, now=NOW))
    parser = _Tags()
    parser.feed(page)
    assert "script" not in parser.tags
    assert "link" not in parser.tags
    assert "http://" not in page
    assert "https://" not in page
    assert parser.tags.count("svg") >= 2 * 3 + 1  # two charts per rep + exclusion reasons
    assert "WAITING_STREAK" in page
    assert "LATE_CHECKINS" in page
    assert "no data" in page
    assert "GPS_OUTSIDE_GEOFENCE" in page


def _report() -> PhiReport:
    return build_report(scenario_tables(), period=PERIOD, now=NOW)


def test_figures_link_to_the_drilldown_or_nowhere() -> None:
    report = _report()
    linked = report_to_html(report)
    for score in report.reps:
        url = manager_explain_url(score.subject_id, "2026-11").replace("&", "&amp;")
        assert url == f"/manager/phi/explain?rep={score.subject_id}&amp;period=2026-11"
        assert f"<a href='{url}' data-phi-link='phi'>" in linked
        assert f"<a href='{url}' data-phi-link='card-phi'>" in linked
        assert f"<a href='{url}#leads'>" in linked
    # A file for mail (the CLI may ask for it): only the links within the page.
    plain = report_to_html(report, explain_url=None)
    assert "/manager/" not in plain
    assert set(re.findall(r"href='([^'#]*)", plain)) == {""}
    custom = report_to_html(report, explain_url=lambda rep, period: f"{rep}-{period}.html")
    assert "href='r1-2026-11.html#actions'" in custom


def test_warnings_are_grouped_by_code() -> None:
    report = _report()
    page = report_to_html(report)
    codes = re.findall(r"data-warning-code='([A-Z_]+)'", page)
    assert sorted(codes) == sorted({w.code.value for w in report.warnings})
    waiting = page.split("data-warning-code='WAITING_STREAK'")[1].split("</section>")[0]
    assert "WAITING_STREAK · 1 warning</h3>" in waiting
    assert "reps: <a href='/manager/phi/explain?rep=r1&amp;period=2026-11'>r1</a>" in waiting
    # The cards name their codes once, linked to the group, not the whole list again.
    card = page.split("id='rep-r1'")[1].split("</div>")[0]
    assert "<a href='#warning-WAITING_STREAK'>WAITING_STREAK</a>" in card


def test_the_page_fits_a_phone_and_trends_scale_to_their_data() -> None:
    report = _report()
    page = report_to_html(report)
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in page
    assert page.count("<table>") == page.count("<div class='scroll'><table>")
    trends = re.findall(r"<svg width='(\d+)' height='\d+' viewBox='[^']*' role='img' "
                        r"aria-label='PHI trend'>", page)
    # As wide as the periods from the first with data to the last (80 px each), not the
    # six periods' 520 px; r3 has no data at all: no chart.
    spans = []
    for score in report.reps:
        known = [i for i, p in enumerate(score.trend) if p.phi is not None]
        if known:
            spans.append(known[-1] - known[0] + 1)
    assert spans
    assert max(spans) < len(report.reps[0].trend)
    assert [int(w) for w in trends] == [56 + 80 * (n - 1) + (28 if n == 1 else 0)
                                        for n in spans]
    assert page.split("id='rep-r3'")[1].count("No PHI in the trend periods yet.") == 1


def test_a_trend_spans_the_periods_with_data() -> None:
    report = build_report(scenario_tables(), period=PERIOD, now=NOW, trend_length=3)
    r2 = next(s for s in report.reps if s.subject_id == "r2")
    periods = [p.period for p in r2.trend if p.phi is not None]
    page = report_to_html(report)
    card = page.split("id='rep-r2'")[1].split("</div>")[0]
    labels = re.findall(r"text-anchor='middle'>([^<]+)</text>", card)
    assert labels[0] == periods[0]
    assert labels[-1] == periods[-1]


def test_one_period_of_data_is_one_dot_not_a_wide_chart() -> None:
    page = report_to_html(build_report(scenario_tables(), period=PERIOD, now=NOW,
                                       trend_length=1))
    card = page.split("id='rep-r1'")[1].split("</div>")[0]
    assert "<svg width='84' height='140' viewBox='0 0 84 140' role='img' " \
           "aria-label='PHI trend'>" in card
    assert card.count("<circle ") == 1

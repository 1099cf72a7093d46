"""The HTML report is one self-contained page with a chart per rep."""

from __future__ import annotations

from html.parser import HTMLParser

from phi.report import build_report
from phi.report_html import report_to_html
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

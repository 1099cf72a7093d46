"""The PHI page's links and warning groups, and the drill-down behind them
(``/manager/phi/explain``): the records behind each figure, check-ins linked, local times,
names beside ids, the caller's scope, readable refusals, and a page usable at 390 px.

On top of :func:`tests.serving.test_reports.seed_reports` (t1: r1, r2; t2: r3; November
2026 in Asia/Shanghai), r1 has one rejected check-in on 12 November.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from application.phi_inputs import tables_from_store
from phi.explain import explain_rep
from phi.periods import parse_period
from tests.api_harness import Api
from tests.browser import headless_chromium
from tests.builders import TENANT
from tests.pages_harness import refused_page, sign_in
from tests.serving.test_pages_browser import served  # noqa: F401 (the fixture)
from tests.serving.test_reports import seed_reports, visit
from visitproof.records import CheckinStatus
from visitproof.store import Store
from visitproof.values import utc_now

HTML = "text/html; charset=utf-8"
PHONE_WIDTH = 390


@pytest.fixture
def seeded(api: Api) -> tuple[Api, str]:
    """The reports' company, and the id of r1's rejected check-in (12 Nov, 02:40 UTC)."""
    seed_reports(api.database)
    rejected = visit("r1", "c1", 12, 2, CheckinStatus.REJECTED)
    with api.database.begin() as connection:
        Store(connection, TENANT).checkins.add(rejected)
    return api, str(rejected.id)


def _links(text: str, kind: str) -> dict[str, str]:
    """rep id -> href of the ``data-phi-link=kind`` links (unescaped)."""
    found = re.findall(rf"<a href='([^']+)' data-phi-link='{kind}'>", text)
    return {re.search(r"rep=([^&]+)", unescape(href)).group(1): unescape(href)  # type: ignore[union-attr]
            for href in found}


def _explain(api: Api, rep: str, period: str = "2026-11") -> Any:
    return api.client.get("/manager/phi/explain", params={"rep": rep, "period": period})


# -- the PHI page ------------------------------------------------------------------------------

def test_every_reps_phi_links_to_its_explain_page(seeded: tuple[Api, str]) -> None:
    api, _ = seeded
    sign_in(api, "manager")
    text = api.client.get("/manager/phi", params={"period": "2026-11"}).text
    expected = {rep: f"/manager/phi/explain?rep={rep}&period=2026-11" for rep in ("r1", "r2")}
    assert _links(text, "phi") == expected  # the reps table
    assert _links(text, "card-phi") == expected  # the cards' headings
    for rep in ("r1", "r2"):
        url = expected[rep]
        for anchor in ("#leads", "#actions", "#penetration"):
            assert f"href='{url.replace('&', '&amp;')}{anchor}'" in text
        page = api.client.get(url)
        assert page.status_code == 200, page.text
        assert f"PHI explained: Rep {rep} ({rep}), 2026-11" in page.text
        assert "PHI definition phi-2." in page.text  # the version that computed it
    assert "PHI definition phi-2: a pushed follow-up" in text


def test_the_phi_shown_is_the_explained_one(seeded: tuple[Api, str]) -> None:
    api, _ = seeded
    sign_in(api, "manager")
    text = api.client.get("/manager/phi", params={"period": "2026-11"}).text
    shown = dict(re.findall(r"rep=(r\d)&amp;period=2026-11' data-phi-link='phi'>([^<]+)</a>",
                            text))
    for rep, phi in shown.items():
        figures = _explain(api, rep).text.split("class='vp-figures'")[1]
        assert f"<td>PHI</td><td>{phi}</td>" in figures


def test_warnings_are_grouped_one_heading_per_code(seeded: tuple[Api, str]) -> None:
    api, _ = seeded
    sign_in(api, "manager")
    text = api.client.get("/manager/phi", params={"period": "2026-11"}).text
    warnings = api.client.get("/v1/phi", params={"period": "2026-11"},
                              headers=api.auth("manager")).json()["warnings"]
    assert warnings  # the seeded data raises some
    codes = re.findall(r"data-warning-code='([A-Z_]+)'", text)
    assert sorted(codes) == sorted({w["code"] for w in warnings})  # each code once
    for code in codes:
        group = text.split(f"data-warning-code='{code}'")[1].split("</section>")[0]
        of_code = [w for w in warnings if w["code"] == code]
        assert f"{code} · {len(of_code)} warning" in group
        for rep in {w["rep_id"] for w in of_code if w["rep_id"]}:
            assert f"<a href='/manager/phi/explain?rep={rep}&amp;period=2026-11'>{rep}</a>" \
                in group
        assert f"<a href='#warning-{code}'>{code}</a>" in text  # the index above


def test_the_page_links_its_exports(seeded: tuple[Api, str]) -> None:
    api, _ = seeded
    sign_in(api, "director")
    text = api.client.get("/manager/phi", params={"period": "2026-11", "team": "t2"}).text
    exports = text.split("id='vp-phi-exports'")[1].split("</p>")[0]
    for href in ("/manager/phi.csv?period=2026-11&amp;team=t2",
                 "/manager/phi.xlsx?period=2026-11&amp;team=t2",
                 "/manager/gaps.csv", "/manager/gaps.xlsx"):
        assert f"href='{href}'" in exports
        assert api.client.get(unescape(href)).status_code == 200


# -- the drill-down ----------------------------------------------------------------------------

def test_explain_lists_the_excluded_checkins_with_links(seeded: tuple[Api, str]) -> None:
    api, rejected = seeded
    sign_in(api, "manager")
    response = _explain(api, "r1")
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    text = response.text
    excluded = text.split("<h2 id='excluded'>")[1]
    assert excluded.startswith("Excluded check-ins (1)</h2>")
    assert re.findall(r"data-checkin-id='([0-9a-f-]+)'", excluded) == [rejected]
    assert f"<a href='/manager/checkins/{rejected}'" in excluded
    assert "<code>GPS_OUTSIDE_GEOFENCE</code>" in excluded
    assert "Customer c1 <code>c1</code>" in excluded  # the name beside the id
    assert "2026-11-12 10:40 CST" in excluded  # 02:40 UTC, local time in Shanghai
    assert "<td>excluded check-ins</td><td>1</td>" in text
    assert "aria-current=page>PHI</a>" in text  # the nav bar marks the PHI page
    assert api.client.get(f"/manager/checkins/{rejected}").status_code == 200


def test_explain_lists_the_rows_behind_every_count(seeded: tuple[Api, str]) -> None:
    api, _ = seeded
    sign_in(api, "manager")
    text: str = _explain(api, "r1").text
    with api.database.connect() as connection:
        tables = tables_from_store(connection, TENANT)
    explanation = explain_rep(tables, rep_id="r1", now=utc_now(),
                              period=parse_period("2026-11", "Asia/Shanghai"))
    counts = explanation.score.counts

    def listed(section: str) -> int:
        block = text.split(f"<h2 id='{section}'>")[1].split("<h2 ")[0]
        return max(block.count("<tr>") - 1, 0)  # minus the header row

    assert listed("leads") == counts["leads_new"] == len(explanation.leads)
    assert listed("actions") == counts["actions_due"] == len(explanation.actions)
    assert listed("penetration") == counts["accounts"] == len(explanation.accounts)
    assert listed("touches") == len(explanation.role_touches)
    actions = text.split("<h2 id='actions'>")[1].split("<h2 ")[0]
    assert set(re.findall(r"data-checkin-id='([0-9a-f-]+)'", actions)) == {
        str(c) for c in explanation.actions["checkin_id"]}
    assert "Rep r1 <code>r1</code>" in text


def test_a_manager_cannot_explain_another_teams_rep(seeded: tuple[Api, str]) -> None:
    api, _ = seeded
    sign_in(api, "manager")  # team t1
    refused_page(_explain(api, "r3"), 404, "NOT_FOUND")
    refused_page(_explain(api, "ghost"), 404, "NOT_FOUND")  # the same answer as a stranger
    sign_in(api, "director")
    assert _explain(api, "r3").status_code == 200
    refused_page(_explain(api, "ghost"), 404, "NOT_FOUND")


@pytest.mark.parametrize(("params", "code"), [
    ({"rep": "r1", "period": "2026-13"}, "BAD_PERIOD"),
    ({"rep": "r1", "period": "0001-W01"}, "BAD_PERIOD"),
    ({"rep": "r1", "period": "2026-11-15..2026-11-01"}, "BAD_PERIOD"),
    ({"period": "2026-11"}, "MISSING_FIELD"),
])
def test_bad_explain_queries_are_readable_422_pages(seeded: tuple[Api, str],
                                                    params: dict[str, str], code: str) -> None:
    api, _ = seeded
    sign_in(api, "manager")
    response = api.client.get("/manager/phi/explain", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == HTML
    if code != "MISSING_FIELD":
        assert f"<code>{code}</code>" in response.text


def test_explain_needs_sign_in_and_defaults_to_the_latest_month(
        seeded: tuple[Api, str]) -> None:
    api, _ = seeded
    refused_page(api.client.get("/manager/phi/explain", params={"rep": "r1"}), 401,
             "UNAUTHENTICATED")
    sign_in(api, "manager")
    text = api.client.get("/manager/phi/explain", params={"rep": "r1"}).text
    assert "PHI explained: Rep r1 (r1), 2026-11" in text


# -- phone width -------------------------------------------------------------------------------

def test_phi_pages_fit_a_phone(seeded: tuple[Api, str], served: str) -> None:  # noqa: F811
    api, _ = seeded
    with headless_chromium(window=(800, 900)) as browser:
        # A phone: 390 CSS px wide, and a page without a viewport tag is laid out at 980.
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE_WIDTH, "height": 844, "deviceScaleFactor": 3, "mobile": True})
        browser.get(f"{served}/manager/login?token={api.tokens['director']}"
                    "&next=/manager/phi?period=2026-11")
        for path in ("/manager/phi?period=2026-11",
                     "/manager/phi/explain?rep=r1&period=2026-11"):
            browser.get(f"{served}{path}")
            viewport = browser.execute_script("return window.innerWidth")
            assert viewport == PHONE_WIDTH, path
            # Nothing makes the page scroll sideways: wide tables scroll in their wrapper.
            assert browser.execute_script(
                "return document.documentElement.scrollWidth") <= viewport, path
            too_wide = browser.execute_script(
                "const w = window.innerWidth; return [...document.body.querySelectorAll('*')]"
                ".filter(e => !e.closest('.scroll, .vp-scroll'))"
                ".filter(e => e.getBoundingClientRect().right > w + 1)"
                ".map(e => e.tagName + '.' + e.className)")
            assert too_wide == [], (path, too_wide)

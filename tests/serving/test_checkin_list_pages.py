"""The pages a director works in: the period defaults (the latest data, not today), the
navigation bar, the PHI pickers, and the check-in list's names, filters, order, position
and CSV export (with spreadsheet-formula escaping)."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from serving.pages.checkin_csv import spreadsheet_safe
from serving.pages.phi_pickers import months_between
from tests.api_harness import Api
from tests.serving.test_reports import seed_reports, visit
from visitproof.records import Commitment, NextAction
from visitproof.store import Store

HTML = "text/html; charset=utf-8"
TENANT_ZONE = "Asia/Shanghai"
NAV_LINKS = ("/manager/checkins", "/manager/reviews", "/manager/phi", "/manager/overlap")


@pytest.fixture
def seeded(api: Api) -> Api:
    seed_reports(api.database)  # t1: 11 check-ins of r1 and r2, 3-10 November 2026
    return api


def _login(api: Api, who: str) -> None:
    response = api.client.get("/manager/login", params={"token": api.tokens[who]},
                              follow_redirects=False)
    assert response.status_code == 303


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == HTML
    assert f"<code>{code}</code>" in response.text


def _ids(text: str) -> list[str]:
    return re.findall(r"data-checkin-id='([0-9a-f-]+)'", text)


def _submitted(text: str) -> list[str]:
    return re.findall(r"<a href='/manager/checkins/[0-9a-f-]+'>([^<]+)</a>", text)


# -- defaults: the latest period with data ----------------------------------------------------

def test_phi_opens_on_the_month_of_the_latest_checkin(seeded: Api) -> None:
    _login(seeded, "manager")
    text = seeded.client.get("/manager/phi").text
    assert "Process Health Index — 2026-11 (team t1)" in text
    assert "<option value='2026-11' selected>2026-11</option>" in text


def test_phi_without_checkins_opens_on_this_month(api: Api) -> None:
    _login(api, "manager")
    assert api.client.get("/manager/phi").status_code == 200


def test_overlap_opens_on_the_28_days_ending_at_the_latest_checkin(seeded: Api) -> None:
    _login(seeded, "manager")
    text = seeded.client.get("/manager/overlap", params={"tiles": "none"}).text
    data = json.loads(text.split('id="vp-data">')[1].split("</script>")[0])
    # The latest departure: 10 November 05:40 UTC, 13:40 in Shanghai.
    assert data["periods"][0]["label"] == "2026-10-14..2026-11-10"


# -- navigation and pickers -------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/manager/checkins", "/manager/reviews", "/manager/phi",
                                  "/manager/overlap?tiles=none"])
def test_every_manager_page_has_the_navigation(seeded: Api, path: str) -> None:
    _login(seeded, "director")
    text = seeded.client.get(path).text
    nav = text.split("<nav id='vp-nav'")[1].split("</nav>")[0]
    for link in NAV_LINKS:
        assert f"href='{link}'" in nav
    current = re.findall(r"href='([^']+)' style='[^']*' aria-current=page>", nav)
    assert current == [path.split("?")[0]]


def test_director_picks_a_team_and_a_manager_sees_their_own(seeded: Api) -> None:
    _login(seeded, "director")
    text = seeded.client.get("/manager/phi", params={"team": "t2"}).text
    form = text.split("<form id='vp-phi-pickers'")[1].split("</form>")[0]
    assert "name='team'" in form
    assert "<option value='t2' selected>" in form
    assert "<option value='t1'>" in form
    assert "(team t2)" in text
    _login(seeded, "manager")
    form = seeded.client.get("/manager/phi").text.split("<form id='vp-phi-pickers'")[1]
    assert "name='team'" not in form.split("</form>")[0]
    assert "team <code>t1</code>" in form


def test_months_between_lists_newest_first_and_stops() -> None:
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == [
        "2026-02", "2026-01", "2025-12", "2025-11"]
    assert len(months_between(date(1970, 1, 1), date(2026, 11, 10))) == 36


# -- the check-in list ------------------------------------------------------------------------

def test_the_list_names_reps_and_customers(seeded: Api) -> None:
    _login(seeded, "manager")
    text = seeded.client.get("/manager/checkins", params={"rep_id": "r2"}).text
    assert "Rep r2 <code>r2</code>" in text
    assert "Customer c3 <code>c3</code>" in text
    assert "<option value='r1'>Rep r1 (r1)</option>" in text
    assert "value='r3'" not in text  # another team's rep is not offered


def test_the_drilldown_names_rep_and_customer(seeded: Api) -> None:
    _login(seeded, "manager")
    first = _ids(seeded.client.get("/manager/checkins", params={"rep_id": "r1"}).text)[0]
    text = seeded.client.get(f"/manager/checkins/{first}").text
    assert "by Rep r1 (r1)" in text
    assert "<td>Rep r1 <code>r1</code></td>" in text


def test_local_day_filter_and_the_position(seeded: Api) -> None:
    _login(seeded, "manager")
    text = seeded.client.get("/manager/checkins", params={
        "from": "2026-11-10", "to": "2026-11-10"}).text
    assert len(_ids(text)) == 3
    assert "1–3 of 3, newest submission first" in text
    assert "value='2026-11-10'" in text
    paged = seeded.client.get("/manager/checkins", params={"limit": 5, "offset": 5}).text
    assert "6–10 of 11" in paged
    assert "offset=0'>← newer" in paged
    assert "offset=10'>older →" in paged


def test_sort_oldest_first(seeded: Api) -> None:
    _login(seeded, "manager")
    newest = _submitted(seeded.client.get("/manager/checkins").text)
    oldest = _submitted(seeded.client.get("/manager/checkins", params={"sort": "oldest"}).text)
    assert newest == sorted(newest, reverse=True)
    assert oldest == sorted(oldest)
    assert oldest[0] < newest[0]


@pytest.mark.parametrize(("params", "code"), [
    ({"from": "2026-02-30"}, "BAD_DATE"),
    ({"to": "yesterday"}, "BAD_DATE"),
    ({"from": "2026-11-10", "to": "2026-11-03"}, "TIME_ORDER"),
    ({"sort": "sideways"}, "UNKNOWN_ENUM_VALUE"),
])
def test_bad_filters_are_readable_422_pages(seeded: Api, params: dict[str, str],
                                            code: str) -> None:
    _login(seeded, "manager")
    _refused(seeded.client.get("/manager/checkins", params=params), 422, code)
    _refused(seeded.client.get("/manager/checkins.csv", params=params), 422, code)


# -- CSV export -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "safe"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+1 555", "'+1 555"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("a trial = yes", "a trial = yes"),
    ("", ""),
    ("'quoted", "'quoted"),
    ("Café, 2 packs", "Café, 2 packs"),
])
def test_spreadsheet_safe(text: str, safe: str) -> None:
    assert spreadsheet_safe(text) == safe


def test_export_has_the_filters_names_and_local_times(seeded: Api) -> None:
    _login(seeded, "manager")
    response = seeded.client.get("/manager/checkins.csv", params={
        "from": "2026-11-10", "to": "2026-11-10", "sort": "oldest"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # Oldest first: r1 and r2 at c1 at 01:40 UTC (either first), then r2 at c3 at 05:40.
    assert sorted(r["rep_id"] for r in rows[:2]) == ["r1", "r2"]
    assert [r["submitted_at"] for r in rows] == ["2026-11-10T09:40:00+08:00"] * 2 + [
        "2026-11-10T13:40:00+08:00"]
    assert (rows[2]["rep_name"], rows[2]["customer_name"]) == ("Rep r2", "Customer c3")
    page = seeded.client.get("/manager/checkins", params={"from": "2026-11-10",
                                                          "to": "2026-11-10"}).text
    assert "href='/manager/checkins.csv?from=2026-11-10&amp;to=2026-11-10'" in page


def test_export_escapes_reps_free_text(seeded: Api) -> None:
    hostile = replace(visit("r1", "c1", 11, 2),
                      commitment=Commitment(text="=HYPERLINK(\"http://evil\",\"ok\")"))
    hostile = replace(hostile, next_action=NextAction(
        text="@SUM(1+1)", due_at=hostile.next_action.due_at, kind=hostile.next_action.kind))
    with seeded.database.begin() as connection:
        Store(connection, hostile.tenant_id).checkins.add(hostile)
    _login(seeded, "manager")
    response = seeded.client.get("/manager/checkins.csv", params={"from": "2026-11-11"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["commitment"] == "'=HYPERLINK(\"http://evil\",\"ok\")"
    assert rows[0]["next_action"] == "'@SUM(1+1)"


def test_export_is_scoped(seeded: Api) -> None:
    _login(seeded, "manager_t2")
    rows = list(csv.DictReader(io.StringIO(seeded.client.get("/manager/checkins.csv").text)))
    assert {r["rep_id"] for r in rows} == {"r3"}

"""A rep's day (``/manager/reps/{rep_id}/day``): the day's check-ins in visiting order with
local times in a tenant zone far from UTC (Auckland, UTC+13 in November, so a local day
crosses UTC midnight), the totals, previous/next days, the default day, scope (404), bad
dates (422), the empty day, the picker, hosts named by the page, and in a real headless
Chromium the drawn markers, a clean console and the phone layout."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from geo.overlap_map import ASSETS
from tests.api_harness import Api
from tests.browser import headless_chromium
from tests.builders import (
    HANGZHOU,
    TENANT,
    make_checkin,
    make_customer,
    make_fix,
    make_tenant,
    shifted,
    with_verdict,
)
from tests.pages_harness import refused_page, sign_in
from tests.serving.test_pages_browser import served  # noqa: F401 (the fixture)
from visitproof.records import CheckinStatus
from visitproof.store import Store

HTML = "text/html; charset=utf-8"
ZONE = "Pacific/Auckland"
URL = re.compile(r"https?://[^\s\"'<>)]+")
PHONE = (390, 844)

# r1's visits as (customer, arrival UTC, minutes stayed, status, reason codes). Local day
# 2026-11-04 in Auckland runs from 11:00 UTC on 3 November to 11:00 UTC on 4 November.
VISITS = [
    ("c1", "2026-11-03T09:00:00+00:00", 30, CheckinStatus.VERIFIED, ()),  # 22:00 on 3 Nov
    ("c2", "2026-11-03T23:30:00+00:00", 40, CheckinStatus.REJECTED,
     ("GPS_OUTSIDE_GEOFENCE",)),  # 12:30 on 4 Nov
    ("c1", "2026-11-03T20:00:00+00:00", 30, CheckinStatus.VERIFIED, ()),  # 09:00 on 4 Nov
    ("c3", "2026-11-04T02:00:00+00:00", 20, CheckinStatus.NEEDS_REVIEW,
     ("PHOTO_BLURRY",)),  # 15:00 on 4 Nov
    ("c2", "2026-11-06T22:00:00+00:00", 30, CheckinStatus.VERIFIED, ()),  # 11:00 on 7 Nov
]
# Customers 0, 2 and 5 km north of Hangzhou; c4 has a name that is markup.
PLACES = {"c1": 0.0, "c2": 2000.0, "c3": 5000.0, "c4": 7000.0}


def _add(api: Api, rows: Sequence[tuple[str, str, int, CheckinStatus, tuple[str, ...]]],
         rep: str = "r1") -> list[str]:
    """Store the visits, newest submission first (so submission order is not the visiting
    order); returns their ids in the given order."""
    made = []
    for k, (customer, arrived, stay, status, codes) in enumerate(rows):
        start = datetime.fromisoformat(arrived)
        departed = start + timedelta(minutes=stay)
        lat, lon = shifted(*HANGZHOU, north_m=PLACES[customer])
        checkin = make_checkin(rep=rep, customer=customer, arrived=start, departed=departed,
                               captured=start + timedelta(minutes=5),
                               submitted=datetime.fromisoformat("2026-11-20T00:00:00+00:00")
                               - timedelta(hours=k),
                               fix=make_fix(lat, lon, t=start + timedelta(minutes=5)),
                               status=status)
        made.append(with_verdict(checkin, status, *codes))
    with api.database.begin() as connection:
        Store(connection, TENANT).checkins.add_many(made)
    return [str(c.id) for c in made]


@pytest.fixture
def day(api: Api) -> tuple[Api, list[str]]:
    with api.database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_tenant(make_tenant(timezone=ZONE))
        store.reference.put_customers([
            make_customer(c, *shifted(*HANGZHOU, north_m=north), reps=("r1",))
            for c, north in PLACES.items()])
    return api, _add(api, VISITS)


def _rows(text: str) -> list[str]:
    return re.findall(r"<tr data-checkin-id='([0-9a-f-]+)'>", text)


def _cells(text: str, css: str) -> list[str]:
    return re.findall(rf"<td class='{css}'>([^<]*)</td>", text)


def test_the_day_in_visiting_order_with_local_times(day: tuple[Api, list[str]]) -> None:
    api, ids = day
    sign_in(api, "manager")
    response = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-04"})
    assert response.status_code == 200
    text = response.text
    # Three of the five, by arrival (not by submission, nor by the order they were stored).
    assert _rows(text) == [ids[2], ids[1], ids[3]]
    assert re.findall(r"class='vp-number' style='[^']*'>(\d+)</span>", text) == ["1", "2", "3"]
    assert _cells(text, "vp-arrived") == ["09:00 NZDT", "12:30 NZDT", "15:00 NZDT"]
    assert _cells(text, "vp-departed") == ["09:30 NZDT", "13:10 NZDT", "15:20 NZDT"]
    assert "Rep r1 (r1) — Wednesday 2026-11-04" in text
    assert "Times in Pacific/Auckland." in text
    assert "Customer c2 <code>c2</code>" in text
    assert "<code>GPS_OUTSIDE_GEOFENCE</code>" in text
    assert f"href='/manager/checkins/{ids[1]}'>check-in</a>" in text


def test_the_drilldown_links_to_its_local_day(day: tuple[Api, list[str]]) -> None:
    api, ids = day
    sign_in(api, "manager")
    page = api.client.get(f"/manager/checkins/{ids[1]}").text
    link = re.search(r"<a id='vp-rep-day' href='([^']+)'>", page)
    assert link is not None
    assert link.group(1) == "/manager/reps/r1/day?date=2026-11-04"
    assert ids[1] in _rows(api.client.get(link.group(1)).text)


def test_legs_and_totals(day: tuple[Api, list[str]]) -> None:
    api, _ = day
    sign_in(api, "manager")
    text = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-04"}).text
    legs = re.findall(r"<td class='vp-leg'>(.*?)</td>", text)
    assert legs == ["<span class='muted'>first stop</span>", "2.00 km · 180 min",
                    "3.00 km · 110 min"]
    totals = text.split("<p id='vp-day-totals'>")[1].split("</p>")[0]
    assert "<strong>3</strong> visits" in totals
    assert "<strong>5.0 km</strong> straight-line" in totals
    counts = re.findall(r"data-status='(\w+)'>(\d+) ", totals)
    assert counts == [("verified", "1"), ("rejected", "1"), ("needs_review", "1")]


def test_previous_and_next_days_with_checkins(day: tuple[Api, list[str]]) -> None:
    api, _ = day
    sign_in(api, "manager")
    text = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-04"}).text
    assert "id='vp-day-previous' href='/manager/reps/r1/day?date=2026-11-03'" in text
    assert "id='vp-day-next' href='/manager/reps/r1/day?date=2026-11-07'" in text
    first = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-03"}).text
    assert "vp-day-previous" not in first
    assert len(_rows(first)) == 1


def test_default_is_the_latest_local_day_not_a_future_clock(
        day: tuple[Api, list[str]]) -> None:
    api, _ = day
    _add(api, [("c1", "2099-01-01T08:00:00+00:00", 30, CheckinStatus.REJECTED,
                ("TIME_IN_FUTURE",))])
    sign_in(api, "director")
    text = api.client.get("/manager/reps/r1/day").text
    assert "Rep r1 (r1) — Saturday 2026-11-07" in text
    assert len(_rows(text)) == 1
    assert "vp-day-next" not in text


def test_an_empty_day_says_so(day: tuple[Api, list[str]]) -> None:
    api, _ = day
    sign_in(api, "manager")
    text = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-05"}).text
    assert "No check-ins by Rep r1 (r1) on 2026-11-05." in text
    assert "vp-day-map" not in text
    assert "leaflet" not in text.lower()
    assert "href='/manager/reps/r1/day?date=2026-11-04'" in text
    never = api.client.get("/manager/reps/r2/day").text
    assert "No check-ins by Rep r2 (r2) yet." in never


@pytest.mark.parametrize(("who", "rep"), [("manager", "r3"), ("manager", "nobody"),
                                          ("manager_t2", "r1"), ("other_tenant_admin", "r1")])
def test_a_rep_outside_the_scope_is_a_404_page(day: tuple[Api, list[str]], who: str,
                                               rep: str) -> None:
    api, _ = day
    sign_in(api, who)
    refused_page(api.client.get(f"/manager/reps/{rep}/day"), 404, "NOT_FOUND")


@pytest.mark.parametrize("bad", ["2026-02-30", "yesterday", "04/11/2026"])
def test_a_bad_date_is_a_422_page(day: tuple[Api, list[str]], bad: str) -> None:
    api, _ = day
    sign_in(api, "manager")
    refused_page(api.client.get("/manager/reps/r1/day", params={"date": bad}), 422, "BAD_DATE")
    refused_page(api.client.get("/manager/reps/day", params={"rep_id": "r1", "date": bad}),
             422, "BAD_DATE")


def test_sign_in_is_needed(day: tuple[Api, list[str]]) -> None:
    api, _ = day
    refused_page(api.client.get("/manager/reps/r1/day"), 401, "UNAUTHENTICATED")


def test_the_picker_offers_the_callers_reps_and_goes_to_the_page(
        day: tuple[Api, list[str]]) -> None:
    api, _ = day
    sign_in(api, "manager")
    text = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-04"}).text
    form = text.split("<form class='filters' id='vp-day-pickers'")[1].split("</form>")[0]
    assert re.findall(r"<option value='(\w+)'", form) == ["r1", "r2"]
    assert "<option value='r1' selected>Rep r1 (r1)</option>" in form
    assert "value='2026-11-04'" in form
    sign_in(api, "director")
    form = api.client.get("/manager/reps/r1/day").text.split("id='vp-day-pickers'")[1]
    assert "value='r3'" in form.split("</form>")[0]
    moved = api.client.get("/manager/reps/day", params={"rep_id": "r2", "date": "2026-11-04"},
                           follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/manager/reps/r2/day?date=2026-11-04"
    latest = api.client.get("/manager/reps/day", params={"rep_id": "r1", "date": ""},
                            follow_redirects=False)
    assert latest.headers["location"] == "/manager/reps/r1/day"


def test_store_text_is_escaped(day: tuple[Api, list[str]]) -> None:
    api, _ = day
    with api.database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_customers([replace(
            make_customer("c4", *shifted(*HANGZHOU, north_m=PLACES["c4"])),
            name="<img src=x onerror=alert(1)>")])
    _add(api, [("c4", "2026-11-04T04:00:00+00:00", 10, CheckinStatus.VERIFIED, ())])
    sign_in(api, "manager")
    text = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-04"}).text
    assert "<img src=x" not in text
    assert "&lt;img src=x onerror=alert(1)&gt; <code>c4</code>" in text


def _own_text(text: str) -> str:
    for name in ("leaflet.css", "leaflet.js"):
        vendored = (ASSETS / name).read_text(encoding="utf-8")
        text = text.replace(vendored.replace("//# sourceMappingURL=leaflet.js.map", ""), "")
    return text


@pytest.mark.parametrize("tiles", [None, "https://tiles.example.org/{z}/{x}/{y}.png"])
def test_the_page_names_no_other_host_than_a_configured_tile_server(
        make_api: Any, tiles: str | None) -> None:
    api = make_api(map_tile_url=tiles)
    with api.database.begin() as connection:
        Store(connection, TENANT).reference.put_customers([
            make_customer(c, *shifted(*HANGZHOU, north_m=north)) for c, north in PLACES.items()])
    _add(api, VISITS)
    sign_in(api, "manager")
    text = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-04"}).text
    assert "id='vp-day-map'" in text
    assert set(URL.findall(_own_text(text))) == ({tiles} if tiles else set())
    off = api.client.get("/manager/reps/r1/day", params={"date": "2026-11-04",
                                                         "tiles": "none"}).text
    assert URL.findall(_own_text(off)) == []


# -- in the browser -----------------------------------------------------------------------

def test_markers_draw_and_the_phone_layout_fits(day: tuple[Api, list[str]],
                                                served: str) -> None:  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    api, ids = day
    path = "/manager/reps/r1/day?date=2026-11-04"
    with headless_chromium(window=(1280, 900), console_log=True) as browser:
        browser.get(f"{served}/manager/login?token={api.tokens['manager']}&next={path}")
        WebDriverWait(browser, 15).until(lambda b: b.execute_script("return window.vpDayReady"))
        markers = browser.execute_script(
            "return [...document.querySelectorAll('.leaflet-marker-icon')]"
            ".map(m => [m.textContent, m.dataset.checkinId])")
        assert markers == [["1", ids[2]], ["2", ids[1]], ["3", ids[3]]]
        assert browser.execute_script(
            "return document.querySelectorAll('path.vp-route').length") == 1
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []

        # A phone: 390 CSS px wide; the map spans it at about 60% of the height.
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 3, "mobile": True})
        browser.get(f"{served}{path}")
        WebDriverWait(browser, 15).until(lambda b: b.execute_script("return window.vpDayReady"))
        assert browser.execute_script("return window.innerWidth") == PHONE[0]
        box = browser.execute_script(
            "const r = document.getElementById('vp-day-map').getBoundingClientRect();"
            "return [r.left, r.width, r.height]")
        assert box[0] == 0
        assert box[1] == PHONE[0]
        assert box[2] == pytest.approx(0.6 * PHONE[1], abs=2)
        assert browser.execute_script(
            "return document.documentElement.scrollWidth") <= PHONE[0]
        too_wide = browser.execute_script(
            "const w = window.innerWidth; return [...document.body.querySelectorAll('*')]"
            ".filter(e => !e.closest('.leaflet-container'))"
            ".filter(e => e.getBoundingClientRect().right > w + 1)"
            ".map(e => e.tagName + '#' + e.id + '.' + e.className)")
        assert too_wide == []
        # The list is below the map.
        assert browser.execute_script(
            "return document.getElementById('vp-day-stops').getBoundingClientRect().top >="
            " document.getElementById('vp-day-map').getBoundingClientRect().bottom")
        errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == []

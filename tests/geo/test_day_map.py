"""The day map (``geo/day_map.py``): visiting order and numbering, the legs between stops,
local times in a zone far from UTC, a self-contained page that names no other host than a
configured tile server, and, in a real headless Chromium, one Leaflet marker per stop with
a clean console."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from geo.day_map import (
    ASSETS_USED,
    DayMapOptions,
    DaySite,
    DayStop,
    day_legs,
    day_map_data,
    day_map_html,
    visiting_order,
)
from geo.overlap_map import ASSETS
from tests.browser import headless_chromium
from tests.builders import HANGZHOU, at, shifted
from visitproof.errors import InvalidValue
from visitproof.records import CheckinStatus

URL = re.compile(r"https?://[^\s\"'<>)]+")
TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


def make_stop(number: int, arrived: str, *, north_m: float = 0.0, stay_min: int = 30,
              status: CheckinStatus = CheckinStatus.VERIFIED, customer: str | None = None,
              site: bool = True) -> DayStop:
    """Stop ``number`` (its id sorts by number), ``north_m`` metres north of HANGZHOU."""
    lat, lon = shifted(*HANGZHOU, north_m=north_m)
    customer = customer or f"c{number}"
    return DayStop(checkin_id=f"00000000-0000-0000-0000-{number:012d}", lat=lat, lon=lon,
                   accuracy_m=15.0, arrived_at=at(arrived),
                   departed_at=at(arrived) + timedelta(minutes=stay_min), status=status,
                   customer_id=customer, customer_name=f"Customer {customer}",
                   link=f"/manager/checkins/{number}",
                   site=DaySite(lat=lat, lon=lon, radius_m=150.0) if site else None)


# Given out of order: the map numbers them by arrival.
DAY = [make_stop(3, "13:00", north_m=3000, status=CheckinStatus.NEEDS_REVIEW),
       make_stop(1, "09:00"),
       make_stop(2, "10:30", north_m=1000, status=CheckinStatus.REJECTED)]


def _data(html: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(
        html.split("id='vp-day-data'>")[1].split("</script>")[0])
    return found


def test_stops_are_numbered_in_visiting_order() -> None:
    data = day_map_data(DAY, timezone="UTC", options=DayMapOptions())
    assert [(s["number"], s["customer_id"]) for s in data["stops"]] == [
        (1, "c1"), (2, "c2"), (3, "c3")]
    assert [s["status"] for s in data["stops"]] == ["verified", "rejected", "needs_review"]
    assert [s["link"] for s in data["stops"]] == [f"/manager/checkins/{n}" for n in (1, 2, 3)]


def test_ties_in_arrival_are_ordered_by_departure_then_id() -> None:
    early = make_stop(9, "09:00", stay_min=10)
    late = make_stop(5, "09:00", stay_min=40)
    same = make_stop(4, "09:00", stay_min=40)
    assert [s.checkin_id[-1] for s in visiting_order([late, same, early])] == ["9", "4", "5"]


def test_legs_measure_straight_line_metres_and_minutes_between_stops() -> None:
    ordered = visiting_order(DAY)
    legs = day_legs(ordered)
    assert legs[0] is None
    assert legs[1] is not None
    assert legs[2] is not None
    assert legs[1].distance_m == pytest.approx(1000.0, abs=2.0)
    assert legs[2].distance_m == pytest.approx(2000.0, abs=4.0)
    # 09:30 departure to 10:30 arrival, 11:00 departure to 13:00 arrival.
    assert (legs[1].minutes, legs[2].minutes) == (60.0, 120.0)
    assert day_legs([]) == ()


def test_times_are_local_in_a_zone_far_from_utc_across_utc_midnight() -> None:
    # 23:30 and 02:00 UTC on either side of midnight: 13:30 and 16:00 the same day in
    # Kiritimati (UTC+14).
    stops = [make_stop(1, "2026-11-03T23:30:00+00:00"),
             make_stop(2, "2026-11-04T02:00:00+00:00")]
    data = day_map_data(stops, timezone="Pacific/Kiritimati", options=DayMapOptions())
    assert [(s["arrived"], s["departed"]) for s in data["stops"]] == [
        ("13:30 +14", "14:00 +14"), ("16:00 +14", "16:30 +14")]


def test_each_customer_site_is_drawn_once() -> None:
    again = make_stop(4, "15:00", customer="c1")
    bare = make_stop(5, "16:00", site=False)
    data = day_map_data([*DAY, again, bare], timezone="UTC", options=DayMapOptions())
    assert [s["name"] for s in data["sites"]] == ["Customer c1", "Customer c2",
                                                  "Customer c3"]
    assert len(data["stops"]) == 5


@pytest.mark.parametrize(("change", "code"), [
    ({"lat": 91.0}, "LAT_OUT_OF_RANGE"),
    ({"accuracy_m": -1.0}, "BAD_NUMBER"),
    ({"arrived_at": datetime(2026, 11, 3, 9, 0)}, "NAIVE_TIMESTAMP"),
    ({"link": "https://evil.example/"}, "BAD_LINK"),
    ({"link": "//evil.example/"}, "BAD_LINK"),
])
def test_bad_stops_raise(change: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidValue) as raised:
        replace(DAY[0], **change)
    assert raised.value.code == code


def test_an_empty_day_has_no_map() -> None:
    with pytest.raises(InvalidValue) as raised:
        day_map_html([], timezone="UTC")
    assert raised.value.code == "EMPTY_INPUT"


def _own_text(html: str) -> str:
    """The page without the vendored Leaflet files (their comments and SVG namespace name
    hosts that are never fetched; see the next test)."""
    for name in ASSETS_USED:
        html = html.replace(_vendored(name), "")
    return html


def _vendored(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    return text.replace("//# sourceMappingURL=leaflet.js.map", "")


def test_the_map_names_no_other_host_than_a_configured_tile_server() -> None:
    plain = day_map_html(DAY, timezone="UTC")
    assert "<script src" not in plain
    assert "<link" not in plain
    assert "sourceMappingURL" not in plain
    assert _data(plain)["tile_url"] is None
    assert URL.findall(_own_text(plain)) == []
    tiled = day_map_html(DAY, timezone="UTC", options=DayMapOptions(tile_url=TILES))
    assert set(URL.findall(_own_text(tiled))) == {TILES}
    # Leaflet's own: the SVG namespace, bug links in comments, and the "Leaflet" credit,
    # which the map's script turns off (setPrefix(false)).
    vendored = {url for name in ASSETS_USED for url in URL.findall(_vendored(name))}
    assert {u.split("/")[2] for u in vendored} <= {"www.w3.org", "leafletjs.com",
                                                    "bugs.chromium.org",
                                                    "bugzilla.mozilla.org"}
    assert "setPrefix(false)" in plain


def test_a_customer_name_cannot_close_the_script() -> None:
    hostile = replace(DAY[1], customer_name="</script><script>alert(1)</script>")
    html = day_map_html([hostile], timezone="UTC")
    assert "</script><script>alert(1)" not in html
    assert _data(html)["stops"][0]["customer"] == "</script><script>alert(1)</script>"


# -- in the browser -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium(window=(1000, 800), console_log=True) as driver:
        yield driver


def test_markers_route_and_popups_draw_offline(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    page = tmp_path / "day.html"
    page.write_text("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>day"
                    "</title></head><body>" + day_map_html(DAY, timezone="Asia/Shanghai")
                    + "</body></html>", encoding="utf-8")
    browser.get(page.as_uri())
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return window.vpDayReady"))
    markers = browser.execute_script(
        "return [...document.querySelectorAll('.leaflet-marker-icon')].map(m => m.textContent)")
    assert markers == ["1", "2", "3"]
    counts = browser.execute_script(
        "return ['vp-route', 'vp-geofence', 'vp-accuracy'].map("
        "c => document.querySelectorAll('path.' + c).length)")
    assert counts == [1, 3, 3]
    browser.execute_script("document.querySelectorAll('.leaflet-marker-icon')[1].click()")
    popup = browser.find_element("css selector", ".leaflet-popup-content")
    assert "2. Customer c2" in popup.text
    assert "arrived 18:30 CST, departed 19:00 CST" in popup.text
    assert popup.find_element("tag name", "a").get_attribute("href").endswith(
        "/manager/checkins/2")
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

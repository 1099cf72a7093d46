"""``/manager/gallery``: the check-in list's filters (rep, customer, status, reason, local
days) over a grid of thumbnails, grouped by rep, store, day or status, paged with the total,
in the caller's scope; bad values are 422 pages. A real browser checks that the grid and the
list fit a 390-pixel phone and a 1400-pixel screen and that the thumbnails decode."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_harness import Api
from tests.browser import headless_chromium
from tests.builders import make_customer
from tests.pages_harness import refused_page, sign_in
from tests.serving.test_pages_browser import served  # noqa: F401  (a fixture)
from tests.serving.test_thumbnails import stored_checkin
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import Store

V, R, N = CheckinStatus.VERIFIED, CheckinStatus.REJECTED, CheckinStatus.NEEDS_REVIEW


@pytest.fixture
def visits(api: Api) -> dict[str, Checkin]:
    """Six check-ins with photos, by name. Departures in UTC; Shanghai is 8 hours ahead, so
    "5th 20:00 UTC" is the 6th locally."""
    with api.database.begin() as connection:
        Store(connection, "acme").reference.put_customers(
            [make_customer("c1"), make_customer("c2", reps=("r1", "r2"))])
    plan: dict[str, tuple[str, str, str, CheckinStatus, tuple[str, ...]]] = {
        "r1_c1_5th": ("r1", "c1", "2026-11-05T02:00:00+00:00", V, ()),
        "r1_c2_6th": ("r1", "c2", "2026-11-05T20:00:00+00:00", R,
                      ("GPS_OUTSIDE_GEOFENCE",)),
        "r2_c1_6th": ("r2", "c1", "2026-11-06T03:00:00+00:00", N, ("PHOTO_BLURRY",)),
        "r2_c2_7th": ("r2", "c2", "2026-11-07T03:00:00+00:00", R,
                      ("GPS_OUTSIDE_GEOFENCE", "PHOTO_BLURRY")),
        "r1_c1_7th": ("r1", "c1", "2026-11-07T04:00:00+00:00", V, ()),
        "r3_c1_7th": ("r3", "c1", "2026-11-07T05:00:00+00:00", R,
                      ("GPS_OUTSIDE_GEOFENCE",)),  # team t2: not the manager's
    }
    return {name: stored_checkin(api, rep=rep, customer=customer, arrived=departed,
                                 departed=departed, captured=departed, submitted=departed,
                                 status=status, codes=codes, seed=index)
            for index, (name, (rep, customer, departed, status, codes))
            in enumerate(plan.items())}


def _tiles(text: str) -> list[str]:
    return re.findall(r"<article class='vp-tile' data-checkin-id='([0-9a-f-]+)'>", text)


def _names(visits: dict[str, Checkin], ids: list[str]) -> list[str]:
    by_id = {str(c.id): name for name, c in visits.items()}
    return [by_id[i] for i in ids]


def _headings(text: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).strip()
            for h in re.findall(r"<section class='vp-group'><h2>(.*?) <span", text)]


def test_tiles_name_rep_and_store_with_local_time_status_and_links(
        api: Api, visits: dict[str, Checkin]) -> None:
    sign_in(api, "manager")
    response = api.client.get("/manager/gallery")
    assert response.status_code == 200
    text = response.text
    assert "<title>Photo gallery · visitproof</title>" in text
    assert "<nav id='vp-nav'" in text
    assert _names(visits, _tiles(text)) == [
        "r1_c1_7th", "r2_c2_7th", "r2_c1_6th", "r1_c2_6th", "r1_c1_5th"]  # newest first
    assert "1–5 of 5, newest submission first, grouped by day" in text
    tile = text.split(f"data-checkin-id='{visits['r1_c2_6th'].id}'>")[1].split("</article>")[0]
    checkin = visits["r1_c2_6th"]
    assert f"<a href='/manager/checkins/{checkin.id}'><img class='vp-thumb' loading='lazy' " \
           f"width='240' height='180' src='/manager/checkins/{checkin.id}/thumbnail?v=" \
           f"{checkin.photo_sha256[:16]}'" in tile
    assert "<span class='vp-badge rejected'>rejected</span>" in tile
    assert "2026-11-06 04:00:00 CST" in tile  # 20:00 UTC on the 5th, in Shanghai
    assert "Rep r1 <code>r1</code>" in tile
    assert "Customer c2 <code>c2</code>" in tile


@pytest.mark.parametrize(("params", "expected"), [
    ({"rep_id": "r2"}, ["r2_c2_7th", "r2_c1_6th"]),
    ({"customer_id": "c2"}, ["r2_c2_7th", "r1_c2_6th"]),
    ({"status": "rejected"}, ["r2_c2_7th", "r1_c2_6th"]),
    ({"reason": "PHOTO_BLURRY"}, ["r2_c2_7th", "r2_c1_6th"]),
    ({"reason": "GPS_OUTSIDE_GEOFENCE", "rep_id": "r1"}, ["r1_c2_6th"]),
    ({"reason": "PHOTO_REUSED"}, []),
    ({"from": "2026-11-06", "to": "2026-11-06"}, ["r2_c1_6th", "r1_c2_6th"]),  # local days
    ({"from": "2026-11-07", "sort": "oldest"}, ["r2_c2_7th", "r1_c1_7th"]),
    ({"rep_id": "", "status": "", "reason": "", "from": "", "to": ""},  # a blank form
     ["r1_c1_7th", "r2_c2_7th", "r2_c1_6th", "r1_c2_6th", "r1_c1_5th"]),
    ({"rep_id": "r3"}, []),  # another team's rep: nothing, not a leak
])
def test_filters(api: Api, visits: dict[str, Checkin], params: dict[str, str],
                 expected: list[str]) -> None:
    sign_in(api, "manager")
    text = api.client.get("/manager/gallery", params=params).text
    assert _names(visits, _tiles(text)) == expected
    assert f"of {len(expected)}," in text
    if not expected:
        assert "No check-ins match." in text


def test_a_director_sees_every_team_and_the_reason_select_keeps_its_choice(
        api: Api, visits: dict[str, Checkin]) -> None:
    sign_in(api, "director")
    text = api.client.get("/manager/gallery", params={"reason": "GPS_OUTSIDE_GEOFENCE"}).text
    assert _names(visits, _tiles(text)) == ["r3_c1_7th", "r2_c2_7th", "r1_c2_6th"]
    assert "<option value='GPS_OUTSIDE_GEOFENCE' selected>" in text
    assert "<option value='PHOTO_BLURRY'>" in text


@pytest.mark.parametrize(("group", "headings", "first_group"), [
    ("day", ["Saturday 2026-11-07", "Friday 2026-11-06", "Thursday 2026-11-05"],
     ["r1_c1_7th", "r2_c2_7th"]),
    ("rep", ["Rep r1 r1", "Rep r2 r2"], ["r1_c1_7th", "r1_c2_6th", "r1_c1_5th"]),
    ("customer", ["Customer c1 c1", "Customer c2 c2"],
     ["r1_c1_7th", "r2_c1_6th", "r1_c1_5th"]),
    ("status", ["needs_review", "rejected", "verified"], ["r2_c1_6th"]),
])
def test_groups(api: Api, visits: dict[str, Checkin], group: str, headings: list[str],
                first_group: list[str]) -> None:
    sign_in(api, "manager")
    text = api.client.get("/manager/gallery", params={"group": group}).text
    assert _headings(text) == headings
    first = text.split("<section class='vp-group'>")[1]
    assert _names(visits, _tiles(first)) == first_group
    assert f"<option value='{group}' selected>" in text


def test_paging_says_the_total_and_keeps_filters_and_group(
        api: Api, visits: dict[str, Checkin]) -> None:
    sign_in(api, "manager")
    text = api.client.get("/manager/gallery", params={
        "group": "rep", "status": "rejected", "limit": 1}).text
    assert "1–1 of 2, newest submission first, grouped by rep" in text
    assert "href='/manager/gallery?status=rejected&amp;group=rep&amp;limit=1&amp;offset=1'" \
           ">next →</a>" in text
    second = api.client.get("/manager/gallery", params={
        "group": "rep", "status": "rejected", "limit": 1, "offset": 1}).text
    assert "2–2 of 2" in second
    assert "offset=0'>← previous</a>" in second
    assert "next →" not in second


def test_a_missing_photo_says_so_instead_of_a_broken_image(api: Api) -> None:
    checkin = stored_checkin(api, photo=False)
    sign_in(api, "manager")
    text = api.client.get("/manager/gallery").text
    assert f"<a href='/manager/checkins/{checkin.id}' class='muted vp-no-photo'>no photo</a>" \
        in text
    assert f"/manager/checkins/{checkin.id}/thumbnail" not in text


@pytest.mark.parametrize(("params", "code"), [
    ({"group": "week"}, "UNKNOWN_ENUM_VALUE"),
    ({"reason": "NOT_A_REASON"}, "UNKNOWN_ENUM_VALUE"),
    ({"status": "lost"}, "UNKNOWN_ENUM_VALUE"),
    ({"from": "2026-13-01"}, "BAD_DATE"),
    ({"from": "2026-11-10", "to": "2026-11-03"}, "TIME_ORDER"),
    ({"limit": "0"}, "OUT_OF_RANGE"),
    ({"limit": "241"}, "OUT_OF_RANGE"),
    ({"offset": "-1"}, "OUT_OF_RANGE"),
])
def test_bad_values_are_422_pages(api: Api, params: dict[str, str], code: str) -> None:
    sign_in(api, "manager")
    refused_page(api.client.get("/manager/gallery", params=params), 422, code)


def test_signed_out_and_rep_are_refused_pages(api: Api) -> None:
    refused_page(api.client.get("/manager/gallery"), 401, "UNAUTHENTICATED")
    refused_page(api.client.get("/manager/login", params={"token": api.tokens["rep"]}), 403,
             "FORBIDDEN")  # a rep gets no cookie
    refused_page(api.client.get("/manager/gallery"), 401, "UNAUTHENTICATED")


# -- in a real browser --------------------------------------------------------------------------

@pytest.fixture
def browser() -> Iterator[Any]:
    with headless_chromium(window=(1400, 900), console_log=True) as driver:
        yield driver


def test_gallery_and_list_fit_a_phone_and_a_wide_screen(
        api: Api, visits: dict[str, Checkin], served: str,  # noqa: F811
        browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{served}/manager/login?token={api.tokens['manager']}&next=/manager/gallery")
    for width, columns in ((1400, 7), (390, 2)):
        browser.set_window_size(width, 900)
        for path in ("/manager/gallery", "/manager/checkins"):
            browser.get(f"{served}{path}")
            browser.execute_script(  # lazy images load once near the viewport
                "document.querySelectorAll('img.vp-thumb').forEach(i => i.loading = 'eager')")
            WebDriverWait(browser, 15).until(lambda b: b.execute_script(
                "return [...document.images].every(i => i.complete)"))
            sizes = browser.execute_script(
                "return [...document.querySelectorAll('img.vp-thumb')]"
                ".map(i => [i.naturalWidth, i.naturalHeight])")
            assert sizes == [[240, 180]] * 5, (width, path)
            overflow = browser.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]")
            assert overflow[0] <= overflow[1], (width, path, overflow)
        browser.get(f"{served}/manager/gallery")
        shown = browser.execute_script(
            "return getComputedStyle(document.querySelector('.vp-grid'))"
            ".gridTemplateColumns.split(' ').length")
        assert shown == columns, width
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []

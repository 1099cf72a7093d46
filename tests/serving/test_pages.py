"""The manager pages through the real app: signing in with a cookie, HTML refusals (never
JSON), scope, and the pages' content against the API's."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError

from application.settings import build_settings
from serving.routes.pages import COOKIE
from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta
from tests.serving.test_reports import NOW, seed_reports

HTML = "text/html; charset=utf-8"


@pytest.fixture
def seeded(api: Api) -> tuple[Api, dict[str, Any]]:
    return api, seed_reports(api.database)


def _login(api: Api, who: str, next_page: str | None = None) -> Any:
    params = {"token": api.tokens[who]}
    if next_page is not None:
        params["next"] = next_page
    return api.client.get("/manager/login", params=params, follow_redirects=False)


def _refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == HTML
    text: str = response.text
    assert f"<code>{code}</code>" in text
    return text


# -- signing in -------------------------------------------------------------------------------

def test_login_sets_an_httponly_cookie_and_redirects(api: Api) -> None:
    response = _login(api, "manager")
    assert response.status_code == 303
    assert response.headers["location"] == "/manager/checkins"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={api.tokens['manager']};")
    for part in ("HttpOnly", "Path=/manager", "SameSite=lax", "Max-Age=28800"):
        assert part in cookie
    assert "Secure" not in cookie  # plain http here; set over https
    assert api.client.get("/manager/checkins").status_code == 200


@pytest.mark.parametrize(("next_page", "location"), [
    ("/manager/phi?period=2026-11", "/manager/phi?period=2026-11"),
    ("https://evil.example/", "/manager/checkins"),
    ("//evil.example/manager/", "/manager/checkins"),
    ("/manager/..//evil.example", "/manager/checkins"),
    ("/v1/checkins", "/manager/checkins"),
])
def test_login_only_redirects_to_manager_pages(api: Api, next_page: str,
                                               location: str) -> None:
    assert _login(api, "director", next_page).headers["location"] == location


@pytest.mark.parametrize("path", ["/manager/checkins", "/manager/phi", "/manager/overlap",
                                  "/manager/checkins/00000000-0000-4000-8000-000000000000",
                                  "/manager/checkins/00000000-0000-4000-8000-000000000000/photo"])
def test_pages_without_sign_in_answer_a_readable_401_page(api: Api, path: str) -> None:
    response = api.client.get(path)
    text = _refused(response, 401, "UNAUTHENTICATED")
    assert "Sign in needed" in text
    assert "/manager/login?token=YOUR_TOKEN" in text
    assert response.headers["www-authenticate"] == "Bearer"
    # A bearer header is not a way in either: the pages read the cookie only.
    assert api.client.get(path, headers=api.auth("manager")).status_code == 401


@pytest.mark.parametrize(("token", "status", "code"), [
    ("not-a-token", 401, "UNAUTHENTICATED"),
    ("", 401, "UNAUTHENTICATED"),
])
def test_login_with_a_bad_token_is_an_html_401(api: Api, token: str, status: int,
                                               code: str) -> None:
    response = api.client.get("/manager/login", params={"token": token})
    _refused(response, status, code)
    assert "set-cookie" not in response.headers


def test_login_needs_a_token_and_a_page_role(api: Api) -> None:
    _refused(api.client.get("/manager/login"), 422, "MISSING_FIELD")
    text = _refused(_login(api, "rep"), 403, "FORBIDDEN")
    assert "for managers, directors and admins" in text


def test_a_stale_cookie_and_sign_out(api: Api) -> None:
    api.client.cookies.set(COOKIE, "revoked-or-made-up", path="/manager")
    _refused(api.client.get("/manager/checkins"), 401, "UNAUTHENTICATED")
    api.client.cookies.clear()
    _login(api, "manager")
    response = api.client.get("/manager/logout")
    assert response.status_code == 200
    assert f'{COOKIE}=""' in response.headers["set-cookie"]
    _refused(api.client.get("/manager/checkins"), 401, "UNAUTHENTICATED")


def test_manager_home_redirects_to_the_checkin_list(api: Api) -> None:
    response = api.client.get("/manager", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303,
                                                                     "/manager/checkins")


# -- check-ins --------------------------------------------------------------------------------

def test_checkin_list_is_scoped_and_shows_status_and_reasons(
        seeded: tuple[Api, dict[str, Any]]) -> None:
    api, made = seeded
    _login(api, "manager_t2")
    response = api.client.get("/manager/checkins")
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    ids = re.findall(r"data-checkin-id='([0-9a-f-]+)'", response.text)
    listed = api.client.get("/v1/checkins", headers=api.auth("manager_t2")).json()
    assert ids == [c["id"] for c in listed["data"]]
    assert set(ids) == {str(made["r3_c4"].id), str(made["r3_c5_rejected"].id)}
    assert "<code>GPS_OUTSIDE_GEOFENCE</code> gps_outside_geofence" in response.text
    assert "Asia/Shanghai" in response.text
    assert "CST" in response.text


def test_checkin_list_filters_and_paging(seeded: tuple[Api, dict[str, Any]]) -> None:
    api, _ = seeded
    _login(api, "manager")
    text = api.client.get("/manager/checkins", params={"rep_id": "r2", "limit": 2}).text
    assert re.findall(r"data-rep-id='(r\d)'", text) == ["r2", "r2"]
    assert "href='/manager/checkins?rep_id=r2&amp;limit=2&amp;offset=2'>older" in text
    rejected = api.client.get("/manager/checkins", params={"status": "rejected"}).text
    assert "No check-ins match." in rejected  # t1 has no rejected check-in
    everything = api.client.get("/manager/checkins", params={"status": ""})
    assert everything.status_code == 200
    _refused(api.client.get("/manager/checkins", params={"status": "lost"}), 422,
             "UNKNOWN_ENUM_VALUE")
    _refused(api.client.get("/manager/checkins", params={"limit": "0"}), 422, "OUT_OF_RANGE")


def test_checkin_drilldown_with_the_annotated_photo(api: Api) -> None:
    upload = api.upload(make_upload_meta(), shelf_photo(seed=3))
    assert upload.status_code == 201, upload.text
    verdict = upload.json()
    checkin_id = verdict["checkin_id"]
    _login(api, "manager")
    response = api.client.get(f"/manager/checkins/{checkin_id}")
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    text = response.text
    assert f"id='vp-status'>{verdict['status']}</strong>" in text
    for reason in verdict["reasons"]:
        assert f"<code>{reason['code']}</code>" in text
    assert "agrees to a trial of the end-cap display before 15 March" in text
    assert f"src='/manager/checkins/{checkin_id}/photo?annotated=true'" in text
    photo = api.client.get(f"/manager/checkins/{checkin_id}/photo?annotated=true")
    same = api.client.get(f"/v1/checkins/{checkin_id}/photo?annotated=true",
                          headers=api.auth("manager"))
    assert photo.headers["content-type"] == "image/jpeg"
    assert photo.content == same.content
    assert Image.open(io.BytesIO(photo.content)).size == (1280, 960)
    original = api.client.get(f"/manager/checkins/{checkin_id}/photo?annotated=false")
    assert original.content == shelf_photo(seed=3)


def test_checkin_drilldown_refusals(seeded: tuple[Api, dict[str, Any]]) -> None:
    api, made = seeded
    _login(api, "manager")  # team t1: r3's check-in is outside the scope
    other = made["r3_c4"].id
    _refused(api.client.get(f"/manager/checkins/{other}"), 404, "NOT_FOUND")
    _refused(api.client.get(f"/manager/checkins/{other}/photo"), 404, "NOT_FOUND")
    _refused(api.client.get("/manager/checkins/not-a-uuid"), 422, "BAD_IDENTIFIER")
    own = made["r1_c1"].id
    assert api.client.get(f"/manager/checkins/{own}").status_code == 200
    # No shelf verdict (the check-in was stored without one): no annotated picture.
    _refused(api.client.get(f"/manager/checkins/{own}/photo"), 404, "NOT_FOUND")


# -- PHI and overlap ----------------------------------------------------------------------------

def test_phi_page_is_the_teams_report(seeded: tuple[Api, dict[str, Any]]) -> None:
    api, _ = seeded
    _login(api, "manager")
    response = api.client.get("/manager/phi", params={"period": "2026-11"})
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    assert "Process Health Index — 2026-11 (team t1)" in response.text
    assert "<td class='l'>r1</td>" in response.text
    assert "<td class='l'>r3</td>" not in response.text
    latest = api.client.get("/manager/phi")  # default: the month of the latest check-in
    assert latest.status_code == 200
    assert "Process Health Index — 2026-11 (team t1)" in latest.text
    _refused(api.client.get("/manager/phi", params={"period": "2026-13"}), 422, "BAD_PERIOD")
    _refused(api.client.get("/manager/phi", params={"period": "2026-11", "team": "t2"}), 404,
             "NOT_FOUND")


def test_director_phi_page_can_pick_a_team(seeded: tuple[Api, dict[str, Any]]) -> None:
    api, _ = seeded
    _login(api, "director")
    text = api.client.get("/manager/phi", params={"period": "2026-11", "team": "t2"}).text
    assert "(team t2)" in text
    assert "<td class='l'>r3</td>" in text


def _map_data(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text.split('id="vp-data">')[1].split("</script>")[0])
    return data


def test_overlap_page_is_self_contained_and_scoped(seeded: tuple[Api, dict[str, Any]]) -> None:
    api, _ = seeded
    _login(api, "manager")
    response = api.client.get("/manager/overlap", params={
        "from": "2026-11-01", "to": "2026-11-30", "tiles": "none"})
    assert response.status_code == 200
    assert response.headers["content-type"] == HTML
    text = response.text
    assert "<script src" not in text
    assert "<link" not in text
    assert "unpkg" not in text
    assert "Leaflet" in text  # the vendored library, inlined
    data = _map_data(text)
    assert data["tile_url"] is None
    assert sorted(rep["id"] for rep in data["reps"]) == ["r1", "r2"]
    assert len(data["periods"]) == 7  # the month, then its 6 (clipped) calendar weeks
    month = data["periods"][0]
    assert sorted(f["properties"]["customer_id"] for f in month["customers"]["features"]) == [
        "c2", "c6"]
    geojson = api.client.get("/v1/overlap", headers=api.auth("manager"), params={
        "from": "2026-11-01", "to": "2026-11-30", "now": NOW}).json()
    assert month["pairs"] == geojson["pairs"]


def test_overlap_page_defaults_and_refusals(seeded: tuple[Api, dict[str, Any]]) -> None:
    api, _ = seeded
    _login(api, "manager_t2")
    response = api.client.get("/manager/overlap")  # the last 28 days, no remote tiles
    assert response.status_code == 200
    data = _map_data(response.text)
    assert data["tile_url"] is None
    assert len(data["periods"]) >= 5
    _refused(api.client.get("/manager/overlap", params={"from": "2026-11-31"}), 422,
             "BAD_DATE")
    _refused(api.client.get("/manager/overlap", params={"tiles": "osm"}), 422,
             "UNKNOWN_ENUM_VALUE")


def test_overlap_tiles_come_from_the_operators_setting(
        make_api: Callable[..., Api]) -> None:
    template = "https://tiles.example.internal/{z}/{x}/{y}.png"
    api = make_api(map_tile_url=template)
    seed_reports(api.database)
    _login(api, "manager_t2")
    assert _map_data(api.client.get("/manager/overlap").text)["tile_url"] == template
    turned_off = api.client.get("/manager/overlap", params={"tiles": "none"})
    assert _map_data(turned_off.text)["tile_url"] is None


@pytest.mark.parametrize("url", ["ftp://tiles/{z}/{x}/{y}.png", "https://tiles/{z}/{x}.png",
                                 "tiles.example/{z}/{x}/{y}"])
def test_a_tile_url_setting_must_be_a_template(url: str) -> None:
    with pytest.raises(ValidationError, match="map_tile_url"):
        build_settings(map_tile_url=url)


def test_overlap_page_for_a_team_without_customers(api: Api) -> None:
    # conftest's only customer, c1, belongs to r1: team t2 owns none.
    _login(api, "manager_t2")
    response = api.client.get("/manager/overlap", params={"tiles": "none"})
    assert response.status_code == 200
    assert "No customers are assigned to the reps you manage yet" in response.text

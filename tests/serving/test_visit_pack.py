"""``GET /v1/customers/{id}/visit-pack``, the rep pages (sign-in, customers, the pack, the
photo) and the manager's pack page, through the real app.

Seeded (tests.api_harness): acme's r1 and r2 in team t1 (region east), r3 in team t2;
customer c1 assigned to r1, here also c2 assigned to r3 and c9 assigned to nobody.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from serving.routes.rep_pages import COOKIE
from tests.api_harness import Api, shelf_photo
from tests.builders import TENANT, make_checkin, make_customer
from visitproof.records import Order
from visitproof.store import Commerce, PhotoStore, Store

CHECKIN = uuid.uuid5(uuid.NAMESPACE_URL, "visit-pack/r1")
PACK = "/v1/customers/{}/visit-pack"


@pytest.fixture
def seeded(api: Api) -> Api:
    digest = PhotoStore(api.photos_dir).put(shelf_photo())
    with api.database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_customers([make_customer("c2", reps=("r3",)),
                                       make_customer("c9", reps=())])
        store.checkins.add(make_checkin(rep="r1", checkin_id=CHECKIN, contact=None,
                                        photo=digest))
        Commerce(connection, TENANT).put_orders([Order(
            tenant_id=TENANT, id="o1", customer_id="c1", sku="SKU-1", quantity=3,
            amount=30.0, ordered_at=datetime(2026, 11, 1, 2, tzinfo=UTC))])
    return api


def _get(api: Api, customer: str, who: str | None = "rep", **params: Any) -> Any:
    headers = api.auth(who) if who else {}
    return api.client.get(PACK.format(customer), headers=headers, params=params)


@pytest.mark.parametrize(("who", "customer", "status"), [
    ("rep", "c1", 200),  # their own customer
    ("manager", "c1", 200),  # a customer of the manager's team
    ("director", "c2", 200),
    ("admin", "c9", 200),  # even a customer nobody is assigned to
    ("rep", "c2", 404),  # another rep's customer: not found, like a missing one
    ("rep2", "c1", 404),  # a teammate's customer
    ("manager_t2", "c1", 404),  # another team's
    ("manager", "c9", 404),
    ("other_tenant_admin", "c2", 404),  # another tenant has no c2
    ("rep", "nope", 404),
])
def test_who_may_read_which_pack(seeded: Api, who: str, customer: str, status: int) -> None:
    response = _get(seeded, customer, who)
    assert response.status_code == status, response.text
    if status == 404:
        assert response.json()["code"] == "NOT_FOUND"


def test_the_pack_of_an_own_customer(seeded: Api) -> None:
    body = _get(seeded, "c1").json()
    assert body["customer"] == {"id": "c1", "name": "Customer c1", "type": "supermarket",
                                "tier": "A"}
    assert body["region"] == "east"
    assert [o["id"] for o in body["orders"]] == ["o1"]
    assert body["orders"][0]["ordered_at"] == "2026-11-01T02:00:00Z"
    assert body["orders_empty"] is None
    assert body["stock"] == []
    assert body["stock_empty"] == "no stock counts imported for " \
        "this customer"
    assert body["open_action_count"] == 1
    assert body["open_actions"][0]["checkin_id"] == str(CHECKIN)
    assert body["last_verified"]["checkin_id"] == str(CHECKIN)
    assert body["last_verified"]["photo_url"] == f"/v1/checkins/{CHECKIN}/photo"
    assert body["generated_at"].endswith("Z")


def test_the_pack_as_of_a_past_instant(seeded: Api) -> None:
    body = _get(seeded, "c1", at="2026-10-31T23:30:00+08:00").json()
    assert body["month"] == "2026-10"
    assert body["generated_at"] == "2026-10-31T15:30:00Z"
    # the clock only: the records are those stored now (o1 is of 1 November)
    assert [o["id"] for o in body["orders"]] == ["o1"]


def test_no_token_is_401(seeded: Api) -> None:
    response = _get(seeded, "c1", who=None)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(("customer", "params", "code"), [
    ("x" * 200, {}, "BAD_IDENTIFIER"),  # longer than an id may be
    ("c1;drop", {}, "BAD_IDENTIFIER"),
    ("%00", {}, "BAD_IDENTIFIER"),
    ("c1", {"customer_id": "c2"}, "UNKNOWN_FIELD"),  # an unknown query parameter
    ("c1", {"at": "2026-11-03T10:00:00"}, "NAIVE_TIMESTAMP"),
    ("c1", {"at": "yesterday"}, "BAD_TIMESTAMP"),
    ("c1", {"at": "1e9"}, "BAD_TIMESTAMP"),
    ("c1", {"at": "2150-01-01T00:00:00+00:00"}, "FUTURE_TIMESTAMP"),
    ("c1", {"at": "2999-01-01T00:00:00+00:00"}, "BAD_TIMESTAMP"),  # past the calendar
])
def test_hostile_ids_and_queries_are_422(seeded: Api, customer: str, params: dict[str, str],
                                         code: str) -> None:
    response = _get(seeded, customer, **params)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


def test_the_endpoint_is_documented_with_its_errors(seeded: Api) -> None:
    document = seeded.client.get("/openapi.json").json()
    operation = document["paths"]["/v1/customers/{customer_id}/visit-pack"]["get"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])


# -- the rep pages ---------------------------------------------------------------------------

def _login(api: Api, who: str = "rep", next_page: str | None = None) -> Any:
    params = {"token": api.tokens[who]} | ({"next": next_page} if next_page else {})
    return api.client.get("/rep/login", params=params, follow_redirects=False)


def test_rep_login_sets_an_httponly_cookie_for_rep_paths(seeded: Api) -> None:
    response = _login(seeded)
    assert response.status_code == 303
    assert response.headers["location"] == "/rep"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={seeded.tokens['rep']};")
    for part in ("HttpOnly", "Path=/rep", "SameSite=lax"):
        assert part in cookie


@pytest.mark.parametrize(("next_page", "location"), [
    ("/rep/customers/c1/visit-pack", "/rep/customers/c1/visit-pack"),
    ("https://evil.example/", "/rep"),
    ("//evil.example/rep", "/rep"),
    ("/manager/checkins", "/rep"),
    ("/report", "/rep"),
])
def test_rep_login_only_goes_on_to_rep_pages(seeded: Api, next_page: str,
                                              location: str) -> None:
    assert _login(seeded, next_page=next_page).headers["location"] == location


@pytest.mark.parametrize(("who", "status", "code"), [
    ("manager", 403, "FORBIDDEN"), ("admin", 403, "FORBIDDEN")])
def test_rep_login_refuses_other_roles_as_html(seeded: Api, who: str, status: int,
                                               code: str) -> None:
    response = _login(seeded, who)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert code in response.text


def test_rep_pages_without_a_cookie_are_a_401_page(seeded: Api) -> None:
    for path in ("/rep", "/rep/customers/c1/visit-pack", f"/rep/checkins/{CHECKIN}/photo"):
        response = seeded.client.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith("text/html")
        assert "/rep/login?token=" in response.text


def test_rep_home_lists_the_reps_customers(seeded: Api) -> None:
    _login(seeded)
    page = seeded.client.get("/rep")
    assert page.status_code == 200
    assert "/rep/customers/c1/visit-pack" in page.text
    assert "c2" not in page.text


def test_rep_visit_pack_page_shows_every_section(seeded: Api) -> None:
    _login(seeded)
    page = seeded.client.get("/rep/customers/c1/visit-pack")
    assert page.status_code == 200
    for section in ("customer", "orders", "stock", "promotions", "open-actions", "roles",
                    "shelf", "last-verified"):
        assert f"id='{section}'" in page.text, section
    assert "no stock counts imported" in page.text
    assert "width=device-width" in page.text


def test_rep_pages_refuse_another_reps_customer_as_a_404_page(seeded: Api) -> None:
    _login(seeded)
    response = seeded.client.get("/rep/customers/c2/visit-pack")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "NOT_FOUND" in response.text


def test_rep_photo_is_the_apis_photo_under_the_cookie(seeded: Api) -> None:
    _login(seeded)
    api_photo = seeded.client.get(f"/v1/checkins/{CHECKIN}/photo", headers=seeded.auth("rep"))
    page_photo = seeded.client.get(f"/rep/checkins/{CHECKIN}/photo")
    assert (page_photo.status_code, api_photo.status_code) == (200, 200)
    assert page_photo.content == api_photo.content
    _login(seeded, "rep3")
    assert seeded.client.get(f"/rep/checkins/{CHECKIN}/photo").status_code == 404


def test_the_manager_page_shows_the_same_pack(seeded: Api) -> None:
    seeded.client.get("/manager/login", params={"token": seeded.tokens["manager"]},
                      follow_redirects=False)
    page = seeded.client.get("/manager/customers/c1/visit-pack")
    assert page.status_code == 200
    assert "id='last-verified'" in page.text
    assert "vp-nav" in page.text
    drill_down = seeded.client.get(f"/manager/checkins/{CHECKIN}")
    assert "/manager/customers/c1/visit-pack" in drill_down.text
    assert seeded.client.get("/manager/customers/c2/visit-pack").status_code == 404


def test_the_rep_page_fits_a_phone_in_a_real_browser(seeded: Api) -> None:
    """390 CSS px, as a phone lays it out: nothing wider than the window, the photo shown."""
    from tests.browser import headless_chromium
    from tests.pages_harness import serve

    with serve(seeded.app) as url, headless_chromium(window=(800, 844)) as driver:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        driver.get(f"{url}/rep/login?token={seeded.tokens['rep']}"
                   "&next=/rep/customers/c1/visit-pack")
        assert driver.current_url == f"{url}/rep/customers/c1/visit-pack"
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 391
        assert driver.execute_script(
            "const i = document.querySelector('#last-verified img');"
            "return !!i && i.complete && i.naturalWidth > 0")

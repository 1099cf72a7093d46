"""``/v1/contacts``: a customer's decision makers, read and written within scope.

Seeded here: acme customers c1 (assigned to r1), c2 (r3), c3 (nobody), c4 (r2 and r3), each
with one contact k1..k4; globex's c1 with contact k1 (same ids, on purpose).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_harness import OTHER_TENANT, Api
from tests.builders import TENANT, make_contact, make_customer
from visitproof.records import Contact, DecisionRole
from visitproof.store import Page, Store


@pytest.fixture
def seeded(api: Api) -> Api:
    with api.database.begin() as connection:
        acme = Store(connection, TENANT)
        acme.reference.put_customers([make_customer("c2", reps=("r3",)),
                                      make_customer("c3", reps=()),
                                      make_customer("c4", reps=("r2", "r3"))])
        acme.crm.put_contacts([make_contact(f"k{n}", customer=f"c{n}") for n in range(1, 5)])
        Store(connection, OTHER_TENANT).crm.put_contacts(
            [make_contact("k1", customer="c1", tenant=OTHER_TENANT)])
    return api


def stored(api: Api, tenant: str = TENANT) -> dict[str, Contact]:
    with api.database.connect() as connection:
        return {c.id: c for c in Store(connection, tenant).crm.contacts()}


def body(contact_id: str = "k9", customer_id: str = "c1", **changes: Any) -> dict[str, Any]:
    return {**{"id": contact_id, "customer_id": customer_id, "name": "Dr Zhang",
               "role": "equipment_head"}, **changes}


# -- reading --------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "expected"), [
    ("rep", ["k1"]), ("rep2", ["k4"]), ("rep3", ["k2", "k4"]),
    ("manager", ["k1", "k4"]), ("manager_t2", ["k2", "k4"]),
    ("director", ["k1", "k2", "k3", "k4"]), ("admin", ["k1", "k2", "k3", "k4"]),
    ("other_tenant_admin", ["k1"]),
])
def test_contacts_are_listed_for_the_customers_in_scope(seeded: Api, who: str,
                                                        expected: list[str]) -> None:
    response = seeded.client.get("/v1/contacts", headers=seeded.auth(who))
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["data"]] == expected
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(("who", "customer_id", "status", "expected"), [
    ("rep", "c1", 200, ["k1"]),
    ("rep", "c2", 404, None),  # not assigned to r1
    ("manager", "c4", 200, ["k4"]),
    ("manager", "c2", 404, None),  # team t2's customer
    ("director", "c3", 200, ["k3"]),
    ("director", "c9", 404, None),
    ("other_tenant_admin", "c2", 404, None),
])
def test_a_named_customer_out_of_scope_is_404_like_a_missing_one(
        seeded: Api, who: str, customer_id: str, status: int,
        expected: list[str] | None) -> None:
    response = seeded.client.get(f"/v1/contacts?customer_id={customer_id}",
                                 headers=seeded.auth(who))
    assert response.status_code == status
    if expected is None:
        assert response.json()["code"] == "NOT_FOUND"
    else:
        assert [c["id"] for c in response.json()["data"]] == expected


def test_contacts_filter_by_role_and_page(seeded: Api) -> None:
    with seeded.database.begin() as connection:
        Store(connection, TENANT).crm.put_contacts(
            [make_contact("k5", customer="c1", role="purchasing_officer")])
    by_role = seeded.client.get("/v1/contacts?role=purchasing_officer",
                                headers=seeded.auth("director")).json()
    assert ([c["id"] for c in by_role["data"]], by_role["count"]) == (["k5"], 1)
    page = seeded.client.get("/v1/contacts?limit=2&offset=1",
                             headers=seeded.auth("director")).json()
    assert ([c["customer_id"] for c in page["data"]], page["count"]) == (["c1", "c2"], 5)
    bad = seeded.client.get("/v1/contacts?role=janitor", headers=seeded.auth("director"))
    assert (bad.status_code, bad.json()["code"]) == (422, "UNKNOWN_ENUM_VALUE")


def test_reading_needs_a_token(seeded: Api) -> None:
    response = seeded.client.get("/v1/contacts")
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")


# -- writing --------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "customer_id"), [
    ("rep", "c1"), ("rep2", "c4"), ("rep3", "c4"), ("manager", "c1"), ("manager_t2", "c2"),
    ("director", "c3"), ("admin", "c2"),
])
def test_who_may_create_a_contact(seeded: Api, who: str, customer_id: str) -> None:
    response = seeded.client.post("/v1/contacts", json=body(customer_id=customer_id),
                                  headers=seeded.auth(who))
    assert response.status_code == 201
    assert response.json() == {"id": "k9", "customer_id": customer_id, "name": "Dr Zhang",
                               "role": "equipment_head"}
    assert stored(seeded)["k9"] == Contact(tenant_id=TENANT, id="k9", customer_id=customer_id,
                                           name="Dr Zhang", role=DecisionRole.EQUIPMENT_HEAD)


@pytest.mark.parametrize(("who", "customer_id"), [
    ("rep", "c2"), ("rep2", "c1"), ("rep", "c3"), ("manager", "c2"), ("manager_t2", "c1"),
    ("director", "c9"), ("other_tenant_admin", "c2"),
])
def test_a_customer_out_of_scope_is_unknown_and_nothing_is_stored(seeded: Api, who: str,
                                                                  customer_id: str) -> None:
    response = seeded.client.post("/v1/contacts", json=body(customer_id=customer_id),
                                  headers=seeded.auth(who))
    assert (response.status_code, response.json()["code"]) == (422, "UNKNOWN_CUSTOMER")
    assert "k9" not in stored(seeded)
    assert "k9" not in stored(seeded, OTHER_TENANT)


def test_writing_needs_a_token(seeded: Api) -> None:
    response = seeded.client.post("/v1/contacts", json=body())
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")
    assert "k9" not in stored(seeded)


def test_the_same_id_again_updates_the_contact(seeded: Api) -> None:
    response = seeded.client.post(
        "/v1/contacts", json=body("k1", name="Dr Li", role="department_head"),
        headers=seeded.auth("rep"))
    assert (response.status_code, response.json()["name"]) == (200, "Dr Li")
    assert stored(seeded)["k1"].role == DecisionRole.DEPARTMENT_HEAD
    assert stored(seeded, OTHER_TENANT)["k1"].name == "Contact k1"  # globex's k1 untouched
    again = seeded.client.post(
        "/v1/contacts", json=body("k1", name="Dr Li", role="department_head"),
        headers=seeded.auth("rep"))
    assert again.status_code == 200


def test_a_contact_never_moves_to_another_customer(seeded: Api) -> None:
    response = seeded.client.post("/v1/contacts", json=body("k1", customer_id="c4"),
                                  headers=seeded.auth("director"))
    assert (response.status_code, response.json()["code"]) == (409, "CONTACT_ID_CONFLICT")
    assert stored(seeded)["k1"] == make_contact("k1", customer="c1")


def _without(field: str) -> dict[str, Any]:
    request = body()
    del request[field]
    return request


@pytest.mark.parametrize(("request_body", "code", "field"), [
    (_without("name"), "MISSING_FIELD", "name"),
    (_without("role"), "MISSING_FIELD", "role"),
    (_without("customer_id"), "MISSING_FIELD", "customer_id"),
    (body(name="  "), "EMPTY_FIELD", "name"),
    (body(name="x" * 201), "TOO_LONG", "name"),
    (body(role="janitor"), "UNKNOWN_ENUM_VALUE", "role"),
    (body("a b"), "BAD_IDENTIFIER", "id"),
    (body(name=7), "BAD_TYPE", "name"),
    (body(phone="123"), "UNKNOWN_FIELD", "phone"),
])
def test_a_bad_contact_is_422_and_stores_nothing(seeded: Api, request_body: dict[str, Any],
                                                 code: str, field: str) -> None:
    before = stored(seeded)
    response = seeded.client.post("/v1/contacts", json=request_body,
                                  headers=seeded.auth("director"))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert stored(seeded) == before


# -- the store --------------------------------------------------------------------------

def test_contacts_page_scopes_by_the_customers_assigned_reps(seeded: Api) -> None:
    with seeded.database.connect() as connection:
        store = Store(connection, TENANT)
        page = store.crm.contacts_page(rep_ids=["r3"])
        assert ([c.id for c in page.items], page.count) == (["k2", "k4"], 2)
        assert store.crm.contacts_page(rep_ids=[]) == Page(items=(), count=0)
        assert store.crm.contacts_page(customer_id="c3").count == 1
        assert store.crm.contact("k4") == make_contact("k4", customer="c4")
        assert store.crm.contact("k404") is None


def test_openapi_documents_the_contact_endpoints(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"201", "200", "401", "409", "422"} <= set(paths["/v1/contacts"]["post"]
                                                      ["responses"])
    assert {"200", "401", "404", "422"} <= set(paths["/v1/contacts"]["get"]["responses"])

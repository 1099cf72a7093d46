"""``/v1/leads``: intake, assignment, touches and reading back, over a real SQLite store.

Seeded here on top of the conftest company: leads ``l-r1``, ``l-r2`` (team t1), ``l-r3``
(team t2) assigned to those reps, ``l-free`` assigned to nobody, all taken in two days ago;
an inactive rep r4 in team t1.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api_harness import Api
from tests.builders import TENANT, make_checkin, make_lead, make_touch
from visitproof.errors import NotFound
from visitproof.records import Lead, Rep
from visitproof.store import Page, Store
from visitproof.store.tables import lead_touches, leads

NOW = datetime.now(UTC)
TAKEN_IN = NOW - timedelta(days=2)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def lead_body(lead_id: str = "lead-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": lead_id, "channel": "search ads - orthopaedics keywords",
                            "tier": "A", "contact_name": "Dr Zhang"}
    return {**body, **changes}


def touch_body(touch_id: str = "touch-1", **changes: Any) -> dict[str, Any]:
    return {**{"id": touch_id, "kind": "call", "at": iso(NOW - timedelta(hours=1))},
            **changes}


@pytest.fixture
def seeded(api: Api) -> Api:
    with api.database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_reps([Rep(tenant_id=TENANT, id="r4", name="Rep r4", team_id="t1",
                                      active=False)])
        store.crm.put_leads([make_lead(f"l-{rep}", created=TAKEN_IN, rep=rep)
                             for rep in ("r1", "r2", "r3")])
        store.crm.put_leads([make_lead("l-free", created=TAKEN_IN, rep=None, tier="C",
                                       channel="trade fair")])
    return api


def stored_leads(api: Api) -> dict[str, Lead]:
    with api.database.connect() as connection:
        return {lead.id: lead for lead in Store(connection, TENANT).crm.leads()}


def count(api: Api, table: sa.Table) -> int:
    with api.database.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table))
                   .scalar_one())


# -- intake ---------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["manager", "director", "admin"])
def test_a_manager_director_or_admin_takes_in_a_lead_on_the_server_clock(api: Api,
                                                                         who: str) -> None:
    before = datetime.now(UTC)
    response = api.client.post("/v1/leads", json=lead_body(customer_id="c1"),
                               headers=api.auth(who))
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("id", "channel", "tier", "customer_id", "contact_name",
                                 "assigned_rep_id", "first_touch_at")} == {
        "id": "lead-1", "channel": "search ads - orthopaedics keywords", "tier": "A",
        "customer_id": "c1", "contact_name": "Dr Zhang", "assigned_rep_id": None,
        "first_touch_at": None}
    created = datetime.fromisoformat(body["created_at"])
    assert before <= created <= datetime.now(UTC)
    assert stored_leads(api)["lead-1"].created_at == created


def test_a_rep_may_not_take_in_leads_and_nothing_is_stored(api: Api) -> None:
    response = api.client.post("/v1/leads", json=lead_body(), headers=api.auth("rep"))
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert count(api, leads) == 0


def test_without_a_token_it_is_401(api: Api) -> None:
    response = api.client.post("/v1/leads", json=lead_body())
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")
    for path in ("/v1/leads", "/v1/leads/l-r1"):
        assert api.client.get(path).status_code == 401


def test_a_retried_intake_answers_200_with_the_stored_lead(api: Api) -> None:
    first = api.client.post("/v1/leads", json=lead_body(), headers=api.auth("manager"))
    again = api.client.post("/v1/leads", json=lead_body(), headers=api.auth("manager"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert count(api, leads) == 1


@pytest.mark.parametrize("change", [{"tier": "B"}, {"channel": "hotline"},
                                    {"contact_name": None}, {"customer_id": "c1"}])
def test_another_body_under_a_used_lead_id_is_409(api: Api, change: dict[str, Any]) -> None:
    api.client.post("/v1/leads", json=lead_body(), headers=api.auth("manager"))
    response = api.client.post("/v1/leads", json=lead_body(**change),
                               headers=api.auth("manager"))
    assert (response.status_code, response.json()["code"]) == (409, "LEAD_ID_CONFLICT")
    assert stored_leads(api)["lead-1"].tier == "A"
    assert stored_leads(api)["lead-1"].channel == "search ads - orthopaedics keywords"


def test_a_lead_id_used_by_a_lead_out_of_scope_is_409_without_its_content(
        seeded: Api) -> None:
    body = lead_body("l-r1", channel="hotline", tier="B", contact_name=None,
                     customer_id="c1")
    response = seeded.client.post("/v1/leads", json=body, headers=seeded.auth("manager_t2"))
    assert (response.status_code, response.json()["code"]) == (409, "LEAD_ID_CONFLICT")
    assert set(response.json()) == {"code", "message"}


def test_each_tenant_has_its_own_lead_ids(api: Api) -> None:
    ours = api.client.post("/v1/leads", json=lead_body(), headers=api.auth("manager"))
    theirs = api.client.post("/v1/leads", json=lead_body(tier="C"),
                             headers=api.auth("other_tenant_admin"))
    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert stored_leads(api)["lead-1"].tier == "A"


def _without(field: str) -> dict[str, Any]:
    body = lead_body()
    del body[field]
    return body


@pytest.mark.parametrize(("body", "code", "field"), [
    (_without("channel"), "MISSING_FIELD", "channel"),
    (_without("tier"), "MISSING_FIELD", "tier"),
    (lead_body(channel=None), "MISSING_FIELD", "channel"),
    (lead_body(tier=None), "MISSING_FIELD", "tier"),
    (_without("id"), "MISSING_FIELD", "id"),
    (lead_body(channel="   "), "EMPTY_FIELD", "channel"),
    (lead_body(contact_name=" "), "EMPTY_FIELD", "contact_name"),
    (lead_body(tier="D"), "UNKNOWN_ENUM_VALUE", "tier"),
    (lead_body("has spaces"), "BAD_IDENTIFIER", "id"),
    (lead_body("x" * 129), "TOO_LONG", "id"),
    (lead_body(channel=42), "BAD_TYPE", "channel"),
    (lead_body(customer_id="c404"), "UNKNOWN_CUSTOMER", "customer_id"),
    (lead_body(assigned_rep_id="r1"), "UNKNOWN_FIELD", "assigned_rep_id"),
    (lead_body(created_at=iso(NOW)), "UNKNOWN_FIELD", "created_at"),
])
def test_a_bad_intake_is_422_with_a_code_and_stores_nothing(api: Api, body: dict[str, Any],
                                                            code: str, field: str) -> None:
    response = api.client.post("/v1/leads", json=body, headers=api.auth("manager"))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert count(api, leads) == 0


def test_a_customer_of_another_tenant_is_unknown(api: Api) -> None:
    with api.database.begin() as connection:
        connection.execute(sa.delete(leads))
    response = api.client.post("/v1/leads", json=lead_body(customer_id="c1"),
                               headers=api.auth("other_tenant_admin"))
    assert response.status_code == 201  # globex has its own c1
    response = api.client.post("/v1/leads", json=lead_body("lead-2", customer_id="c2"),
                               headers=api.auth("other_tenant_admin"))
    assert response.json()["code"] == "UNKNOWN_CUSTOMER"


# -- reading --------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "expected"), [
    ("rep", ["l-r1"]),
    ("rep2", ["l-r2"]),
    ("rep3", ["l-r3"]),
    ("manager", ["l-free", "l-r1", "l-r2"]),
    ("manager_t2", ["l-free", "l-r3"]),
    ("director", ["l-free", "l-r1", "l-r2", "l-r3"]),
    ("admin", ["l-free", "l-r1", "l-r2", "l-r3"]),
    ("other_tenant_admin", []),
    ("other_tenant_rep", []),
])
def test_the_list_is_limited_to_the_callers_scope(seeded: Api, who: str,
                                                  expected: list[str]) -> None:
    response = seeded.client.get("/v1/leads", headers=seeded.auth(who))
    assert response.status_code == 200
    body = response.json()
    assert (sorted(lead["id"] for lead in body["data"]), body["count"]) == (expected,
                                                                            len(expected))


@pytest.mark.parametrize(("who", "query", "expected"), [
    ("manager", "unassigned=true", ["l-free"]),
    ("director", "unassigned=true", ["l-free"]),
    ("rep", "unassigned=true", []),
    ("manager", "rep_id=r2", ["l-r2"]),
    ("manager", "rep_id=r3", []),  # not their team: nothing, not an error
    ("rep", "rep_id=r2", []),
    ("director", "tier=C", ["l-free"]),
    ("director", "channel=trade%20fair", ["l-free"]),
    ("director", "touched=true", []),
    ("director", "touched=false", ["l-free", "l-r1", "l-r2", "l-r3"]),
    # Named ids: the times differ between pytest-xdist workers, and so would their ids.
    pytest.param("director", f"to={iso(TAKEN_IN).replace('+', '%2B')}", [],
                 id="director-to=taken_in"),
    pytest.param("director", f"from={iso(TAKEN_IN).replace('+', '%2B')}&limit=2",
                 ["l-free", "l-r1"], id="director-from=taken_in&limit=2"),
])
def test_the_list_filters(seeded: Api, who: str, query: str, expected: list[str]) -> None:
    response = seeded.client.get(f"/v1/leads?{query}", headers=seeded.auth(who))
    assert response.status_code == 200
    assert sorted(lead["id"] for lead in response.json()["data"]) == expected


@pytest.mark.parametrize(("query", "code"), [
    ("from=2026-11-01T00:00:00", "NAIVE_TIMESTAMP"),
    ("to=yesterday", "BAD_TIMESTAMP"),
    ("tier=E", "UNKNOWN_ENUM_VALUE"),
    ("limit=0", "OUT_OF_RANGE"),
])
def test_bad_list_queries_are_422(seeded: Api, query: str, code: str) -> None:
    response = seeded.client.get(f"/v1/leads?{query}", headers=seeded.auth("director"))
    assert (response.status_code, response.json()["code"]) == (422, code)


@pytest.mark.parametrize(("who", "lead_id", "status"), [
    ("rep", "l-r1", 200), ("rep", "l-r2", 404), ("rep", "l-free", 404),
    ("manager", "l-r2", 200), ("manager", "l-free", 200), ("manager", "l-r3", 404),
    ("director", "l-r3", 200), ("admin", "l-free", 200),
    ("other_tenant_admin", "l-r1", 404), ("director", "l-404", 404),
])
def test_one_lead_outside_scope_is_404_like_a_missing_one(seeded: Api, who: str,
                                                          lead_id: str, status: int) -> None:
    response = seeded.client.get(f"/v1/leads/{lead_id}", headers=seeded.auth(who))
    assert response.status_code == status
    if status == 404:
        assert response.json()["code"] == "NOT_FOUND"
    else:
        assert (response.json()["id"], response.json()["touches"]) == (lead_id, [])


# -- assignment -----------------------------------------------------------------------------

def test_a_manager_assigns_an_unassigned_lead_to_a_rep_of_the_team(seeded: Api) -> None:
    response = seeded.client.post("/v1/leads/l-free/assign", json={"rep_id": "r2"},
                                  headers=seeded.auth("manager"))
    assert response.status_code == 200
    assert response.json()["assigned_rep_id"] == "r2"
    assigned_at = datetime.fromisoformat(response.json()["assigned_at"])
    assert NOW <= assigned_at <= datetime.now(UTC)
    mine = seeded.client.get("/v1/leads", headers=seeded.auth("rep2")).json()["data"]
    assert {lead["id"] for lead in mine} == {"l-r2", "l-free"}
    # a retry changes nothing, not even the time
    again = seeded.client.post("/v1/leads/l-free/assign", json={"rep_id": "r2"},
                               headers=seeded.auth("manager"))
    assert again.json() == response.json()
    # and manager_t2 no longer sees it: it went to team t1
    assert seeded.client.get("/v1/leads/l-free",
                             headers=seeded.auth("manager_t2")).status_code == 404


def test_a_director_reassigns_across_teams(seeded: Api) -> None:
    response = seeded.client.post("/v1/leads/l-r1/assign", json={"rep_id": "r3"},
                                  headers=seeded.auth("director"))
    assert (response.status_code, response.json()["assigned_rep_id"]) == (200, "r3")
    assert stored_leads(seeded)["l-r1"].assigned_rep_id == "r3"


@pytest.mark.parametrize(("who", "lead_id", "rep_id", "status", "code"), [
    ("rep", "l-r1", "r1", 403, "FORBIDDEN"),
    ("manager", "l-free", "r3", 422, "UNKNOWN_REP"),  # another team's rep
    ("manager", "l-free", "r404", 422, "UNKNOWN_REP"),
    ("admin", "l-free", "g1", 422, "UNKNOWN_REP"),  # another tenant's rep
    ("manager", "l-free", "r4", 422, "REP_INACTIVE"),
    ("manager_t2", "l-r1", "r3", 404, "NOT_FOUND"),
    ("other_tenant_admin", "l-r1", "g1", 404, "NOT_FOUND"),
    ("director", "l-404", "r1", 404, "NOT_FOUND"),
])
def test_a_refused_assignment_changes_nothing(seeded: Api, who: str, lead_id: str,
                                              rep_id: str, status: int, code: str) -> None:
    before = stored_leads(seeded)
    response = seeded.client.post(f"/v1/leads/{lead_id}/assign", json={"rep_id": rep_id},
                                  headers=seeded.auth(who))
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert stored_leads(seeded) == before


def test_an_assignment_without_a_rep_is_422(seeded: Api) -> None:
    response = seeded.client.post("/v1/leads/l-free/assign", json={},
                                  headers=seeded.auth("manager"))
    assert (response.status_code, response.json()["code"]) == (422, "MISSING_FIELD")


# -- touches --------------------------------------------------------------------------------

def test_the_first_touch_sets_first_touch_at_and_an_earlier_one_moves_it_back(
        seeded: Api) -> None:
    def touch(touch_id: str, at: datetime) -> Any:
        return seeded.client.post("/v1/leads/l-r1/touches",
                                  json=touch_body(touch_id, at=iso(at)),
                                  headers=seeded.auth("rep"))

    first = touch("t-1", NOW - timedelta(hours=3))
    assert first.status_code == 201
    assert first.json() == {"id": "t-1", "lead_id": "l-r1", "rep_id": "r1", "kind": "call",
                            "at": first.json()["at"], "checkin_id": None}
    assert stored_leads(seeded)["l-r1"].first_touch_at == NOW - timedelta(hours=3)
    assert touch("t-2", NOW - timedelta(hours=1)).status_code == 201
    assert stored_leads(seeded)["l-r1"].first_touch_at == NOW - timedelta(hours=3)
    assert touch("t-0", NOW - timedelta(days=1)).status_code == 201  # uploaded late
    assert stored_leads(seeded)["l-r1"].first_touch_at == NOW - timedelta(days=1)
    detail = seeded.client.get("/v1/leads/l-r1", headers=seeded.auth("manager")).json()
    assert [t["id"] for t in detail["touches"]] == ["t-0", "t-1", "t-2"]


def test_a_visit_touch_names_the_reps_own_check_in(seeded: Api) -> None:
    checkin = make_checkin(rep="r1")
    with seeded.database.begin() as connection:
        Store(connection, TENANT).checkins.add(checkin)
    response = seeded.client.post(
        "/v1/leads/l-r1/touches", json=touch_body(kind="visit", checkin_id=str(checkin.id)),
        headers=seeded.auth("rep"))
    assert (response.status_code, response.json()["checkin_id"]) == (201, str(checkin.id))


def test_a_retried_touch_answers_200_and_another_body_409(seeded: Api) -> None:
    body = touch_body()
    first = seeded.client.post("/v1/leads/l-r1/touches", json=body, headers=seeded.auth("rep"))
    again = seeded.client.post("/v1/leads/l-r1/touches", json=body, headers=seeded.auth("rep"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = seeded.client.post("/v1/leads/l-r1/touches", json=touch_body(kind="message"),
                               headers=seeded.auth("rep"))
    assert (other.status_code, other.json()["code"]) == (409, "TOUCH_ID_CONFLICT")
    assert count(seeded, lead_touches) == 1


def test_a_retried_touch_is_answered_even_after_the_lead_moved_on(seeded: Api) -> None:
    body = touch_body()
    seeded.client.post("/v1/leads/l-r1/touches", json=body, headers=seeded.auth("rep"))
    seeded.client.post("/v1/leads/l-r1/assign", json={"rep_id": "r2"},
                       headers=seeded.auth("manager"))
    again = seeded.client.post("/v1/leads/l-r1/touches", json=body, headers=seeded.auth("rep"))
    assert again.status_code == 200
    new = seeded.client.post("/v1/leads/l-r1/touches", json=touch_body("touch-2"),
                             headers=seeded.auth("rep"))
    assert new.status_code == 404


@pytest.mark.parametrize(("who", "lead_id", "status", "code"), [
    ("rep2", "l-r1", 404, "NOT_FOUND"),  # another rep's lead
    ("rep", "l-free", 404, "NOT_FOUND"),  # nobody's lead
    ("rep", "l-404", 404, "NOT_FOUND"),
    ("other_tenant_rep", "l-r1", 404, "NOT_FOUND"),
    ("manager", "l-r1", 403, "FORBIDDEN"),  # only reps touch leads
    ("director", "l-r1", 403, "FORBIDDEN"),
    ("admin", "l-r1", 403, "FORBIDDEN"),
])
def test_only_the_assigned_rep_touches_a_lead(seeded: Api, who: str, lead_id: str,
                                              status: int, code: str) -> None:
    response = seeded.client.post(f"/v1/leads/{lead_id}/touches", json=touch_body(),
                                  headers=seeded.auth(who))
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert count(seeded, lead_touches) == 0


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"at": iso(NOW + timedelta(hours=1))}, "FUTURE_TIMESTAMP", "at"),
    ({"at": "2026-11-20T09:00:00"}, "NAIVE_TIMESTAMP", "at"),
    ({"at": "last tuesday"}, "BAD_TIMESTAMP", "at"),
    ({"at": 1_790_000_000}, "BAD_TIMESTAMP", "at"),
    ({"at": iso(TAKEN_IN - timedelta(minutes=1))}, "TIME_ORDER", "at"),
    ({"kind": "fax"}, "UNKNOWN_ENUM_VALUE", "kind"),
    ({"kind": "visit"}, "MISSING_FIELD", "checkin_id"),
    ({"checkin_id": str(uuid.uuid4())}, "INVALID_VALUE", "checkin_id"),
    ({"kind": "visit", "checkin_id": str(uuid.uuid4())}, "UNKNOWN_CHECKIN", "checkin_id"),
    ({"kind": "visit", "checkin_id": "not-a-uuid"}, "BAD_IDENTIFIER", "checkin_id"),
    ({"id": "bad id"}, "BAD_IDENTIFIER", "id"),
    ({"rep_id": "r2"}, "UNKNOWN_FIELD", "rep_id"),
])
def test_a_bad_touch_is_422_and_stores_nothing(seeded: Api, changes: dict[str, Any],
                                               code: str, field: str) -> None:
    response = seeded.client.post("/v1/leads/l-r1/touches", json=touch_body(**changes),
                                  headers=seeded.auth("rep"))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert count(seeded, lead_touches) == 0
    assert stored_leads(seeded)["l-r1"].first_touch_at is None


def test_a_visit_touch_may_not_name_another_reps_check_in(seeded: Api) -> None:
    theirs = make_checkin(rep="r2")
    with seeded.database.begin() as connection:
        Store(connection, TENANT).checkins.add(theirs)
    response = seeded.client.post(
        "/v1/leads/l-r1/touches", json=touch_body(kind="visit", checkin_id=str(theirs.id)),
        headers=seeded.auth("rep"))
    assert (response.status_code, response.json()["code"]) == (422, "UNKNOWN_CHECKIN")
    assert count(seeded, lead_touches) == 0


def test_a_little_clock_drift_is_not_the_future(seeded: Api) -> None:
    response = seeded.client.post(
        "/v1/leads/l-r1/touches", json=touch_body(at=iso(datetime.now(UTC)
                                                         + timedelta(seconds=60))),
        headers=seeded.auth("rep"))
    assert response.status_code == 201


# -- the store --------------------------------------------------------------------------

def test_add_lead_touch_moves_first_touch_only_backwards(seeded: Api) -> None:
    with seeded.database.begin() as connection:
        store = Store(connection, TENANT)
        store.crm.add_lead_touch(make_touch("l-r1", NOW - timedelta(hours=2), touch_id="a"))
        store.crm.add_lead_touch(make_touch("l-r1", NOW - timedelta(hours=1), touch_id="b"))
        lead = store.crm.lead("l-r1")
        assert lead is not None
        assert lead.first_touch_at == NOW - timedelta(hours=2)
        assert [t.id for t in store.crm.touches_of_lead("l-r1")] == ["a", "b"]
        with pytest.raises(NotFound):
            store.crm.add_lead_touch(make_touch("l-404", NOW, touch_id="c"))


def test_leads_page_scopes_counts_and_pages(seeded: Api) -> None:
    with seeded.database.connect() as connection:
        store = Store(connection, TENANT)
        page = store.crm.leads_page(rep_ids=["r1", "r2"], limit=2)
        assert (len(page.items), page.count) == (2, 3)
        page = store.crm.leads_page(rep_ids=[], include_unassigned=False)
        assert page == Page(items=(), count=0)
        page = store.crm.leads_page(rep_ids=["r3"], include_unassigned=False)
        assert ([lead.id for lead in page.items], page.count) == (["l-r3"], 1)
        assert Store(connection, "globex").crm.leads_page() == Page(items=(), count=0)


def test_add_lead_refuses_a_known_id(api: Api) -> None:
    with api.database.begin() as connection:
        Store(connection, TENANT).crm.add_lead(make_lead("dup", created=TAKEN_IN))
    with pytest.raises(sa.exc.IntegrityError), api.database.begin() as connection:
        Store(connection, TENANT).crm.add_lead(make_lead("dup", created=TAKEN_IN))


def test_openapi_documents_the_lead_endpoints(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"201", "200", "401", "403", "409", "422"} <= set(paths["/v1/leads"]["post"]
                                                             ["responses"])
    assert {"200", "401", "403", "404", "422"} <= set(
        paths["/v1/leads/{lead_id}/assign"]["post"]["responses"])
    assert {"201", "200", "404", "409", "422"} <= set(
        paths["/v1/leads/{lead_id}/touches"]["post"]["responses"])
    assert {"200", "401", "404"} <= set(paths["/v1/leads/{lead_id}"]["get"]["responses"])

"""``/v1/actions``: every check-in's next action, listed within scope and marked done.

Seeded here: one check-in per rep of acme (r1 and r2 in team t1, r3 in team t2), visits on
2026-11-03 09:00-09:40 UTC with next actions due on the 5th, 6th and 7th; and one of globex's
rep g1.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api_harness import OTHER_TENANT, Api
from tests.builders import TENANT, at, make_checkin, make_outcome
from visitproof.store import Page, Store
from visitproof.store.tables import action_outcomes

IDS = {rep: uuid.uuid5(uuid.NAMESPACE_URL, f"checkin/{rep}") for rep in ("r1", "r2", "r3", "g1")}
DUE = {"r1": "2026-11-05T10:00:00+00:00", "r2": "2026-11-06T10:00:00+00:00",
       "r3": "2026-11-07T10:00:00+00:00", "g1": "2026-11-05T10:00:00+00:00"}
DONE_AT = "2026-11-04T16:30:00+08:00"


@pytest.fixture
def seeded(api: Api) -> Api:
    with api.database.begin() as connection:
        Store(connection, TENANT).checkins.add_many(
            [make_checkin(rep=rep, checkin_id=IDS[rep], due=DUE[rep])
             for rep in ("r1", "r2", "r3")])
        Store(connection, OTHER_TENANT).checkins.add(
            make_checkin(rep="g1", checkin_id=IDS["g1"], due=DUE["g1"], tenant=OTHER_TENANT))
    return api


def complete(api: Api, rep: str, who: str = "rep", **body: Any) -> Any:
    return api.client.post(f"/v1/actions/{IDS[rep]}/complete",
                           json={"completed_at": DONE_AT, **body}, headers=api.auth(who))


def outcomes(api: Api) -> int:
    with api.database.connect() as connection:
        return int(connection.execute(
            sa.select(sa.func.count()).select_from(action_outcomes)).scalar_one())


# -- listing --------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "reps"), [
    ("rep", ["r1"]), ("rep2", ["r2"]), ("manager", ["r1", "r2"]), ("manager_t2", ["r3"]),
    ("director", ["r1", "r2", "r3"]), ("admin", ["r1", "r2", "r3"]),
    ("other_tenant_rep", ["g1"]), ("other_tenant_admin", ["g1"]),
])
def test_actions_are_listed_within_scope_earliest_due_first(seeded: Api, who: str,
                                                            reps: list[str]) -> None:
    response = seeded.client.get("/v1/actions", headers=seeded.auth(who))
    assert response.status_code == 200
    body = response.json()
    assert [a["rep_id"] for a in body["data"]] == reps
    assert body["count"] == len(reps)
    first = body["data"][0]
    assert first["checkin_id"] == str(IDS[reps[0]])
    assert {k: first[k] for k in ("text", "kind", "state", "completed_at", "completed_by",
                                  "checkin_status")} == {
        "text": "send the draft contract", "kind": "call", "state": "open",
        "completed_at": None, "completed_by": None, "checkin_status": "verified"}


@pytest.mark.parametrize(("query", "reps"), [
    ("state=open", ["r2", "r3"]),
    ("state=done", ["r1"]),
    ("rep_id=r3", ["r3"]),
    ("customer_id=c1", ["r1", "r2", "r3"]),
    ("customer_id=c9", []),
    ("due_from=2026-11-06T10:00:00%2B00:00", ["r2", "r3"]),
    ("due_until=2026-11-06T10:00:00Z", ["r1"]),
    ("due_from=2026-11-06T00:00:00Z&due_until=2026-11-07T00:00:00Z", ["r2"]),
    ("limit=1&offset=1", ["r2"]),
])
def test_actions_filter(seeded: Api, query: str, reps: list[str]) -> None:
    assert complete(seeded, "r1").status_code == 201
    response = seeded.client.get(f"/v1/actions?{query}", headers=seeded.auth("director"))
    assert response.status_code == 200
    assert [a["rep_id"] for a in response.json()["data"]] == reps


def test_a_manager_filtering_on_another_teams_rep_gets_nothing(seeded: Api) -> None:
    response = seeded.client.get("/v1/actions?rep_id=r3", headers=seeded.auth("manager"))
    assert response.json() == {"data": [], "count": 0}


@pytest.mark.parametrize(("query", "code"), [
    ("due_from=2026-11-06T10:00:00", "NAIVE_TIMESTAMP"),
    ("due_until=soon", "BAD_TIMESTAMP"),
    ("state=pending", "UNKNOWN_ENUM_VALUE"),
    ("limit=501", "OUT_OF_RANGE"),
])
def test_bad_list_queries_are_422(seeded: Api, query: str, code: str) -> None:
    response = seeded.client.get(f"/v1/actions?{query}", headers=seeded.auth("director"))
    assert (response.status_code, response.json()["code"]) == (422, code)


def test_listing_needs_a_token(seeded: Api) -> None:
    response = seeded.client.get("/v1/actions")
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")


# -- completing -----------------------------------------------------------------------------

def test_the_rep_completes_their_action(seeded: Api) -> None:
    response = complete(seeded, "r1", note="draft sent by e-mail")
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("state", "completed_by", "note")} == {
        "state": "done", "completed_by": "r1", "note": "draft sent by e-mail"}
    assert datetime.fromisoformat(body["completed_at"]) == at(DONE_AT)
    listed = seeded.client.get("/v1/actions?state=done", headers=seeded.auth("manager"))
    assert [a["checkin_id"] for a in listed.json()["data"]] == [str(IDS["r1"])]


def test_a_manager_completes_a_team_reps_action_and_is_recorded_as_the_one_who_did(
        seeded: Api) -> None:
    response = complete(seeded, "r2", who="manager")
    assert (response.status_code, response.json()["completed_by"]) == (201, "m1")


def test_a_retry_answers_200_and_anything_else_on_a_done_action_409(seeded: Api) -> None:
    first = complete(seeded, "r1", note="sent")
    again = complete(seeded, "r1", note="sent")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    for who, body in [("rep", {"note": "sent again"}), ("rep", {}),
                      ("rep", {"note": "sent", "completed_at": "2026-11-04T09:00:00Z"}),
                      ("manager", {"note": "sent"})]:
        response = complete(seeded, "r1", who=who, **body)
        assert (response.status_code, response.json()["code"]) == (409,
                                                                   "ACTION_ALREADY_COMPLETED")
    assert outcomes(seeded) == 1


@pytest.mark.parametrize(("who", "rep"), [
    ("rep2", "r1"), ("rep3", "r1"), ("manager_t2", "r1"), ("manager", "r3"),
    ("other_tenant_admin", "r1"), ("rep", "g1"), ("admin", "g1"),
])
def test_an_action_out_of_scope_is_404_and_stays_open(seeded: Api, who: str,
                                                      rep: str) -> None:
    response = complete(seeded, rep, who=who)
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    assert outcomes(seeded) == 0


def test_an_unknown_or_malformed_check_in_id(seeded: Api) -> None:
    unknown = seeded.client.post(f"/v1/actions/{uuid.uuid4()}/complete",
                                 json={"completed_at": DONE_AT}, headers=seeded.auth("admin"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
    malformed = seeded.client.post("/v1/actions/ck-1/complete", json={"completed_at": DONE_AT},
                                   headers=seeded.auth("admin"))
    assert (malformed.status_code, malformed.json()["code"]) == (422, "BAD_IDENTIFIER")


def test_completing_needs_a_token(seeded: Api) -> None:
    response = seeded.client.post(f"/v1/actions/{IDS['r1']}/complete",
                                  json={"completed_at": DONE_AT})
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")
    assert outcomes(seeded) == 0


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"completed_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()},
     "FUTURE_TIMESTAMP", "completed_at"),
    ({"completed_at": "2026-11-03T08:59:00Z"}, "TIME_ORDER", "completed_at"),
    ({"completed_at": "2026-11-04T16:30:00"}, "NAIVE_TIMESTAMP", "completed_at"),
    ({"completed_at": "the 4th"}, "BAD_TIMESTAMP", "completed_at"),
    ({"completed_at": 1_793_000_000}, "BAD_TIMESTAMP", "completed_at"),
    ({}, "MISSING_FIELD", "completed_at"),
    ({"completed_at": DONE_AT, "note": "  "}, "EMPTY_FIELD", "note"),
    ({"completed_at": DONE_AT, "note": "x" * 2001}, "TOO_LONG", "note"),
    ({"completed_at": DONE_AT, "completed_by": "r2"}, "UNKNOWN_FIELD", "completed_by"),
])
def test_a_bad_completion_is_422_and_stores_nothing(seeded: Api, body: dict[str, Any],
                                                    code: str, field: str) -> None:
    response = seeded.client.post(f"/v1/actions/{IDS['r1']}/complete", json=body,
                                  headers=seeded.auth("rep"))
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert outcomes(seeded) == 0


def test_completing_during_the_visit_is_allowed(seeded: Api) -> None:
    response = complete(seeded, "r1", completed_at="2026-11-03T09:00:00Z")
    assert response.status_code == 201


# -- the store --------------------------------------------------------------------------

def test_next_actions_page_joins_outcomes_counts_and_pages(seeded: Api) -> None:
    checkin = make_checkin(rep="r1", checkin_id=IDS["r1"], due=DUE["r1"])
    with seeded.database.begin() as connection:
        store = Store(connection, TENANT)
        store.crm.add_action_outcome(make_outcome(checkin, "2026-11-04T09:00:00+00:00"))
        assert store.crm.action_outcome(IDS["r2"]) is None
        done = store.crm.next_actions_page(done=True)
        assert ([(a.checkin.id, a.outcome is not None) for a in done.items], done.count) \
            == ([(IDS["r1"], True)], 1)
        page = store.crm.next_actions_page(done=False, limit=1)
        assert ([a.checkin.rep_id for a in page.items], page.count) == (["r2"], 2)
        assert store.crm.next_actions_page(rep_ids=[]) == Page(items=(), count=0)
        assert Store(connection, OTHER_TENANT).crm.next_actions_page(done=True) \
            == Page(items=(), count=0)


def test_openapi_documents_the_action_endpoints(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert {"201", "200", "401", "404", "409", "422"} <= set(
        paths["/v1/actions/{checkin_id}/complete"]["post"]["responses"])
    assert {"200", "401", "422"} <= set(paths["/v1/actions"]["get"]["responses"])


# -- pushed actions need a strategy ------------------------------------------------------

PUSHED_AT = "2026-11-04T10:00:00+00:00"  # r1's action, due on the 5th at 10:00, minus 24 h
AFTER_PUSH = "2026-11-04T12:00:00+00:00"
STRATEGY = "Lead with the uptime figures, since Dr. Zhang cares most about downtime."


def test_a_pushed_action_without_a_strategy_is_422_strategy_required(seeded: Api) -> None:
    response = complete(seeded, "r1", completed_at=AFTER_PUSH)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("STRATEGY_REQUIRED", "strategy")
    assert "add one sentence, the core strategy" in body["message"]
    assert outcomes(seeded) == 0
    zh = seeded.client.post(f"/v1/actions/{IDS['r1']}/complete",
                            json={"completed_at": AFTER_PUSH},
                            headers={**seeded.auth("rep"), "Accept-Language": "zh-CN"})
    assert "核心策略" in zh.json()["message"]
    at_the_push = complete(seeded, "r1", completed_at=PUSHED_AT)
    assert at_the_push.json()["code"] == "STRATEGY_REQUIRED"


def test_a_pushed_action_with_a_strategy_completes_and_is_listed_with_it(seeded: Api) -> None:
    response = complete(seeded, "r1", completed_at=AFTER_PUSH, strategy=f"  {STRATEGY} ")
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("strategy", "pushed", "strategy_required")} == {
        "strategy": STRATEGY, "pushed": True, "strategy_required": True}
    listed = seeded.client.get("/v1/actions?state=done", headers=seeded.auth("rep")).json()
    (action,) = listed["data"]
    assert (action["strategy"], action["pushed"], action["strategy_required"]) == (
        STRATEGY, True, True)
    assert datetime.fromisoformat(action["pushed_at"]) == at(PUSHED_AT)


def test_an_action_not_yet_pushed_completes_without_a_strategy(seeded: Api) -> None:
    response = complete(seeded, "r1")  # DONE_AT: 08:30 UTC on the 4th, before the push
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("strategy", "pushed", "strategy_required")} == {
        "strategy": None, "pushed": False, "strategy_required": False}
    just_before = complete(seeded, "r2", who="rep2", completed_at="2026-11-05T09:59:59Z")
    assert just_before.status_code == 201  # r2's action is due on the 6th at 10:00


def test_an_open_action_is_listed_pushed_once_its_push_time_has_passed(seeded: Api) -> None:
    listed = seeded.client.get("/v1/actions", headers=seeded.auth("rep")).json()["data"]
    assert [(a["pushed"], a["strategy_required"], a["strategy"]) for a in listed] == [
        (True, True, None)]  # due in November, listed in the present


def test_the_strategy_is_part_of_what_a_retry_compares(seeded: Api) -> None:
    first = complete(seeded, "r1", completed_at=AFTER_PUSH, strategy=STRATEGY)
    again = complete(seeded, "r1", completed_at=AFTER_PUSH, strategy=STRATEGY)
    other = complete(seeded, "r1", completed_at=AFTER_PUSH, strategy="Ask for the trial date")
    assert [first.status_code, again.status_code, other.status_code] == [201, 200, 409]
    assert other.json()["code"] == "ACTION_ALREADY_COMPLETED"


def test_a_retry_of_a_completion_stored_without_a_strategy_still_answers_200(
        seeded: Api) -> None:
    checkin = make_checkin(rep="r1", checkin_id=IDS["r1"], due=DUE["r1"])
    with seeded.database.begin() as connection:  # history from before the rule
        Store(connection, TENANT).crm.add_action_outcome(
            make_outcome(checkin, AFTER_PUSH))
    assert complete(seeded, "r1", completed_at=AFTER_PUSH).status_code == 200


@pytest.mark.parametrize(("strategy", "code"), [
    ("Send the quote. Then call Dr Li", "STRATEGY_NOT_ONE_SENTENCE"),
    ("先送报价。再约主任", "STRATEGY_NOT_ONE_SENTENCE"),
    ("Send the quote\nthen call", "STRATEGY_NOT_ONE_SENTENCE"),
    ("   ", "EMPTY_FIELD"),
    ("x" * 201, "TOO_LONG"),
])
def test_a_bad_strategy_is_422_and_stores_nothing(seeded: Api, strategy: str,
                                                  code: str) -> None:
    response = complete(seeded, "r1", completed_at=AFTER_PUSH, strategy=strategy)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, "strategy")
    assert outcomes(seeded) == 0

"""The review queue through the real app: ``GET /v1/reviews``, ``POST
/v1/checkins/{id}/review`` (codes, scope, decided once, also when two reviewers race against
a live server), and the pages: the queue, the drill-down's form and its CSRF protection."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from serving.form_token import FORM_FIELD, form_token
from serving.routes.pages import COOKIE
from tests.api_harness import Api
from tests.application.test_review import put, stored
from tests.serving.test_rules_concurrency import Live, live  # noqa: F401 (the fixture)
from visitproof.records import CheckinStatus
from visitproof.store import Database

HTML = "text/html; charset=utf-8"
N = CheckinStatus.NEEDS_REVIEW


def review(api: Api, checkin_id: uuid.UUID, body: Any, who: str = "manager") -> Any:
    return api.client.post(f"/v1/checkins/{checkin_id}/review", json=body,
                           headers=api.auth(who))


# -- the API ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("decision", "status", "code"), [
    ("approve", "verified", "REVIEW_APPROVED"),
    ("reject", "rejected", "REVIEW_REJECTED"),
])
def test_a_decision_answers_the_updated_checkin(api: Api, decision: str, status: str,
                                                code: str) -> None:
    checkin = put(api.database, N, "DWELL_TOO_SHORT")
    response = review(api, checkin.id, {"decision": decision, "note": "called the buyer"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["id"], body["status"], body["verdict"]["status"]) == (
        str(checkin.id), status, status)
    assert [r["code"] for r in body["verdict"]["reasons"]] == ["DWELL_TOO_SHORT", code]
    assert {k: body["review"][k] for k in ("decision", "status", "note", "reviewer", "role",
                                           "previous_status")} == {
        "decision": decision, "status": status, "note": "called the buyer", "reviewer": "m1",
        "role": "manager", "previous_status": "needs_review"}
    again = api.client.get(f"/v1/checkins/{checkin.id}", headers=api.auth("director"))
    assert again.json()["status"] == status
    second = review(api, checkin.id, {"decision": "approve", "note": "me too"}, "director")
    assert (second.status_code, second.json()["code"]) == (409, "NOT_UNDER_REVIEW")
    assert [v.checker for v in stored(api.database, checkin.id).verifications] == [
        "fix", "review"]


@pytest.mark.parametrize(("who", "status", "body", "expected", "code"), [
    ("rep", N, {"decision": "approve", "note": "mine"}, 403, "FORBIDDEN"),
    ("manager_t2", N, {"decision": "approve", "note": "x"}, 404, "NOT_FOUND"),
    ("other_tenant_admin", N, {"decision": "approve", "note": "x"}, 404, "NOT_FOUND"),
    ("manager", CheckinStatus.VERIFIED, {"decision": "reject", "note": "x"}, 409,
     "NOT_UNDER_REVIEW"),
    ("manager", CheckinStatus.REJECTED, {"decision": "approve", "note": "x"}, 409,
     "NOT_UNDER_REVIEW"),
    ("manager", N, {"decision": "approve"}, 422, "MISSING_FIELD"),
    ("manager", N, {"note": "no decision"}, 422, "MISSING_FIELD"),
    ("manager", N, {"decision": "approve", "note": ""}, 422, "EMPTY_FIELD"),
    ("manager", N, {"decision": "approve", "note": " \n\t "}, 422, "EMPTY_FIELD"),
    ("manager", N, {"decision": "maybe", "note": "x"}, 422, "UNKNOWN_ENUM_VALUE"),
    ("manager", N, {"decision": "approve", "note": "x" * 2001}, 422, "TOO_LONG"),
    ("manager", N, {"decision": "approve", "note": "x", "by": "m9"}, 422, "UNKNOWN_FIELD"),
    ("manager", N, {"decision": "approve", "note": 7}, 422, "BAD_TYPE"),
])
def test_refusals_store_nothing(api: Api, who: str, status: CheckinStatus,
                                body: dict[str, Any], expected: int, code: str) -> None:
    checkin = put(api.database, status)
    response = review(api, checkin.id, body, who)
    assert (response.status_code, response.json()["code"]) == (expected, code), response.text
    assert stored(api.database, checkin.id) == checkin


def test_an_unknown_checkin_is_404_and_no_token_is_401(api: Api) -> None:
    assert review(api, uuid.uuid4(), {"decision": "approve", "note": "x"}).status_code == 404
    checkin = put(api.database)
    anonymous = api.client.post(f"/v1/checkins/{checkin.id}/review",
                                json={"decision": "approve", "note": "x"})
    assert anonymous.status_code == 401


def test_the_queue_is_the_scopes_oldest_first_with_reason_counts(api: Api) -> None:
    late = put(api.database, N, "SUBMITTED_LATE", submitted="10:30")
    oldest = put(api.database, N, "SUBMITTED_LATE", "DWELL_TOO_SHORT", submitted="09:05")
    other_team = put(api.database, N, "FIX_ACCURACY_POOR", rep="r3", submitted="08:00")
    put(api.database, CheckinStatus.VERIFIED)

    def queue(who: str, query: str = "") -> tuple[list[str], int, dict[str, int]]:
        response = api.client.get(f"/v1/reviews{query}", headers=api.auth(who))
        assert response.status_code == 200, response.text
        body = response.json()
        return [c["id"] for c in body["data"]], body["count"], body["by_reason"]

    assert queue("director") == ([str(other_team.id), str(oldest.id), str(late.id)], 3,
                                 {"SUBMITTED_LATE": 2, "DWELL_TOO_SHORT": 1,
                                  "FIX_ACCURACY_POOR": 1})
    assert queue("manager") == ([str(oldest.id), str(late.id)], 2,
                                {"SUBMITTED_LATE": 2, "DWELL_TOO_SHORT": 1})
    assert queue("manager", "?limit=1&offset=1") == ([str(late.id)], 2,
                                                     {"SUBMITTED_LATE": 2,
                                                      "DWELL_TOO_SHORT": 1})
    assert queue("manager_t2") == ([str(other_team.id)], 1, {"FIX_ACCURACY_POOR": 1})
    assert queue("manager", "?rep_id=r3") == ([], 0, {})
    assert queue("other_tenant_admin") == ([], 0, {})
    assert api.client.get("/v1/reviews", headers=api.auth("rep")).status_code == 403
    review(api, oldest.id, {"decision": "approve", "note": "ok"})
    assert queue("manager")[:2] == ([str(late.id)], 1)


def test_two_reviewers_at_once_one_201_one_409(live: Live,  # noqa: F811 (the fixture)
                                               database: Database) -> None:
    """The manager of r1's team and a director decide the same check-ins at once against a
    live server over a real SQLite file, released together by a barrier each round."""
    queued = [put(database) for _ in range(5)]
    barrier = threading.Barrier(2, timeout=30)
    answers: dict[tuple[int, str], int] = {}

    def reviewer(who: str, decision: str) -> None:
        with live.client() as client:
            for round_, checkin in enumerate(queued):
                barrier.wait()
                response = client.post(f"/v1/checkins/{checkin.id}/review",
                                       json={"decision": decision, "note": f"{who} says so"},
                                       headers=live.auth(who))
                answers[(round_, who)] = response.status_code

    threads = [threading.Thread(target=reviewer, args=args)
               for args in (("manager", "approve"), ("director", "reject"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for round_, checkin in enumerate(queued):
        codes = sorted(answers[(round_, who)] for who in ("manager", "director"))
        assert codes == [201, 409], codes
        after = stored(database, checkin.id)
        assert [v.checker for v in after.verifications] == ["fix", "review"]
        winner = "manager" if answers[(round_, "manager")] == 201 else "director"
        assert after.status is (CheckinStatus.VERIFIED if winner == "manager"
                                else CheckinStatus.REJECTED)


# -- the pages --------------------------------------------------------------------------------

def _login(api: Api, who: str) -> str:
    response = api.client.get("/manager/login", params={"token": api.tokens[who]},
                              follow_redirects=False)
    assert response.status_code == 303
    return api.tokens[who]


def _refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == HTML
    assert f"<code>{code}</code>" in response.text
    return str(response.text)


def test_the_queue_page_links_each_row_to_its_drilldown(api: Api) -> None:
    late = put(api.database, N, "SUBMITTED_LATE", submitted="10:30")
    oldest = put(api.database, N, "SUBMITTED_LATE", "DWELL_TOO_SHORT", submitted="09:05")
    hidden = put(api.database, N, "FIX_ACCURACY_POOR", rep="r3")
    _login(api, "manager")
    response = api.client.get("/manager/reviews")
    assert response.status_code == 200
    text = response.text
    assert text.index(f"data-checkin-id='{oldest.id}'") < text.index(
        f"data-checkin-id='{late.id}'")
    assert f"href='/manager/checkins/{oldest.id}'" in text
    assert str(hidden.id) not in text
    assert "FIX_ACCURACY_POOR" not in text
    assert "<strong id='vp-queue-count'>2</strong>" in text
    assert "<td><code>SUBMITTED_LATE</code></td><td>2</td>" in text
    assert "<td><code>DWELL_TOO_SHORT</code></td><td>1</td>" in text
    assert "href='/manager/reviews'" in text  # in the navigation
    _refused(api.client.get("/manager/reviews?limit=0"), 422, "OUT_OF_RANGE")


def test_the_drilldown_form_decides_and_goes_back(api: Api) -> None:
    checkin = put(api.database)
    token = _login(api, "manager")
    page = api.client.get(f"/manager/checkins/{checkin.id}").text
    assert f"action='/manager/checkins/{checkin.id}/review'" in page
    assert f"name='{FORM_FIELD}' value='{form_token(token)}'" in page
    response = api.client.post(f"/manager/checkins/{checkin.id}/review", data={
        FORM_FIELD: form_token(token), "decision": "reject", "note": "shelf of another store"},
        follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303, f"/manager/checkins/{checkin.id}")
    after = api.client.get(f"/manager/checkins/{checkin.id}").text
    assert "id='vp-status'>rejected</strong>" in after
    assert "REVIEW_REJECTED" in after
    assert "shelf of another store" in after
    assert "id='vp-review'" not in after  # decided: no form any more
    again = api.client.post(f"/manager/checkins/{checkin.id}/review", data={
        FORM_FIELD: form_token(token), "decision": "approve", "note": "second"})
    assert "Already decided" in _refused(again, 409, "NOT_UNDER_REVIEW")
    assert stored(api.database, checkin.id).status is CheckinStatus.REJECTED


@pytest.mark.parametrize(("sent", "fields", "status", "code"), [
    (None, {"decision": "approve", "note": "x"}, 403, "CSRF_REJECTED"),     # no token
    ("", {"decision": "approve", "note": "x"}, 403, "CSRF_REJECTED"),
    ("other", {"decision": "approve", "note": "x"}, 403, "CSRF_REJECTED"),  # another session's
    ("0" * 64, {"decision": "approve", "note": "x"}, 403, "CSRF_REJECTED"),
    (None, {}, 403, "CSRF_REJECTED"),          # refused before the fields are validated
    ("own", {"decision": "approve", "note": "   "}, 422, "EMPTY_FIELD"),
    ("own", {"decision": "approve"}, 422, "MISSING_FIELD"),
    ("own", {"decision": "maybe", "note": "x"}, 422, "UNKNOWN_ENUM_VALUE"),
])
def test_the_form_post_is_refused_unless_from_this_session(
        api: Api, sent: str | None, fields: dict[str, str], status: int, code: str) -> None:
    checkin = put(api.database)
    token = _login(api, "manager")
    data = dict(fields)
    if sent is not None:
        data[FORM_FIELD] = {"own": form_token(token),
                            "other": form_token(api.tokens["director"])}.get(sent, sent)
    response = api.client.post(f"/manager/checkins/{checkin.id}/review", data=data,
                               headers={"Origin": "https://evil.example"}
                               if code == "CSRF_REJECTED" else {})
    text = _refused(response, status, code)
    if code == "CSRF_REJECTED":
        assert "Nothing was changed" in text
    assert stored(api.database, checkin.id) == checkin


@pytest.mark.parametrize(("who", "status", "code"), [
    ("rep", 403, "FORBIDDEN"),
    ("manager_t2", 404, "NOT_FOUND"),
])
def test_the_form_post_is_scoped(api: Api, who: str, status: int, code: str) -> None:
    checkin = put(api.database)
    token = api.tokens[who]
    api.client.cookies.set(COOKIE, token, path="/manager")
    response = api.client.post(f"/manager/checkins/{checkin.id}/review", data={
        FORM_FIELD: form_token(token), "decision": "approve", "note": "x"})
    _refused(response, status, code)
    assert stored(api.database, checkin.id) == checkin


def test_no_form_on_a_checkin_not_under_review(api: Api) -> None:
    checkin = put(api.database, CheckinStatus.REJECTED, "MOCK_LOCATION_FLAG")
    _login(api, "director")
    assert "id='vp-review'" not in api.client.get(f"/manager/checkins/{checkin.id}").text


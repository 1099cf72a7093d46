"""Tokens and scope: who may read and write which check-ins.

A check-in outside the caller's scope answers 404 NOT_FOUND, the same as one that doesn't
exist, so ids of other reps' and other tenants' check-ins don't leak.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from serving.auth import Role, issue_token, list_tokens, revoke_token
from tests.api_harness import Api, shelf_photo
from tests.builders import TENANT, make_upload_meta
from visitproof.errors import InvalidValue, NotFound
from visitproof.store import Database
from visitproof.store.tables import api_tokens


@pytest.fixture
def checkin_ids(api: Api) -> dict[str, str]:
    """One check-in each by r1 (team t1), r2 (team t1), r3 (team t2) and g1 (globex)."""
    ids = {}
    for seed, who in enumerate(("rep", "rep2", "rep3", "other_tenant_rep")):
        meta = make_upload_meta()
        response = api.upload(meta, shelf_photo(seed=10 + seed), who=who)
        assert response.status_code == 201, response.text
        ids[who] = str(meta["id"])
    return ids


def _expired_token(database: Database) -> str:
    return issue_token(database, tenant_id=TENANT, user_id="r1", role=Role.REP,
                       now=datetime.now(UTC) - timedelta(days=2),
                       expires_at=datetime.now(UTC) - timedelta(days=1))


def _revoked_token(database: Database) -> str:
    token = issue_token(database, tenant_id=TENANT, user_id="r1", role=Role.REP)
    with database.begin() as connection:
        connection.execute(sa.update(api_tokens).where(
            api_tokens.c.token_sha256 == hashlib.sha256(token.encode()).hexdigest())
            .values(revoked=True))
    return token


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic cjE6cGFzc3dvcmQ="},
    {"Authorization": "Bearer forged-token-that-was-never-issued"},
    {"Authorization": "Bearer " + "x" * 500},
], ids=["none", "empty bearer", "basic", "forged", "oversized"])
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/checkins"),
    ("GET", f"/v1/checkins/{uuid.UUID(int=1)}"),
    ("GET", f"/v1/checkins/{uuid.UUID(int=1)}/photo"),
    ("POST", "/v1/checkins"),
])
def test_requests_without_a_valid_token_are_unauthenticated(
        api: Api, headers: dict[str, str], method: str, path: str) -> None:
    response = api.client.request(method, path, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def _revoked_by_id(database: Database) -> str:
    token = issue_token(database, tenant_id=TENANT, user_id="r1", role=Role.REP)
    [listed] = [t for t in list_tokens(database, TENANT) if t.prefix == token[:8]]
    assert revoke_token(database, TENANT, listed.id) is True
    return token


@pytest.mark.parametrize("make_token", [_expired_token, _revoked_token, _revoked_by_id],
                         ids=["expired", "revoked", "revoked by id"])
def test_expired_and_revoked_tokens_are_unauthenticated(api: Api, make_token: object) -> None:
    token = make_token(api.database)  # type: ignore[operator]
    response = api.client.get("/v1/checkins", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")


def test_the_store_keeps_only_the_tokens_hash(api: Api) -> None:
    token = api.tokens["rep"]
    with api.database.connect() as connection:
        rows = connection.execute(sa.select(api_tokens)).mappings().all()
    assert all(token not in str(dict(row).values()) for row in rows)
    assert hashlib.sha256(token.encode()).hexdigest() in {row["token_sha256"] for row in rows}
    assert token[:8] in {row["prefix"] for row in rows}


# who -> which of the four check-ins they can read (by author)
VISIBLE = {
    "rep": {"rep"},
    "rep2": {"rep2"},
    "rep3": {"rep3"},
    "manager": {"rep", "rep2"},       # team t1
    "manager_t2": {"rep3"},
    "director": {"rep", "rep2", "rep3"},
    "admin": {"rep", "rep2", "rep3"},
    "other_tenant_rep": {"other_tenant_rep"},
    "other_tenant_admin": {"other_tenant_rep"},
}
AUTHORS = ("rep", "rep2", "rep3", "other_tenant_rep")


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_reads_exactly_its_scope(api: Api, checkin_ids: dict[str, str],
                                           who: str) -> None:
    for author in AUTHORS:
        one = api.client.get(f"/v1/checkins/{checkin_ids[author]}", headers=api.auth(who))
        photo = api.client.get(f"/v1/checkins/{checkin_ids[author]}/photo",
                               headers=api.auth(who))
        if author in VISIBLE[who]:
            assert one.status_code == 200, (who, author)
            assert photo.status_code == 200
            assert photo.headers["content-type"] == "image/jpeg"
            assert hashlib.sha256(photo.content).hexdigest() == one.json()["photo_sha256"]
        else:
            assert (one.status_code, one.json()["code"]) == (404, "NOT_FOUND"), (who, author)
            assert (photo.status_code, photo.json()["code"]) == (404, "NOT_FOUND")
    listed = api.client.get("/v1/checkins", headers=api.auth(who)).json()
    assert {item["id"] for item in listed["data"]} == \
        {checkin_ids[author] for author in VISIBLE[who]}
    assert listed["count"] == len(VISIBLE[who])


def test_filtering_by_another_reps_id_shows_nothing_outside_the_scope(
        api: Api, checkin_ids: dict[str, str]) -> None:
    for who, rep_id, expected in [("rep", "r2", 0), ("manager", "r3", 0),
                                  ("manager", "r2", 1), ("director", "r3", 1),
                                  ("other_tenant_admin", "r1", 0)]:
        listed = api.client.get("/v1/checkins", params={"rep_id": rep_id},
                                headers=api.auth(who)).json()
        assert listed["count"] == expected, (who, rep_id)


def test_the_list_filters_and_pages(api: Api, checkin_ids: dict[str, str]) -> None:
    director = api.auth("director")
    everything = api.client.get("/v1/checkins", headers=director).json()
    first_status = everything["data"][0]["status"]
    by_status = api.client.get("/v1/checkins", params={"status": first_status},
                               headers=director).json()
    assert all(item["status"] == first_status for item in by_status["data"])
    page = api.client.get("/v1/checkins", params={"limit": 1, "offset": 1},
                          headers=director).json()
    assert (len(page["data"]), page["count"]) == (1, 3)
    assert page["data"][0]["id"] == everything["data"][1]["id"]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert api.client.get("/v1/checkins", params={"from": future},
                          headers=director).json()["count"] == 0
    assert api.client.get("/v1/checkins", params={"to": future, "customer_id": "c1"},
                          headers=director).json()["count"] == 3
    naive = api.client.get("/v1/checkins", params={"from": "2026-11-03T09:00:00"},
                           headers=director)
    assert (naive.status_code, naive.json()["code"], naive.json()["field"]) == \
        (422, "NAIVE_TIMESTAMP", "from")
    too_many = api.client.get("/v1/checkins", params={"limit": 10_000}, headers=director)
    assert (too_many.status_code, too_many.json()["code"]) == (422, "OUT_OF_RANGE")


def test_an_unknown_checkin_id_is_not_found_and_a_malformed_one_is_invalid(api: Api) -> None:
    missing = api.client.get(f"/v1/checkins/{uuid.uuid4()}", headers=api.auth("admin"))
    assert (missing.status_code, missing.json()["code"]) == (404, "NOT_FOUND")
    malformed = api.client.get("/v1/checkins/not-a-uuid", headers=api.auth("admin"))
    assert (malformed.status_code, malformed.json()["code"]) == (422, "BAD_IDENTIFIER")


def test_a_rep_uploads_as_themselves_whatever_the_token_tenant(
        api: Api, checkin_ids: dict[str, str]) -> None:
    # The same check-in id in another tenant is another check-in, not a conflict.
    meta = make_upload_meta(checkin_id=uuid.UUID(checkin_ids["rep"]))
    response = api.upload(meta, shelf_photo(seed=20), who="other_tenant_rep")
    assert response.status_code == 201
    mine = api.client.get(f"/v1/checkins/{checkin_ids['rep']}", headers=api.auth("rep"))
    assert mine.json()["rep_id"] == "r1"
    theirs = api.client.get(f"/v1/checkins/{checkin_ids['rep']}",
                            headers=api.auth("other_tenant_rep"))
    assert theirs.json()["rep_id"] == "g1"


@pytest.mark.parametrize(("kwargs", "error", "code"), [
    ({"tenant_id": "nobody", "user_id": "r1", "role": "rep"}, NotFound, "TENANT_NOT_FOUND"),
    ({"tenant_id": TENANT, "user_id": "r404", "role": "rep"}, NotFound, "NOT_FOUND"),
    ({"tenant_id": TENANT, "user_id": "m1", "role": "manager"}, InvalidValue,
     "MISSING_FIELD"),
    ({"tenant_id": TENANT, "user_id": "x1", "role": "emperor"}, InvalidValue,
     "UNKNOWN_ENUM_VALUE"),
    ({"tenant_id": TENANT, "user_id": "bad id", "role": "admin"}, InvalidValue,
     "BAD_IDENTIFIER"),
])
def test_issuing_a_token_checks_its_fields(database: Database, kwargs: dict[str, str],
                                           error: type[Exception], code: str) -> None:
    with pytest.raises(error) as raised:
        issue_token(database, **kwargs)  # type: ignore[arg-type]
    assert raised.value.code == code  # type: ignore[attr-defined]


def test_revoking_is_idempotent_per_tenant_and_lists_never_show_the_secret(
        api: Api) -> None:
    now = datetime.now(UTC)
    tokens = list_tokens(api.database, TENANT)
    assert {t.prefix for t in tokens} >= {api.tokens["rep"][:8], api.tokens["manager"][:8]}
    assert all(api.tokens["rep"] not in str(t.as_json(now)) for t in tokens)
    first = tokens[0]
    assert first.state(now) == "active"
    assert revoke_token(api.database, TENANT, first.id) is True
    assert revoke_token(api.database, TENANT, first.id) is False  # already: nothing changes
    assert list_tokens(api.database, TENANT)[0].state(now) == "revoked"
    with pytest.raises(NotFound) as unknown:
        revoke_token(api.database, "globex", first.id)  # another tenant's id is unknown
    assert unknown.value.code == "UNKNOWN_TOKEN"

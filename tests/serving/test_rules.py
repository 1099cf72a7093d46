"""``/v1/rules`` end to end: who may read and write the rules, versions, tenant isolation,
and uploads judged by the rules current when they arrive."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.api_harness import Api, shelf_photo
from tests.builders import TENANT, make_team, make_upload_meta
from visitproof.store import Store
from visitproof.store.tables import verifications


def today_period(days_before: int = 1, days_after: int = 1) -> tuple[str, str]:
    today = datetime.now(UTC).date()
    return ((today - timedelta(days=days_before)).isoformat(),
            (today + timedelta(days=days_after)).isoformat())


def rules_body(*featured: tuple[str, list[str], tuple[str, str]],
               **extra: Any) -> dict[str, Any]:
    return {"featured": [{"region": region, "skus": skus, "valid_from": period[0],
                          "valid_until": period[1]} for region, skus, period in featured],
            **extra}


def current_version(api: Api, who: str = "director") -> int:
    """The tenant's current rules version as ``who`` reads it (0: none yet)."""
    current = api.client.get("/v1/rules/versions", headers=api.auth(who)).json()["current"]
    return 0 if current is None else int(current)


def post_rules(api: Api, body: dict[str, Any], who: str = "director") -> Any:
    """Post ``body`` on the current version (as a director's form does after reading it),
    unless the body names its own ``base_version``."""
    based = {"base_version": current_version(api, who), **body}
    return api.client.post("/v1/rules", json=based, headers=api.auth(who))


def codes(verdict: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in verdict["reasons"]]


def unknown_skus(verdict: dict[str, Any]) -> set[str]:
    """The featured SKUs the verdict looked for (none is registered with reference photos
    in this store, so each one is reported as FEATURED_UNKNOWN_SKU)."""
    messages = [r["message"] for r in verdict["shelf"]["reasons"]
                if r["code"] == "FEATURED_UNKNOWN_SKU"]
    return {sku for sku in ("SKU-EAST", "SKU-WEST", "SKU-ALL", "SKU-OLD")
            if any(sku in message for message in messages)}


def test_a_director_posts_versions_and_everyone_in_the_tenant_reads_them(api: Api) -> None:
    first = post_rules(api, rules_body(("east", ["SKU-EAST"], today_period()), note="nov"))
    assert first.status_code == 201, first.text
    assert (first.json()["version"], first.json()["created_by"], first.json()["note"]) == \
        (1, "d1", "nov")
    second = post_rules(api, rules_body(), who="admin")
    assert (second.status_code, second.json()["version"]) == (201, 2)
    for who in ("rep", "manager", "director"):
        current = api.client.get("/v1/rules", headers=api.auth(who))
        assert (current.status_code, current.json()["version"]) == (200, 2)
    old = api.client.get("/v1/rules/1", headers=api.auth("rep"))
    assert old.status_code == 200
    assert old.json()["featured"] == [{"region": "east", "skus": ["SKU-EAST"],
                                       "valid_from": today_period()[0],
                                       "valid_until": today_period()[1]}]
    assert old.json()["default_fixture_type"] == "gondola"
    versions = api.client.get("/v1/rules/versions", headers=api.auth("manager")).json()
    assert versions["current"] == 2
    assert [(v["version"], v["created_by"]) for v in versions["data"]] == [(1, "d1"),
                                                                           (2, "a1")]


@pytest.mark.parametrize("who", ["rep", "manager", "manager_t2"])
@pytest.mark.parametrize("body", [rules_body(), {"golden_zones": "bad"}], ids=["good", "bad"])
def test_only_directors_and_admins_post(api: Api, who: str, body: dict[str, Any]) -> None:
    response = post_rules(api, body, who=who)
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert api.client.get("/v1/rules/versions",
                          headers=api.auth("director")).json()["data"] == []


def test_without_a_token_nothing_is_answered(api: Api) -> None:
    assert api.client.post("/v1/rules", json=rules_body()).status_code == 401
    assert api.client.get("/v1/rules").json()["code"] == "UNAUTHENTICATED"


def test_tenants_are_isolated(api: Api) -> None:
    assert post_rules(api, rules_body()).status_code == 201
    assert post_rules(api, rules_body()).status_code == 201
    for path in ("/v1/rules", "/v1/rules/1"):
        response = api.client.get(path, headers=api.auth("other_tenant_admin"))
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    assert api.client.get("/v1/rules/versions",
                          headers=api.auth("other_tenant_rep")).json() == {"data": [],
                                                                           "current": None}
    theirs = post_rules(api, rules_body(), who="other_tenant_admin")
    assert (theirs.status_code, theirs.json()["version"]) == (201, 1)
    assert api.client.get("/v1/rules", headers=api.auth("rep")).json()["version"] == 2


def test_no_rules_yet_and_unknown_versions_are_404(api: Api) -> None:
    assert api.client.get("/v1/rules", headers=api.auth("director")).status_code == 404
    assert post_rules(api, rules_body()).status_code == 201
    for path in ("/v1/rules/2", "/v1/rules/99"):
        response = api.client.get(path, headers=api.auth("director"))
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")
    response = api.client.get("/v1/rules/0", headers=api.auth("director"))
    assert (response.status_code, response.json()["code"]) == (422, "OUT_OF_RANGE")


def nested(levels: int) -> Any:
    """A list nested ``levels`` deep (a hostile policy value)."""
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"golden_zones": {"gondola": {"rows_by_shelf_count": {"5": [7]}}}}, "BAD_POLICY",
     "golden_zones.gondola"),
    ({"golden_zones": {"cooler": {"min_share": 2}}}, "BAD_POLICY", "golden_zones.cooler"),
    ({"golden_zones": {"gondola": {"shelf_colour": "red"}}}, "BAD_POLICY",
     "golden_zones.gondola"),
    (rules_body(("east", ["SKU-1"], ("2026-12-01", "2026-11-01"))), "BAD_PERIOD",
     "featured.0.valid_until"),
    ({"default_fixture_type": "pallet"}, "UNKNOWN_FIXTURE_TYPE", "default_fixture_type"),
    ({"evidence": {"clinic": ["selfie"]}}, "UNKNOWN_ENUM_VALUE", "evidence.clinic.0"),
    ({"evidence": {"spaceport": ["contract_number"]}}, "UNKNOWN_ENUM_VALUE",
     "evidence.spaceport.[key]"),
    (rules_body(("east", [], today_period())), "EMPTY_FIELD", "featured.0.skus"),
    (rules_body(("", ["SKU-1"], today_period())), "EMPTY_FIELD", "featured.0.region"),
    ({"featured": [{"skus": ["SKU-1"], "valid_from": "2026-11-01"}]}, "MISSING_FIELD",
     "featured.0.valid_until"),
    ({"colour": "red"}, "UNKNOWN_FIELD", "colour"),
    ({"golden_zones": {"gondola": {"height_band_cm": nested(500)}}}, "INVALID_VALUE",
     "golden_zones"),
])
def test_bad_rules_are_422_with_a_stable_code_and_nothing_is_stored(
        api: Api, body: dict[str, Any], code: str, field: str) -> None:
    response = post_rules(api, body)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert api.client.get("/v1/rules/versions",
                          headers=api.auth("director")).json()["current"] is None


def stored_rules_versions(api: Api, checkin_id: str) -> list[int | None]:
    with api.database.connect() as connection:
        return list(connection.execute(
            sa.select(verifications.c.rules_version)
            .where(verifications.c.checkin_id == uuid.UUID(checkin_id))
            .order_by(verifications.c.id)).scalars())


def test_each_checkin_records_the_rules_version_that_judged_it(api: Api) -> None:
    before = api.upload(make_upload_meta(), shelf_photo(1))
    assert before.status_code == 201
    assert before.json()["rules_version"] is None
    assert stored_rules_versions(api, before.json()["checkin_id"]) == [None, None]
    assert post_rules(api, rules_body()).status_code == 201
    first = api.upload(make_upload_meta(), shelf_photo(2))
    assert first.status_code == 201
    assert first.json()["rules_version"] == 1
    assert first.json()["shelf"]["policy_version"] == "rules-1/gondola"
    assert stored_rules_versions(api, first.json()["checkin_id"]) == [1, 1, 1]
    assert post_rules(api, rules_body(), who="admin").status_code == 201
    second = api.upload(make_upload_meta(), shelf_photo(3))
    assert second.json()["rules_version"] == 2
    assert stored_rules_versions(api, second.json()["checkin_id"]) == [2, 2, 2]
    read_back = {checkin["id"]: checkin["verdict"]["rules_version"] for checkin in
                 api.client.get("/v1/checkins", headers=api.auth("director")).json()["data"]}
    assert read_back == {before.json()["checkin_id"]: None, first.json()["checkin_id"]: 1,
                         second.json()["checkin_id"]: 2}


def test_featured_skus_by_region_and_period_take_effect_on_the_next_upload(api: Api) -> None:
    with api.database.begin() as connection:
        Store(connection, TENANT).reference.put_teams([make_team("t2", region="west")])
    assert unknown_skus(api.upload(make_upload_meta(), shelf_photo(1)).json()) == set()
    assert post_rules(api, rules_body(
        ("east", ["SKU-EAST"], today_period()), ("west", ["SKU-WEST"], today_period()),
        ("*", ["SKU-ALL"], today_period()),
        ("east", ["SKU-OLD"], (date(2025, 1, 1).isoformat(), date(2025, 1, 31).isoformat())),
    )).status_code == 201
    east = api.upload(make_upload_meta(), shelf_photo(2), who="rep").json()  # r1, team t1
    assert unknown_skus(east) == {"SKU-EAST", "SKU-ALL"}
    west = api.upload(make_upload_meta(), shelf_photo(3), who="rep3").json()  # r3, team t2
    assert unknown_skus(west) == {"SKU-WEST", "SKU-ALL"}
    assert post_rules(api, rules_body(("east", ["SKU-OLD"], today_period()))).status_code \
        == 201
    assert unknown_skus(api.upload(make_upload_meta(), shelf_photo(4)).json()) == {"SKU-OLD"}


def test_the_fixture_type_picks_the_golden_zone(api: Api) -> None:
    zones = {"gondola": {}, "cooler": {"height_band_cm": [100, 160],
                                       "fixture_height_cm": 200}}
    assert post_rules(api, {"golden_zones": zones,
                            "default_fixture_type": "cooler"}).status_code == 201
    default = api.upload(make_upload_meta(), shelf_photo(1))
    assert default.json()["shelf"]["policy_version"] == "rules-1/cooler"
    meta = {**make_upload_meta(), "fixture_type": "gondola"}
    chosen = api.upload(meta, shelf_photo(2))
    assert chosen.status_code == 201
    assert chosen.json()["shelf"]["policy_version"] == "rules-1/gondola"
    assert api.upload(meta, shelf_photo(2)).status_code == 200  # a retry, same fixture type
    unknown = api.upload({**make_upload_meta(), "fixture_type": "pallet"}, shelf_photo(3))
    assert unknown.status_code == 422
    assert (unknown.json()["code"], unknown.json()["field"]) == ("UNKNOWN_FIXTURE_TYPE",
                                                                 "meta.fixture_type")
    assert api.stored()[0] == 2


def test_missing_mandatory_evidence_sends_the_checkin_to_review(api: Api) -> None:
    assert post_rules(api, {"evidence": {"supermarket": ["contract_number",
                                                         "next_action_contact"]}}
                      ).status_code == 201
    without = api.upload(make_upload_meta(), shelf_photo(1)).json()
    assert codes(without).count("MANDATORY_EVIDENCE_MISSING") == 2
    assert without["status"] in {"needs_review", "rejected"}
    messages = [r["message"] for r in without["reasons"]
                if r["code"] == "MANDATORY_EVIDENCE_MISSING"]
    assert any("contract number" in m for m in messages)
    assert any("contact person" in m for m in messages)
    meta = make_upload_meta()
    meta["commitment"]["contract_number"] = "HT-2026-001"  # type: ignore[index]
    meta["next_action"]["contact_id"] = "k1"  # type: ignore[index]
    complete = api.upload(meta, shelf_photo(2)).json()
    assert "MANDATORY_EVIDENCE_MISSING" not in codes(complete)
    with api.database.connect() as connection:
        stored = Store(connection, TENANT).checkins.get(uuid.UUID(without["checkin_id"]))
    assert stored is not None
    evidence = [v for v in stored.verifications if v.checker == "evidence"]
    assert [(v.status.value, v.policy_version) for v in evidence] == [("needs_review",
                                                                       "rules-1")]

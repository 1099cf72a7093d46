"""``/v1/phi``, ``/v1/overlap`` and ``/v1/coverage-gaps`` through the real app and store:
figures equal to the CLI's, scope per role and tenant, and refusals with their codes.

On top of the conftest company (acme: t1 = r1, r2; t2 = r3), :func:`seed_reports` adds, in
Asia/Shanghai (UTC+8), judged at :data:`NOW` (1 Dec 00:00 local):

    c1 (A, r1)  visited by r1 and r2 on 3, 4 and 10 Nov      covered (20.3 days)
    c2 (B, r1)  visited by r1 and r2 on 3 and 4 Nov          gap, last touch r2
    c3 (B, r2)  visited by r2 on 10 Nov                      covered
    c6 (A, r2)  never visited                                gap
    c4 (A, r3)  visited by r3 on 5 Nov                       gap
    c5 (C, r3)  only a rejected check-in by r3               gap
    globex c1 (g1) never visited                             gap of the other tenant
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from application.phi_inputs import tables_from_store
from phi.periods import parse_period
from phi.report import build_report
from phi.report_export import report_to_dict
from serving.schemas_reports import PhiReportPublic
from tests.api_harness import Api
from tests.builders import (
    HANGZHOU,
    TENANT,
    make_checkin,
    make_customer,
    make_fix,
    make_lead,
    shifted,
    with_verdict,
)
from visitproof.records import CheckinStatus
from visitproof.store import Database, Store
from visitproof.values import parse_utc

NOW = "2026-12-01T00:00:00+08:00"
WHERE = {"c1": (0, 0), "c2": (0, 1500), "c3": (800, 600), "c4": (3000, 3000),
         "c5": (-2500, 2000), "c6": (-1200, -900)}
OWNERS = {"c1": ("A", "r1"), "c2": ("B", "r1"), "c3": ("B", "r2"), "c4": ("A", "r3"),
          "c5": ("C", "r3"), "c6": ("A", "r2")}


def place(customer: str) -> tuple[float, float]:
    north, east = WHERE[customer]
    return shifted(*HANGZHOU, north_m=north, east_m=east)


def visit(rep: str, customer: str, day: int, hour: int,
          status: CheckinStatus = CheckinStatus.VERIFIED) -> Any:
    departed = f"2026-11-{day:02d}T{hour:02d}:40:00+00:00"
    checkin = make_checkin(rep=rep, customer=customer,
                           arrived=f"2026-11-{day:02d}T{hour:02d}:00:00+00:00",
                           departed=departed, captured=departed, submitted=departed,
                           fix=make_fix(*place(customer), t=departed), status=status)
    if status is CheckinStatus.VERIFIED:
        return with_verdict(checkin, status)
    return with_verdict(checkin, status, "GPS_OUTSIDE_GEOFENCE")


def seed_reports(database: Database) -> dict[str, Any]:
    """The customers and visits above; returns the check-ins by name."""
    made = {
        "r1_c1": visit("r1", "c1", 10, 1), "r3_c4": visit("r3", "c4", 5, 2),
        "r3_c5_rejected": visit("r3", "c5", 6, 3, CheckinStatus.REJECTED),
        "r2_c3": visit("r2", "c3", 10, 5),
    }
    more = [visit(rep, customer, day, hour) for day in (3, 4, 10)
            for rep in ("r1", "r2") for hour, customer in ((1, "c1"), (3, "c2"))
            if not (day == 10 and (customer == "c2" or rep == "r1"))]
    with database.begin() as connection:
        acme = Store(connection, TENANT)
        acme.reference.put_customers([make_customer(c, *place(c), tier=tier, reps=(rep,))
                                      for c, (tier, rep) in OWNERS.items()])
        acme.crm.put_leads([make_lead("l1", created="2026-11-03T08:00:00+00:00", rep="r1",
                                      first_touch="2026-11-03T09:00:00+00:00"),
                            make_lead("l2", created="2026-11-05T08:00:00+00:00", rep="r3",
                                      customer="c4")])
        acme.checkins.add_many([*made.values(), *more])
    return made


@pytest.fixture
def seeded(api: Api) -> tuple[Api, dict[str, Any]]:
    return api, seed_reports(api.database)


def _get(api: Api, who: str | None, path: str, **params: Any) -> Any:
    headers = api.auth(who) if who else {}
    return api.client.get(path, params=params, headers=headers)


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# -- /v1/phi ------------------------------------------------------------------------------------

def _phi(api: Api, who: str, **params: Any) -> Any:
    return _get(api, who, "/v1/phi", period="2026-11", now=NOW, **params)


@pytest.mark.parametrize(("who", "params", "team", "reps"), [
    ("manager", {}, "t1", ["r1", "r2"]),
    ("manager", {"team": "t1"}, "t1", ["r1", "r2"]),
    ("manager_t2", {}, "t2", ["r3"]),
    ("director", {}, None, ["r1", "r2", "r3"]),
    ("director", {"team": "t2"}, "t2", ["r3"]),
    ("admin", {}, None, ["r1", "r2", "r3"]),
    ("rep", {}, None, ["r1"]),
    ("other_tenant_admin", {}, None, ["g1"]),
])
def test_phi_is_scoped_to_the_callers_reps(seeded: tuple[Api, Any], who: str,
                                           params: dict[str, str], team: str | None,
                                           reps: list[str]) -> None:
    api, _ = seeded
    response = _phi(api, who, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["team"] == team
    assert [row["rep_id"] for row in body["reps"]] == reps
    assert {w["rep_id"] for w in body["warnings"]} <= {*reps, None}
    assert set(body["excluded_checkins"]["by_rep"]) <= set(reps)


def test_phi_figures_are_the_clis(seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    body = _phi(api, "manager").json()
    with api.database.connect() as connection:
        tables = tables_from_store(connection, TENANT)
    expected = report_to_dict(build_report(
        tables, period=parse_period("2026-11", "Asia/Shanghai"),
        now=parse_utc(NOW, "now"), team="t1"))
    # The same figures; only instants are written the API's way (Z for UTC).
    assert body == PhiReportPublic.model_validate(expected).model_dump(
        mode="json", exclude_unset=True)
    assert body["period"]["start"] == "2026-10-31T16:00:00Z"  # local midnight, UTC+8
    assert body["definition"] == "phi-2"  # the PHI definition version that computed it
    l1 = next(row for row in body["reps"] if row["rep_id"] == "r1")
    assert l1["counts"]["leads_new"] == 1


def test_a_reps_phi_is_computed_from_their_own_data_only(seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    body = _phi(api, "rep3").json()
    assert [row["rep_id"] for row in body["reps"]] == ["r3"]
    assert (body["teams"], body["regions"]) == ([], [])
    assert body["total"]["counts"]["leads_new"] == 1  # l2 only; r1's l1 is not counted
    assert body["excluded_checkins"]["by_reason"] == {"GPS_OUTSIDE_GEOFENCE": 1}


def test_phi_as_csv(seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    response = _phi(api, "manager", format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="phi-2026-11.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["period"], row["rep_id"], row["team_id"]) for row in rows] == [
        ("2026-11", "r1", "t1"), ("2026-11", "r2", "t1")]


@pytest.mark.parametrize(("who", "params", "status", "code"), [
    ("manager", {"team": "t2"}, 404, "NOT_FOUND"),  # another team: like a missing one
    ("manager", {"team": "nope"}, 404, "NOT_FOUND"),
    ("director", {"team": "nope"}, 404, "NOT_FOUND"),
    ("rep", {"team": "t2"}, 404, "NOT_FOUND"),
    ("manager", {"period": "2026-13"}, 422, "BAD_PERIOD"),
    ("manager", {"period": "November"}, 422, "BAD_PERIOD"),
    ("manager", {"period": "2026-11-30..2026-11-01"}, 422, "BAD_PERIOD"),
    ("manager", {"format": "xml"}, 422, "UNKNOWN_ENUM_VALUE"),
    ("manager", {"trend": "0"}, 422, "OUT_OF_RANGE"),
    ("manager", {"now": "2026-12-01T00:00:00"}, 422, "NAIVE_TIMESTAMP"),
    (None, {}, 401, "UNAUTHENTICATED"),
])
def test_phi_refusals(seeded: tuple[Api, Any], who: str | None, params: dict[str, str],
                      status: int, code: str) -> None:
    api, _ = seeded
    body = _error(_get(api, who, "/v1/phi", **{"period": "2026-11", "now": NOW, **params}),
                  status, code)
    if code == "BAD_PERIOD":
        assert body["field"] == "period"
        assert "2026-W45" in body["message"] or "ends before" in body["message"] \
            or "not a real date" in body["message"]
    if who == "manager" and status == 404:
        assert body["message"] == f"no team {params['team']!r}"  # names no other team


def test_phi_needs_a_period(seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    body = _error(_get(api, "manager", "/v1/phi"), 422, "MISSING_FIELD")
    assert body["field"] == "period"


# -- /v1/overlap --------------------------------------------------------------------------------

def _overlap(api: Api, who: str | None, **params: Any) -> Any:
    return _get(api, who, "/v1/overlap", **{"from": "2026-11-01", "to": "2026-11-30",
                                            "now": NOW, **params})


def _layer(body: dict[str, Any], layer: str, key: str) -> list[str]:
    return sorted(f["properties"][key] for f in body["features"]
                  if f["properties"]["layer"] == layer)


@pytest.mark.parametrize(("who", "reps", "customers"), [
    ("manager", ["r1", "r2"], ["c1", "c2", "c3", "c6"]),
    ("manager_t2", ["r3"], ["c4", "c5"]),
    ("director", ["r1", "r2", "r3"], ["c1", "c2", "c3", "c4", "c5", "c6"]),
    ("admin", ["r1", "r2", "r3"], ["c1", "c2", "c3", "c4", "c5", "c6"]),
    ("other_tenant_admin", [], ["c1"]),
])
def test_overlap_geojson_in_scope(seeded: tuple[Api, Any], who: str, reps: list[str],
                                  customers: list[str]) -> None:
    api, _ = seeded
    response = _overlap(api, who)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert "crs" not in body  # RFC 7946: coordinates are lon/lat; areas say metric_crs
    assert body["metric_crs"] == "EPSG:32651"
    assert _layer(body, "footprint", "rep_id") == reps
    assert _layer(body, "route", "rep_id") == reps
    assert _layer(body, "customer", "customer_id") == customers
    assert sorted(r["rep_id"] for r in body["reps"]) == reps
    for feature in body["features"]:
        lon, lat = _first_position(feature["geometry"])
        assert 120 < lon < 121
        assert 30 < lat < 31


def test_overlap_figures_and_matrix(seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    body = _overlap(api, "manager", top=2).json()
    (pair,) = body["pairs"]
    assert (pair["rep_a"], pair["rep_b"], pair["shared_accounts"]) == ("r1", "r2", 2)
    assert body["top"]["reps"] == ["r2", "r1"]  # most verified visits first
    assert len(body["top"]["iou"]) == 2
    overlaps = [f["properties"] for f in body["features"]
                if f["properties"]["layer"] == "overlap"]
    assert [(o["rep_a"], o["rep_b"]) for o in overlaps] == [("r1", "r2")]
    status = {f["properties"]["customer_id"]: f["properties"]["status"]
              for f in body["features"] if f["properties"]["layer"] == "customer"}
    assert status == {"c1": "covered", "c2": "neglected", "c3": "covered", "c6": "never"}
    assert body["period"] == {"from": "2026-10-31T16:00:00Z", "to": "2026-11-30T16:00:00Z"}


def test_another_teams_visits_count_as_coverage_but_are_not_drawn(
        seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    with api.database.begin() as connection:
        Store(connection, TENANT).checkins.add_many([visit("r3", "c2", 25, 2)])
    body = _overlap(api, "manager").json()
    status = {f["properties"]["customer_id"]: f["properties"]["status"]
              for f in body["features"] if f["properties"]["layer"] == "customer"}
    assert status["c2"] == "covered"
    assert _layer(body, "footprint", "rep_id") == ["r1", "r2"]


@pytest.mark.parametrize(("who", "params", "status", "code", "field"), [
    ("rep", {}, 403, "FORBIDDEN", None),
    (None, {}, 401, "UNAUTHENTICATED", None),
    ("manager", {"from": "2026-13-01"}, 422, "BAD_DATE", "from"),
    ("manager", {"to": "30/11/2026"}, 422, "BAD_DATE", "to"),
    ("manager", {"from": "2026-12-01"}, 422, "TIME_ORDER", "to"),
    ("manager", {"from": "2025-01-01"}, 422, "PERIOD_TOO_LONG", "to"),
    ("manager", {"top": "0"}, 422, "OUT_OF_RANGE", "top"),
    ("manager", {"buffer_m": "nan"}, 422, "NUMBER_NOT_FINITE", "buffer_m"),
    ("manager", {"neglect_days": "x"}, 422, "BAD_TYPE", "neglect_days"),
])
def test_overlap_refusals(seeded: tuple[Api, Any], who: str | None, params: dict[str, str],
                          status: int, code: str, field: str | None) -> None:
    api, _ = seeded
    body = _error(_overlap(api, who, **params), status, code)
    assert body.get("field") == field


def test_overlap_without_customers_is_refused(seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    with api.database.begin() as connection:
        connection.exec_driver_sql("DELETE FROM customer_reps WHERE tenant_id = 'globex'")
        connection.exec_driver_sql("DELETE FROM customers WHERE tenant_id = 'globex'")
    _error(_overlap(api, "other_tenant_admin"), 422, "EMPTY_INPUT")


# -- /v1/coverage-gaps --------------------------------------------------------------------------

def _gaps(api: Api, who: str | None, **params: Any) -> Any:
    return _get(api, who, "/v1/coverage-gaps", **{"now": NOW, **params})


@pytest.mark.parametrize(("who", "params", "expected"), [
    ("manager", {}, [("c6", "NEVER_VISITED", None), ("c2", "NOT_VISITED_RECENTLY", "r2")]),
    ("manager_t2", {}, [("c4", "NOT_VISITED_RECENTLY", "r3"), ("c5", "NEVER_VISITED", None)]),
    ("director", {}, [("c6", "NEVER_VISITED", None), ("c4", "NOT_VISITED_RECENTLY", "r3"),
                      ("c2", "NOT_VISITED_RECENTLY", "r2"), ("c5", "NEVER_VISITED", None)]),
    # r1 sees their own customer c2, but not that r2 touched it last.
    ("rep", {}, [("c2", "NOT_VISITED_RECENTLY", None)]),
    ("rep3", {}, [("c4", "NOT_VISITED_RECENTLY", "r3"), ("c5", "NEVER_VISITED", None)]),
    ("other_tenant_admin", {}, [("c1", "NEVER_VISITED", None)]),
    ("director", {"tier": "A"}, [("c6", "NEVER_VISITED", None),
                                 ("c4", "NOT_VISITED_RECENTLY", "r3")]),
    ("director", {"rep_id": "r3"}, [("c4", "NOT_VISITED_RECENTLY", "r3"),
                                    ("c5", "NEVER_VISITED", None)]),
    ("manager", {"rep_id": "r3"}, []),  # outside the team: nothing, not an error
    ("manager", {"neglect_days": "30"}, [("c6", "NEVER_VISITED", None)]),
])
def test_coverage_gaps_in_scope(seeded: tuple[Api, Any], who: str, params: dict[str, str],
                                expected: list[tuple[str, str, str | None]]) -> None:
    api, _ = seeded
    response = _gaps(api, who, **params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    got = [(g["customer_id"], g["reason"]["code"], g["last_touch_rep_id"])
           for g in body["data"]]
    assert got == expected
    assert body["count"] == len(expected)
    assert body["now"] == "2026-11-30T16:00:00Z"


def test_coverage_gap_fields_and_paging(seeded: tuple[Api, Any]) -> None:
    api, _ = seeded
    body = _gaps(api, "director", limit=2, offset=1).json()
    assert body["count"] == 4
    assert [g["customer_id"] for g in body["data"]] == ["c4", "c2"]
    c4 = body["data"][0]
    assert c4["last_touch"] == "2026-11-05T02:40:00Z"
    assert c4["days_untouched"] == pytest.approx(25.56, abs=0.01)
    assert c4["reason"]["message"] == "no verified visit for 25.6 days (limit 21)"
    assert (c4["owner_rep_ids"], c4["tier"]) == (["r3"], "A")
    assert (c4["lat"], c4["lon"]) == pytest.approx(place("c4"))


@pytest.mark.parametrize(("params", "status", "code"), [
    ({"neglect_days": "0"}, 422, "OUT_OF_RANGE"),
    ({"tier": "D"}, 422, "UNKNOWN_ENUM_VALUE"),
    ({"limit": "0"}, 422, "OUT_OF_RANGE"),
    ({"now": "yesterday"}, 422, "BAD_TIMESTAMP"),
])
def test_coverage_gap_refusals(seeded: tuple[Api, Any], params: dict[str, str], status: int,
                               code: str) -> None:
    api, _ = seeded
    _error(_gaps(api, "manager", **params), status, code)
    _error(_gaps(api, None), 401, "UNAUTHENTICATED")


def test_the_reports_are_in_the_openapi_document(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    assert "application/geo+json" in paths["/v1/overlap"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in paths["/v1/phi"]["get"]["responses"]["200"]["content"]
    assert paths["/v1/coverage-gaps"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/CoverageGapsPublic"}


def _first_position(geometry: dict[str, Any]) -> tuple[float, float]:
    coordinates: Any = geometry["coordinates"]
    while isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    return float(coordinates[0]), float(coordinates[1])




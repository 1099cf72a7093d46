"""Periods, days and instants at the edges of the calendar, through the real app and store:
outside the supported years (1970 to 2199) a 422 ``BAD_PERIOD`` / ``BAD_DATE`` /
``BAD_TIMESTAMP`` naming them, on the API as JSON and on the manager pages as their HTML
error page; at the edges themselves (in the time zones furthest from UTC) a 200; and stored
check-ins whose own clocks say year 1 or 9999 never break a report.

The company is :mod:`tests.serving.test_reports`' (acme in Asia/Shanghai, judged at 1 Dec
2026); the zone tests move acme to UTC+14 or UTC-12 first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.settings import Settings
from serving.app import create_app
from serving.routes.pages import COOKIE
from tests.api_harness import Api, seed
from tests.builders import TENANT, make_checkin, make_tenant, with_verdict
from tests.serving.test_reports import NOW, seed_reports
from visitproof.records import CheckinStatus
from visitproof.store import Store, open_database

HTML = "text/html; charset=utf-8"
YEARS = "1970 to 2199"
FAR_EAST, FAR_WEST = "Pacific/Kiritimati", "Etc/GMT+12"  # UTC+14, UTC-12

# Periods outside the calendar, by class: year 1, year 9999, just outside either end,
# weeks at either end (week 53 included), ranges that reach out of it.
OUTSIDE_PERIODS = [
    "0001-01", "0001-12", "0001-W01", "0001-W52", "0001-01-01..0001-01-01",
    "0001-01-01..2026-11-30", "9999-01", "9999-12", "9999-W01", "9999-W52", "9999-W53",
    "9999-12-31..9999-12-31", "2026-11-01..9999-12-31", "0001-01-01..9999-12-31",
    "1969-12", "1969-W52", "1969-12-31..1970-01-31", "2200-01", "2200-W01",
    "2199-12-31..2200-01-01", "0000-01", "0000-W01",
]
# Periods at the calendar's edges that must be answered.
EDGE_PERIODS = ["1970-01", "1970-W01", "1970-01-01..1970-01-01", "2199-12", "2199-W52",
                "2199-12-31..2199-12-31", "1970-01-01..2199-12-31"]
OUTSIDE_DAYS = ["0001-01-01", "0001-12-31", "9999-12-31", "9999-01-01", "1969-12-31",
                "2200-01-01", "0000-01-01"]
OUTSIDE_INSTANTS = ["0001-01-01T00:00:00+08:00", "0001-01-01T00:00:00Z",
                    "9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59Z",
                    "1969-12-31T23:59:59Z", "1970-01-01T07:59:59+08:00",
                    "2200-01-01T00:00:00Z"]


@pytest.fixture
def seeded(api: Api) -> Api:
    """The company on a store of its own, for tests that change it."""
    seed_reports(api.database)
    return api


@contextmanager
def started_api(folder: Path) -> Iterator[Api]:
    """The harness' company (``seed``) and app (``create_app``) on a store in ``folder``,
    for module-scoped fixtures: tests that only read can share one."""
    database = open_database(f"sqlite:///{folder / 'visitproof.sqlite3'}", create_dir=True)
    database.migrate()
    with database.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant())
    tokens = seed(database)
    settings = Settings(data_dir=folder)
    app = create_app(settings)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Api(client=client, app=app, database=database,
                      photos_dir=settings.photos_dir, tokens=tokens)
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The company, started once for the tests that only read (a refusal changes nothing)."""
    with started_api(tmp_path_factory.mktemp("calendar") / "store") as api:
        seed_reports(api.database)
        yield api


def _move_tenant(api: Api, timezone: str) -> None:
    with api.database.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant(timezone=timezone))


def _refused(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body.get("field") == field, body
    return body


def _page_refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == HTML
    text: str = response.text
    assert f"<code>{code}</code>" in text
    return text


def _sign_in(api: Api, who: str = "manager") -> None:
    api.client.cookies.set(COOKIE, api.tokens[who])


# -- the API ------------------------------------------------------------------------------------

@pytest.mark.parametrize("period", OUTSIDE_PERIODS)
@pytest.mark.parametrize("who", ["manager", "director", "rep"])
def test_phi_outside_the_calendar_is_bad_period(shared: Api, who: str, period: str) -> None:
    response = shared.client.get("/v1/phi", params={"period": period, "now": NOW},
                                 headers=shared.auth(who))
    body = _refused(response, 422, "BAD_PERIOD", "period")
    assert YEARS in body["message"] or "not a real date" in body["message"]


@pytest.mark.parametrize("timezone", [FAR_EAST, FAR_WEST, "Asia/Shanghai"])
def test_phi_at_the_calendars_edges_is_answered(seeded: Api, timezone: str) -> None:
    """Each edge period in the zones furthest from UTC (its midnights then lie outside the
    calendar's years in UTC), with the longest trend."""
    _move_tenant(seeded, timezone)
    for period in EDGE_PERIODS:
        response = seeded.client.get("/v1/phi", params={"period": period, "now": NOW,
                                                        "trend": "24"},
                                     headers=seeded.auth("director"))
        assert response.status_code == 200, (period, response.text)
        body = response.json()
        assert (body["period"]["label"], body["period"]["timezone"]) == (period, timezone)
        # The trend starts with the calendar: nothing before 1970 is asked for.
        assert 1 <= len(body["trend_periods"]) <= 24
        assert all(label >= "1970" for label in body["trend_periods"]), period


@pytest.mark.parametrize(("period", "trend"), [
    ("1970-01", ["1970-01"]), ("1970-03", ["1970-01", "1970-02", "1970-03"]),
    ("1970-W01", ["1970-W01"]), ("1970-01-01..1970-01-10", ["1970-01-01..1970-01-10"]),
    ("1970-01-11..1970-01-20", ["1970-01-01..1970-01-10", "1970-01-11..1970-01-20"]),
])
def test_a_trend_stops_at_the_calendars_start(shared: Api, period: str,
                                              trend: list[str]) -> None:
    response = shared.client.get("/v1/phi", params={"period": period, "now": NOW,
                                                    "trend": "24"},
                                 headers=shared.auth("manager"))
    assert response.status_code == 200, response.text
    assert response.json()["trend_periods"] == trend


@pytest.mark.parametrize("period", ["٢٠٢٦-١١", "２０２６-11", "2026-11\x00", "2026-1１"])
def test_phi_periods_take_ascii_digits_only(shared: Api, period: str) -> None:
    response = shared.client.get("/v1/phi", params={"period": period, "format": "csv",
                                                    "now": NOW},
                                 headers=shared.auth("manager"))
    _refused(response, 422, "BAD_PERIOD", "period")


@pytest.mark.parametrize("day", OUTSIDE_DAYS)
@pytest.mark.parametrize("field", ["from", "to"])
def test_overlap_days_outside_the_calendar_are_bad_date(shared: Api, field: str,
                                                        day: str) -> None:
    params = {"from": "2026-11-01", "to": "2026-11-30", "now": NOW, field: day}
    response = shared.client.get("/v1/overlap", params=params,
                                 headers=shared.auth("director"))
    body = _refused(response, 422, "BAD_DATE", field)
    assert YEARS in body["message"]


EDGE_RANGES = [("1970-01-01", "1970-01-01"), ("1970-01-01", "1970-02-15"),
               ("2199-12-31", "2199-12-31"), ("2199-11-15", "2199-12-31")]


@pytest.mark.parametrize("timezone", [FAR_EAST, FAR_WEST])
def test_overlap_at_the_calendars_edges_is_answered(seeded: Api, timezone: str) -> None:
    _move_tenant(seeded, timezone)
    for first, last in EDGE_RANGES:
        for now in (NOW, "1970-01-01T00:00:00Z", "2199-12-31T23:59:59Z"):
            response = seeded.client.get("/v1/overlap", params={"from": first, "to": last,
                                                                "now": now},
                                         headers=seeded.auth("manager"))
            assert response.status_code == 200, (first, last, now, response.text)
            assert response.json()["type"] == "FeatureCollection"


@pytest.mark.parametrize("now", OUTSIDE_INSTANTS)
@pytest.mark.parametrize(("path", "params"), [
    ("/v1/phi", {"period": "2026-11"}),
    ("/v1/overlap", {"from": "2026-11-01", "to": "2026-11-30"}),
    ("/v1/coverage-gaps", {}),
])
def test_now_outside_the_calendar_is_bad_timestamp(shared: Api, path: str,
                                                   params: dict[str, str], now: str) -> None:
    response = shared.client.get(path, params={**params, "now": now},
                                 headers=shared.auth("director"))
    _refused(response, 422, "BAD_TIMESTAMP", "now")


@pytest.mark.parametrize("year", [1, 1900, 9999])
def test_checkins_with_clocks_at_the_ends_of_time_break_no_report(seeded: Api,
                                                                  year: int) -> None:
    """Stored as rejected (their clock is broken or tampered with), they are in the PHI
    tables every report reads."""
    stamp = f"{year:04d}-{12 if year == 9999 else 1:02d}-{30 if year == 9999 else 2:02d}"
    checkin = make_checkin(rep="r1", customer="c1", arrived=f"{stamp}T09:00:00+00:00",
                           departed=f"{stamp}T09:40:00+00:00",
                           captured=f"{stamp}T09:20:00+00:00",
                           submitted="2026-11-20T09:48:00+00:00",
                           due=f"{stamp}T10:00:00+00:00", status=CheckinStatus.REJECTED)
    with seeded.database.begin() as connection:
        Store(connection, TENANT).checkins.add_many(
            [with_verdict(checkin, CheckinStatus.REJECTED, "CLOCK_IMPLAUSIBLE")])
    for who in ("manager", "director", "rep"):
        phi = seeded.client.get("/v1/phi", params={"period": "2026-11", "now": NOW},
                                headers=seeded.auth(who))
        assert phi.status_code == 200, phi.text
        gaps = seeded.client.get("/v1/coverage-gaps", params={"now": NOW},
                                 headers=seeded.auth(who))
        assert gaps.status_code == 200, gaps.text
    overlap = seeded.client.get("/v1/overlap", params={"from": "2026-11-01",
                                                       "to": "2026-11-30", "now": NOW},
                                headers=seeded.auth("manager"))
    assert overlap.status_code == 200, overlap.text


# -- the manager pages --------------------------------------------------------------------------

@pytest.mark.parametrize("period", OUTSIDE_PERIODS[::2])
def test_phi_page_outside_the_calendar_is_its_error_page(shared: Api, period: str) -> None:
    _sign_in(shared)
    text = _page_refused(shared.client.get("/manager/phi", params={"period": period}), 422,
                         "BAD_PERIOD")
    assert "Check the address" in text
    assert YEARS in text or "not a real date" in text


@pytest.mark.parametrize("params", [
    *({"from": day, "to": "2026-11-30"} for day in OUTSIDE_DAYS[:4]),
    *({"from": "2026-11-01", "to": day} for day in OUTSIDE_DAYS[2:]),
    {"to": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "9999-12-31"},
])
def test_overlap_page_outside_the_calendar_is_its_error_page(shared: Api,
                                                             params: dict[str, str]) -> None:
    _sign_in(shared, "director")
    text = _page_refused(shared.client.get("/manager/overlap", params=params), 422,
                         "BAD_DATE")
    assert YEARS in text


@pytest.mark.parametrize("params", [
    {"to": "1970-01-05"}, {"from": "1970-01-01", "to": "1970-01-01"},
    {"from": "2199-12-01", "to": "2199-12-31"},
])
def test_overlap_page_at_the_calendars_edges(shared: Api, params: dict[str, str]) -> None:
    _sign_in(shared)
    response = shared.client.get("/manager/overlap", params={**params, "tiles": "none"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == HTML

"""Values that used to be accepted without a word, each class a table:

- ``DUE_DATES``: a next action due before the visit's departure (``TIME_ORDER``) or more
  than 366 days after it (``DUE_TOO_FAR``, year 9999 included) is refused, and nothing is
  stored; the edges of the window are taken.
- ``NON_FINITE_BODIES``: ``NaN``, ``Infinity``, ``-Infinity`` or an overflowing ``1e400``
  anywhere in a posted JSON body (a golden-zone policy, an integer, a string, a timestamp)
  is 422 ``NUMBER_NOT_FINITE`` naming its place; ``NON_FINITE_META`` the same inside the
  upload's multipart meta (a latitude or longitude keeps ``COORDINATE_NOT_FINITE``).
- ``BROKEN_CLOCKS``: a check-in whose own times lie in year 1, 1900 or 9999 is still
  judged and stored (rejected), but lists sort by the server's ``submitted_at``, so it no
  longer heads every manager's list.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta

Meta = dict[str, Any]


def departed(meta: Meta) -> datetime:
    return datetime.fromisoformat(str(meta["departed_at"]))


def due(shift: Callable[[datetime], datetime | str]) -> Callable[[Meta], Meta]:
    """The meta with its next action due at ``shift(departure)`` (a time, or raw text)."""
    def change(meta: Meta) -> Meta:
        moment = shift(departed(meta))
        meta["next_action"]["due_at"] = moment if isinstance(moment, str) \
            else moment.isoformat()
        return meta
    return change


DUE_DATES = [
    pytest.param(due(lambda d: d - timedelta(seconds=1)), "TIME_ORDER",
                 id="a second before the departure"),
    pytest.param(due(lambda d: d - timedelta(minutes=20)), "TIME_ORDER",
                 id="during the visit"),
    pytest.param(due(lambda d: d - timedelta(days=40)), "TIME_ORDER", id="weeks before"),
    pytest.param(due(lambda d: "2020-01-01T00:00:00Z"), "TIME_ORDER", id="years before"),
    pytest.param(due(lambda d: "0001-01-01T00:00:00Z"), "TIME_ORDER", id="year 1"),
    pytest.param(due(lambda d: "1900-01-01T00:00:00+08:00"), "TIME_ORDER", id="year 1900"),
    pytest.param(due(lambda d: d + timedelta(days=366, seconds=1)), "DUE_TOO_FAR",
                 id="366 days and a second after"),
    pytest.param(due(lambda d: d + timedelta(days=400)), "DUE_TOO_FAR", id="400 days after"),
    pytest.param(due(lambda d: d + timedelta(days=3650)), "DUE_TOO_FAR", id="ten years"),
    pytest.param(due(lambda d: "9999-12-31T23:59:59Z"), "DUE_TOO_FAR", id="year 9999"),
    pytest.param(due(lambda d: "9999-12-31T23:59:59.999999+00:00"), "DUE_TOO_FAR",
                 id="the last instant"),
    pytest.param(due(lambda d: "9999-12-31T23:00:00+08:00"), "DUE_TOO_FAR",
                 id="year 9999 with an offset"),
]


@pytest.mark.parametrize(("change", "code"), DUE_DATES)
def test_a_due_date_outside_the_visit_window_is_refused(
        api: Api, change: Callable[[Meta], Meta], code: str) -> None:
    response = api.upload(change(make_upload_meta()), shelf_photo(1))
    assert response.status_code == 422, response.text[:500]
    assert (response.json()["code"], response.json()["field"]) == \
        (code, "meta.next_action.due_at")
    assert api.stored() == (0, 0, 0)


@pytest.mark.parametrize("change", [
    pytest.param(due(lambda d: d), id="at the departure"),
    pytest.param(due(lambda d: d + timedelta(hours=1)), id="an hour after"),
    pytest.param(due(lambda d: d + timedelta(days=366)), id="366 days after"),
    pytest.param(due(lambda d: (d + timedelta(days=30)).astimezone(
        datetime.now(UTC).astimezone().tzinfo)), id="a month after, another offset"),
])
def test_a_due_date_within_the_window_is_taken(api: Api,
                                               change: Callable[[Meta], Meta]) -> None:
    response = api.upload(change(make_upload_meta()), shelf_photo(2))
    assert response.status_code == 201, response.text[:500]
    assert api.stored() == (1, 2, 1)


# -- NaN and infinities in JSON bodies -------------------------------------------------------
def raw(document: Any, *tokens: str) -> str:
    """``document`` as JSON text, each ``"<n>"`` string replaced by the next raw token of
    ``tokens`` (``NaN``, ``Infinity``, ``1e400``), as a careless client writes them."""
    text = json.dumps(document)
    for token in tokens:
        text = text.replace('"<n>"', token, 1)
    return text


N = "<n>"
GONDOLA = {"rows_by_shelf_count": {"5": [2, 3]}}
RULES = "/v1/rules"
LEADS = "/v1/leads"
ACTION = "/v1/actions/7b0e1c4e-9a43-4c55-8d0e-3f1f3b7a9c21/complete"


def lead(**changes: Any) -> dict[str, Any]:
    return {"id": "lead-1", "channel": "trade fair", "tier": "A", **changes}


def contact(**changes: Any) -> dict[str, Any]:
    return {"id": "k9", "customer_id": "c1", "name": "Dr Zhang", "role": "equipment_head",
            **changes}


NOW = datetime.now(UTC).isoformat()
NON_FINITE_BODIES = [
    # (path, who, document, tokens, field)
    pytest.param(RULES, "director", {"base_version": 0, "golden_zones": {
        "cooler": {"height_band_cm": [100, 160], "fixture_height_cm": N}}}, ("NaN",),
        "golden_zones.cooler.fixture_height_cm", id="rules: NaN fixture height"),
    pytest.param(RULES, "director", {"base_version": 0, "golden_zones": {
        "cooler": {"height_band_cm": [N, 160], "fixture_height_cm": 200}}}, ("-Infinity",),
        "golden_zones.cooler.height_band_cm.0", id="rules: -Infinity in a band"),
    pytest.param(RULES, "director", {"base_version": 0, "golden_zones": {
        "gondola": {"rows_by_shelf_count": {"5": [2, N]}}}}, ("Infinity",),
        "golden_zones.gondola.rows_by_shelf_count.5.1", id="rules: Infinity as a row"),
    pytest.param(RULES, "admin", {"base_version": 0, "golden_zones": {
        "gondola": {**GONDOLA, "min_share": N}}}, ("1e400",),
        "golden_zones.gondola.min_share", id="rules: 1e400 share (overflows)"),
    pytest.param(RULES, "director", {"base_version": N}, ("NaN",), "base_version",
                 id="rules: NaN base version"),
    pytest.param(RULES, "director", {"base_version": 0, "note": N}, ("Infinity",), "note",
                 id="rules: Infinity as the note"),
    pytest.param(RULES, "director", {"base_version": 0, "featured": [
        {"skus": ["SKU-1", N], "valid_from": "2026-11-01", "valid_until": "2026-11-30"}]},
        ("NaN",), "featured.0.skus.1", id="rules: NaN as a SKU"),
    pytest.param(LEADS, "director", lead(channel=N), ("NaN",), "channel",
                 id="lead: NaN channel"),
    pytest.param(LEADS, "director", lead(tier=N), ("Infinity",), "tier",
                 id="lead: Infinity tier"),
    pytest.param(f"{LEADS}/l-x/assign", "director", {"rep_id": N}, ("-Infinity",),
                 "rep_id", id="lead assign: -Infinity rep"),
    pytest.param(f"{LEADS}/l-x/touches", "rep", {"id": "t1", "kind": "call", "at": N},
                 ("NaN",), "at", id="lead touch: NaN time"),
    pytest.param("/v1/contacts", "director", contact(name=N), ("1e999",), "name",
                 id="contact: 1e999 name"),
    pytest.param(ACTION, "rep", {"completed_at": N}, ("Infinity",), "completed_at",
                 id="action: Infinity completion time"),
    pytest.param(ACTION, "rep", {"completed_at": NOW, "note": N}, ("NaN",), "note",
                 id="action: NaN note"),
]


@pytest.mark.parametrize(("path", "who", "document", "tokens", "field"), NON_FINITE_BODIES)
def test_nan_or_infinity_anywhere_in_a_json_body_is_refused(
        api: Api, path: str, who: str, document: Any, tokens: tuple[str, ...],
        field: str) -> None:
    response = api.client.post(path, content=raw(document, *tokens),
                               headers={**api.auth(who), "Content-Type": "application/json"})
    assert response.status_code == 422, response.text[:500]
    body = response.json()
    assert (body["code"], body["field"]) == ("NUMBER_NOT_FINITE", field), body
    assert "finite" in body["message"]
    versions = api.client.get("/v1/rules/versions", headers=api.auth("director")).json()
    assert versions["current"] is None  # nothing stored, a null least of all


def meta_token(path: str, token: str) -> str:
    """The upload meta with the value at ``path`` (``fix.accuracy_m``) written as the raw
    JSON token ``token``."""
    meta: Any = make_upload_meta()
    *parents, leaf = path.split(".")
    target = meta
    for parent in parents:
        target = target[parent]
    target[leaf] = N
    return raw(meta, token)


NON_FINITE_META = [
    pytest.param("fix.accuracy_m", "NaN", "NUMBER_NOT_FINITE", id="NaN accuracy"),
    pytest.param("fix.accuracy_m", "1e400", "NUMBER_NOT_FINITE", id="1e400 accuracy"),
    pytest.param("customer_id", "Infinity", "NUMBER_NOT_FINITE", id="Infinity customer"),
    pytest.param("commitment.text", "-Infinity", "NUMBER_NOT_FINITE",
                 id="-Infinity commitment"),
    pytest.param("next_action.due_at", "NaN", "NUMBER_NOT_FINITE", id="NaN due date"),
    pytest.param("fix.is_mock", "NaN", "NUMBER_NOT_FINITE", id="NaN mock flag"),
    pytest.param("fixture_type", "Infinity", "NUMBER_NOT_FINITE", id="Infinity fixture"),
    pytest.param("fix.lat", "NaN", "COORDINATE_NOT_FINITE", id="NaN latitude"),
    pytest.param("fix.lon", "-Infinity", "COORDINATE_NOT_FINITE", id="-Infinity longitude"),
]


@pytest.mark.parametrize(("path", "token", "code"), NON_FINITE_META)
def test_nan_or_infinity_in_the_upload_meta_is_refused(api: Api, path: str, token: str,
                                                       code: str) -> None:
    response = api.upload(meta_token(path, token), shelf_photo(3))
    assert response.status_code == 422, response.text[:500]
    assert (response.json()["code"], response.json()["field"]) == (code, f"meta.{path}")
    assert api.stored() == (0, 0, 0)


# -- broken clocks: stored, rejected, and listed by the server's clock --------------------------
def all_times_in(moment: datetime) -> Callable[[Meta], Meta]:
    """Every time the phone sends set around ``moment`` (a visit of 30 minutes ending
    then, the next action due a day later, or at the departure when that would overflow)."""
    def change(meta: Meta) -> Meta:
        meta.update(arrived_at=(moment - timedelta(minutes=30)).isoformat(),
                    departed_at=moment.isoformat(),
                    photo_captured_at=(moment - timedelta(minutes=10)).isoformat(),
                    device_submitted_at=moment.isoformat())
        meta["fix"]["fix_time"] = (moment - timedelta(minutes=10)).isoformat()
        later = moment + timedelta(days=1) if moment.year < 9999 else moment
        meta["next_action"]["due_at"] = later.isoformat()
        return meta
    return change


BROKEN_CLOCKS = [
    pytest.param(datetime(1, 1, 2, 9, 0, tzinfo=UTC), id="year 1"),
    pytest.param(datetime(1900, 1, 1, 12, 0, tzinfo=UTC), id="year 1900"),
    pytest.param(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), id="year 9999"),
    pytest.param(datetime(9999, 6, 1, 8, 0, tzinfo=UTC), id="mid 9999"),
]


@pytest.mark.parametrize("moment", BROKEN_CLOCKS)
def test_a_checkin_from_a_broken_clock_is_rejected_and_listed_by_arrival_at_the_server(
        api: Api, moment: datetime) -> None:
    before = api.upload(make_upload_meta(), shelf_photo(4))
    broken = api.upload(all_times_in(moment)(make_upload_meta()), shelf_photo(5))
    after = api.upload(make_upload_meta(), shelf_photo(6))
    assert [r.status_code for r in (before, broken, after)] == [201, 201, 201], broken.text
    assert broken.json()["status"] == "rejected"
    order = [after, broken, before]  # newest submission first
    for who in ("manager", "director", "rep"):
        listed = api.client.get("/v1/checkins", headers=api.auth(who)).json()
        assert [c["id"] for c in listed["data"]] == \
            [r.json()["checkin_id"] for r in order], who
        submitted = [datetime.fromisoformat(c["submitted_at"]) for c in listed["data"]]
        assert submitted == sorted(submitted, reverse=True)
    first = api.client.get("/v1/checkins", params={"limit": 1},
                           headers=api.auth("manager")).json()
    assert ([c["id"] for c in first["data"]], first["count"]) == \
        ([after.json()["checkin_id"]], 3)
    stored = api.client.get(f"/v1/checkins/{broken.json()['checkin_id']}",
                            headers=api.auth("manager")).json()
    assert (stored["status"], datetime.fromisoformat(stored["departed_at"])) == \
        ("rejected", moment)


def test_the_finite_check_is_not_fooled_by_finite_extremes(api: Api) -> None:
    """The largest finite floats and huge integers are numbers, judged by the domain's own
    ranges, not refused as non-finite."""
    for value, code in ((1.7976931348623157e308, "BAD_POLICY"), (10**30, "BAD_POLICY")):
        response = api.client.post(RULES, json={"base_version": 0, "golden_zones": {
            "gondola": {**GONDOLA, "min_share": value}}}, headers=api.auth("director"))
        assert (response.status_code, response.json()["code"]) == (422, code), response.text
    assert math.isfinite(1.7976931348623157e308)

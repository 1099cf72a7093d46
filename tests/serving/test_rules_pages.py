"""The rules pages through the real app: who sees what (directors edit, managers read, reps
are refused), the editor's post stored by the code of ``POST /v1/rules`` (refusals keep the
text, a stale base is a 409 that shows the other director's change, CSRF), and the diff
between two versions by JSON path."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from serving.form_token import FORM_FIELD, form_token
from serving.routes.pages import COOKIE
from tests.api_harness import Api
from tests.serving.test_rules import post_rules, rules_body

HTML = "text/html; charset=utf-8"
ZONE = ZoneInfo("Asia/Shanghai")  # tests.builders.make_tenant's
PERIOD = ("2026-11-01", "2026-11-30")
FIRST = rules_body(("east", ["SKU-EAST"], PERIOD), note="november",
                   golden_zones={"gondola": {"rows_by_shelf_count": {"5": [2, 3]}},
                                 "cooler": {"height_band_cm": [100, 160],
                                            "fixture_height_cm": 200}},
                   default_fixture_type="gondola")
SECOND = {**FIRST, "note": "cooler lower, west too",
          "featured": [*FIRST["featured"], {"region": "west", "skus": ["SKU-WEST"],
                                            "valid_from": PERIOD[0],
                                            "valid_until": PERIOD[1]}],
          "golden_zones": {**FIRST["golden_zones"],
                           "cooler": {"height_band_cm": [90, 160], "fixture_height_cm": 200}}}


def _login(api: Api, who: str) -> str:
    """Sign in as ``who`` (a page role); their form token."""
    response = api.client.get("/manager/login", params={"token": api.tokens[who]},
                              follow_redirects=False)
    assert response.status_code == 303
    return form_token(api.tokens[who])


def _refused(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == HTML
    assert f"<code>{code}</code>" in response.text
    return str(response.text)


def _seed(api: Api) -> list[dict[str, Any]]:
    """Versions 1 (director d1) and 2 (admin a1) through the API; their summaries."""
    assert post_rules(api, FIRST).status_code == 201
    assert post_rules(api, SECOND, who="admin").status_code == 201
    versions: list[dict[str, Any]] = api.client.get(
        "/v1/rules/versions", headers=api.auth("director")).json()["data"]
    return versions


def _local(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone(ZONE).strftime("%Y-%m-%d %H:%M:%S %Z")


def _textarea(text: str) -> str:
    found = re.search(r"<textarea name='rules'[^>]*>\n(.*?)</textarea>", text, re.S)
    assert found, "no editor"
    return unescape(found.group(1))


def _hidden(text: str, name: str) -> str:
    found = re.search(rf"name='{name}'[^>]* value='([^']*)'", text)
    assert found, f"no {name}"
    return unescape(found.group(1))


def _stored_versions(api: Api) -> list[int]:
    return [v["version"] for v in api.client.get(
        "/v1/rules/versions", headers=api.auth("director")).json()["data"]]


def _save(api: Api, text: str, base_version: int, csrf: str | None, note: str = "") -> Any:
    data = {"rules": text, "base_version": str(base_version), "note": note}
    if csrf is not None:
        data[FORM_FIELD] = csrf
    return api.client.post("/manager/rules", data=data, follow_redirects=False)


def _changed_paths(text: str, table_id: str) -> list[tuple[str, str]]:
    table = text[text.index(f"id='{table_id}'"):]
    table = table[:table.index("</table>")]
    return re.findall(r"<tr class='change-(\w+)' data-path='([^']*)'>", table)


# -- reading ----------------------------------------------------------------------------------

def test_a_director_sees_the_current_version_its_history_and_the_editor(api: Api) -> None:
    versions = _seed(api)
    csrf = _login(api, "director")
    response = api.client.get("/manager/rules")
    assert (response.status_code, response.headers["content-type"]) == (200, HTML)
    text = response.text
    assert "Version <strong>2</strong> (the current version): saved by <strong>a1</strong>, " \
        f"{_local(versions[1]['created_at'])}: “cooler lower, west too”" in text
    assert "CST" in text  # the tenant's zone, not UTC
    featured = text[text.index("id='vp-rules-featured'"):text.index("</table>",
                    text.index("id='vp-rules-featured'"))]
    assert "<td>east</td><td><code>SKU-EAST</code></td>" in featured
    assert "<td>west</td><td><code>SKU-WEST</code></td>" in featured
    assert "<tr data-fixture-type='cooler'><td>cooler</td><td>90–160 cm above the floor of " \
        "a 200 cm fixture</td>" in text
    assert "<tr data-fixture-type='gondola'><td>gondola <span class='muted'>(default)</span>" \
        "</td><td>5 shelves: rows 2, 3</td>" in text
    pretty = re.search(r"<pre id='vp-rules-json'[^>]*>(.*?)</pre>", text, re.S)
    assert pretty
    assert json.loads(unescape(pretty.group(1)))["golden_zones"]["cooler"] == \
        {"height_band_cm": [90, 160], "fixture_height_cm": 200}
    history = re.findall(r"<tr data-version='(\d+)'>", text)
    assert history == ["2", "1"]  # newest first
    assert f"<td>{_local(versions[0]['created_at'])}</td><td>d1</td><td>november</td>" in text
    assert "href='/manager/rules?version=1'" in text
    assert "href='/manager/rules/diff?from=1&amp;to=2'>diff with previous</a>" in text
    assert "id='vp-rules-editor'" in text
    assert "action='/manager/rules'" in text
    assert _hidden(text, FORM_FIELD) == csrf
    assert _hidden(text, "base_version") == "2"
    assert json.loads(_textarea(text)) == json.loads(unescape(pretty.group(1)))
    assert "id='vp-nav'" in text


def test_a_manager_reads_the_rules_but_gets_no_editor(api: Api) -> None:
    _seed(api)
    _login(api, "manager")
    text = api.client.get("/manager/rules").text
    assert "Version <strong>2</strong>" in text
    assert re.findall(r"<tr data-version='(\d+)'>", text) == ["2", "1"]
    assert "id='vp-rules-read-only'" in text
    assert "<form" not in text
    assert "<textarea" not in text
    csrf = form_token(api.tokens["manager"])
    _refused(_save(api, json.dumps(FIRST), 2, csrf), 403, "FORBIDDEN")
    assert _stored_versions(api) == [1, 2]


def test_a_rep_cookie_is_refused(api: Api) -> None:
    _seed(api)
    token = api.tokens["rep"]
    api.client.cookies.set(COOKIE, token, path="/manager")
    for response in (api.client.get("/manager/rules"),
                     api.client.get("/manager/rules/diff?from=1&to=2"),
                     _save(api, json.dumps(FIRST), 2, form_token(token))):
        _refused(response, 403, "FORBIDDEN")
    assert _stored_versions(api) == [1, 2]


def test_without_sign_in_the_pages_are_a_401_page(api: Api) -> None:
    _refused(api.client.get("/manager/rules"), 401, "UNAUTHENTICATED")


def test_an_earlier_version_is_shown_without_the_editor(api: Api) -> None:
    _seed(api)
    _login(api, "director")
    text = api.client.get("/manager/rules?version=1").text
    assert "Version <strong>1</strong> (an earlier version; the current one is " \
        "<a href='/manager/rules'>2</a>)" in text
    assert "SKU-WEST" not in text.split("id='vp-rules-history'")[0]
    assert "id='vp-rules-editor'" not in text
    assert "<a href='/manager/rules'>the current version (2)</a>" in text


@pytest.mark.parametrize(("query", "status", "code"), [
    ("version=3", 404, "NOT_FOUND"),
    ("version=0", 422, "OUT_OF_RANGE"),
    ("version=two", 422, "BAD_TYPE"),
])
def test_bad_versions_are_readable_pages(api: Api, query: str, status: int, code: str) -> None:
    _seed(api)
    _login(api, "manager")
    _refused(api.client.get(f"/manager/rules?{query}"), status, code)


def test_a_tenant_without_rules_gets_a_starter_editor_on_version_0(api: Api) -> None:
    csrf = _login(api, "director")
    text = api.client.get("/manager/rules").text
    assert "id='vp-rules-none'" in text
    assert _hidden(text, "base_version") == "0"
    saved = _save(api, _textarea(text), 0, csrf)
    assert (saved.status_code, saved.headers["location"]) == (303, "/manager/rules?saved=1")
    assert _stored_versions(api) == [1]


# -- saving -----------------------------------------------------------------------------------

def test_saving_stores_the_next_version_and_the_diff_shows_the_change(api: Api) -> None:
    _seed(api)
    csrf = _login(api, "director")
    text = _textarea(api.client.get("/manager/rules").text)
    edited = json.loads(text)
    edited["golden_zones"]["cooler"]["min_share"] = 0.7
    edited["featured"][1]["skus"].append("SKU-WEST-2")
    del edited["featured"][0]
    response = _save(api, json.dumps(edited), 2, csrf, note="  promo <b>end</b> ")
    assert (response.status_code, response.headers["location"]) == (
        303, "/manager/rules?saved=3")
    stored = api.client.get("/v1/rules", headers=api.auth("rep")).json()
    assert (stored["version"], stored["created_by"], stored["note"]) == (
        3, "d1", "promo <b>end</b>")
    assert stored["golden_zones"]["cooler"]["min_share"] == 0.7
    page = api.client.get(response.headers["location"]).text
    assert "id='vp-rules-saved'" in page
    assert "version 3 now judges every upload" in page
    assert "promo &lt;b&gt;end&lt;/b&gt;" in page
    assert "<b>end</b>" not in page
    assert _hidden(page, "base_version") == "3"
    diff = api.client.get("/manager/rules/diff?from=2&to=3")
    assert diff.status_code == 200
    assert _changed_paths(diff.text, "vp-rules-diff") == [
        ("changed", "featured.0.region"), ("changed", "featured.0.skus.0"),
        ("added", "featured.0.skus.1"), ("removed", "featured.1"),
        ("added", "golden_zones.cooler.min_share")]
    region = re.search(r"data-path='featured.0.region'>(.*?)</tr>", diff.text)
    assert region
    assert re.findall(r"<code[^>]*>(.*?)</code>", region.group(1)) == [
        "featured.0.region", "&quot;east&quot;", "&quot;west&quot;"]


def test_the_diff_between_two_versions_lists_exactly_the_changed_paths(api: Api) -> None:
    versions = _seed(api)
    _login(api, "manager")
    text = api.client.get("/manager/rules/diff", params={"from": 1, "to": 2}).text
    assert _changed_paths(text, "vp-rules-diff") == [
        ("added", "featured.1"), ("changed", "golden_zones.cooler.height_band_cm.0")]
    assert ("<td><code style='overflow-wrap:anywhere'>100</code></td><td><code "
            "style='overflow-wrap:anywhere'>90</code></td>") in text
    assert _local(versions[1]["created_at"]) in text
    same = api.client.get("/manager/rules/diff", params={"from": 2, "to": 2}).text
    assert "<p id='vp-rules-diff'>No differences.</p>" in same
    back = api.client.get("/manager/rules/diff", params={"from": 2, "to": 1}).text
    assert _changed_paths(back, "vp-rules-diff") == [
        ("removed", "featured.1"), ("changed", "golden_zones.cooler.height_band_cm.0")]


@pytest.mark.parametrize(("query", "status", "code"), [
    ({"from": 1, "to": 3}, 404, "NOT_FOUND"),
    ({"from": 7, "to": 1}, 404, "NOT_FOUND"),
    ({"from": 0, "to": 1}, 422, "OUT_OF_RANGE"),
    ({"from": "one", "to": 2}, 422, "BAD_TYPE"),
    ({"from": 1}, 422, "MISSING_FIELD"),
])
def test_diff_refusals_are_pages(api: Api, query: dict[str, Any], status: int,
                                 code: str) -> None:
    _seed(api)
    _login(api, "director")
    _refused(api.client.get("/manager/rules/diff", params=query), status, code)


# -- refused posts keep the text --------------------------------------------------------------

def test_invalid_json_keeps_the_text(api: Api) -> None:
    _seed(api)
    csrf = _login(api, "director")
    typed = '{"featured": [ <oops>, "note": "ünïcode"\n  '
    response = _save(api, typed, 2, csrf, note="my note")
    text = _refused(response, 422, "BAD_JSON")
    assert "not valid JSON: Expecting value (line 1, column 16)" in text
    assert _textarea(text) == typed
    assert "&lt;oops&gt;" in text
    assert "<oops>" not in text
    assert _hidden(text, "note") == "my note"
    assert _hidden(text, "base_version") == "2"
    assert _hidden(text, FORM_FIELD) == csrf
    assert _stored_versions(api) == [1, 2]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({**FIRST, "featured": [{"region": "east", "skus": ["SKU-1"], "valid_from": "2026-12-01",
                             "valid_until": "2026-11-01"}]}, "BAD_PERIOD",
     "featured.0.valid_until"),                                  # the domain's check
    ({**FIRST, "colour": "red"}, "UNKNOWN_FIELD", "colour"),     # the HTTP model's
    ({**FIRST, "golden_zones": {"cooler": {"min_share": 2}}}, "BAD_POLICY",
     "golden_zones.cooler"),
    ({**FIRST, "default_fixture_type": "pallet"}, "UNKNOWN_FIXTURE_TYPE",
     "default_fixture_type"),
    ({"evidence": {"spaceport": ["contract_number"]}}, "UNKNOWN_ENUM_VALUE",
     "evidence.spaceport.[key]"),
    ({"featured": [{"skus": ["SKU-1"], "valid_from": "2026-11-01"}]}, "MISSING_FIELD",
     "featured.0.valid_until"),
])
def test_invalid_rules_are_refused_as_the_api_refuses_them(
        api: Api, body: dict[str, Any], code: str, field: str) -> None:
    _seed(api)
    from_api = post_rules(api, body)
    assert (from_api.status_code, from_api.json()["code"], from_api.json()["field"]) == (
        422, code, field)
    csrf = _login(api, "director")
    typed = json.dumps({k: v for k, v in body.items() if k != "note"}, indent=1)
    text = _refused(_save(api, typed, 2, csrf), 422, code)
    errors = text[text.index("id='vp-rules-errors'"):text.index("</div>",
                  text.index("id='vp-rules-errors'"))]
    assert f"<code>{field}</code>: " in errors
    assert _textarea(text) == typed
    assert _stored_versions(api) == [1, 2]


@pytest.mark.parametrize(("typed", "note", "code", "message"), [
    ('["featured"]', "", "BAD_TYPE", "must be one JSON object"),
    ('{"featured": [], "base_version": 2}', "", "UNKNOWN_FIELD", "the form keeps"),
    ('{"featured": [], "note": "a"}', "b", "INVALID_VALUE", "keep one"),
    ('{"golden_zones": {"cooler": {"min_share": NaN}}}', "", "NUMBER_NOT_FINITE", "finite"),
    ('{"featured": [], "note": "' + "x" * 2001 + '"}', "", "TOO_LONG", "2000"),
    ("[" * 100_000, "", "BAD_JSON", "nested too deeply"),
    ('{"golden_zones": {"a": {"x": ' + "[" * 500 + "]" * 500 + "}}}", "", "INVALID_VALUE",
     "nested deeper than 16 levels"),
    (" " * 200_001, "", "TOO_LONG", "at most 200,000"),
])
def test_texts_refused_before_the_rules_are_read(api: Api, typed: str, note: str, code: str,
                                                 message: str) -> None:
    csrf = _login(api, "admin")
    text = _refused(_save(api, typed, 0, csrf, note=note), 422, code)
    assert message in text
    assert _textarea(text) == typed
    assert _stored_versions(api) == []


# -- a stale base and CSRF --------------------------------------------------------------------

def test_a_stale_base_is_a_409_that_shows_what_the_other_director_saved(api: Api) -> None:
    assert post_rules(api, FIRST).status_code == 201
    csrf = _login(api, "director")
    opened = api.client.get("/manager/rules").text
    assert _hidden(opened, "base_version") == "1"
    mine = json.loads(_textarea(opened))
    mine["default_fixture_type"] = "cooler"
    typed = json.dumps(mine)
    assert post_rules(api, SECOND, who="admin").status_code == 201  # saved meanwhile
    response = _save(api, typed, 1, csrf, note="cooler first")
    text = _refused(response, 409, "STALE_RULES_VERSION")
    assert "Someone else saved version 2 (<strong>a1</strong>, " in text
    assert "“cooler lower, west too”" in text
    assert _changed_paths(text, "vp-their-changes") == [
        ("added", "featured.1"), ("changed", "golden_zones.cooler.height_band_cm.0")]
    # Against their version, the text (edited from 1) would drop their changes: shown.
    assert _changed_paths(text, "vp-your-changes") == [
        ("removed", "featured.1"), ("changed", "golden_zones.cooler.height_band_cm.0"),
        ("changed", "default_fixture_type")]
    assert _textarea(text) == typed
    assert _hidden(text, "base_version") == "2"
    assert _hidden(text, "note") == "cooler first"
    assert _stored_versions(api) == [1, 2]
    again = _save(api, _textarea(text), 2, csrf, note="cooler first")
    assert (again.status_code, again.headers["location"]) == (303, "/manager/rules?saved=3")


@pytest.mark.parametrize("sent", [None, "", "0" * 64, "other"])
def test_a_post_without_the_sessions_form_token_is_refused(api: Api, sent: str | None) -> None:
    _seed(api)
    _login(api, "director")
    csrf = form_token(api.tokens["admin"]) if sent == "other" else sent
    response = api.client.post("/manager/rules", data={
        "rules": json.dumps(FIRST), "base_version": "2",
        **({} if csrf is None else {FORM_FIELD: csrf})},
        headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert "Nothing was changed" in _refused(response, 403, "CSRF_REJECTED")
    assert _stored_versions(api) == [1, 2]

"""One scope rule for every rep id of every report answer (``/v1/phi``, ``/v1/overlap``,
``/v1/coverage-gaps`` and the manager pages), per role, with two teams and two tenants.

The rule (:func:`application.reports.scoped_rep_ids`): a record about a rep the caller may
not see is left out; inside the records that stay, such a rep's id is dropped from id lists
(``owner_rep_ids``, ``reps_without_territory``, ``by_rep``) and is null where a field holds
one id (``last_touch_rep_id``).

On top of the harness' company (acme: t1 = r1, r2; t2 = r3), in Asia/Shanghai, judged at
1 Dec 2026 00:00 local, neglect after 21 days:

    s1 (A, owners r1, r3)  last verified visit r3, 5 Nov      gap
    s2 (B, owner r2)       last verified visit r1, 3 Nov      gap
    s3 (B, owner r3)       visits r3 2 Nov, r1 4 Nov          gap; r1's foreign account
    s4 (A, owners r2, r3)  visit r2 28 Nov                    covered

and globex, whose teams carry acme's team ids on purpose: t1 = g1, t2 = g2;
    x1 (A, owners g1, g2)  last verified visit g2, 5 Nov      gap
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from application.reports import scoped_rep_id, scoped_rep_ids
from serving.auth import Role, issue_token
from serving.routes.pages import COOKIE
from tests.api_harness import OTHER_TENANT, Api
from tests.builders import (
    HANGZHOU,
    TENANT,
    make_checkin,
    make_customer,
    make_fix,
    make_lead,
    make_rep,
    make_team,
    shifted,
    with_verdict,
)
from tests.serving.test_calendar_extremes import started_api
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import Store

NOW = "2026-12-01T00:00:00+08:00"
WHERE = {"s1": (0, 0), "s2": (0, 1500), "s3": (900, 700), "s4": (-800, 400),
         "x1": (300, -300)}

# Who may see which reps, by caller.
SCOPE = {
    "rep": {"r1"}, "rep3": {"r3"},
    "manager": {"r1", "r2"}, "manager_t2": {"r3"},
    "director": {"r1", "r2", "r3"},
    "globex_rep": {"g1"}, "globex_manager": {"g1"}, "globex_director": {"g1", "g2"},
}
ACME_REPS, GLOBEX_REPS = {"r1", "r2", "r3"}, {"g1", "g2"}
MAP_CALLERS = [who for who in SCOPE if "rep" not in who or "manager" in who
               or "director" in who]


def _visit(rep: str, customer: str, day: int, *, tenant: str = TENANT,
           status: CheckinStatus = CheckinStatus.VERIFIED) -> Checkin:
    departed = f"2026-11-{day:02d}T03:40:00+00:00"
    checkin = make_checkin(rep=rep, customer=customer,
                           arrived=f"2026-11-{day:02d}T03:00:00+00:00", departed=departed,
                           captured=departed, submitted=departed, tenant=tenant,
                           fix=make_fix(*_place(customer), t=departed), status=status)
    codes = () if status is CheckinStatus.VERIFIED else ("GPS_OUTSIDE_GEOFENCE",)
    return with_verdict(checkin, status, *codes)


def _place(customer: str) -> tuple[float, float]:
    north, east = WHERE[customer]
    return shifted(*HANGZHOU, north_m=north, east_m=east)


def _customer(customer: str, tier: str, *owners: str, tenant: str = TENANT) -> Any:
    return make_customer(customer, *_place(customer), tier=tier, reps=owners, tenant=tenant)


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The company above, started once: every test here only reads."""
    with started_api(tmp_path_factory.mktemp("scope") / "store") as api:
        _seed_scope(api)
        yield api


def _seed_scope(api: Api) -> None:
    with api.database.begin() as connection:
        acme = Store(connection, TENANT)
        acme.reference.put_customers([_customer("s1", "A", "r1", "r3"),
                                      _customer("s2", "B", "r2"),
                                      _customer("s3", "B", "r3"),
                                      _customer("s4", "A", "r2", "r3")])
        acme.crm.put_leads([make_lead("l1", created="2026-11-03T08:00:00+00:00", rep="r1",
                                      customer="s1"),
                            make_lead("l3", created="2026-11-03T08:00:00+00:00", rep="r3",
                                      customer="s3")])
        acme.checkins.add_many([
            _visit("r3", "s1", 5), _visit("r1", "s1", 2), _visit("r1", "s2", 3),
            _visit("r3", "s3", 2), _visit("r1", "s3", 4), _visit("r2", "s4", 28),
            _visit("r3", "s4", 6, status=CheckinStatus.REJECTED)])
        globex = Store(connection, OTHER_TENANT)
        globex.reference.put_teams([make_team("t1", tenant=OTHER_TENANT),
                                    make_team("t2", tenant=OTHER_TENANT)])
        globex.reference.put_reps([make_rep("g1", team="t1", tenant=OTHER_TENANT),
                                   make_rep("g2", team="t2", tenant=OTHER_TENANT)])
        globex.reference.put_customers([_customer("x1", "A", "g1", "g2",
                                                  tenant=OTHER_TENANT)])
        globex.checkins.add_many([_visit("g2", "x1", 5, tenant=OTHER_TENANT),
                                  _visit("g1", "x1", 2, tenant=OTHER_TENANT)])
    api.tokens |= {
        "globex_rep": api.tokens["other_tenant_rep"],
        "globex_manager": issue_token(api.database, tenant_id=OTHER_TENANT, user_id="gm1",
                                      role=Role.MANAGER, team_id="t1"),
        "globex_director": issue_token(api.database, tenant_id=OTHER_TENANT, user_id="gd1",
                                       role=Role.DIRECTOR),
    }


def rep_ids_in(node: Any) -> set[str]:
    """Every rep id an answer names, wherever it sits: ``rep_id``, ``last_touch_rep_id``,
    ``rep_a``/``rep_b`` values, ``owner_rep_ids``/``reps_without_territory``/``top.reps``
    lists, and ``by_rep`` keys."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("rep_id", "last_touch_rep_id", "rep_a", "rep_b") and \
                    isinstance(value, str):
                found.add(value)
            elif key in ("owner_rep_ids", "reps_without_territory", "reps") and \
                    isinstance(value, list):
                found |= {item for item in value if isinstance(item, str)}
            elif key == "by_rep" and isinstance(value, dict):
                found |= set(value)
            found |= rep_ids_in(value)
    elif isinstance(node, list):
        for item in node:
            found |= rep_ids_in(item)
    return found


def _get(api: Api, who: str, path: str, **params: str) -> Any:
    return api.client.get(path, params=params, headers=api.auth(who))


ANSWERS = {
    "phi": ("/v1/phi", {"period": "2026-11", "now": NOW}),
    "overlap": ("/v1/overlap", {"from": "2026-11-01", "to": "2026-11-30", "now": NOW}),
    "coverage-gaps": ("/v1/coverage-gaps", {"now": NOW}),
}


# -- the rule itself ----------------------------------------------------------------------------

@pytest.mark.parametrize(("ids", "visible", "kept"), [
    (("r1", "r3"), frozenset({"r1", "r2"}), ("r1",)),
    (("r3", "r1"), frozenset({"r1", "r3"}), ("r3", "r1")),  # order kept
    (("r3",), frozenset({"r1"}), ()),
    (("r1", "r3"), None, ("r1", "r3")),  # None: the whole tenant
    (("r1", None, float("nan")), None, ("r1",)),  # missing values are no ids
    ((), frozenset({"r1"}), ()),
])
def test_the_scope_rule(ids: tuple[Any, ...], visible: frozenset[str] | None,
                        kept: tuple[str, ...]) -> None:
    assert scoped_rep_ids(ids, visible) == kept
    assert [scoped_rep_id(i, visible) for i in ids if isinstance(i, str)] == [
        i if i in kept else None for i in ids if isinstance(i, str)]


# -- every id of every answer ------------------------------------------------------------------

@pytest.mark.parametrize("answer", sorted(ANSWERS))
@pytest.mark.parametrize("who", sorted(SCOPE))
def test_every_rep_id_of_every_answer_is_in_the_callers_scope(scoped: Api, who: str,
                                                              answer: str) -> None:
    path, params = ANSWERS[answer]
    response = _get(scoped, who, path, **params)
    if answer == "overlap" and who not in MAP_CALLERS:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "FORBIDDEN"
        return
    assert response.status_code == 200, response.text
    named = rep_ids_in(response.json())
    assert named <= SCOPE[who], named - SCOPE[who]
    tenant_reps = GLOBEX_REPS if who.startswith("globex") else ACME_REPS
    assert named <= tenant_reps  # never another tenant's


@pytest.mark.parametrize(("who", "expected"), [
    # r1 sees their own customer s1 and that they co-own it, not r3 nor r3's last touch.
    ("rep", [("s1", ["r1"], None)]),
    ("rep3", [("s1", ["r3"], "r3"), ("s3", ["r3"], None)]),
    ("manager", [("s1", ["r1"], None), ("s2", ["r2"], "r1")]),
    ("manager_t2", [("s1", ["r3"], "r3"), ("s3", ["r3"], None)]),
    ("director", [("s1", ["r1", "r3"], "r3"), ("s2", ["r2"], "r1"), ("s3", ["r3"], "r1")]),
    ("globex_rep", [("x1", ["g1"], None)]),
    ("globex_manager", [("x1", ["g1"], None)]),
    ("globex_director", [("x1", ["g1", "g2"], "g2")]),
])
def test_coverage_gaps_name_only_owners_and_last_touches_in_scope(
        scoped: Api, who: str, expected: list[tuple[str, list[str], str | None]]) -> None:
    response = _get(scoped, who, "/v1/coverage-gaps", now=NOW)
    assert response.status_code == 200, response.text
    got = [(g["customer_id"], g["owner_rep_ids"], g["last_touch_rep_id"])
           for g in response.json()["data"]
           if g["customer_id"].startswith(("s", "x"))]
    assert got == expected


@pytest.mark.parametrize(("who", "rep_id", "expected"), [
    # A director narrowing to r3's customers still sees who touched them last.
    ("director", "r3", [("s1", ["r1", "r3"], "r3"), ("s3", ["r3"], "r1")]),
    ("manager", "r1", [("s1", ["r1"], None)]),
    ("manager", "r3", []),  # outside the team: nothing, and no error that names r3
    ("rep", "r2", []),
])
def test_coverage_gaps_of_one_owner(scoped: Api, who: str, rep_id: str,
                                    expected: list[tuple[str, list[str], str | None]]) -> None:
    response = _get(scoped, who, "/v1/coverage-gaps", now=NOW, rep_id=rep_id)
    assert response.status_code == 200, response.text
    got = [(g["customer_id"], g["owner_rep_ids"], g["last_touch_rep_id"])
           for g in response.json()["data"] if g["customer_id"].startswith("s")]
    assert got == expected


@pytest.mark.parametrize(("who", "customers", "foreign"), [
    # r1's visit to r3's s3 is a conflict of the manager's rep; r3 is not named.
    ("manager", {"s1": ["r1"], "s2": ["r2"], "s4": ["r2"]},
     [("r1", "s2", ["r2"]), ("r1", "s3", [])]),
    ("manager_t2", {"s1": ["r3"], "s3": ["r3"], "s4": ["r3"]}, []),
    ("director", {"s1": ["r1", "r3"], "s2": ["r2"], "s3": ["r3"], "s4": ["r2", "r3"]},
     [("r1", "s2", ["r2"]), ("r1", "s3", ["r3"])]),
    ("globex_manager", {"x1": ["g1"]}, []),
    ("globex_director", {"x1": ["g1", "g2"]}, []),
])
def test_overlap_names_only_owners_in_scope(
        scoped: Api, who: str, customers: dict[str, list[str]],
        foreign: list[tuple[str, str, list[str]]]) -> None:
    path, params = ANSWERS["overlap"]
    response = _get(scoped, who, path, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    got = {f["properties"]["customer_id"]: f["properties"]["owner_rep_ids"]
           for f in body["features"] if f["properties"]["layer"] == "customer"
           and f["properties"]["customer_id"][0] in "sx"}
    assert got == customers
    assert sorted((c["rep_id"], c["customer_id"], c["owner_rep_ids"])
                  for c in body["conflicts"]["foreign_accounts"]
                  if c["customer_id"][0] in "sx") == foreign


@pytest.mark.parametrize("who", ["manager", "manager_t2", "director", "globex_manager",
                                 "globex_director"])
def test_the_manager_pages_name_only_reps_in_scope(scoped: Api, who: str) -> None:
    scoped.client.cookies.set(COOKIE, scoped.tokens[who])
    for path, params in (("/manager/overlap", {"from": "2026-11-01", "to": "2026-11-30",
                                               "tiles": "none"}),
                         ("/manager/phi", {"period": "2026-11"})):
        response = scoped.client.get(path, params=params)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        for rep in (ACME_REPS | GLOBEX_REPS) - SCOPE[who]:
            for quoted in (f'"{rep}"', f">{rep}<", f"'{rep}'"):
                assert quoted not in response.text, (path, rep)


@pytest.mark.parametrize(("who", "reps"), [
    ("rep", ["r1"]), ("rep3", ["r3"]), ("manager", ["r1", "r2"]), ("manager_t2", ["r3"]),
    ("director", ["r1", "r2", "r3"]), ("globex_rep", ["g1"]), ("globex_manager", ["g1"]),
    ("globex_director", ["g1", "g2"]),
])
def test_phi_rows_are_the_scopes_reps(scoped: Api, who: str, reps: list[str]) -> None:
    path, params = ANSWERS["phi"]
    response = _get(scoped, who, path, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [row["rep_id"] for row in body["reps"]] == reps
    assert set(body["excluded_checkins"]["by_rep"]) <= set(reps)

"""Who may do what, for every endpoint the app serves: one table, every cell asserted.

Rows are the endpoints (the test fails when the app grows an endpoint the table doesn't
list). Columns are the callers: no token, a forged, an expired and a revoked token; rep r1
(who owns the target: check-in X1, needs_review check-in R1, lead L1, customer c9 and its
contact K1, unvisited customer c8), rep r2 (same team), rep r3 (other team), the manager
of r1's team, the manager of the other team, a director, an admin, and a rep and an admin
of another tenant.

A cell is a status code, or one of

- ``see``: 2xx and the target's id is in the body;
- ``hide``: the target's id is *not* in the body, whatever the status (a 2xx list without
  it, a 404, a 403): the cell that proves there is no leak.

Every request targets tenant acme's data; the other tenant's tokens show that nothing of
acme's can be read or written from outside (their writes land in their own tenant).

By design, and so not in the table: when a rep of one team visits another team's account,
that team's manager sees the account's owner in ``/v1/overlap``'s conflicts (the point of a
conflict report); r2 and r3 upload at their own customer c7 here, so ``hide`` stays exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from application.settings import Settings
from application.signing_keys import SigningKeys
from serving.app import create_app
from serving.auth import Role, issue_token
from serving.form_token import FORM_FIELD, form_token
from serving.routes.pages import COOKIE
from tests.api_harness import seed, shelf_photo
from tests.builders import (
    TENANT,
    make_checkin,
    make_customer,
    make_tenant,
    make_upload_meta,
    with_verdict,
)
from visitproof.records import CheckinStatus, Contact, DecisionRole, Lead, Tier
from visitproof.store import Database, Store, open_database
from visitproof.store.tables import api_tokens
from visitproof.values import utc_now

UNAUTHENTICATED = ("none", "forged", "expired", "revoked")
CALLERS = (*UNAUTHENTICATED, "rep", "rep2", "rep3", "manager", "manager_t2", "director",
           "admin", "other_tenant_rep", "other_tenant_admin")


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    database: Database
    ids: dict[str, str] = field(default_factory=dict)
    counter: int = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    def token(self, caller: str) -> str | None:
        if caller == "none":
            return None
        if caller == "forged":
            return "forged-" + "x" * 36
        return self.tokens[caller]

    def current_rules_version(self, caller: str) -> int:
        """The current rules version of ``caller``'s tenant, the base a rules post must name
        (0 where the caller can't read it: the post is refused before it matters)."""
        versions = self.client.get("/v1/rules/versions",
                                   headers=_bearer(self.token(caller)))
        return int(versions.json()["current"] or 0) if versions.status_code == 200 else 0

    def needs_review_of_r1(self) -> str:
        """A stored check-in of r1 at c9 waiting for review (uploads here come out as the
        model judges them; this one's status must be ``needs_review``)."""
        checkin = with_verdict(make_checkin(rep="r1", customer="c9"),
                               CheckinStatus.NEEDS_REVIEW, "SUBMITTED_LATE")
        with self.database.begin() as connection:
            Store(connection, TENANT).checkins.add(checkin)
        return str(checkin.id)

    def upload(self, caller: str, customer: str = "c9") -> Any:
        meta = make_upload_meta(customer=customer)
        self.counter += 1
        return self.client.post(
            "/v1/checkins", data={"meta": json.dumps(meta)},
            files={"photo": ("shelf.jpg", shelf_photo(seed=1000 + self.counter),
                             "image/jpeg")},
            headers=_bearer(self.token(caller)))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp("authz")
    database = open_database(f"sqlite:///{folder / 'store' / 'visitproof.sqlite3'}",
                             create_dir=True)
    database.migrate()
    with database.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant())
    tokens = seed(database)
    now = utc_now()
    tokens["expired"] = issue_token(database, tenant_id=TENANT, user_id="d-old",
                                    role=Role.DIRECTOR, now=now - timedelta(days=2),
                                    expires_at=now - timedelta(days=1))
    tokens["revoked"] = issue_token(database, tenant_id=TENANT, user_id="d-gone",
                                    role=Role.DIRECTOR)
    with database.begin() as connection:
        connection.execute(sa.update(api_tokens).where(api_tokens.c.user_id == "d-gone")
                           .values(revoked=True))
        acme = Store(connection, TENANT)
        # c9: r1's customer with r1's check-ins; c8: r1's customer never visited (a gap).
        acme.reference.put_customers([make_customer("c9", reps=("r1",)),
                                      make_customer("c8", reps=("r1",)),
                                      make_customer("c7", reps=("r2", "r3"))])
        acme.crm.put_contacts([Contact(tenant_id=TENANT, id="K1", customer_id="c9",
                                       name="Dr Zhang", role=DecisionRole.STORE_MANAGER)])
        acme.crm.put_leads([Lead(tenant_id=TENANT, id="L1", channel="web", tier=Tier.A,
                                 created_at=now - timedelta(days=3), assigned_rep_id="r1",
                                 assigned_at=now - timedelta(days=3))])
    settings = Settings(data_dir=folder / "store", rate_limit_per_minute=0,
                        upload_rate_limit_per_minute=0)
    SigningKeys(settings.signing_key_path).ensure()  # uploads are archived (evidence)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        world = World(client=client, tokens=tokens, database=database)
        first = world.upload("rep")
        assert first.status_code == 201, first.text
        world.ids["X1"] = first.json()["checkin_id"]
        world.ids["R1"] = world.needs_review_of_r1()
        rules = client.post("/v1/rules", json={"note": "acme-rules-v1", "base_version": 0},
                            headers=_bearer(tokens["director"]))
        assert rules.status_code == 201, rules.text
        yield world
    database.dispose()


@dataclass(frozen=True)
class Row:
    """One endpoint: how to call it as ``caller``, the marker that ``see``/``hide`` look
    for, and the expected cell per caller (unauthenticated callers default to 401)."""

    method: str
    path: str
    call: Callable[[World, str], Any]
    expected: Mapping[str, int | str]
    marker: str | None = None
    unauthenticated: int | str = 401


def _bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def _cookie(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Cookie": f"{COOKIE}={token}"}


def get(path: str, *, page: bool = False) -> Callable[[World, str], Any]:
    def call(world: World, caller: str) -> Any:
        url = path.format(**world.ids)
        headers = _cookie(world.token(caller)) if page else _bearer(world.token(caller))
        return world.client.get(url, headers=headers, follow_redirects=False)
    return call


def post(path: str, body: Callable[[World], dict[str, Any]],
         target: Callable[[World], dict[str, str]] | None = None) -> Callable[[World, str], Any]:
    """POST ``body`` to ``path``; ``target`` makes a fresh target first (its ids fill the
    path), for calls that change what they touch."""
    def call(world: World, caller: str) -> Any:
        ids = {**world.ids, **(target(world) if target else {})}
        return world.client.post(path.format(**ids), json=body(world),
                                 headers=_bearer(world.token(caller)))
    return call


def rep_page(path: str) -> Callable[[World, str], Any]:
    """GET ``path`` under ``caller``'s rep-page cookie (serving.routes.rep_pages)."""
    from serving.routes.rep_pages import COOKIE as REP_COOKIE

    def call(world: World, caller: str) -> Any:
        token = world.token(caller)
        headers = {} if token is None else {"Cookie": f"{REP_COOKIE}={token}"}
        return world.client.get(path.format(**world.ids), headers=headers,
                                follow_redirects=False)
    return call


#: A rep page of r1's (the visit pack, a photo): r1 only; other roles are refused.
ONE_OF_R1_REP_PAGE = {"rep": 200, "rep2": 404, "rep3": 404, "manager": 403,
                      "manager_t2": 403, "director": 403, "admin": 403,
                      "other_tenant_rep": 404, "other_tenant_admin": 403}


def fresh_lead_of_r1(world: World) -> dict[str, str]:
    lead_id = world.fresh("lead")
    created = world.client.post("/v1/leads", json={
        "id": lead_id, "channel": "web", "tier": "B"}, headers=_bearer(world.tokens["admin"]))
    assert created.status_code == 201, created.text
    assigned = world.client.post(f"/v1/leads/{lead_id}/assign", json={"rep_id": "r1"},
                                 headers=_bearer(world.tokens["admin"]))
    assert assigned.status_code == 200, assigned.text
    return {"lead": lead_id}


def fresh_checkin_of_r1(world: World) -> dict[str, str]:
    uploaded = world.upload("rep")
    assert uploaded.status_code == 201, uploaded.text
    return {"checkin": uploaded.json()["checkin_id"]}


def fresh_review_of_r1(world: World) -> dict[str, str]:
    return {"checkin": world.needs_review_of_r1()}


def review_form(world: World, caller: str) -> Any:
    """The drill-down's approve form, posted under ``caller``'s cookie with the form token
    of that session, on a fresh needs_review check-in of r1."""
    checkin_id = world.needs_review_of_r1()
    token = world.token(caller)
    data = {"decision": "approve", "note": "seen"}
    if token is not None:
        data[FORM_FIELD] = form_token(token)
    return world.client.post(f"/manager/checkins/{checkin_id}/review", data=data,
                             headers=_cookie(token), follow_redirects=False)


def rules_form(world: World, caller: str) -> Any:
    """The rules page's editor, posted under ``caller``'s cookie with that session's form
    token, on the tenant's current version."""
    token = world.token(caller)
    data = {"rules": "{}", "note": world.fresh("rules-page"),
            "base_version": str(world.current_rules_version(caller))}
    if token is not None:
        data[FORM_FIELD] = form_token(token)
    return world.client.post("/manager/rules", data=data, headers=_cookie(token),
                             follow_redirects=False)


def note_of_r1(world: World) -> str:
    """A visit note of r1 with a recording (Chinese: stored, not transcribed), made once."""
    if "N1" not in world.ids:
        from tests.serving.test_visit_notes import tone_wav

        made = world.client.post("/v1/visit-notes", data={"language": "zh"},
                                 files={"audio": ("n.wav", tone_wav(), "audio/wav")},
                                 headers=_bearer(world.tokens["rep"]))
        assert made.status_code == 201, made.text
        world.ids["N1"] = made.json()["id"]
    return world.ids["N1"]


def note_get(path: str, *, page: bool = False) -> Callable[[World, str], Any]:
    """GET ``path`` (``{N1}``: r1's visit note) with ``caller``'s token or cookie."""
    def call(world: World, caller: str) -> Any:
        note_of_r1(world)
        return get(path, page=page)(world, caller)
    return call


def rep_note_form(world: World, caller: str) -> Any:
    """The rep notes page's form, posted under ``caller``'s rep cookie with its form token."""
    from serving.routes.rep_pages import COOKIE as REP_COOKIE

    token = world.token(caller)
    data = {"text": "c9: follow up tomorrow"}
    if token is not None:
        data[FORM_FIELD] = form_token(token)
    return world.client.post("/rep/notes", data=data, follow_redirects=False,
                             headers={} if token is None else {"Cookie": f"{REP_COOKIE}={token}"})


def by_role(*, rep: int | str, rep2: int | str, rep3: int | str, manager: int | str,
            manager_t2: int | str, director: int | str, admin: int | str,
            other_tenant_rep: int | str, other_tenant_admin: int | str
            ) -> dict[str, int | str]:
    return dict(rep=rep, rep2=rep2, rep3=rep3, manager=manager, manager_t2=manager_t2,
                director=director, admin=admin, other_tenant_rep=other_tenant_rep,
                other_tenant_admin=other_tenant_admin)


# The common shapes: r1's own thing, seen by r1, r1's manager, director and admin only.
OWNED_BY_R1 = by_role(rep="see", rep2="hide", rep3="hide", manager="see", manager_t2="hide",
                      director="see", admin="see", other_tenant_rep="hide",
                      other_tenant_admin="hide")
ONE_OF_R1 = by_role(rep=200, rep2=404, rep3=404, manager=200, manager_t2=404, director=200,
                    admin=200, other_tenant_rep=404, other_tenant_admin=404)
TENANT_WIDE_READ = by_role(rep="see", rep2="see", rep3="see", manager="see",
                           manager_t2="see", director="see", admin="see",
                           other_tenant_rep="hide", other_tenant_admin="hide")
DIRECTORS_WRITE = by_role(rep=403, rep2=403, rep3=403, manager=403, manager_t2=403,
                          director=201, admin=201, other_tenant_rep=403,
                          other_tenant_admin=201)
MANAGERS_PAGE = by_role(rep=403, rep2=403, rep3=403, manager="see", manager_t2="hide",
                        director="see", admin="see", other_tenant_rep=403,
                        other_tenant_admin="hide")
ONE_OF_R1_PAGE = by_role(rep=403, rep2=403, rep3=403, manager=200, manager_t2=404,
                         director=200, admin=200, other_tenant_rep=403,
                         other_tenant_admin=404)
#: A page (a workbook: its text is compressed, so no marker) any manager may open.
PAGE_READ = by_role(rep=403, rep2=403, rep3=403, manager=200, manager_t2=200, director=200,
                    admin=200, other_tenant_rep=403, other_tenant_admin=200)
OPEN = dict.fromkeys(CALLERS, 200)

PERIOD = utc_now().strftime("%Y-%m")
WINDOW = (f"from={(utc_now() - timedelta(days=7)).date()}&to={utc_now().date()}")

ROWS = {
    "upload a check-in": Row("POST", "/v1/checkins", lambda w, c: w.upload(
        c, customer="c9" if c == "rep" else "c7"), by_role(
        rep=201, rep2=201, rep3=201, manager=403, manager_t2=403, director=403, admin=403,
        other_tenant_rep=422, other_tenant_admin=403)),
    "list check-ins": Row("GET", "/v1/checkins", get("/v1/checkins?limit=500"),
                          OWNED_BY_R1, marker="X1"),
    "read a check-in": Row("GET", "/v1/checkins/{checkin_id}", get("/v1/checkins/{X1}"),
                           ONE_OF_R1),
    "read its photo": Row("GET", "/v1/checkins/{checkin_id}/photo",
                          get("/v1/checkins/{X1}/photo?annotated=true"), ONE_OF_R1),
    "read its watermarked copy": Row("GET", "/v1/checkins/{checkin_id}/photo/archive",
                                     get("/v1/checkins/{X1}/photo/archive"), ONE_OF_R1),
    "read its manifest": Row("GET", "/v1/checkins/{checkin_id}/manifest",
                             get("/v1/checkins/{X1}/manifest"), ONE_OF_R1),
    "review queue": Row("GET", "/v1/reviews", get("/v1/reviews?limit=500"), by_role(
        rep=403, rep2=403, rep3=403, manager="see", manager_t2="hide", director="see",
        admin="see", other_tenant_rep=403, other_tenant_admin="hide"), marker="R1"),
    "review a check-in": Row("POST", "/v1/checkins/{checkin_id}/review", post(
        "/v1/checkins/{checkin}/review", lambda w: {"decision": "approve", "note": "seen"},
        fresh_review_of_r1), by_role(
        rep=403, rep2=403, rep3=403, manager=201, manager_t2=404, director=201, admin=201,
        other_tenant_rep=403, other_tenant_admin=404)),
    "list leads": Row("GET", "/v1/leads", get("/v1/leads?limit=500"), OWNED_BY_R1,
                      marker="L1"),
    "create a lead": Row("POST", "/v1/leads", post("/v1/leads", lambda w: {
        "id": w.fresh("new-lead"), "channel": "trade fair", "tier": "A"}), by_role(
        rep=403, rep2=403, rep3=403, manager=201, manager_t2=201, director=201, admin=201,
        other_tenant_rep=403, other_tenant_admin=201)),
    "read a lead": Row("GET", "/v1/leads/{lead_id}", get("/v1/leads/L1"), ONE_OF_R1),
    "assign a lead": Row("POST", "/v1/leads/{lead_id}/assign", post(
        "/v1/leads/{lead}/assign", lambda w: {"rep_id": "r2"}, fresh_lead_of_r1), by_role(
        rep=403, rep2=403, rep3=403, manager=200, manager_t2=404, director=200, admin=200,
        other_tenant_rep=403, other_tenant_admin=404)),
    "touch a lead": Row("POST", "/v1/leads/{lead_id}/touches", post(
        "/v1/leads/L1/touches", lambda w: {"id": w.fresh("touch"), "kind": "call",
                                           "at": utc_now().isoformat()}), by_role(
        rep=201, rep2=404, rep3=404, manager=403, manager_t2=403, director=403, admin=403,
        other_tenant_rep=404, other_tenant_admin=403)),
    "list contacts": Row("GET", "/v1/contacts", get("/v1/contacts?customer_id=c9"),
                         OWNED_BY_R1, marker="K1"),
    "write a contact": Row("POST", "/v1/contacts", post("/v1/contacts", lambda w: {
        "id": w.fresh("contact"), "customer_id": "c9", "name": "Ms Li",
        "role": "category_manager"}), by_role(
        rep=201, rep2=422, rep3=422, manager=201, manager_t2=422, director=201, admin=201,
        other_tenant_rep=422, other_tenant_admin=422)),
    "list next actions": Row("GET", "/v1/actions", get("/v1/actions?limit=500"),
                             OWNED_BY_R1, marker="X1"),
    "complete a next action": Row("POST", "/v1/actions/{checkin_id}/complete", post(
        "/v1/actions/{checkin}/complete", lambda w: {"completed_at": utc_now().isoformat()},
        fresh_checkin_of_r1), by_role(
        rep=201, rep2=404, rep3=404, manager=201, manager_t2=404, director=201, admin=201,
        other_tenant_rep=404, other_tenant_admin=404)),
    "read the rules": Row("GET", "/v1/rules", get("/v1/rules"), TENANT_WIDE_READ,
                          marker="acme-rules-v1"),
    "list rule versions": Row("GET", "/v1/rules/versions", get("/v1/rules/versions"),
                              TENANT_WIDE_READ, marker="acme-rules-v1"),
    "read a rule version": Row("GET", "/v1/rules/{version}", get("/v1/rules/1"),
                               TENANT_WIDE_READ, marker="acme-rules-v1"),
    "write the rules": Row("POST", "/v1/rules", lambda w, c: w.client.post(
        "/v1/rules", json={"note": w.fresh("rules"), "base_version": w.current_rules_version(c)},
        headers=_bearer(w.token(c))), DIRECTORS_WRITE),
    "PHI report": Row("GET", "/v1/phi", get(f"/v1/phi?period={PERIOD}"), OWNED_BY_R1,
                      marker='"r1"'),
    "overlap map data": Row("GET", "/v1/overlap", get(f"/v1/overlap?{WINDOW}"), by_role(
        rep=403, rep2=403, rep3=403, manager="see", manager_t2="hide", director="see",
        admin="see", other_tenant_rep=403, other_tenant_admin="hide"), marker='"r1"'),
    "coverage gaps": Row("GET", "/v1/coverage-gaps", get("/v1/coverage-gaps?limit=500"),
                         OWNED_BY_R1, marker='"c8"'),
    "sign in to the pages": Row("GET", "/manager/login", lambda w, c: w.client.get(
        "/manager/login", params={} if c == "none" else {"token": w.token(c)},
        follow_redirects=False), by_role(
        rep=403, rep2=403, rep3=403, manager=303, manager_t2=303, director=303, admin=303,
        other_tenant_rep=403, other_tenant_admin=303) | {"none": 422}),
    "sign out": Row("GET", "/manager/logout", get("/manager/logout", page=True),
                    OPEN, unauthenticated=200),
    "pages home": Row("GET", "/manager", get("/manager", page=True),
                      dict.fromkeys(CALLERS, 303), unauthenticated=303),
    "check-ins page": Row("GET", "/manager/checkins", get("/manager/checkins", page=True),
                          MANAGERS_PAGE, marker="X1"),
    "check-ins CSV export": Row("GET", "/manager/checkins.csv",
                                get("/manager/checkins.csv", page=True), MANAGERS_PAGE,
                                marker="X1"),
    "check-in drill-down": Row("GET", "/manager/checkins/{checkin_id}",
                               get("/manager/checkins/{X1}", page=True), ONE_OF_R1_PAGE),
    "drill-down photo": Row("GET", "/manager/checkins/{checkin_id}/photo",
                            get("/manager/checkins/{X1}/photo", page=True), ONE_OF_R1_PAGE),
    "review queue page": Row("GET", "/manager/reviews",
                             get("/manager/reviews?limit=500", page=True), MANAGERS_PAGE,
                             marker="R1"),
    "decide on the page": Row("POST", "/manager/checkins/{checkin_id}/review", review_form,
                              by_role(rep=403, rep2=403, rep3=403, manager=303,
                                      manager_t2=404, director=303, admin=303,
                                      other_tenant_rep=403, other_tenant_admin=404)),
    "PHI page": Row("GET", "/manager/phi", get(f"/manager/phi?period={PERIOD}", page=True),
                    MANAGERS_PAGE, marker="r1"),
    "overlap page": Row("GET", "/manager/overlap", get(f"/manager/overlap?{WINDOW}",
                                                       page=True), by_role(
        rep=403, rep2=403, rep3=403, manager=200, manager_t2=200, director=200, admin=200,
        other_tenant_rep=403, other_tenant_admin="hide")),
    "check-in thumbnail": Row("GET", "/manager/checkins/{checkin_id}/thumbnail",
                              get("/manager/checkins/{X1}/thumbnail", page=True),
                              ONE_OF_R1_PAGE),
    "photo gallery": Row("GET", "/manager/gallery", get("/manager/gallery", page=True),
                         MANAGERS_PAGE, marker="X1"),
    "rep's day page": Row("GET", "/manager/reps/{rep_id}/day",
                          get("/manager/reps/r1/day", page=True), ONE_OF_R1_PAGE),
    "rep's day picker": Row("GET", "/manager/reps/day",
                            get("/manager/reps/day?rep_id=r1", page=True), by_role(
        rep=403, rep2=403, rep3=403, manager=303, manager_t2=303, director=303, admin=303,
        other_tenant_rep=403, other_tenant_admin=303)),
    "rules page": Row("GET", "/manager/rules", get("/manager/rules", page=True), by_role(
        rep=403, rep2=403, rep3=403, manager="see", manager_t2="see", director="see",
        admin="see", other_tenant_rep=403, other_tenant_admin="hide"),
        marker="acme-rules-v1"),
    "save rules on the page": Row("POST", "/manager/rules", rules_form, by_role(
        rep=403, rep2=403, rep3=403, manager=403, manager_t2=403, director=303, admin=303,
        other_tenant_rep=403, other_tenant_admin=303)),
    "rules diff page": Row("GET", "/manager/rules/diff",
                           get("/manager/rules/diff?from=1&to=1", page=True), by_role(
        rep=403, rep2=403, rep3=403, manager=200, manager_t2=200, director=200, admin=200,
        other_tenant_rep=403, other_tenant_admin="hide")),
    "PHI drill-down page": Row("GET", "/manager/phi/explain",
                               get(f"/manager/phi/explain?rep=r1&period={PERIOD}",
                                   page=True), ONE_OF_R1_PAGE),
    "PHI CSV export": Row("GET", "/manager/phi.csv",
                          get(f"/manager/phi.csv?period={PERIOD}", page=True),
                          MANAGERS_PAGE, marker="r1"),
    "PHI Excel export": Row("GET", "/manager/phi.xlsx",
                            get(f"/manager/phi.xlsx?period={PERIOD}", page=True),
                            PAGE_READ),
    "check-ins Excel export": Row("GET", "/manager/checkins.xlsx",
                                  get("/manager/checkins.xlsx", page=True), PAGE_READ),
    "coverage gaps CSV export": Row("GET", "/manager/gaps.csv",
                                    get("/manager/gaps.csv", page=True), MANAGERS_PAGE,
                                    marker="c8"),
    "coverage gaps Excel export": Row("GET", "/manager/gaps.xlsx",
                                      get("/manager/gaps.xlsx", page=True), PAGE_READ),
    "visit pack": Row("GET", "/v1/customers/{customer_id}/visit-pack",
                      get("/v1/customers/c9/visit-pack"), ONE_OF_R1),
    "visit pack page": Row("GET", "/manager/customers/{customer_id}/visit-pack",
                           get("/manager/customers/c9/visit-pack", page=True),
                           ONE_OF_R1_PAGE),
    "rep sign-in": Row("GET", "/rep/login", lambda w, c: w.client.get(
        "/rep/login", params={} if c == "none" else {"token": w.token(c)},
        follow_redirects=False), {**ONE_OF_R1_REP_PAGE, "rep": 303, "rep2": 303, "rep3": 303,
                                  "other_tenant_rep": 303, "none": 422}),
    "rep sign-out": Row("GET", "/rep/logout", rep_page("/rep/logout"), OPEN,
                        unauthenticated=200),
    "rep's customers page": Row("GET", "/rep", rep_page("/rep"), {
        **ONE_OF_R1_REP_PAGE, "rep": "see", "rep2": "hide", "rep3": "hide",
        "other_tenant_rep": "hide"}, marker="c9"),
    "rep's visit pack page": Row("GET", "/rep/customers/{customer_id}/visit-pack",
                                 rep_page("/rep/customers/c9/visit-pack"),
                                 ONE_OF_R1_REP_PAGE),
    "rep's check-in photo": Row("GET", "/rep/checkins/{checkin_id}/photo",
                                rep_page("/rep/checkins/{X1}/photo"), ONE_OF_R1_REP_PAGE),
    "post a visit note": Row("POST", "/v1/visit-notes", post(
        "/v1/visit-notes", lambda w: {"text": "c9: follow up tomorrow"}), by_role(
        rep=201, rep2=201, rep3=201, manager=403, manager_t2=403, director=403, admin=403,
        other_tenant_rep=201, other_tenant_admin=403)),
    "one visit note": Row("GET", "/v1/visit-notes/{note_id}",
                          note_get("/v1/visit-notes/{N1}"), ONE_OF_R1),
    "a visit note's recording": Row("GET", "/v1/visit-notes/{note_id}/audio",
                                    note_get("/v1/visit-notes/{N1}/audio"), ONE_OF_R1),
    "a visit note's recording page": Row("GET", "/manager/visit-notes/{note_id}/audio",
                                         note_get("/manager/visit-notes/{N1}/audio",
                                                  page=True), ONE_OF_R1_PAGE),
    "rep's visit-note page": Row("GET", "/rep/notes", rep_page("/rep/notes"), {
        **ONE_OF_R1_REP_PAGE, "rep2": 200, "rep3": 200, "other_tenant_rep": 200}),
    "post on the rep's visit-note page": Row("POST", "/rep/notes", rep_note_form, {
        **ONE_OF_R1_REP_PAGE, "rep": 201, "rep2": 201, "rep3": 201,
        "other_tenant_rep": 201}),
    "liveness": Row("GET", "/healthz", get("/healthz"), OPEN, unauthenticated=200),
    "readiness": Row("GET", "/readyz", get("/readyz"), OPEN, unauthenticated=200),
    "metrics": Row("GET", "/metrics", get("/metrics"), OPEN, unauthenticated=200),
}


def test_the_table_lists_every_endpoint_of_the_app(world: World) -> None:
    served = {(method.upper(), path)
              for path, operations in world.client.app.openapi()["paths"].items()  # type: ignore[attr-defined]
              for method in operations}
    listed = {(row.method, row.path) for row in ROWS.values()}
    assert served - listed == set(), "endpoints missing from the authorization table"
    assert listed - served == set(), "the table lists endpoints the app doesn't serve"


@pytest.mark.parametrize("name", list(ROWS))
def test_who_may_call(world: World, name: str) -> None:
    row = ROWS[name]
    wrong = []
    for caller in CALLERS:
        expected = row.expected.get(caller, row.unauthenticated)
        response = row.call(world, caller)
        marker = world.ids.get(row.marker or "", row.marker)
        if not _holds(expected, response, marker):
            wrong.append(f"{caller}: expected {expected}, got {response.status_code} "
                         f"{response.text[:160]!r}")
        assert response.status_code < 500, f"{caller}: {response.text[:300]}"
    assert wrong == [], f"{row.method} {row.path}:\n" + "\n".join(wrong)


def _holds(expected: int | str, response: Any, marker: str | None) -> bool:
    status = response.status_code
    if expected == "see":
        return 200 <= status < 300 and marker is not None and marker in response.text
    if expected == "hide":
        return status < 500 and (marker is None or marker not in response.text)
    return bool(status == expected)


def test_other_tenants_writes_land_in_their_own_tenant(world: World) -> None:
    lead_id = world.fresh("globex-lead")
    created = world.client.post("/v1/leads", json={"id": lead_id, "channel": "web",
                                                   "tier": "C"},
                                headers=_bearer(world.tokens["other_tenant_admin"]))
    assert created.status_code == 201
    acme = world.client.get(f"/v1/leads/{lead_id}", headers=_bearer(world.tokens["admin"]))
    globex = world.client.get(f"/v1/leads/{lead_id}",
                              headers=_bearer(world.tokens["other_tenant_admin"]))
    assert (acme.status_code, globex.status_code) == (404, 200)

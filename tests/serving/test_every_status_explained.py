"""Every status explained (issue 19, item 1): over a simulated store (fix checks and the
simulator's own ``photo_reuse`` check), no check-in that is not ``verified`` shows an empty
reason list, in the API (the list and one check-in) or on its page, and PHI excludes each
for codes the API shows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from application.phi_inputs import tables_from_store
from application.settings import Settings
from phi.tables import failure_codes
from serving.app import create_app
from serving.auth import Role, issue_token
from simulation.scenario import SimulationConfig, simulate
from simulation.writer import write_store
from visitproof.records import Checkin, CheckinStatus
from visitproof.store import Store, open_database
from visitproof.verdicts import checkin_verdict

CONFIG = SimulationConfig(reps=6, customers=60, days=5, seed=5, fraud_rate=0.2)


@dataclass
class Simulated:
    client: TestClient
    checkins: list[Checkin]
    failures: dict[str, set[str]]
    headers: dict[str, str]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulated]:
    data_dir: Path = tmp_path_factory.mktemp("simulated")
    settings = Settings(data_dir=data_dir, tenant=CONFIG.tenant)
    write_store(simulate(CONFIG), settings.resolved_database_url)
    database = open_database(settings.resolved_database_url)
    token = issue_token(database, tenant_id=CONFIG.tenant, user_id="d1", role=Role.DIRECTOR)
    with database.connect() as connection:
        checkins = Store(connection, CONFIG.tenant).checkins.find()
        tables = tables_from_store(connection, CONFIG.tenant)
    database.dispose()
    failures: dict[str, set[str]] = {}
    for row in tables.failures.itertuples(index=False):
        failures.setdefault(str(row.checkin_id), set()).add(str(row.code))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        login = client.get("/manager/login", params={"token": token}, follow_redirects=False)
        assert login.status_code == 303, login.text
        yield Simulated(client=client, checkins=checkins, failures=failures,
                        headers={"Authorization": f"Bearer {token}"})


def test_the_simulated_store_has_what_the_issue_is_about(simulated: Simulated) -> None:
    statuses = {c.status for c in simulated.checkins}
    assert {CheckinStatus.VERIFIED, CheckinStatus.REJECTED} <= statuses
    reused = [c for c in simulated.checkins
              if any(r.code == "PHOTO_REUSED" for v in c.verifications for r in v.reasons)]
    assert reused, "the simulation re-used no photo: the test would prove nothing"


def test_the_stored_status_is_the_verdicts(simulated: Simulated) -> None:
    assert [c.status for c in simulated.checkins] == \
        [checkin_verdict(c).status for c in simulated.checkins]


def test_phi_excludes_for_the_codes_the_api_shows(simulated: Simulated) -> None:
    for checkin in simulated.checkins:
        from_store = simulated.failures.get(str(checkin.id), set())
        assert from_store == set(failure_codes(checkin)), checkin.id
        assert from_store <= {r.code for r in checkin_verdict(checkin).reasons}


def _all_listed(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/checkins", params={"limit": 200, "offset": len(listed)},
                          headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        listed.extend(body["data"])
        if len(listed) >= body["count"] or not body["data"]:
            return listed


def test_no_unverified_checkin_has_no_reason_in_the_list(simulated: Simulated) -> None:
    listed = _all_listed(simulated.client, simulated.headers)
    assert len(listed) == len(simulated.checkins)
    unexplained = [c["id"] for c in listed
                   if c["status"] != "verified" and not c["verdict"]["reasons"]]
    assert unexplained == []
    assert all(c["status"] == c["verdict"]["status"] for c in listed)


def test_no_unverified_checkin_has_no_reason_alone_or_on_its_page(
        simulated: Simulated) -> None:
    unverified = [c for c in simulated.checkins if c.status is not CheckinStatus.VERIFIED]
    assert unverified
    for checkin in unverified:
        one = simulated.client.get(f"/v1/checkins/{checkin.id}", headers=simulated.headers)
        assert one.status_code == 200, one.text
        body = one.json()
        codes = [r["code"] for r in body["verdict"]["reasons"]]
        assert body["status"] == checkin.status.value
        assert codes, checkin.id
        page = simulated.client.get(f"/manager/checkins/{checkin.id}")
        assert page.status_code == 200, page.text
        reasons = page.text.split("<h2>Reasons</h2>", 1)[1].split("<h2>", 1)[0]
        assert "<p class='muted'>none</p>" not in reasons, checkin.id
        shown = re.findall(r"<li><code>([^<]+)</code>", reasons)
        assert [unescape(code) for code in shown] == codes

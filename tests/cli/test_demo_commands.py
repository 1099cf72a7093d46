"""``visitproof demo``: what ``make run`` prints must work when a new user pastes it."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from application.settings import Settings
from serving.app import create_app
from serving.auth import Role, authenticate
from tests.builders import TENANT, make_customer, make_rep, make_team
from tests.subprocess_cli import run_visitproof
from visitproof.store import Store, open_database
from visitproof.values import utc_now

visitproof = partial(run_visitproof, VISITPROOF_TENANT=TENANT)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "var"
    assert visitproof(folder, "init").returncode == 0
    database = open_database(f"sqlite:///{folder / 'visitproof.sqlite3'}")
    with database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_teams([make_team("t1")])
        store.reference.put_reps([make_rep("r1", team="t1"), make_rep("r2", team="t1")])
        store.reference.put_customers([make_customer("c1", reps=("r2",))])
    database.dispose()
    return folder


def test_demo_meta_uploads_as_a_fresh_visit_near_the_store(data_dir: Path) -> None:
    photo = data_dir / "demo" / "shelf.jpg"
    rendered = visitproof(data_dir, "demo", "photo", str(photo), "--size", "1200x900",
                          "--feature", "2")
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.count("featured SKU-") == 2
    made = visitproof(data_dir, "demo", "meta")
    assert made.returncode == 0, made.stderr
    meta = json.loads(made.stdout)
    assert meta["customer_id"] == "c1"

    settings = Settings(data_dir=data_dir)
    database = open_database(settings.resolved_database_url)
    token = _rep_token(data_dir, "r2")
    with TestClient(create_app(settings)) as client:
        answer = client.post("/v1/checkins", data={"meta": json.dumps(meta)},
                             files={"photo": ("shelf.jpg", photo.read_bytes(), "image/jpeg")},
                             headers={"Authorization": f"Bearer {token}"})
    database.dispose()
    assert answer.status_code == 201, answer.text
    verdict = answer.json()
    codes = {reason["code"] for reason in verdict["reasons"]}
    # A fresh, honest visit: no timing or position complaint, and both featured SKUs judged.
    assert not codes & {"FIX_EXACTLY_ON_CUSTOMER", "SUBMITTED_LATE", "GPS_OUTSIDE_GEOFENCE"}, codes
    assert verdict["fix"]["status"] == "verified"
    assert sorted(f["sku"] for f in verdict["shelf"]["featured"]) == sorted(
        re.findall(r"featured (SKU-\d+)", rendered.stdout))


def test_demo_banner_prints_tokens_that_authenticate(data_dir: Path) -> None:
    result = visitproof(data_dir, "demo", "banner", "--port", "8123")
    assert result.returncode == 0, result.stderr
    assert "http://127.0.0.1:8123/docs" in result.stdout
    rep_token = re.search(r"export TOKEN=(\S+)", result.stdout)
    manager_token = re.search(r"manager pages .*token=(\S+)", result.stdout)
    rep_pages = re.search(r"rep pages .*/rep/login\?token=(\S+)", result.stdout)
    assert rep_token
    assert rep_pages
    assert rep_pages[1] == rep_token[1]
    assert manager_token
    database = open_database(f"sqlite:///{data_dir / 'visitproof.sqlite3'}")
    rep = authenticate(database, rep_token[1], utc_now())
    manager = authenticate(database, manager_token[1], utc_now())
    database.dispose()
    assert (rep.role, rep.user_id) == (Role.REP, "r2")
    assert (manager.role, manager.team_id) == (Role.MANAGER, "t1")


def test_demo_meta_without_customers_says_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    assert visitproof(folder, "init").returncode == 0
    result = visitproof(folder, "demo", "meta")
    assert result.returncode != 0
    assert "[NOT_FOUND]" in result.stderr
    assert "visitproof simulate" in result.stderr


def _rep_token(data_dir: Path, rep_id: str) -> str:
    result = visitproof(data_dir, "tokens", "create", "--user", rep_id, "--role", "rep")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()

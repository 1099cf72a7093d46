"""The API on a real SQLite store with the committed ONNX model, a small company in it:

    tenant acme:   team t1 (reps r1, r2), team t2 (rep r3), customer c1
    tenant globex: rep g1, customer c1 (same ids as acme's, on purpose)

and one token per role (``tokens["rep"]`` is r1's; ``tokens["manager"]`` manages t1).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from application.settings import Settings
from serving.app import create_app
from serving.auth import Role, issue_token
from tests.builders import TENANT, make_customer, make_rep, make_team, make_tenant
from tests.vision.photos import encode, textured
from visitproof.store import Database, Store
from visitproof.store.tables import checkins, verifications

OTHER_TENANT = "globex"


@dataclass
class Api:
    """A running app, its store, and tokens by name."""

    client: TestClient
    app: FastAPI
    database: Database
    photos_dir: Path
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def upload(self, meta: dict[str, Any] | str, photo: bytes | None, *, who: str = "rep",
               filename: str = "shelf.jpg", content_type: str = "image/jpeg") -> Any:
        data = {"meta": meta if isinstance(meta, str) else json.dumps(meta)}
        files = None if photo is None else {"photo": (filename, photo, content_type)}
        return self.client.post("/v1/checkins", data=data, files=files,
                                headers=self.auth(who))

    def stored(self) -> tuple[int, int, int]:
        """(check-in rows, verification rows, photo files) in the store."""
        with self.database.connect() as connection:
            count_checkins = connection.execute(
                sa.select(sa.func.count()).select_from(checkins)).scalar_one()
            count_verifications = connection.execute(
                sa.select(sa.func.count()).select_from(verifications)).scalar_one()
        files = [p for p in self.photos_dir.rglob("*") if p.is_file()] \
            if self.photos_dir.exists() else []
        return count_checkins, count_verifications, len(files)


def seed(database: Database) -> dict[str, str]:
    """The company above; returns a token per name."""
    with database.begin() as connection:
        acme = Store(connection, TENANT)
        acme.reference.put_teams([make_team("t1"), make_team("t2")])
        acme.reference.put_reps([make_rep("r1", team="t1"), make_rep("r2", team="t1"),
                                 make_rep("r3", team="t2")])
        acme.reference.put_customers([make_customer("c1")])
        globex = Store(connection, OTHER_TENANT)
        globex.reference.put_tenant(make_tenant(OTHER_TENANT))
        globex.reference.put_reps([make_rep("g1", team=None, tenant=OTHER_TENANT)])
        globex.reference.put_customers([make_customer("c1", reps=("g1",), tenant=OTHER_TENANT)])
    return {
        "rep": issue_token(database, tenant_id=TENANT, user_id="r1", role=Role.REP),
        "rep2": issue_token(database, tenant_id=TENANT, user_id="r2", role=Role.REP),
        "rep3": issue_token(database, tenant_id=TENANT, user_id="r3", role=Role.REP),
        "manager": issue_token(database, tenant_id=TENANT, user_id="m1", role=Role.MANAGER,
                               team_id="t1"),
        "manager_t2": issue_token(database, tenant_id=TENANT, user_id="m2",
                                  role=Role.MANAGER, team_id="t2"),
        "director": issue_token(database, tenant_id=TENANT, user_id="d1", role=Role.DIRECTOR),
        "admin": issue_token(database, tenant_id=TENANT, user_id="a1", role=Role.ADMIN),
        "other_tenant_rep": issue_token(database, tenant_id=OTHER_TENANT, user_id="g1",
                                        role=Role.REP),
        "other_tenant_admin": issue_token(database, tenant_id=OTHER_TENANT, user_id="a9",
                                          role=Role.ADMIN),
    }


@pytest.fixture
def make_api(database: Database, tmp_path: Path) -> Iterator[Callable[..., Api]]:
    """Start the app over the seeded store; keyword arguments override settings (``clock``:
    the rate limiter's, so tests move time instead of sleeping; ``detector``: the app's
    detector factory, as serving.ray_app passes one)."""
    tokens = seed(database)
    clients: list[TestClient] = []

    def start(*, clock: Callable[[], float] = time.monotonic,
              detector: Callable[[Settings], Any] | None = None, **overrides: Any) -> Api:
        settings = Settings(data_dir=tmp_path / "store", **overrides)
        app = create_app(settings, clock=clock, detector=detector)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Api(client=client, app=app, database=database,
                   photos_dir=settings.photos_dir, tokens=tokens)

    yield start
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


@pytest.fixture
def replica_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop started with ``run_forever`` on a thread of its own, as a Serve
    replica runs its loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.close()


def shelf_photo(seed: int = 0) -> bytes:
    """A decodable, sharp JPEG (1280×960); different seeds give unrelated pictures."""
    return encode(textured(1280, 960, seed=seed))

"""Directors posting rules at once, against a live server: optimistic concurrency on the
rules' version number.

The app runs under uvicorn on a free loopback port (in a thread of this process), over a
real SQLite file; each request of a burst comes from its own thread and connection, all
released together by a barrier, so the posts really race inside the server's thread pool
and the store. Of twenty posts on the same base version exactly one is stored; the other
nineteen are 409 ``STALE_RULES_VERSION`` naming the winner's version. No 500, no edit lost.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from application.settings import Settings
from serving.app import create_app
from tests.api_harness import seed
from tests.pages_harness import serve
from visitproof.store import Database

POSTERS = 20


@dataclass(frozen=True)
class Live:
    """The live server's address and the seeded tokens."""

    base_url: str
    tokens: dict[str, str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def live(database: Database, tmp_path: Path) -> Iterator[Live]:
    """The app under uvicorn on loopback over the seeded store, rate limits off (every
    post of a burst comes from the same director's token)."""
    tokens = seed(database)
    app = create_app(Settings(data_dir=tmp_path / "store", rate_limit_per_minute=0))
    with serve(app) as base_url:
        yield Live(base_url=base_url, tokens=tokens)


def rules(note: str, base_version: int) -> dict[str, Any]:
    """A small but real rules body, told apart by its note."""
    return {"base_version": base_version, "note": note,
            "golden_zones": {"gondola": {"rows_by_shelf_count": {"5": [2, 3]}}},
            "evidence": {"hospital_department": ["contract_number"]}}


def burst(live: Live, base_version: int, tag: str) -> list[httpx.Response]:
    """``POSTERS`` posts on ``base_version`` at once, alternating director and admin, each
    from its own thread and connection, released together."""
    ready = threading.Barrier(POSTERS)

    def post(i: int) -> httpx.Response:
        with live.client() as client:
            client.get("/healthz")  # connected before the barrier
            ready.wait(timeout=30)
            return client.post("/v1/rules", json=rules(f"{tag}-{i}", base_version),
                               headers=live.auth("director" if i % 2 else "admin"))

    with ThreadPoolExecutor(max_workers=POSTERS) as pool:
        return list(pool.map(post, range(POSTERS)))


def assert_one_winner(responses: list[httpx.Response], version: int) -> str:
    """Exactly one 201 storing ``version``, every other a 409 naming it; the winner's
    note."""
    assert Counter(r.status_code for r in responses) == {201: 1, 409: POSTERS - 1}, \
        [(r.status_code, r.text[:200]) for r in responses]
    (won,) = [r.json() for r in responses if r.status_code == 201]
    assert won["version"] == version
    for lost in (r.json() for r in responses if r.status_code == 409):
        assert (lost["code"], lost["field"], lost["current_version"]) == \
            ("STALE_RULES_VERSION", "base_version", version), lost
        assert f"current version is {version}" in lost["message"]
    return str(won["note"])


def test_twenty_directors_at_once_one_stores_nineteen_are_told_the_winner(
        live: Live) -> None:
    first_winner = assert_one_winner(burst(live, 0, "first"), version=1)
    with live.client() as client:
        versions = client.get("/v1/rules/versions", headers=live.auth("manager")).json()
        assert (versions["current"], [v["note"] for v in versions["data"]]) == \
            (1, [first_winner])
        # Twenty in a row, each on the version the previous one stored: none is refused.
        for i in range(POSTERS):
            latest = client.get("/v1/rules/versions", headers=live.auth("director")).json()
            posted = client.post("/v1/rules", json=rules(f"sequence-{i}", latest["current"]),
                                 headers=live.auth("director"))
            assert (posted.status_code, posted.json()["version"]) == \
                (201, latest["current"] + 1), posted.text
        versions = client.get("/v1/rules/versions", headers=live.auth("rep")).json()
    assert [v["version"] for v in versions["data"]] == list(range(1, POSTERS + 2))
    assert [v["note"] for v in versions["data"]] == \
        [first_winner] + [f"sequence-{i}" for i in range(POSTERS)]

    # A second race, on a version that isn't the first: the same one winner.
    second_winner = assert_one_winner(burst(live, POSTERS + 1, "second"), POSTERS + 2)
    with live.client() as client:
        current = client.get("/v1/rules", headers=live.auth("rep")).json()
        assert (current["version"], current["note"]) == (POSTERS + 2, second_winner)
        # Late posts on any other base, older, newer or none, still store nothing.
        for base in (0, 1, POSTERS + 1, POSTERS + 3, 10**6):
            stale = client.post("/v1/rules", json=rules("late", base),
                                headers=live.auth("director"))
            assert (stale.status_code, stale.json()["code"],
                    stale.json()["current_version"]) == \
                (409, "STALE_RULES_VERSION", POSTERS + 2), stale.text
        versions = client.get("/v1/rules/versions", headers=live.auth("director")).json()
    assert versions["current"] == POSTERS + 2
    assert len(versions["data"]) == POSTERS + 2

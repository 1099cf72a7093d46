"""Retries under concurrency: a phone on a flaky network sends the same check-in again
before the first answer arrives.

1,000 check-ins, each sent 3 times at the same instant (a barrier per check-in lines the
three attempts up) by 30 reps through a 9-thread pool: exactly 1,000 check-ins are stored,
each with its verifications and its photo, and the three answers of a check-in are the same
bytes: one 201 (the attempt whose transaction committed) and two 200s (the others, answered
from the store, either because the first had committed when they looked or because the
primary key refused their insert). The same id sent at once with different bodies stores one
check-in and answers the others 409.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from serving.auth import Role, issue_token
from tests.api_harness import Api
from tests.builders import TENANT, make_customer, make_rep, make_upload_meta
from tests.vision.photos import encode, textured
from visitproof.store import Store

CHECKINS = 1_000
ATTEMPTS = 3
REPS = 30
WORKERS = 3 * ATTEMPTS


@dataclass(frozen=True)
class Upload:
    meta: dict[str, Any]
    photo: bytes
    token: str


def _reps_with_tokens(api: Api, count: int) -> list[str]:
    """``count`` more reps of team t1, each with a customer of their own; their tokens."""
    reps = [f"p{n}" for n in range(count)]
    with api.database.begin() as connection:
        store = Store(connection, TENANT)
        store.reference.put_reps([make_rep(rep, team="t1") for rep in reps])
        store.reference.put_customers([make_customer(f"c-{rep}", reps=(rep,)) for rep in reps])
    return [issue_token(api.database, tenant_id=TENANT, user_id=rep, role=Role.REP)
            for rep in reps]


def _send_at_once(api: Api, attempts: list[tuple[Upload, dict[str, Any], bytes]]
                  ) -> list[tuple[str, int, bytes]]:
    """Send every attempt, those of one check-in id released together by a barrier; returns
    (check-in id, status, body) per attempt, in order."""
    by_id: Counter[str] = Counter(str(meta["id"]) for _, meta, _ in attempts)
    barriers = {checkin_id: threading.Barrier(n, timeout=60)
                for checkin_id, n in by_id.items()}

    def attempt(item: tuple[Upload, dict[str, Any], bytes]) -> tuple[str, int, bytes]:
        upload, meta, photo = item
        headers = {"Authorization": f"Bearer {upload.token}"}
        barriers[str(meta["id"])].wait()
        response = api.client.post(
            "/v1/checkins", data={"meta": json.dumps(meta)},
            files={"photo": ("shelf.jpg", photo, "image/jpeg")}, headers=headers)
        return str(meta["id"]), response.status_code, response.content

    # Attempts of one id are adjacent and the pool is FIFO with >= ATTEMPTS workers, so at
    # most one id at a time waits at its barrier for a partner still in the queue.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(attempt, attempts))


@pytest.fixture
def uploads(make_api: Callable[..., Api]) -> tuple[Api, list[Upload]]:
    # Rate limits off: one phone's retries are the point here. One ONNX thread per request:
    # nine requests at once share the machine's cores instead of oversubscribing them.
    api = make_api(rate_limit_per_minute=0, detector_threads=1)
    tokens = _reps_with_tokens(api, REPS)
    uploads = [Upload(meta=make_upload_meta(checkin_id=uuid.UUID(int=n + 1),
                                            customer=f"c-p{n % REPS}"),
                      photo=encode(textured(160, 120, seed=n)), token=tokens[n % REPS])
               for n in range(CHECKINS)]
    return api, uploads


@pytest.mark.slow
def test_each_upload_sent_three_times_at_once_is_stored_once_with_identical_answers(
        uploads: tuple[Api, list[Upload]]) -> None:
    api, planned = uploads
    started = time.monotonic()
    answers = _send_at_once(api, [(upload, upload.meta, upload.photo)
                                  for upload in planned for _ in range(ATTEMPTS)])
    elapsed = time.monotonic() - started
    by_id: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
    for checkin_id, status, body in answers:
        by_id[checkin_id].append((status, body))
    statuses = Counter(status for _, status, _ in answers)
    print(f"\n{len(answers)} attempts for {CHECKINS} check-ins in {elapsed:.1f} s: "
          f"{dict(sorted(statuses.items()))}")
    assert len(by_id) == CHECKINS
    for checkin_id, replies in by_id.items():
        assert sorted(status for status, _ in replies) == [200, 200, 201], checkin_id
        assert len({body for _, body in replies}) == 1, checkin_id
    assert api.stored() == (CHECKINS, 2 * CHECKINS, CHECKINS)
    assert not list(api.photos_dir.rglob(".incoming-*"))


def test_one_id_sent_at_once_with_different_bodies_stores_one_checkin(
        uploads: tuple[Api, list[Upload]]) -> None:
    api, planned = uploads
    attempts = []
    for upload in planned[:100]:
        for variant in range(ATTEMPTS):
            meta = {**upload.meta, "commitment": {"text": f"commitment variant {variant}"}}
            attempts.append((upload, meta, upload.photo))
    answers = _send_at_once(api, attempts)
    by_id: dict[str, list[int]] = defaultdict(list)
    for checkin_id, status, _ in answers:
        by_id[checkin_id].append(status)
    assert all(sorted(statuses) == [201, 409, 409] for statuses in by_id.values()), by_id
    assert api.stored() == (100, 200, 100)

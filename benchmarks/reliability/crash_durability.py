"""Kill the server with SIGKILL at random moments during 500 uploads; check nothing is lost or
half-written.

A real uvicorn process (:mod:`benchmarks.reliability.live_server`) serves a seeded store with
its default settings (rate limits included). ``--clients`` threads send the planned uploads
(:func:`benchmarks.reliability.company.upload`, each retried byte for byte the same, as a
phone does) until each gets a 2xx: a refused connection, a connection cut mid-request, a 503
or a 429 means wait and send again. Meanwhile a killer sends SIGKILL to the server
``--kills`` times at random moments and restarts it. At the end, with the server stopped, the
store is read directly:

- every planned check-in is stored, with its ``shelf`` and ``fix`` verifications, its upload
  fingerprint and its photo file (whose SHA-256 is the row's);
- the verdict a client was first answered with (201 or 200) is the stored verdict;
- no check-in row lacks a verification, and no other rows exist (none half-written).

Orphan photo files (written before a transaction that the kill stopped) and ``.incoming-*``
temporary files (a kill mid-write) are counted: they are harmless by design (see
:mod:`application.checkin_intake`) and never referenced. Exits 1 when a check fails.

    python -m benchmarks.reliability.crash_durability --uploads 500 --kills 10 --seed 11
"""

from __future__ import annotations

import argparse
import hashlib
import json
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from benchmarks.options import command_line
from benchmarks.reliability.company import TENANT, Company, seed_company, upload
from benchmarks.reliability.live_server import LiveServer
from serving.schemas import VerdictPublic
from visitproof.store import Checkins, PhotoStore, open_database
from visitproof.store.tables import checkins, verifications


@dataclass
class Outcome:
    """What the clients saw, shared between their threads (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    refused: int = 0  # connection refused: the server was down
    cut: int = 0  # the connection broke mid-request: the server died under it
    cut_then: Counter[int] = field(default_factory=Counter)  # status of the retry after a cut
    unexpected: list[str] = field(default_factory=list)


def client_loop(base_url: str, plan: list[tuple[str, dict[str, Any], bytes]],
                todo: queue.Queue[int], outcome: Outcome) -> None:
    with httpx.Client(base_url=base_url, timeout=60) as client:
        while True:
            try:
                n = todo.get_nowait()
            except queue.Empty:
                return
            token, meta, photo = plan[n]
            was_cut = False
            while True:
                try:
                    response = client.post(
                        "/v1/checkins", data={"meta": json.dumps(meta)},
                        files={"photo": ("shelf.jpg", photo, "image/jpeg")},
                        headers={"Authorization": f"Bearer {token}"})
                except httpx.ConnectError:
                    with outcome.lock:
                        outcome.refused += 1
                    time.sleep(0.1)
                    continue
                except httpx.TransportError:
                    with outcome.lock:
                        outcome.cut += 1
                    was_cut = True
                    time.sleep(0.1)
                    continue
                with outcome.lock:
                    outcome.statuses[response.status_code] += 1
                    if was_cut:
                        outcome.cut_then[response.status_code] += 1
                        was_cut = False
                if response.status_code in (200, 201):
                    with outcome.lock:
                        outcome.answers[n] = (response.status_code, response.json())
                    break
                if response.status_code in (429, 503):
                    time.sleep(float(response.headers.get("Retry-After", "1")))
                    continue
                with outcome.lock:
                    outcome.unexpected.append(f"upload {n}: {response.status_code} "
                                              f"{response.text[:300]}")
                if response.status_code >= 500:
                    time.sleep(0.2)
                    continue
                break


def killer_loop(server: LiveServer, kills: int, gap_s: tuple[float, float],
                rng: random.Random, done: threading.Event,
                restarts_s: list[float]) -> None:
    for _ in range(kills):
        if done.wait(rng.uniform(*gap_s)):
            return
        server.kill()
        time.sleep(rng.uniform(0.0, 0.5))
        restarts_s.append(server.start())


@dataclass
class Audit:
    stored: int = 0
    whole: int = 0
    answers_match: int = 0
    problems: list[str] = field(default_factory=list)
    rows: tuple[int, int] = (0, 0)
    orphan_photos: int = 0
    temporary_files: int = 0


def audit_store(company: Company, plan_size: int, outcome: Outcome) -> Audit:
    """Read the store directly and check every planned check-in (see the module docstring)."""
    audit = Audit()
    database = open_database(company.database_url)
    photos = PhotoStore(company.data_dir / "photos")
    referenced: set[str] = set()
    try:
        with database.connect() as connection:
            stored = Checkins(connection, TENANT)
            for n in range(plan_size):
                checkin_id = uuid.UUID(int=n + 1)
                checkin = stored.get(checkin_id)
                if checkin is None:
                    audit.problems.append(f"upload {n}: not stored")
                    continue
                audit.stored += 1
                referenced.add(checkin.photo_sha256)
                checkers = sorted(v.checker for v in checkin.verifications)
                upload = stored.upload_fingerprint(checkin_id)
                fingerprint = upload.fingerprint if upload is not None else None
                photo_ok = photos.exists(checkin.photo_sha256) and hashlib.sha256(
                    photos.get(checkin.photo_sha256)).hexdigest() == checkin.photo_sha256
                if checkers == ["fix", "shelf"] and fingerprint and photo_ok:
                    audit.whole += 1
                else:
                    audit.problems.append(f"upload {n}: half-written (verifications "
                                          f"{checkers}, fingerprint {bool(fingerprint)}, "
                                          f"photo {photo_ok})")
                answer = outcome.answers.get(n)
                stored_verdict = json.loads(VerdictPublic.of(checkin).model_dump_json())
                if answer is not None and answer[1] == stored_verdict:
                    audit.answers_match += 1
                elif answer is not None:
                    audit.problems.append(f"upload {n}: answered {answer[0]} with a verdict "
                                          "that differs from the stored one")
            audit.rows = (
                connection.execute(sa.select(sa.func.count()).select_from(checkins)
                                   ).scalar_one(),
                connection.execute(sa.select(sa.func.count()).select_from(verifications)
                                   ).scalar_one())
    finally:
        database.dispose()
    if audit.rows != (plan_size, 2 * plan_size):
        audit.problems.append(f"store holds {audit.rows[0]} check-ins and {audit.rows[1]} "
                              f"verifications; expected {plan_size} and {2 * plan_size}")
    files = [p for p in (company.data_dir / "photos").rglob("*") if p.is_file()]
    audit.temporary_files = sum(p.name.startswith(".incoming-") for p in files)
    audit.orphan_photos = sum(not p.name.startswith(".incoming-") and p.name not in referenced
                              for p in files)
    return audit


def main() -> None:
    parser = command_line(__doc__, uploads=500, kills=10, clients=4, reps=50, seed=11)
    parser.add_argument("--gap", type=float, nargs=2, default=(1.0, 4.0),
                        metavar=("MIN_S", "MAX_S"), help="seconds between kills (uniform)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="visitproof-crash-") as scratch:
        company = seed_company(Path(scratch), reps=args.reps)
        now = datetime.now(UTC)
        plan = [upload(company, n, now=now) for n in range(args.uploads)]
        todo: queue.Queue[int] = queue.Queue()
        for n in range(args.uploads):
            todo.put(n)
        outcome = Outcome()
        restarts_s: list[float] = []
        done = threading.Event()
        server = LiveServer(company.data_dir)
        server.start()
        try:
            killer = threading.Thread(target=killer_loop, args=(
                server, args.kills, tuple(args.gap), rng, done, restarts_s))
            killer.start()
            clients = [threading.Thread(target=client_loop,
                                        args=(server.url, plan, todo, outcome))
                       for _ in range(args.clients)]
            for thread in clients:
                thread.start()
            for thread in clients:
                thread.join()
            done.set()
            killer.join()
        finally:
            server.stop()
        elapsed = time.monotonic() - started
        audit = audit_store(company, args.uploads, outcome)
    report(args, outcome, audit, restarts_s, elapsed)
    server_errors = sum(n for status, n in outcome.statuses.items() if status >= 500
                        and status != 503)
    if audit.problems or outcome.unexpected or server_errors or \
            len(outcome.answers) != args.uploads:
        sys.exit(1)


def report(args: argparse.Namespace, outcome: Outcome, audit: Audit, restarts_s: list[float],
           elapsed_s: float) -> None:
    answered = Counter(status for status, _ in outcome.answers.values())
    restart = f"{statistics.median(restarts_s):.1f} s median" if restarts_s else "-"
    print(f"uploads planned                 {args.uploads} ({args.clients} clients, "
          f"{args.reps} reps)")
    print(f"SIGKILLs (restart time)         {len(restarts_s)} ({restart})")
    print(f"attempts refused (server down)  {outcome.refused}")
    print(f"attempts cut mid-request        {outcome.cut}; their retry answered "
          f"{dict(sorted(outcome.cut_then.items()))} (200: the killed attempt had committed)")
    print(f"answers by status               {dict(sorted(outcome.statuses.items()))}")
    print(f"uploads answered 2xx            {len(outcome.answers)} "
          f"({dict(sorted(answered.items()))} first)")
    print(f"stored / whole / answer = store {audit.stored} / {audit.whole} / "
          f"{audit.answers_match}")
    print(f"rows (check-ins, verifications) {audit.rows}")
    print(f"orphan photo files (harmless)   {audit.orphan_photos}; temporary files left by "
          f"kills: {audit.temporary_files}")
    print(f"elapsed                         {elapsed_s:.0f} s")
    for line in outcome.unexpected[:20] + audit.problems[:20]:
        print(f"PROBLEM {line}")


if __name__ == "__main__":
    main()

"""Soak: mixed load at twice the expected peak on loopback; no 5xx, memory growth under 10%.

Expected peak, from the product brief's scale (one distributor: 150 reps, about 1,200
check-ins a day, peaking at 6 pm when reps upload from the road), taking half the day's
uploads in the peak hour and managers' pages as the reads:

    uploads        1,200 × 50% / 3,600 s  = 0.167 /s   (10% of them retries of an earlier one)
    check-in lists 15 managers, one refresh every 30 s = 0.5 /s
    check-in reads 15 managers, one opened every 30 s  = 0.5 /s
    photo reads    half of the opened check-ins        = 0.25 /s

    large uploads  a 39 MB upload (a JPEG padded to it) every 67 s  = 0.015 /s

The large uploads are not expected traffic (a phone's photo is 2-6 MB) but the worst the
upload limit lets in: they check that memory comes back after them
(:mod:`serving.upload_limit`).

``--factor`` (default 2) multiplies all five; ``--large-per-s`` replaces the large uploads'
rate (0: the mix without them, for comparison). Requests arrive open-loop (Poisson, seeded),
are sent by a thread pool, each as the role that would send it (the rep for uploads, a team's
manager or the director for reads), against a real uvicorn process
(:mod:`benchmarks.reliability.live_server`) over a seeded store with default settings, rate
limits included. The server's RSS is sampled every 5 s; growth is measured from the end of
the warm-up (``--warmup-s``; the first sample after it with no large upload in flight) to
the end, and to the highest sample after the warm-up taken while no large upload was in
flight nor had ended within the last 2 s. Samples taken during one give the transient peak,
bounded apart by :data:`LARGE_PEAK_BUDGET_MIB`. Exits 1 on any 5xx, growth of 10% or more,
or a transient peak over its budget.

    python -m benchmarks.reliability.soak --minutes 10
    python -m benchmarks.reliability.soak --minutes 1      # CI (a 15 s warm-up)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.reliability.company import TEAM_SIZE, Company, seed_company, upload
from benchmarks.reliability.live_server import LiveServer

PEAK_PER_S = {"upload": 1200 * 0.5 / 3600, "list": 0.5, "get": 0.5, "photo": 0.25,
              "large": 0.015}
RETRY_SHARE = 0.1
MAX_GROWTH = 0.10
LARGE_BYTES = 39_000_000
LARGE_SETTLE_S = 2.0  # after a large upload's answer, memory is still being handed back
# Each large body costs about twice its size while it is judged (its spool, then its bytes),
# and serving.upload_limit reads at most two at once: 2 x 2 x 40 MiB.
LARGE_PEAK_BUDGET_MIB = 160.0


@dataclass
class Load:
    """What was sent and answered; shared by the pool's threads (guarded by ``lock``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    stored: list[tuple[str, int]] = field(default_factory=list)  # (check-in id, plan index)
    sent_uploads: list[int] = field(default_factory=list)
    large_in_flight: int = 0
    large_settled_at: float = 0.0  # monotonic time after which the last one has settled

    def quiet(self, now: float) -> bool:
        """No large upload in flight, none ended within :data:`LARGE_SETTLE_S`."""
        with self.lock:
            return self.large_in_flight == 0 and now >= self.large_settled_at


class Traffic:
    """Builds and sends one request of a kind, as the role that would send it."""

    def __init__(self, company: Company, client: httpx.Client, load: Load,
                 rng: random.Random) -> None:
        self.company = company
        self.client = client
        self.load = load
        self.rng = rng
        self.next_upload = 0
        self.plan: dict[int, tuple[str, dict[str, object], bytes]] = {}

    def request(self, kind: str) -> Callable[[], None]:
        """The request to send for ``kind`` (chosen now, in the dispatcher's thread)."""
        if kind == "large":
            n = self._new_upload(retried=False)
            token, meta, photo = self.plan.pop(n)
            padded = photo + b"\0" * (LARGE_BYTES - len(photo))  # still the same JPEG

            def send_large() -> None:
                with self.load.lock:
                    self.load.large_in_flight += 1
                try:
                    self._send("large", None, lambda: self.client.post(
                        "/v1/checkins", data={"meta": json.dumps(meta)},
                        files={"photo": ("shelf.jpg", padded, "image/jpeg")},
                        headers=_auth(token)))
                finally:
                    with self.load.lock:
                        self.load.large_in_flight -= 1
                        self.load.large_settled_at = time.monotonic() + LARGE_SETTLE_S

            return send_large
        if kind == "upload":
            retry = self.load.sent_uploads and self.rng.random() < RETRY_SHARE
            n = self.rng.choice(self.load.sent_uploads) if retry else self._new_upload()
            token, meta, photo = self.plan[n]
            return lambda: self._send("upload", n, lambda: self.client.post(
                "/v1/checkins", data={"meta": json.dumps(meta)},
                files={"photo": ("shelf.jpg", photo, "image/jpeg")}, headers=_auth(token)))
        reader = self._reader()
        if kind == "list" or not self.load.stored:  # nothing to read yet: a list instead
            return lambda: self._send("list", None, lambda: self.client.get(
                "/v1/checkins", params={"limit": 50}, headers=_auth(reader)))
        checkin_id = self.rng.choice(self.load.stored)[0]
        path = f"/v1/checkins/{checkin_id}" + ("/photo" if kind == "photo" else "")
        return lambda: self._send(kind, None, lambda: self.client.get(
            path, headers=_auth(self.company.tokens["director"])))

    def _new_upload(self, *, retried: bool = True) -> int:
        """A new upload of the plan; ``retried``: one that later retries may repeat."""
        n = self.next_upload
        self.next_upload += 1
        self.plan[n] = upload(self.company, n, now=datetime.now(UTC))
        if retried:
            self.load.sent_uploads.append(n)
        return n

    def _reader(self) -> str:
        if self.rng.random() < 0.2:
            return self.company.tokens["director"]
        return self.rng.choice(self.company.manager_tokens)

    def _send(self, kind: str, n: int | None, call: Callable[[], httpx.Response]) -> None:
        started = time.perf_counter()
        try:
            response = call()
        except httpx.HTTPError as error:
            with self.load.lock:
                self.load.errors[f"{kind}: {type(error).__name__}"] += 1
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        with self.load.lock:
            self.load.statuses[kind][response.status_code] += 1
            self.load.latencies_ms[kind].append(elapsed_ms)
            if kind == "upload" and response.status_code == 201 and n is not None:
                self.load.stored.append((str(self.plan[n][1]["id"]), n))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def run(company: Company, server: LiveServer, *, seconds: float, warmup_s: float,
        factor: float, seed: int, per_s: dict[str, float] | None = None,
        ) -> tuple[Load, list[tuple[float, float, bool]], float]:
    """Send the mixed load for ``seconds``; returns what was answered, the RSS samples
    (seconds since start, MiB, quiet: see :meth:`Load.quiet`) and the RSS at the end of the
    warm-up (the first quiet sample after it)."""
    rng = random.Random(seed)
    load = Load()
    rates = {kind: rate * factor for kind, rate in (per_s or PEAK_PER_S).items()}
    total_rate = sum(rates.values())
    kinds, weights = list(rates), list(rates.values())
    samples: list[tuple[float, float, bool]] = []
    baseline = 0.0
    with httpx.Client(base_url=server.url, timeout=60,
                      limits=httpx.Limits(max_connections=32)) as client, \
            ThreadPoolExecutor(max_workers=16) as pool:
        traffic = Traffic(company, client, load, rng)
        started = time.monotonic()
        next_sample = started
        arrival = started
        while True:
            arrival += rng.expovariate(total_rate)
            now = time.monotonic()
            if now >= next_sample:
                samples.append((now - started, server.rss_mib(), load.quiet(now)))
                if not baseline and now - started >= warmup_s and samples[-1][2]:
                    baseline = samples[-1][1]
                next_sample += 5.0
            if arrival - started > seconds:
                break
            if arrival > now:
                time.sleep(arrival - now)
            pool.submit(traffic.request(rng.choices(kinds, weights)[0]))
    while not load.quiet(time.monotonic()):
        time.sleep(0.2)
    samples.append((time.monotonic() - started, server.rss_mib(), True))
    return load, samples, baseline or samples[0][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup-s", type=float, default=None,
                        help="seconds before the RSS baseline is taken (default: a quarter "
                        "of the run, at most 60)")
    parser.add_argument("--factor", type=float, default=2.0,
                        help="load as a multiple of the expected peak")
    parser.add_argument("--reps", type=int, default=150)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--large-per-s", type=float, default=PEAK_PER_S["large"],
                        help="39 MB uploads a second at the expected peak (times --factor)")
    args = parser.parse_args()
    args.per_s = {**PEAK_PER_S, "large": args.large_per_s}
    if args.warmup_s is None:
        args.warmup_s = min(60.0, args.minutes * 60 / 4)
    with tempfile.TemporaryDirectory(prefix="visitproof-soak-") as scratch:
        company = seed_company(Path(scratch), reps=args.reps)
        with LiveServer(company.data_dir) as server:
            load, samples, baseline = run(company, server, seconds=args.minutes * 60,
                                          warmup_s=args.warmup_s, factor=args.factor,
                                          seed=args.seed, per_s=args.per_s)
    growth_end = samples[-1][1] / baseline - 1
    after_warmup = [(rss, quiet) for t, rss, quiet in samples if t >= args.warmup_s]
    growth_max = max([rss for rss, quiet in after_warmup if quiet] or [baseline]) / baseline - 1
    transient_mib = max([rss for rss, quiet in after_warmup if not quiet] or [baseline]) \
        - baseline
    server_errors = sum(n for counts in load.statuses.values()
                        for status, n in counts.items() if status >= 500)
    report(args, load, samples, baseline, growth_end, growth_max, server_errors)
    print(f"highest RSS while a large upload was in flight: {baseline + transient_mib:.0f} MiB "
          f"({transient_mib:+.0f} MiB; budget +{LARGE_PEAK_BUDGET_MIB:.0f} MiB)")
    if server_errors or load.errors or growth_end >= MAX_GROWTH or growth_max >= MAX_GROWTH \
            or transient_mib > LARGE_PEAK_BUDGET_MIB:
        sys.exit(1)


def report(args: argparse.Namespace, load: Load, samples: list[tuple[float, float, bool]],
           baseline: float, growth_end: float, growth_max: float, server_errors: int) -> None:
    seconds = args.minutes * 60
    teams = -(-args.reps // TEAM_SIZE)
    print(f"soak: {args.minutes:g} min at {args.factor:g}x the expected peak, {args.reps} reps "
          f"in {teams} teams; target rates /s: "
          + ", ".join(f"{k} {r * args.factor:.3f}" for k, r in args.per_s.items()))
    print(f"{'kind':<8} {'sent':>6} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  "
          "statuses")
    for kind in PEAK_PER_S:
        latencies = sorted(load.latencies_ms.get(kind, []))
        if not latencies:
            continue
        def pct(q: float, values: list[float] = latencies) -> float:
            return values[min(len(values) - 1, int(q * len(values)))]
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(load.statuses[kind].items()))
        print(f"{kind:<8} {len(latencies):>6} {len(latencies) / seconds:>7.3f} "
              f"{statistics.median(latencies):>8.0f} {pct(0.95):>8.0f} {pct(0.99):>8.0f}  "
              f"{statuses}")
    print(f"5xx answers: {server_errors}; transport errors: {dict(load.errors) or 0}")
    print(f"server RSS: {samples[0][1]:.0f} MiB at start, {baseline:.0f} MiB after the "
          f"{args.warmup_s:g} s warm-up, {samples[-1][1]:.0f} MiB at the end "
          f"({growth_end:+.1%}), highest after warm-up with no large upload in flight "
          f"{baseline * (1 + growth_max):.0f} MiB ({growth_max:+.1%}); limit +{MAX_GROWTH:.0%}")
    per_minute = {int(t // 60): rss for t, rss, _ in samples}  # each minute's last sample
    print("server RSS by minute, MiB: " + " ".join(f"{rss:.0f}" for _, rss in
                                                   sorted(per_minute.items())))


if __name__ == "__main__":
    main()

"""Concurrent check-in uploads to the Ray Serve app on loopback; batching on against off.

For each detector batch size (default 8, then 1 = no batching) the script starts the real
Serve application of :mod:`serving.ray_app` (ingress + batched detector deployment, as
``visitproof serve --ray`` does) on a fresh temporary store, initialised like
``visitproof init`` and seeded with a tenant, one team, N reps each with their own customer
(~2 km apart) and bearer token, and the featured products of the rendered shelves. Then N
concurrent clients (httpx, asyncio), one per rep, upload check-ins for ``--seconds``: a
12 MP (4000×3000) rendered shelf photo with phone-like sensor noise (JPEG q92, 3-5 MB), a
fix 10-40 m from the customer, times inside the 15-minute window, a new check-in id each.

Photos are rendered and encoded before the clock starts, one picture per rep (half of them
rendered scenes, half those scenes mirrored) so no two customers share a picture (that is a
near-duplicate, rejected); each upload's bytes are made unique with a JPEG comment segment,
so no upload is an exact re-use either. A customer's repeated shelf may be judged
``PHOTO_STALE_SHELF`` (review), which costs the same as a pass. The verdicts' reason codes
are printed so a run can be read. The rate limit is turned off. The client runs on the same
machine and takes its share of the CPU.

Prints, per batch size: check-ins/s (2xx answers), p50/p95/p99 latency, answers by status
and verdicts; then the throughput ratio (batching on / off). ``--uvicorn`` adds a reference
row without Ray (``visitproof serve``, one process). ``--profile N`` instead times N uploads
in one process under cProfile, stage by stage (decode, detect, identify, photo write, fix
check, store, JSON), and the CPU an upload costs.

    .venv/bin/python -m benchmarks.serving_load --seconds 30 --concurrency 8 [--uvicorn]
    .venv/bin/python -m benchmarks.serving_load --profile 20 --concurrency 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

from benchmarks.load_fixtures import (
    Photo,
    checkin_meta,
    render_photos,
    seed_store,
    unique_copy,
)
from benchmarks.upload_profile import profile


@dataclass
class Result:
    """What one batch size's run measured."""

    label: str
    seconds: float
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    cpu_s: Counter[str] = field(default_factory=Counter)  # CPU seconds by process role

    @property
    def ok(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300)

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.latencies_s, q)) * 1000 if self.latencies_s else \
            float("nan")


async def upload(client: httpx.AsyncClient, token: str, rep_index: int, photo: Photo,
                 rng: np.random.Generator) -> tuple[int, float, str | None, list[str]]:
    """One check-in: (status, seconds, verdict status or error code, reason codes)."""
    meta = checkin_meta(rep_index, rng)
    photo_bytes = unique_copy(photo.data, meta["id"])
    started = time.perf_counter()
    response = await client.post(
        "/v1/checkins", headers={"Authorization": f"Bearer {token}"},
        data={"meta": json.dumps(meta)}, files={"photo": ("shelf.jpg", photo_bytes, "image/jpeg")})
    elapsed = time.perf_counter() - started
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    # A verdict's status for a 2xx, the error's code otherwise.
    verdict = body.get("status" if response.status_code < 300 else "code")
    reasons = [str(reason.get("code")) for reason in body.get("reasons", [])]
    return response.status_code, elapsed, verdict, reasons


async def load(url: str, tokens: dict[str, str], photos: list[Photo], seconds: float,
               concurrency: int, label: str, seed: int) -> Result:
    """``concurrency`` clients, client i as rep i % reps, uploading until the time is up.
    ``seed`` draws the fixes and times; a repeated seed repeats coordinates exactly, which
    the fix check flags (``FIX_REPEATED_COORDINATES``)."""
    result = Result(label=label, seconds=seconds)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        deadline = time.perf_counter() + seconds

        async def client_loop(worker: int) -> None:
            rep_index = worker % len(tokens)
            rng = np.random.default_rng([seed, worker])
            while time.perf_counter() < deadline:
                try:
                    status, elapsed, verdict, reasons = await upload(
                        client, tokens[f"r{rep_index}"], rep_index,
                        photos[rep_index % len(photos)], rng)
                except httpx.HTTPError as error:
                    result.failures[type(error).__name__] += 1
                    continue
                result.statuses[status] += 1
                result.latencies_s.append(elapsed)
                result.verdicts[verdict or "?"] += 1
                result.reasons.update(reasons)

        started = time.perf_counter()
        await asyncio.gather(*(client_loop(worker) for worker in range(concurrency)))
        # Answers that arrive after the deadline count; the run's length is the real one.
        result.seconds = time.perf_counter() - started
    return result


def process_role(process: psutil.Process) -> str:
    """What a process is to this measurement: the load client, a Serve replica by
    deployment, Ray's proxy or controller, Ray's own daemons, uvicorn."""
    if process.pid == os.getpid():
        return "load client (this script)"
    try:
        title = " ".join(process.cmdline()) or process.name()
    except psutil.Error:
        return "other"
    for marker, role in (("ShelfDetector", "detector replicas"),
                         ("ApiIngress", "ingress replicas"), ("ProxyActor", "Ray HTTP proxy"),
                         ("ServeController", "Serve controller"),
                         ("cli.main serve", "uvicorn server"), ("haproxy", "HAProxy"),
                         ("raylet", "raylet"), ("gcs_server", "Ray GCS")):
        if marker in title:
            return role
    return "other Ray / system" if "ray" in title else "other"


def cpu_by_role() -> Counter[str]:
    """CPU seconds (user + system) used so far by every process of this user, by role."""
    seconds: Counter[str] = Counter()
    for process in psutil.process_iter():
        try:
            if process.uids().real != os.getuid():
                continue
            times = process.cpu_times()
            seconds[process_role(process)] += times.user + times.system
        except psutil.Error:
            continue
    return seconds


def wait_ready(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}/readyz not ready after {timeout_s:.0f} s")


def measure(url: str, tokens: dict[str, str], photos: list[Photo], args: argparse.Namespace,
            label: str) -> Result:
    """Warm up (not counted: first-upload caches, sessions), then the measured run."""
    wait_ready(url)
    asyncio.run(load(url, tokens, photos, args.warmup, args.concurrency, label, args.seed))
    before = cpu_by_role()
    result = asyncio.run(load(url, tokens, photos, args.seconds, args.concurrency, label,
                              args.seed + 1))
    after = cpu_by_role()
    result.cpu_s = Counter({role: after[role] - before.get(role, 0.0) for role in after
                            if after[role] - before.get(role, 0.0) > 0})
    print(f"{label}: {result.ok} check-ins in {result.seconds:.1f} s, load average "
          f"{os.getloadavg()[0]:.2f}")
    return result


def run_on_ray(batch_size: int, args: argparse.Namespace, photos: list[Photo],
               port: int) -> Result:
    """The Serve app with the detector's ``max_batch_size`` = ``batch_size``."""
    from ray import serve

    from serving.ray_app import RayAppArgs, build_app

    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="visitproof-load-") as scratch:
        data_dir = Path(scratch) / "var"
        tokens = seed_store(data_dir, args.concurrency, photos, args.featured)
        serve.run(build_app(RayAppArgs(
            data_dir=str(data_dir), detector_threads=args.detector_threads,
            detector_replicas=args.detector_replicas, ingress_replicas=args.ingress_replicas,
            max_batch_size=batch_size, batch_wait_timeout_s=args.batch_wait_ms / 1000)),
            name="visitproof", route_prefix="/")
        try:
            return measure(url, tokens, photos, args, f"Ray Serve, batch {batch_size}")
        finally:
            serve.delete("visitproof")


def run_on_uvicorn(args: argparse.Namespace, photos: list[Photo]) -> Result:
    """The reference without Ray: ``visitproof serve`` (one uvicorn process, the detector
    in it), same store and load."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="visitproof-load-") as scratch:
        data_dir = Path(scratch) / "var"
        tokens = seed_store(data_dir, args.concurrency, photos, args.featured)
        server = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--data-dir", str(data_dir)],
            env={**os.environ, "VISITPROOF_DETECTOR_THREADS": str(args.detector_threads)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            return measure(f"http://127.0.0.1:{port}", tokens, photos, args,
                           "uvicorn, no Ray")
        finally:
            server.terminate()
            server.wait(timeout=30)


def report(results: list[Result]) -> None:
    print("\n| server | check-ins/s | p50 ms | p95 ms | p99 ms | answers by status "
          "| verdicts / error codes | client errors |")
    print("|---|---:|---:|---:|---:|---|---|---|")
    for r in results:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(r.statuses.items()))
        verdicts = ", ".join(f"{v}: {n}" for v, n in r.verdicts.most_common())
        failures = ", ".join(f"{f}: {n}" for f, n in r.failures.items()) or "0"
        print(f"| {r.label} | {r.throughput:.2f} | {r.percentile_ms(50):.0f} | "
              f"{r.percentile_ms(95):.0f} | {r.percentile_ms(99):.0f} | {statuses} | "
              f"{verdicts} | {failures} |")
    for r in results:
        common = ", ".join(f"{code} {n}" for code, n in r.reasons.most_common(6))
        print(f"{r.label}, reason codes of the verdicts: {common or 'none'}")
    for r in results:
        if not r.ok:
            continue
        total = sum(r.cpu_s.values())
        print(f"\n{r.label}: CPU per check-in by process, ms (share of "
              f"{total / r.seconds:.2f} cores busy)")
        print("| process | ms per check-in |\n|---|---:|")
        for role, seconds in r.cpu_s.most_common():
            print(f"| {role} | {seconds / r.ok * 1000:.1f} |")
        print(f"| all | {total / r.ok * 1000:.1f} |")
    on_ray = [r for r in results if r.label.startswith("Ray")]
    if len(on_ray) >= 2 and on_ray[-1].throughput > 0:
        print(f"\nthroughput ratio, {on_ray[0].label} / {on_ray[-1].label}: "
              f"{on_ray[0].throughput / on_ray[-1].throughput:.2f}")
    server_errors = sum(n for r in results for s, n in r.statuses.items() if s >= 500)
    print(f"5xx answers: {server_errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5, help="seconds, not counted")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="concurrent clients, one rep (and token, customer) each")
    parser.add_argument("--batch-sizes", default="8,1",
                        help="detector max_batch_size per run, comma-separated")
    parser.add_argument("--batch-wait-ms", type=float, default=10)
    parser.add_argument("--detector-threads", type=int, default=1)
    parser.add_argument("--detector-replicas", type=int, default=2)
    parser.add_argument("--ingress-replicas", type=int, default=1)
    parser.add_argument("--featured", type=int, default=2, help="featured SKUs registered")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--uvicorn", action="store_true",
                        help="also measure `visitproof serve` without Ray, as a reference")
    parser.add_argument("--serve-defaults", action="store_true",
                        help="Serve's Python HTTP proxy and defaults, not the high-throughput "
                        "mode (HAProxy, direct gRPC) that `visitproof serve` starts")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="instead of the load: profile N uploads in one process")
    args = parser.parse_args()

    print(f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    photos = render_photos(args.concurrency, args.seed)
    sizes = sorted(len(p.data) for p in photos)
    print(f"rendered {len(photos)} 4000x3000 photos in {time.perf_counter() - started:.1f} s "
          f"(JPEG {sizes[0] / 1e6:.1f}-{sizes[-1] / 1e6:.1f} MB)")
    if args.profile:
        profile(args, photos)
        return

    # The limits are for callers, not for this measurement; build_app reads the environment.
    os.environ["VISITPROOF_RATE_LIMIT_PER_MINUTE"] = "0"
    if not args.serve_defaults:  # as `visitproof serve` starts its local Ray
        from serving.ray_environment import use_throughput_mode

        print("Ray Serve:", use_throughput_mode())
    import ray
    from ray import serve

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray.init(num_cpus=max(4, os.cpu_count() or 1), include_dashboard=False,
             log_to_driver=False)
    results = []
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        for batch_size in (int(size) for size in args.batch_sizes.split(",")):
            results.append(run_on_ray(batch_size, args, photos, port))
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]  # untyped in ray
        ray.shutdown()
    if args.uvicorn:
        results.append(run_on_uvicorn(args, photos))
    report(results)


if __name__ == "__main__":
    main()

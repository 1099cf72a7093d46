"""Memory of the server around six concurrent 39 MB uploads, with the large-body limits of
:mod:`serving.upload_limit` and without them (the baseline: every large body read at once,
nothing handed back, as before those limits).

Each run starts a fresh server process (the app behind :mod:`serving.listener`, over a seeded
store, rate limits off), warms it up with twelve ordinary uploads (six at a time), then sends
six 39 MB uploads at once (a small JPEG padded to 39 MB: decodable, judged, stored) and reads
the server's RSS: before the burst, its highest value during it (sampled every 50 ms) and
2 s after it. The table gives each configuration's median over ``--runs`` runs and the
spread (min-max) of the growth from "before".

    python -m benchmarks.reliability.large_uploads            # 3 runs per configuration
    python -m benchmarks.reliability.large_uploads --runs 5 --size-mb 39
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from benchmarks.reliability.company import Company, seed_company, upload

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGURATIONS = {
    # name: (max_concurrent, give_back_memory)
    "baseline (all at once, no trim)": (1000, False),
    "limits (2 at once, trim)": (2, True),
}


@dataclass(frozen=True)
class Run:
    before_mib: float
    peak_mib: float
    after_mib: float
    statuses: Counter[int]
    seconds: float


def serve(port: int, max_concurrent: int, give_back: bool) -> None:
    """The server process of one run (``serve`` subcommand)."""
    import uvicorn

    from application.settings import build_settings
    from serving.app import create_app
    from serving.listener import listener_config
    from serving.upload_limit import LargeBodies

    app = create_app(build_settings(rate_limit_per_minute=0), large_bodies=LargeBodies(
        max_concurrent=max_concurrent, give_back_memory=give_back, wait_s=60))
    uvicorn.Server(listener_config(app, host="127.0.0.1", port=port, access_log=False,
                                   log_level="warning")).run()


def one_run(company: Company, configuration: tuple[int, bool], *, size: int,
            offset: int) -> Run:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    environment = {**os.environ, "VISITPROOF_DATA_DIR": str(company.data_dir.resolve())}
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.reliability.large_uploads", "serve", str(port),
         str(configuration[0]), str(int(configuration[1]))],
        cwd=REPO_ROOT, env=environment, stderr=subprocess.DEVNULL)
    server = psutil.Process(process.pid)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            _wait_ready(client, process)

            def send(n: int, padded_to: int = 0) -> int:
                token, meta, photo = upload(company, n)
                if padded_to:
                    photo += b"\0" * (padded_to - len(photo))
                return client.post("/v1/checkins", data={"meta": json.dumps(meta)},
                                   files={"photo": ("shelf.jpg", photo, "image/jpeg")},
                                   headers={"Authorization": f"Bearer {token}"}).status_code

            with ThreadPoolExecutor(6) as pool:
                list(pool.map(send, range(offset, offset + 12)))
            time.sleep(1.0)
            before = _rss_mib(server)
            peak = [before]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _rss_mib(server))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.monotonic()
            with ThreadPoolExecutor(6) as pool:
                statuses = Counter(pool.map(lambda n: send(n, size),
                                            range(offset + 12, offset + 18)))
            seconds = time.monotonic() - started
            done.set()
            sampler.join()
            time.sleep(2.0)
            return Run(before, peak[0], _rss_mib(server), statuses, seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(client: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server was not ready in 120 s")


def _rss_mib(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / 2**20


def report(results: dict[str, list[Run]], size_mb: float) -> None:
    print(f"six concurrent {size_mb:g} MB uploads, {len(next(iter(results.values())))} runs "
          "per configuration; RSS MiB, median [min-max] of the growth from before")
    print(f"{'configuration':<34} {'before':>7} {'peak +':>20} {'2 s after +':>20} "
          f"{'burst s':>8}  statuses")
    for name, runs in results.items():
        def spread(values: list[float]) -> str:
            return (f"{statistics.median(values):>6.0f} [{min(values):.0f}-"
                    f"{max(values):.0f}]").rjust(20)

        statuses = sum((run.statuses for run in runs), Counter[int]())
        print(f"{name:<34} {statistics.median(r.before_mib for r in runs):>7.0f} "
              f"{spread([r.peak_mib - r.before_mib for r in runs])} "
              f"{spread([r.after_mib - r.before_mib for r in runs])} "
              f"{statistics.median(r.seconds for r in runs):>8.1f}  "
              + " ".join(f"{s}:{n}" for s, n in sorted(statuses.items())))


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        port, max_concurrent, give_back = sys.argv[2:5]
        serve(int(port), int(max_concurrent), give_back == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mb", type=float, default=39.0)
    args = parser.parse_args()
    size = int(args.size_mb * 1_000_000)
    results: dict[str, list[Run]] = {name: [] for name in CONFIGURATIONS}
    with tempfile.TemporaryDirectory(prefix="visitproof-large-") as scratch:
        company = seed_company(Path(scratch), reps=60)
        offset = 0
        for _ in range(args.runs):  # alternate, so drift hits both alike
            for name, configuration in CONFIGURATIONS.items():
                results[name].append(one_run(company, configuration, size=size,
                                             offset=offset))
                offset += 18
    report(results, args.size_mb)


if __name__ == "__main__":
    main()

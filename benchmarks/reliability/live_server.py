"""The service as a real process: ``uvicorn --factory benchmarks.reliability.server:app`` on
loopback, over a given data folder; started, killed (SIGKILL), restarted, measured.

    with LiveServer(company.data_dir) as server:
        httpx.get(server.url + "/readyz")
        server.kill(); server.start()
        print(server.rss_mib())
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """One uvicorn process serving the app; its stderr goes to ``data_dir/server.log``.
    ``environment`` adds ``VISITPROOF_*`` settings (e.g. rate limits) to the inherited ones."""

    def __init__(self, data_dir: Path, *, environment: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = {**os.environ, "VISITPROOF_DATA_DIR": str(data_dir.resolve()),
                            **(environment or {})}
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout_s: float = 60.0) -> float:
        """Start the process and wait until ``/readyz`` answers 200; returns the seconds it
        took."""
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory",
                 "benchmarks.reliability.server:app", "--host", "127.0.0.1",
                 "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
                cwd=REPO_ROOT, env=self.environment, stdout=log, stderr=log)
        self.starts += 1
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        return time.monotonic() - started
                except httpx.TransportError:
                    pass
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.process.returncode}; "
                                       f"see {self.log}")
                if time.monotonic() - started > timeout_s:
                    raise RuntimeError(f"the server was not ready in {timeout_s} s; "
                                       f"see {self.log}")
                time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no lifespan exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM and wait (uvicorn's graceful shutdown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_mib(self) -> float:
        """The server's resident set now, MiB (Linux: /proc)."""
        if self.process is None:
            raise RuntimeError("the server is not running")
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for process {self.process.pid}")

    def __enter__(self) -> LiveServer:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

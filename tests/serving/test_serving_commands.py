"""``visitproof tokens create`` and ``visitproof serve`` as a user runs them."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import httpx
import pytest

from serving.auth import Role, authenticate
from tests.subprocess_cli import cli_environment, run_visitproof
from visitproof.store import open_database
from visitproof.values import utc_now

visitproof = partial(run_visitproof, VISITPROOF_TENANT="acme")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "var"
    assert visitproof(folder, "init").returncode == 0
    return folder


def test_tokens_create_prints_a_token_that_authenticates(data_dir: Path) -> None:
    result = visitproof(data_dir, "tokens", "create", "--user", "m1", "--role", "manager",
                        "--team", "t1", "--expires-days", "30")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert len(token) >= 40
    database = open_database(f"sqlite:///{data_dir / 'visitproof.sqlite3'}")
    user = authenticate(database, token, utc_now())
    database.dispose()
    assert (user.tenant_id, user.user_id, user.role, user.team_id) == \
        ("acme", "m1", Role.MANAGER, "t1")


def test_tokens_create_refuses_bad_arguments(data_dir: Path) -> None:
    # Every refusal is tested on issue_token (test_auth.py); here: exit code and stderr.
    result = visitproof(data_dir, "tokens", "create", "--user", "r404", "--role", "rep")
    assert result.returncode == 2
    assert "[NOT_FOUND]" in result.stderr
    assert result.stdout == ""


def test_serve_answers_on_the_given_port(data_dir: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--no-ray", "--port", str(port)],
        env=cli_environment(data_dir, VISITPROOF_TENANT="acme"), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "serve did not start within 60 s"
                time.sleep(0.3)
        assert response.status_code == 200
        assert response.json()["status"] == "ready"
        # Behind the listener of serving.listener: its protocol answers what the parser
        # refuses with the service's error shape.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n")
            answer = b""
            while chunk := raw.recv(4096):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 ")
        assert json.loads(body)["code"] == "MALFORMED_REQUEST"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_refuses_an_uninitialised_store(tmp_path: Path) -> None:
    result = visitproof(tmp_path / "nothing", "serve", "--port", "1")
    assert result.returncode == 3
    assert "STORE_NOT_INITIALISED" in result.stderr

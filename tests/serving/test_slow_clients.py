"""Slow clients against the live listener (uvicorn with :mod:`serving.listener`'s protocol,
on a free loopback port, short limits): dripped headers and dripped bodies are cut off within
the configured time with 408 ``REQUEST_TIMEOUT``, while ``/healthz`` keeps answering fast.

:class:`LiveApi` and :func:`live_api` are shared with test_keep_alive and test_access_log.
"""

from __future__ import annotations

import json
import select
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from application.settings import Settings, build_settings
from serving.app import create_app
from serving.listener import listener_config
from serving.slow_clients import ClientTimeouts
from serving.upload_limit import LargeBodies
from tests.api_harness import seed
from tests.builders import make_upload_meta
from visitproof.store import Database

SHORT = ClientTimeouts(header_s=1.0, body_grace_s=1.0, body_min_rate=1000.0, body_max_s=3.0,
                       keep_alive_s=5.0)
MARGIN_S = 1.0  # how late a cut may come on a busy 2-core machine


@dataclass
class LiveApi:
    host: str
    port: int
    app: FastAPI
    tokens: dict[str, str]
    timeouts: ClientTimeouts

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connect(self, timeout_s: float = 10.0) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout_s)


@contextmanager
def serve_live(database: Database, tmp_path: Path, *, timeouts: ClientTimeouts = SHORT,
               prepare: Callable[[FastAPI], None] | None = None, access_log: bool = False,
               parser: str = "auto", large_bodies: LargeBodies | None = None,
               **settings: Any) -> Iterator[LiveApi]:
    """The app over the seeded store behind the real listener (``parser``: uvicorn's
    httptools or h11 protocol), on a thread of its own."""
    tokens = seed(database)
    app = create_app(Settings(data_dir=tmp_path / "store", **settings), timeouts=timeouts,
                     large_bodies=large_bodies)
    if prepare is not None:
        prepare(app)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(listener_config(app, host="127.0.0.1", port=port, timeouts=timeouts,
                                            access_log=access_log, log_level="warning",
                                            parser=parser))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the server exited at start"
        assert time.monotonic() < deadline, "the server did not start within 60 s"
        time.sleep(0.05)
    try:
        yield LiveApi("127.0.0.1", port, app, tokens, timeouts)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def live_api(database: Database, tmp_path: Path) -> Iterator[LiveApi]:
    with serve_live(database, tmp_path) as live:
        yield live


@pytest.fixture(params=["httptools", "h11"])
def each_parser(request: pytest.FixtureRequest, database: Database,
                tmp_path: Path) -> Iterator[LiveApi]:
    """The live API on each of uvicorn's HTTP parsers."""
    with serve_live(database, tmp_path, parser=request.param) as live:
        yield live


@dataclass
class Answer:
    status: int | None  # None: closed without an answer
    headers: dict[str, str]
    body: bytes
    after_s: float  # from the first byte sent

    def json(self) -> Any:
        return json.loads(self.body)


def read_answer(sock: socket.socket, started: float, buffered: bytes = b"") -> Answer:
    """One HTTP/1.1 answer (with Content-Length) from ``sock``."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            if not data:
                return Answer(None, {}, b"", time.monotonic() - started)
            raise AssertionError(f"closed inside an answer's headers: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip()
               for name, _, value in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed inside an answer's body"
        body += chunk
    return Answer(int(lines[0].split()[1]), headers, body[:length], time.monotonic() - started)


def drip(live: LiveApi, payload: bytes, *, every_s: float, step: int = 1,
         first: bytes = b"", limit_s: float = 15.0) -> Answer:
    """Send ``first`` at once, then ``payload`` ``step`` bytes every ``every_s`` seconds until
    the server answers or closes; the answer, timed from the first byte of ``payload``."""
    with live.connect() as sock:
        if first:
            sock.sendall(first)
        started = time.monotonic()
        sent = 0
        while time.monotonic() - started < limit_s:
            readable, _, _ = select.select([sock], [], [], every_s)
            if readable:
                return read_answer(sock, started)
            if sent < len(payload):
                try:
                    sock.sendall(payload[sent:sent + step])
                except (BrokenPipeError, ConnectionResetError):
                    return Answer(None, {}, b"", time.monotonic() - started)
                sent += step
    raise AssertionError(f"still open after {limit_s} s")


def _upload_body(meta: dict[str, object], photo: bytes, boundary: str = "vp-drip") -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n"
            f"{json.dumps(meta)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            "name=\"photo\"; filename=\"shelf.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            ).encode() + photo + f"\r\n--{boundary}--\r\n".encode()


def _upload_head(live: LiveApi, length: int | None, boundary: str = "vp-drip") -> bytes:
    framing = f"Content-Length: {length}" if length is not None else \
        "Transfer-Encoding: chunked"
    return (f"POST /v1/checkins HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            f"{live.tokens['rep']}\r\nContent-Type: multipart/form-data; boundary={boundary}"
            f"\r\n{framing}\r\n\r\n").encode()


def _small_photo() -> bytes:
    from benchmarks.reliability.company import shelf_photo

    return shelf_photo(7)


HEADERS = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: drip\r\n"
           b"Accept: application/json\r\nX-Padding: " + b"p" * 200 + b"\r\n\r\n")


@pytest.mark.parametrize(("first", "payload", "every_s", "step"), [
    (b"", HEADERS, 0.05, 1),                                   # the request line dripped
    (b"GET /healthz HTTP/1.1\r\n", HEADERS[23:], 0.1, 1),      # then the headers
    (b"", HEADERS, 0.3, 5),                                    # a few bytes at a time
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", HEADERS, 0.05, 1),  # the next request
], ids=["request-line", "headers", "five-bytes", "second-request"])
def test_dripped_headers_are_cut_with_408(each_parser: LiveApi, first: bytes, payload: bytes,
                                          every_s: float, step: int) -> None:
    live_api = each_parser
    with live_api.connect() as sock:
        if first.endswith(b"\r\n\r\n"):  # a whole first request, answered at once
            sock.sendall(first)
            assert read_answer(sock, time.monotonic()).status == 200
            first = b""
        started = time.monotonic()
        if first:
            sock.sendall(first)
        answer = None
        for offset in range(0, len(payload), step):
            readable, _, _ = select.select([sock], [], [], every_s)
            if readable:
                answer = read_answer(sock, started)
                break
            sock.sendall(payload[offset:offset + step])
        assert answer is not None, "the dripped headers were never cut off"
    assert (answer.status, answer.json()["code"]) == (408, "REQUEST_TIMEOUT")
    assert answer.headers["connection"] == "close"
    assert live_api.timeouts.header_s - 0.1 <= answer.after_s \
        <= live_api.timeouts.header_s + MARGIN_S


def test_a_connection_that_sends_nothing_is_closed_without_a_word(live_api: LiveApi) -> None:
    with live_api.connect() as sock:
        started = time.monotonic()
        answer = read_answer(sock, started)
    assert answer.status is None
    assert answer.after_s <= live_api.timeouts.header_s + MARGIN_S


@pytest.mark.parametrize(("framing", "every_s", "step", "first_bytes", "cut_after_s"), [
    ("length", 0.05, 1, 0, SHORT.body_grace_s),           # a byte at a time: 20 B/s
    ("length", 0.2, 100, 0, SHORT.body_grace_s),          # 500 B/s, under the 1000 B/s
    ("chunked", 0.05, 1, 0, SHORT.body_grace_s),          # no Content-Length
    ("length", 10.0, 1, 2_500, 2.5),                      # fast start, then silence
], ids=["byte-drip", "under-min-rate", "chunked-drip", "stall-after-2500-bytes"])
def test_dripped_bodies_are_cut_with_408(live_api: LiveApi, framing: str, every_s: float,
                                         step: int, first_bytes: int,
                                         cut_after_s: float) -> None:
    body = _upload_body(make_upload_meta(), _small_photo())
    if framing == "chunked":
        payload = b"".join(b"1\r\n" + body[i:i + 1] + b"\r\n" for i in range(len(body)))
        head, step = _upload_head(live_api, None), 6
    else:
        payload, head = body, _upload_head(live_api, len(body))
    answer = drip(live_api, payload[first_bytes:], every_s=every_s, step=step,
                  first=head + payload[:first_bytes])
    assert (answer.status, answer.json()["code"]) == (408, "REQUEST_TIMEOUT")
    assert answer.headers["connection"] == "close"
    assert cut_after_s - 0.1 <= answer.after_s <= cut_after_s + MARGIN_S


def test_a_body_the_app_does_not_read_is_cut_by_the_header_clock(live_api: LiveApi) -> None:
    """``/healthz`` answers at once; the rest of a dripped body holds the connection until
    the next request's header deadline."""
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    with live_api.connect() as sock:
        sock.sendall(head)
        assert read_answer(sock, time.monotonic()).status == 200
        answer = drip_on(sock, b"x" * 1000, every_s=0.05)
    assert (answer.status, answer.json()["code"]) == (408, "REQUEST_TIMEOUT")
    assert answer.after_s <= live_api.timeouts.header_s + MARGIN_S


def drip_on(sock: socket.socket, payload: bytes, *, every_s: float) -> Answer:
    started = time.monotonic()
    for offset in range(len(payload)):
        readable, _, _ = select.select([sock], [], [], every_s)
        if readable:
            return read_answer(sock, started)
        sock.sendall(payload[offset:offset + 1])
    raise AssertionError("never cut off")


@pytest.mark.parametrize("seconds", [0.5, 1.5, 2.4])
def test_a_slow_but_steady_body_is_judged(live_api: LiveApi, seconds: float) -> None:
    """Past the grace, over the minimum rate, within the longest time: judged."""
    body = _upload_body(make_upload_meta(), _small_photo())
    steps = int(seconds / 0.05)
    answer = drip(live_api, body, every_s=0.05, step=-(-len(body) // steps),
                  first=_upload_head(live_api, len(body)))
    assert answer.status == 201, answer.body
    assert answer.json()["status"] in ("verified", "needs_review", "rejected")


def test_health_stays_fast_while_clients_drip(live_api: LiveApi) -> None:
    body = _upload_body(make_upload_meta(), _small_photo())

    def drip_body(_: int) -> Answer:
        return drip(live_api, body, every_s=0.05, first=_upload_head(live_api, len(body)))

    def drip_headers(_: int) -> Answer:
        return drip(live_api, HEADERS, every_s=0.05)

    with ThreadPoolExecutor(max_workers=8) as pool, \
            httpx.Client(base_url=live_api.url, timeout=5) as client:
        assert client.get("/healthz").status_code == 200  # the connection, opened once
        cut = [pool.submit(drip_body, n) for n in range(4)] + \
              [pool.submit(drip_headers, n) for n in range(4)]
        time.sleep(0.2)
        latencies = []
        while not all(future.done() for future in cut):
            started = time.perf_counter()
            response = client.get("/healthz")
            latencies.append(time.perf_counter() - started)
            assert (response.status_code, response.json()) == (200, {"status": "ok"})
            time.sleep(0.05)
        answers = [future.result() for future in cut]
    assert [(a.status, a.json()["code"]) for a in answers] == [(408, "REQUEST_TIMEOUT")] * 8
    assert len(latencies) >= 5
    assert statistics.median(latencies) < 0.1, latencies
    assert max(latencies) < 0.1, latencies


@pytest.mark.parametrize(("request_bytes", "what"), [
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n", "NUL in a value"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-B\x00ad: ab\r\n\r\n", "NUL in a name"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad-Header\r\n\r\n", "no colon"),
    (b"GET /hea lthz HTTP/1.1\r\nHost: x\r\n\r\n", "a space in the target"),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
     "two lengths"),
], ids=["nul-value", "nul-name", "no-colon", "space-in-target", "two-lengths"])
def test_a_request_the_parser_refuses_gets_a_json_400(each_parser: LiveApi,
                                                      request_bytes: bytes, what: str) -> None:
    with each_parser.connect() as sock:
        started = time.monotonic()
        sock.sendall(request_bytes)
        answer = read_answer(sock, started)
        assert sock.recv(1) == b""  # and the connection is closed
    assert answer.status == 400, what
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["connection"] == "close"
    assert answer.json()["code"] == "MALFORMED_REQUEST"


@pytest.mark.parametrize("timeouts", [
    {"header_s": 0}, {"body_grace_s": -1}, {"body_min_rate": 0}, {"body_max_s": 0},
    {"keep_alive_s": float("nan")},
])
def test_limits_must_be_positive(timeouts: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        ClientTimeouts(**timeouts)


@pytest.mark.parametrize(("received", "allowed_s"), [
    (0, 10.0), (5_000, 10.0), (10_240, 10.0), (20_480, 20.0), (1_000_000_000, 300.0)])
def test_the_body_allowance_grows_with_what_arrived(received: int, allowed_s: float) -> None:
    assert ClientTimeouts().body_allowance_s(received) == pytest.approx(allowed_s)


def test_the_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator sets them as VISITPROOF_* variables, like every other setting."""
    for name, value in (("HEADER_TIMEOUT_S", "4"), ("BODY_GRACE_S", "6"),
                        ("BODY_MIN_RATE", "2048"), ("BODY_TIMEOUT_S", "120")):
        monkeypatch.setenv(f"VISITPROOF_{name}", value)
    assert ClientTimeouts.of(build_settings()) == ClientTimeouts(
        header_s=4.0, body_grace_s=6.0, body_min_rate=2048.0, body_max_s=120.0)


@pytest.mark.parametrize("name", ["HEADER_TIMEOUT_S", "BODY_MIN_RATE", "BODY_TIMEOUT_S"])
def test_a_limit_of_zero_is_a_settings_error(monkeypatch: pytest.MonkeyPatch,
                                             name: str) -> None:
    monkeypatch.setenv(f"VISITPROOF_{name}", "0")
    with pytest.raises(ValidationError, match=name.lower()):
        build_settings()

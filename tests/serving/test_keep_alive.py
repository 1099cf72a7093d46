"""Error answers on a keep-alive connection, against the live listener: either the
connection stays usable (the next request on it is answered) or the answer says
``Connection: close`` and the server closes it cleanly (a FIN, not a reset), so a client
never sends its next request into a dying socket."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.builders import make_upload_meta
from tests.serving.test_slow_clients import Answer, LiveApi, read_answer, serve_live
from visitproof.store import Database

MAX_UPLOAD = 200_000


def _explode() -> None:
    raise RuntimeError("secret internals")


def _with_failing_routes(app: FastAPI) -> None:
    app.add_api_route("/boom", _explode)
    app.add_api_route("/boom", _explode, methods=["POST"])


@pytest.fixture
def live(database: Database, tmp_path: Path) -> Iterator[LiveApi]:
    with serve_live(database, tmp_path, prepare=_with_failing_routes,
                    max_upload_bytes=MAX_UPLOAD) as served:
        yield served


def _request(method: str, path: str, *, token: str | None = None, body: bytes = b"",
             headers: str = "") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    length = f"Content-Length: {len(body)}\r\n" if body or method == "POST" else ""
    return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{length}{headers}\r\n"
            ).encode() + body


def _ask(sock: socket.socket, request: bytes) -> Answer:
    started = time.monotonic()
    sock.sendall(request)
    return read_answer(sock, started)


def _multipart(meta: object, photo: bytes, boundary: str = "vp") -> tuple[bytes, str]:
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n"
            f"{json.dumps(meta)}\r\n--{boundary}\r\nContent-Disposition: form-data; "
            "name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            ).encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    return body, f"Content-Type: multipart/form-data; boundary={boundary}\r\n"


def _assert_closed_cleanly(sock: socket.socket) -> None:
    sock.settimeout(5)
    assert sock.recv(1) == b"", "the server left the connection open after Connection: close"


KEPT = [
    # (name, request builder, status, code)
    ("404", lambda live: _request("GET", "/v2/nothing"), 404, "NOT_FOUND"),
    ("405", lambda live: _request("DELETE", "/v1/checkins"), 405, "METHOD_NOT_ALLOWED"),
    ("401", lambda live: _request("GET", "/v1/checkins"), 401, "UNAUTHENTICATED"),
    ("401 forged", lambda live: _request("GET", "/v1/checkins", token="vp_forged"), 401,
     "UNAUTHENTICATED"),
    ("422 query", lambda live: _request("GET", "/v1/checkins?limit=0",
                                        token=live.tokens["manager"]), 422, "OUT_OF_RANGE"),
    ("422 upload", lambda live: _request(
        "POST", "/v1/checkins", token=live.tokens["rep"],
        body=_multipart({"bad": "meta"}, b"\xff\xd8\xff")[0],
        headers=_multipart({}, b"")[1]), 422, None),
    ("400 multipart", lambda live: _request(
        "POST", "/v1/checkins", token=live.tokens["rep"], body=b"not multipart at all",
        headers=_multipart({}, b"")[1]), 400, "MALFORMED_REQUEST"),
    ("403", lambda live: _request(
        "POST", "/v1/checkins", token=live.tokens["manager"],
        body=_multipart(make_upload_meta(), b"\xff\xd8\xff")[0],
        headers=_multipart({}, b"")[1]), 403, "FORBIDDEN"),
]


@pytest.mark.parametrize(("name", "build", "status", "code"), KEPT, ids=[k[0] for k in KEPT])
def test_a_client_error_keeps_the_connection_usable(live: LiveApi, name: str, build: object,
                                                    status: int, code: str | None) -> None:
    with live.connect() as sock:
        error = _ask(sock, build(live))  # type: ignore[operator]
        assert error.status == status, error.body
        if code is not None:
            assert error.json()["code"] == code
        else:
            assert error.json()["code"]
        assert error.headers.get("connection") != "close"
        again = _ask(sock, _request("GET", "/healthz"))
    assert (again.status, again.json()) == (200, {"status": "ok"})


def _photo_part_over_the_limit() -> list[bytes]:
    head = _multipart(make_upload_meta(), b"")[0].rsplit(b"\r\n--vp--", 1)[0]
    return [head, *(b"\xff" * 50_000 for _ in range(5))]


CLOSED = [
    ("500 GET", lambda live: _request("GET", "/boom"), 500, "INTERNAL"),
    ("500 POST", lambda live: _request("POST", "/boom", body=b"{}"), 500, "INTERNAL"),
    ("413 declared", lambda live: (
        f"POST /v1/checkins HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        f"{live.tokens['rep']}\r\nContent-Type: multipart/form-data; boundary=vp\r\n"
        f"Content-Length: {MAX_UPLOAD * 5}\r\n\r\n").encode(), 413, "PAYLOAD_TOO_LARGE"),
    ("413 streamed", lambda live: (
        f"POST /v1/checkins HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        f"{live.tokens['rep']}\r\nContent-Type: multipart/form-data; boundary=vp\r\n"
        "Transfer-Encoding: chunked\r\n\r\n").encode() + b"".join(
            b"%x\r\n" % len(part) + part + b"\r\n" for part in _photo_part_over_the_limit()),
        413, "PAYLOAD_TOO_LARGE"),
]


@pytest.mark.parametrize(("name", "build", "status", "code"), CLOSED, ids=[c[0] for c in CLOSED])
def test_an_answer_that_ends_the_connection_says_so_and_closes_it_cleanly(
        live: LiveApi, name: str, build: object, status: int, code: str) -> None:
    with live.connect() as sock:
        error = _ask(sock, build(live))  # type: ignore[operator]
        assert (error.status, error.json()["code"]) == (status, code)
        assert error.headers["connection"] == "close"
        assert "secret internals" not in error.body.decode()
        _assert_closed_cleanly(sock)
    with live.connect() as fresh:
        assert _ask(fresh, _request("GET", "/healthz")).status == 200


def test_keep_alive_requests_after_a_500_go_on_a_new_connection(live: LiveApi) -> None:
    """What a keep-alive client (http.client) does: honour ``Connection: close``."""
    import http.client

    connection = http.client.HTTPConnection(live.host, live.port, timeout=10)
    try:
        statuses = []
        for path in ("/healthz", "/boom", "/healthz", "/boom", "/healthz"):
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
    finally:
        connection.close()
    assert statuses == [200, 500, 200, 500, 200]

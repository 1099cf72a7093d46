"""Credentials in URLs never reach the access log: the live listener's ``uvicorn.access``
lines, and :func:`serving.access_log.redact_url` on its own."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serving.access_log import REDACTED, RedactCredentials, is_credential, redact_url
from tests.serving.test_slow_clients import LiveApi, serve_live
from visitproof.store import Database


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def logged(database: Database, tmp_path: Path) -> Iterator[tuple[LiveApi, _Captured]]:
    captured = _Captured()
    access = logging.getLogger("uvicorn.access")
    with serve_live(database, tmp_path, access_log=True) as live:
        access.addHandler(captured)
        level, access.level = access.level, logging.INFO
        try:
            yield live, captured
        finally:
            access.removeHandler(captured)
            access.level = level


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/manager/login?token=SECRET-1&next=/manager", 401, "UNAUTHENTICATED"),
    ("/manager/login?next=/manager&token=SECRET-2", 401, "UNAUTHENTICATED"),
    ("/v1/checkins?access_token=SECRET-3", 422, "UNKNOWN_FIELD"),
    ("/v1/checkins?api_key=SECRET-4&limit=5", 422, "UNKNOWN_FIELD"),
    ("/v1/checkins?password=SECRET-5", 422, "UNKNOWN_FIELD"),
    ("/v1/checkins?X-Amz-Signature=SECRET-6", 422, "UNKNOWN_FIELD"),
    ("/v1/checkins?Token=SECRET-7", 422, "UNKNOWN_FIELD"),
    ("/v1/checkins?to%6Ben=SECRET-8", 422, "UNKNOWN_FIELD"),
])
def test_no_credential_from_a_url_reaches_the_access_log(
        logged: tuple[LiveApi, _Captured], path: str, status: int, code: str) -> None:
    live, captured = logged
    with httpx.Client(base_url=live.url, timeout=10) as client:
        response = client.get(path, headers={"Authorization": "Bearer SECRET-HEADER"})
    assert response.status_code == status, response.text
    if "json" in response.headers.get("content-type", ""):
        assert response.json()["code"] == code
    lines = [line for line in captured.lines if path.split("?")[0] in line]
    assert lines, captured.lines
    assert not any("SECRET" in line for line in captured.lines), captured.lines
    assert f"={REDACTED}" in lines[-1]


@pytest.mark.parametrize(("target", "expected"), [
    ("/manager/login?token=abc&next=/x", f"/manager/login?token={REDACTED}&next=/x"),
    ("/a?next=/x&TOKEN=abc", f"/a?next=/x&TOKEN={REDACTED}"),
    ("/a?refresh_token=abc&id_token=def", f"/a?refresh_token={REDACTED}&id_token={REDACTED}"),
    ("/a?client_secret=s&key=k&sig=x", f"/a?client_secret={REDACTED}&key={REDACTED}"
     f"&sig={REDACTED}"),
    ("/a?api-key=k&apikey=k2", f"/a?api-key={REDACTED}&apikey={REDACTED}"),
    ("/a?pass%77ord=p", f"/a?pass%77ord={REDACTED}"),
    ("/a?limit=5&offset=10", "/a?limit=5&offset=10"),
    ("/a?token", "/a?token"),  # no value to hide
    ("/a?token=", f"/a?token={REDACTED}"),
    ("/a?token=x#frag", f"/a?token={REDACTED}#frag"),
    ("/a", "/a"),
    ("Bearer abc.def", f"Bearer {REDACTED}"),
])
def test_redact_url(target: str, expected: str) -> None:
    assert redact_url(target) == expected


@pytest.mark.parametrize(("name", "secret"), [
    ("token", True), ("access_token", True), ("X-Amz-Security-Token", True),
    ("signature", True), ("password", True), ("session_id", True), ("code", True),
    ("limit", False), ("next", False), ("rep_id", False), ("from", False), ("tokenless", True),
])
def test_which_names_are_credentials(name: str, secret: bool) -> None:
    assert is_credential(name) is secret


def test_the_filter_keeps_uvicorns_record_shape() -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/x?token=abc", "1.1", 200), None)
    assert RedactCredentials().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "GET /x?token={REDACTED} HTTP/1.1" 200'

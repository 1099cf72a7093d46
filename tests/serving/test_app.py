"""The app factory: OpenAPI, start-up checks, the error mapping's last resort, and how many
large bodies it reads at once."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from application.settings import Settings
from serving.app import create_app
from serving.slow_clients import ClientTimeouts
from serving.upload_limit import LargeBodies
from tests.api_harness import Api
from tests.builders import make_upload_meta
from tests.serving.test_slow_clients import LiveApi, read_answer, serve_live
from visitproof.errors import StoreNotInitialised
from visitproof.store import Database


def test_openapi_documents_the_multipart_upload_and_its_meta_schema(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    upload = spec["paths"]["/v1/checkins"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    body = spec["components"]["schemas"][form.rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"photo", "meta"}
    assert body["properties"]["meta"]["contentMediaType"] == "application/json"
    meta_ref = body["properties"]["meta"]["contentSchema"]["$ref"]
    meta = spec["components"]["schemas"][meta_ref.rsplit("/", 1)[-1]]
    assert meta["additionalProperties"] is False
    assert {"id", "customer_id", "fix", "commitment", "next_action"} <= set(meta["required"])
    assert {"201", "200", "401", "403", "409", "413", "422"} <= set(upload["responses"])
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_an_unexpected_error_is_a_500_without_a_traceback(api: Api) -> None:
    def explode() -> None:
        raise RuntimeError("secret internals")

    api.app.add_api_route("/boom", explode)
    response = api.client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"code": "INTERNAL", "message": "internal error; it has been "
                               "logged"}
    assert "secret internals" not in response.text


def test_unknown_paths_and_methods_have_codes(api: Api) -> None:
    assert api.client.get("/v2/nothing").json()["code"] == "NOT_FOUND"
    response = api.client.delete("/v1/checkins")
    assert (response.status_code, response.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


def test_the_app_refuses_to_start_on_an_uninitialised_store(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "empty"))
    with pytest.raises(StoreNotInitialised), TestClient(app):
        pass


def _upload_request(live: LiveApi, photo: bytes, *, chunked: bool = False) -> bytes:
    body = (f"--vp\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n"
            f"{json.dumps(make_upload_meta())}\r\n--vp\r\nContent-Disposition: form-data; "
            "name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            ).encode() + photo + b"\r\n--vp--\r\n"
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}"
    if chunked:
        body = b"".join(b"%x\r\n" % len(body[i:i + 20_000]) + body[i:i + 20_000] + b"\r\n"
                        for i in range(0, len(body), 20_000)) + b"0\r\n\r\n"
    return (f"POST /v1/checkins HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            f"{live.tokens['rep']}\r\nContent-Type: multipart/form-data; boundary=vp\r\n"
            f"{framing}\r\n\r\n").encode() + body


PATIENT = ClientTimeouts(header_s=10, body_grace_s=10, body_max_s=60)
LARGE = LargeBodies(threshold_bytes=100_000, max_concurrent=1, wait_s=0.5, retry_after_s=3)


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_large_bodies_wait_for_a_slot_then_get_503(database: Database, tmp_path: Path,
                                                   chunked: bool) -> None:
    """One large body at a time: a second one waits ``wait_s`` and is refused with 503
    SERVER_BUSY and Retry-After; small uploads never wait; once the slot is free a large
    one goes through."""
    from benchmarks.reliability.company import shelf_photo

    small = shelf_photo(3)
    large = small + b"\0" * 150_000  # trailing bytes: still the same JPEG
    with serve_live(database, tmp_path, large_bodies=LARGE, timeouts=PATIENT) as live, \
            live.connect() as holder, live.connect() as other:
        holding = _upload_request(live, large)
        holder.sendall(holding[:len(holding) // 2])  # takes the slot, then pauses
        time.sleep(0.3)
        started = time.monotonic()
        other.sendall(_upload_request(live, large, chunked=chunked))
        busy = read_answer(other, started)
        assert (busy.status, busy.json()["code"]) == (503, "SERVER_BUSY")
        assert busy.headers["retry-after"] == "3"
        assert busy.headers["connection"] == "close"
        assert LARGE.wait_s - 0.1 <= busy.after_s <= LARGE.wait_s + 1.0
        with live.connect() as third:
            third.sendall(_upload_request(live, small))
            assert read_answer(third, time.monotonic()).status == 201
        holder.sendall(holding[len(holding) // 2:])
        assert read_answer(holder, time.monotonic()).status == 201
        with live.connect() as after:
            after.sendall(_upload_request(live, shelf_photo(4) + b"\0" * 150_000,
                                          chunked=chunked))
            answer = read_answer(after, time.monotonic())
    assert answer.status == 201, answer.body

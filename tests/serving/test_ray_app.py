"""The upload path through a real Ray Serve app in local mode (one app for the module):
the FastAPI ingress deployment calling the batched detector deployment."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from serving.ray_environment import use_throughput_mode
from tests.api_harness import Api, seed, shelf_photo
from tests.builders import TENANT, make_tenant, make_upload_meta
from visitproof.store import Database, Store, open_database

serve = pytest.importorskip("ray.serve", reason="ray[serve] is not installed")
ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow


@dataclass
class RayApi:
    url: str
    database: Database
    tokens: dict[str, str]

    def upload(self, meta: dict[str, Any], photo: bytes, who: str = "rep") -> httpx.Response:
        return httpx.post(f"{self.url}/v1/checkins",
                          headers={"Authorization": f"Bearer {self.tokens[who]}"},
                          data={"meta": json.dumps(meta)},
                          files={"photo": ("shelf.jpg", photo, "image/jpeg")}, timeout=60)


@pytest.fixture(scope="module")
def ray_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayApi]:
    from serving.ray_app import RayAppArgs, build_app

    data_dir: Path = tmp_path_factory.mktemp("ray") / "var"
    database = open_database(f"sqlite:///{data_dir / 'visitproof.sqlite3'}", create_dir=True)
    database.migrate()
    with database.begin() as connection:
        Store(connection, TENANT).reference.put_tenant(make_tenant())
    tokens = seed(database)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # As `visitproof serve` starts it: Serve's high-throughput mode (HAProxy, direct gRPC),
    # on two CPUs like the development machine (the default replicas must all be scheduled).
    saved = dict(os.environ)
    # Deleting an app waits this long for HAProxy to stop routing to it: not for tests.
    os.environ["RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"] = "0.5"
    use_throughput_mode()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        serve.run(build_app(RayAppArgs(data_dir=str(data_dir), max_batch_size=4)),
                  name="visitproof", route_prefix="/")
        yield RayApi(url=f"http://127.0.0.1:{port}", database=database, tokens=tokens)
    finally:
        serve.shutdown()
        ray.shutdown()
        database.dispose()
        os.environ.clear()
        os.environ.update(saved)


def test_an_upload_through_ray_serve_is_judged_stored_and_idempotent(ray_api: RayApi) -> None:
    meta = make_upload_meta()
    first = ray_api.upload(meta, shelf_photo(seed=30))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["shelf"]["model_version"] == "shelf-detector-0.1.0-int8"
    assert body["shelf"]["image_size"] == [1280, 960]
    assert body["fix"]["policy_version"] == "fix-integrity/1"
    retry = ray_api.upload(meta, shelf_photo(seed=30))
    assert retry.status_code == 200
    assert retry.content == first.content
    with ray_api.database.connect() as connection:
        stored = Store(connection, TENANT).checkins.find()
    assert [str(c.id) for c in stored].count(str(meta["id"])) == 1


def test_concurrent_uploads_share_the_batched_detector(ray_api: RayApi) -> None:
    def upload(seed: int) -> int:
        return ray_api.upload(make_upload_meta(), shelf_photo(seed=40 + seed)).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(upload, range(6))) == [201] * 6
    detector = serve.get_deployment_handle("ShelfDetector", app_name="visitproof")
    assert detector.info.remote().result()["model_version"] == "shelf-detector-0.1.0-int8"


def test_errors_keep_their_codes_behind_ray_serve(ray_api: RayApi) -> None:
    empty = ray_api.upload(make_upload_meta(), b"")
    assert (empty.status_code, empty.json()["code"]) == (422, "PHOTO_EMPTY")
    forbidden = ray_api.upload(make_upload_meta(), shelf_photo(), who="manager")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "FORBIDDEN")
    assert httpx.get(f"{ray_api.url}/readyz").json()["status"] == "ready"


def test_the_serve_config_file_names_the_typed_builder_and_valid_args() -> None:
    import importlib

    import yaml

    from serving.ray_app import RayAppArgs, build_app

    config = yaml.safe_load((Path(__file__).resolve().parents[2] / "serving" /
                             "serve_config.yaml").read_text())
    (application,) = config["applications"]
    module, name = application["import_path"].split(":")
    assert getattr(importlib.import_module(module), name) is build_app
    RayAppArgs(**application["args"])


def test_serve_runs_in_its_high_throughput_mode(ray_api: RayApi) -> None:
    """HAProxy, not Serve's Python proxy, answers on the API's port."""
    import psutil

    port = int(ray_api.url.rsplit(":", 1)[1])
    haproxies = [p for p in psutil.process_iter(["name", "cmdline"]) if p.info["name"] == "haproxy"]
    assert haproxies, "no haproxy process: Serve is not in its high-throughput mode"
    assert httpx.get(f"{ray_api.url}/healthz", timeout=10).status_code == 200
    config = "\n".join(Path(arg).read_text() for p in haproxies for arg in p.info["cmdline"]
                       if arg.endswith(".cfg") and Path(arg).is_file())
    assert f":{port}" in config


# Little grace on shutdown, so deleting the test deployments is quick.
_QUICK_EXIT = {"ray_actor_options": {"num_cpus": 0}, "graceful_shutdown_timeout_s": 0.5,
               "graceful_shutdown_wait_loop_s": 0.1}


@serve.deployment(name="StuckDetector", **_QUICK_EXIT)
class StuckDetector:
    """A detector deployment that answers far too late (the upload waits 1 s)."""

    async def detect(self, image: Any) -> None:
        await asyncio.sleep(3)


@serve.deployment(name="CrashingDetector", **_QUICK_EXIT)
class CrashingDetector:
    """A detector deployment whose replica dies on the first request."""

    def detect(self, image: Any) -> None:
        os._exit(1)


def test_a_detector_that_does_not_answer_is_a_503_and_nothing_is_stored(
        ray_api: RayApi, make_api: Callable[..., Api],
        replica_loop: asyncio.AbstractEventLoop) -> None:
    from serving.ray_app import RemoteDetector

    handle = serve.run(StuckDetector.bind(), name="stuck", route_prefix=None)
    try:
        remote = RemoteDetector(handle, model_version="stuck", imgsz=512, loop=replica_loop,
                                timeout_s=1)
        api = make_api(detector=lambda _: remote)
        before = api.stored()
        response = api.upload(make_upload_meta(), shelf_photo(seed=32))
    finally:
        serve.delete("stuck")

    assert response.status_code == 503, response.text
    assert response.json()["code"] == "DETECTOR_UNAVAILABLE"
    assert response.headers["Retry-After"] == "5"
    assert api.stored() == before


def test_a_detector_replica_that_dies_is_detector_unavailable(
        ray_api: RayApi, replica_loop: asyncio.AbstractEventLoop) -> None:
    from serving.errors import DetectorUnavailable
    from serving.ray_app import RemoteDetector

    handle = serve.run(CrashingDetector.bind(), name="crashing", route_prefix=None)
    try:
        remote = RemoteDetector(handle, model_version="crashing", imgsz=512,
                                loop=replica_loop, timeout_s=20)
        with pytest.raises(DetectorUnavailable, match="nothing was stored"):
            remote.detect([np.zeros((64, 64, 3), np.uint8)])
    finally:
        serve.delete("crashing")


def _haproxy_config() -> str:
    import psutil

    return "\n".join(Path(arg).read_text() for p in psutil.process_iter(["name", "cmdline"])
                     if p.info["name"] == "haproxy" for arg in p.info["cmdline"] or ()
                     if arg.endswith(".cfg") and Path(arg).is_file())


def test_haproxy_times_out_silent_clients_and_the_replica_port_is_internal(
        ray_api: RayApi) -> None:
    """HAProxy's client timeout is the one `visitproof serve` sets (Serve's default is an
    hour); the ingress replica's own port (HAProxy's backend) listens on the API's loopback
    host only, and answers this machine."""
    import re

    import psutil

    from serving.ray_environment import HAPROXY_CLIENT_TIMEOUT_S

    config = _haproxy_config()
    assert f"timeout client {HAPROXY_CLIENT_TIMEOUT_S}s" in config
    backends = {int(port) for port in re.findall(r"server \S+ [\d.]+:(\d+)", config)}
    assert backends, config
    listening = {conn.laddr.ip for conn in psutil.net_connections("tcp")
                 if conn.status == psutil.CONN_LISTEN and conn.laddr.port in backends}
    assert listening == {"127.0.0.1"}
    for port in backends:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200


def test_no_token_from_a_url_reaches_rays_logs(ray_api: RayApi) -> None:
    import uuid

    secret = f"SECRET-{uuid.uuid4().hex}"
    sign_in = httpx.get(f"{ray_api.url}/manager/login", params={"token": secret, "next":
                                                                 "/manager"}, timeout=10)
    assert sign_in.status_code == 401  # the pages' own HTML error page
    listed = httpx.get(f"{ray_api.url}/v1/checkins", params={"access_token": secret},
                       headers={"Authorization": f"Bearer {ray_api.tokens['manager']}"},
                       timeout=10)
    assert (listed.status_code, listed.json()["code"]) == (422, "UNKNOWN_FIELD")
    logs = [path for path in Path("/tmp/ray").glob("session_*/logs/**/*") if path.is_file()]
    assert logs
    assert not [path for path in logs if secret.encode() in path.read_bytes()]


class _Sent:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


async def _nothing() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _reached(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"reached"})


@pytest.mark.parametrize(("peer", "port", "status"), [
    ("127.0.0.1", 30001, 200),        # HAProxy on this machine
    ("::1", 30001, 200),
    ("10.0.0.7", 30001, 200),         # HAProxy on another node of the cluster
    ("203.0.113.9", 30001, 403),      # anyone else, on the replica's own port
    ("10.0.0.8", 30999, 403),         # an address that is not a node
    ("testclient", 30001, 403),       # not an address at all
    ("203.0.113.9", 8000, 200),       # Serve's Python proxy passes the client's address on
])
def test_the_replica_port_answers_only_the_cluster(peer: str, port: int, status: int) -> None:
    from serving.ray_app import InternalPeersOnly

    guard = InternalPeersOnly(_reached, nodes=lambda: ["10.0.0.7"], ports=range(30000, 31001))
    sent = _Sent()
    scope = {"type": "http", "method": "GET", "path": "/v1/checkins", "headers": [],
             "server": ("0.0.0.0", port), "client": (peer, 50000)}
    asyncio.run(guard(scope, _nothing, sent))
    assert sent.messages[0]["status"] == status
    if status == 403:
        assert json.loads(sent.messages[1]["body"])["code"] == "INTERNAL_PORT"
        assert (b"connection", b"close") in sent.messages[0]["headers"]


def test_a_node_that_joins_later_is_known_after_the_refresh() -> None:
    from serving.ray_app import InternalPeersOnly

    nodes = ["10.0.0.7"]
    asked: list[float] = []
    now = [0.0]

    def listing() -> list[str]:
        asked.append(now[0])
        return list(nodes)

    guard = InternalPeersOnly(_reached, nodes=listing, ports=range(30000, 30001),
                              refresh_s=30, clock=lambda: now[0])

    def status(peer: str) -> int:
        sent = _Sent()
        asyncio.run(guard({"type": "http", "method": "GET", "path": "/", "headers": [],
                           "server": ("0.0.0.0", 30000), "client": (peer, 1)}, _nothing, sent))
        return int(sent.messages[0]["status"])

    assert status("10.0.0.7") == 200
    nodes.append("10.0.0.9")
    now[0] = 10.0
    assert status("10.0.0.9") == 403      # asked again only after refresh_s
    now[0] = 31.0
    assert status("10.0.0.9") == 200
    assert status("203.0.113.9") == 403
    assert asked == [0.0, 31.0]

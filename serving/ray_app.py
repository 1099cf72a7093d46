"""Ray Serve hosting: the shelf detector as its own batched deployment, the FastAPI app as
the ingress deployment calling it through a handle.

    ray_app = build_app(RayAppArgs(data_dir="var"))
    serve.run(ray_app, route_prefix="/")

or, with a config file, ``serve deploy serving/serve_config.yaml``.

- :class:`ShelfDetectorDeployment` holds the ONNX session; concurrent ``detect`` calls are
  gathered by ``@serve.batch`` into one session run. Batch size and wait time come from
  ``user_config`` (``reconfigure``), so they change without a restart; replicas from
  :class:`RayAppArgs`.
- :class:`ApiIngress` builds the app of :mod:`serving.app` on the replica (nothing is
  pickled), with a :class:`RemoteDetector` in place of the local model: the upload path is
  the same code, only the detection runs in the detector deployment.

- :class:`InternalPeersOnly` guards an ingress replica's own HTTP port (HAProxy's backend):
  only this machine and the Ray cluster's nodes may use it.

An upload is judged on one of the ingress replica's worker threads
(:class:`serving.runtime.WorkerThreads`), so :class:`RemoteDetector` hands each call to the
replica's event loop and waits for it from that thread. That works whether Serve runs the
handle's router in a loop of its own (the default) or on the replica's loop
(``RAY_SERVE_THROUGHPUT_OPTIMIZED=1``, where a handle's blocking ``.result()`` is refused).
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from ray import serve
from ray.exceptions import RayActorError
from ray.serve import Application
from ray.serve.exceptions import RayServeException
from ray.serve.handle import DeploymentHandle
from starlette.types import ASGIApp, Receive, Scope, Send

from application.settings import Settings, build_settings
from serving.app import create_app, local_detector
from serving.errors import DetectorUnavailable, error_response
from serving.schemas import ErrorPublic
from vision.detector import Detections, ShelfDetector, fit


class RayAppArgs(BaseModel):
    """Arguments of :func:`build_app` (the ``args`` of a Serve config file). Unset store
    and model fields fall back to the ``VISITPROOF_*`` environment, as everywhere.

    The defaults suit a CPU machine: two single-threaded detector replicas, each batching up
    to 8 images that arrive within 10 ms. One two-threaded replica was slower (9.2 against
    12.4 check-ins/s on the 2-core machine); batches cost nothing in the model on a CPU but
    save Serve's per-request work in the replica (3-5 ms of CPU per check-in; throughput
    0.97-1.09x that of batch 1, within the run-to-run spread; benchmarks/RESULTS.md). On a
    GPU, raise both."""

    model_config = ConfigDict(extra="forbid")

    data_dir: str | None = None
    database_url: str | None = None
    detector_model: str | None = None
    detector_threads: int | None = Field(default=1, ge=1, le=64)
    detector_replicas: int = Field(default=2, ge=1)
    ingress_replicas: int = Field(default=1, ge=1)
    max_batch_size: int = Field(default=8, ge=1, le=64)
    batch_wait_timeout_s: float = Field(default=0.01, ge=0, le=1)
    # Ray's CPU resource reserved per replica: a scheduling hint (ONNX Runtime's threads are
    # detector_threads). Fractions let two detectors and the ingress fit a 2-CPU machine;
    # a whole CPU each would leave the ingress waiting for a CPU that never frees up.
    detector_num_cpus: float = Field(default=0.5, gt=0, le=64)
    ingress_num_cpus: float = Field(default=0.5, gt=0, le=64)


class ShelfDetectorReplica:
    """The ONNX shelf detector, batching concurrent requests."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.detector = local_detector(Settings(**settings))

    def reconfigure(self, user_config: dict[str, Any]) -> None:
        """``{"max_batch_size": int, "batch_wait_timeout_s": float}``."""
        batcher: Any = self.detect_batch  # serve.batch adds the setters at run time
        batcher.set_max_batch_size(int(user_config.get("max_batch_size", 8)))
        batcher.set_batch_wait_timeout_s(float(user_config.get("batch_wait_timeout_s", 0.01)))

    def info(self) -> dict[str, Any]:
        return {"model_version": self.detector.model_version, "imgsz": self.detector.imgsz}

    @serve.batch(max_batch_size=8, batch_wait_timeout_s=0.01)
    async def detect_batch(self, images: list[npt.NDArray[np.uint8]]) -> list[Detections]:
        return self.detector.detect(images)

    async def detect(self, image: npt.NDArray[np.uint8]) -> Detections:
        """Detections for one (H, W, 3) uint8 BGR image, in its pixels."""
        return await self.detect_batch(image)


# How long an upload waits for the detector deployment before a 503: a detection takes
# tens of milliseconds, a replica restart a few seconds, and a phone gives up after a minute.
DETECT_TIMEOUT_S = 30.0


class RemoteDetector:
    """What :func:`vision.shelf_verification.verify_shelf_photo` uses of a
    :class:`ShelfDetector` (``imgsz``, ``model_version``, ``detect``), answered by the
    detector deployment through ``loop`` (the ingress replica's event loop). Call
    ``detect`` from a worker thread, never on that loop. A deployment without a live
    replica, or no answer within ``timeout_s``, is :class:`DetectorUnavailable` (503 with
    Retry-After; the upload stores nothing), never a 500 or a hung request."""

    def __init__(self, handle: DeploymentHandle[Any], *, model_version: str, imgsz: int,
                 loop: asyncio.AbstractEventLoop, timeout_s: float = DETECT_TIMEOUT_S) -> None:
        self.handle = handle
        self.model_version = model_version
        self.imgsz = imgsz
        self.loop = loop
        self.timeout_s = timeout_s

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[Detections]:
        # Each image goes at the model's input size (the letterbox's resize, done here):
        # a quarter of the bytes of a 1000×750 decode to serialise, send and copy.
        fitted = [fit(image, self.imgsz) for image in images]

        async def detect_all() -> list[Detections]:
            return list(await asyncio.gather(
                *(self.handle.detect.remote(small) for small, _ in fitted)))

        pending = asyncio.run_coroutine_threadsafe(detect_all(), self.loop)
        try:
            found = pending.result(timeout=self.timeout_s)
        except TimeoutError:
            pending.cancel()
            raise DetectorUnavailable(
                f"the shelf detector did not answer within {self.timeout_s:.0f} s; nothing "
                "was stored, send the same upload again in a moment") from None
        except (RayActorError, RayServeException) as error:
            raise DetectorUnavailable(
                "the shelf detector is unavailable (restarting?); nothing was stored, send "
                "the same upload again in a moment") from error
        return [detections.rescaled(1 / scale, image.shape[1], image.shape[0])
                for detections, image, (_, scale) in zip(found, images, fitted, strict=True)]


def direct_ingress_ports(environ: dict[str, str] | None = None) -> range:
    """The ports Serve gives ingress replicas for HAProxy (direct ingress):
    ``RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT..MAX_HTTP_PORT``, 30000-31000 by default."""
    source = os.environ if environ is None else environ
    low = int(source.get("RAY_SERVE_DIRECT_INGRESS_MIN_HTTP_PORT", "30000"))
    high = int(source.get("RAY_SERVE_DIRECT_INGRESS_MAX_HTTP_PORT", "31000"))
    return range(low, high + 1)


def ray_node_addresses() -> list[str]:
    """The IP addresses of the Ray cluster's live nodes (blocking: a GCS call)."""
    import ray

    return [node["NodeManagerAddress"] for node in ray.nodes()  # type: ignore[no-untyped-call]
            if node.get("Alive")]


class InternalPeersOnly:
    """ASGI middleware for an ingress replica: a request that reached one of the replica's
    own ports (``ports``, see :func:`direct_ingress_ports`) from a peer that is neither a
    loopback address nor a node of the Ray cluster gets 403 ``INTERNAL_PORT``, with
    ``Connection: close``. HAProxy connects from this machine or from another node, so it is
    never refused; a client that found the port from outside is.

    Requests on any other port (Serve's Python proxy passes the client's own address on) are
    not checked. ``nodes`` lists the cluster's node addresses; an unknown peer makes it be
    asked again, at most every ``refresh_s`` seconds (a node that joined since)."""

    def __init__(self, app: ASGIApp, *, nodes: Callable[[], Iterable[str]] = ray_node_addresses,
                 ports: range | None = None, refresh_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.nodes = nodes
        self.ports = ports if ports is not None else direct_ingress_ports()
        self.refresh_s = refresh_s
        self.clock = clock
        self._known: frozenset[str] = frozenset()
        self._asked_at: float | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server, client = scope.get("server"), scope.get("client")
        if (scope["type"] != "http" or not server or server[1] not in self.ports
                or await self._internal(client[0] if client else "")):
            await self.app(scope, receive, send)
            return
        response = error_response(403, ErrorPublic(
            code="INTERNAL_PORT", message="this port belongs to a Ray Serve replica behind "
            "the service's proxy; send the request to the service's address instead"),
            {"Connection": "close"})
        await response(scope, receive, send)

    async def _internal(self, peer: str) -> bool:
        try:
            if ipaddress.ip_address(peer).is_loopback:
                return True
        except ValueError:
            return False
        now = self.clock()
        if peer not in self._known and (self._asked_at is None
                                        or now - self._asked_at >= self.refresh_s):
            self._asked_at = now
            self._known = frozenset(await asyncio.to_thread(lambda: list(self.nodes())))
        return peer in self._known


class ApiIngressReplica:
    """The FastAPI app of :mod:`serving.app`, detecting through the detector deployment."""

    def __init__(self, detector: DeploymentHandle[Any], settings: dict[str, Any]) -> None:
        self._detector = detector
        self._settings = Settings(**settings)

    async def __serve_build_asgi_app__(self) -> FastAPI:
        info = await self._detector.info.remote()
        remote = RemoteDetector(self._detector, **info, loop=asyncio.get_running_loop())
        # The adapter has the attributes the shelf check uses; vision types it as the class.
        app = create_app(self._settings, detector=lambda _: cast(ShelfDetector, remote))
        app.add_middleware(InternalPeersOnly)
        return app


ShelfDetectorDeployment = serve.deployment(name="ShelfDetector", max_ongoing_requests=64)(
    ShelfDetectorReplica)
ApiIngress = serve.deployment(name="ApiIngress", max_ongoing_requests=32)(
    serve.ingress()(ApiIngressReplica))


def build_app(args: RayAppArgs) -> Application:
    """The Serve application: ingress + detector, configured by ``args``."""
    settings = build_settings(data_dir=args.data_dir, database_url=args.database_url,
                              detector_model=args.detector_model,
                              detector_threads=args.detector_threads)
    # Resolve the model paths here, so every replica loads the same files.
    settings = settings.model_copy(update={"detector_model": settings.resolved_detector_model,
                                           "embedder_model": settings.resolved_embedder_model})
    as_dict = settings.model_dump(mode="json")
    detector = ShelfDetectorDeployment.options(
        num_replicas=args.detector_replicas,
        ray_actor_options={"num_cpus": args.detector_num_cpus},
        user_config={"max_batch_size": args.max_batch_size,
                     "batch_wait_timeout_s": args.batch_wait_timeout_s},
    ).bind(as_dict)
    return ApiIngress.options(
        num_replicas=args.ingress_replicas,
        ray_actor_options={"num_cpus": args.ingress_num_cpus},
    ).bind(detector, as_dict)

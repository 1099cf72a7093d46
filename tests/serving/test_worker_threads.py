"""The service's long-lived worker threads (``serving.runtime.WorkerThreads``).

A Ray Serve replica runs its event loop with ``run_forever``; there anyio ends its worker
thread with each request, so the upload path runs on threads of our own that outlive it.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from application.settings import Settings
from serving.app import local_detector
from serving.runtime import WorkerThreads
from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta

_caller = contextvars.ContextVar("caller", default="unset")


def _on_loop(loop: asyncio.AbstractEventLoop, coroutine: Any) -> Any:
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=10)


def test_requests_on_a_run_replica_loop_reuse_the_same_threads(
        replica_loop: asyncio.AbstractEventLoop) -> None:
    workers = WorkerThreads(3)
    try:
        async def one_request() -> tuple[int, str]:
            # Each call from its own task, as each HTTP request is.
            return await workers.run(lambda: (threading.get_ident(),
                                              threading.current_thread().name))

        seen = [_on_loop(replica_loop, one_request()) for _ in range(30)]
    finally:
        workers.shutdown()
    assert len({ident for ident, _ in seen}) <= 3
    assert all(name.startswith("visitproof-worker") for _, name in seen)


def test_the_call_sees_the_callers_context_and_raises_its_errors(
        replica_loop: asyncio.AbstractEventLoop) -> None:
    workers = WorkerThreads(2)

    def fail() -> None:
        raise ValueError("from the worker")

    async def as_caller() -> str:
        _caller.set("request-7")
        return await workers.run(_caller.get)

    try:
        assert _on_loop(replica_loop, as_caller()) == "request-7"
        with pytest.raises(ValueError, match="from the worker"):
            _on_loop(replica_loop, workers.run(fail))
    finally:
        workers.shutdown()


def test_more_calls_than_threads_wait_their_turn(
        replica_loop: asyncio.AbstractEventLoop) -> None:
    workers = WorkerThreads(2)
    running, most = 0, 0
    lock = threading.Lock()

    def busy() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    async def many() -> None:
        await asyncio.gather(*(workers.run(busy) for _ in range(8)))

    try:
        _on_loop(replica_loop, many())
    finally:
        workers.shutdown()
    assert most == 2


def test_uploads_are_judged_on_the_worker_threads(make_api: Callable[..., Api]) -> None:
    """The detector sees the thread that judges the upload: one of the service's."""
    judged_on: list[str] = []

    class RecordingDetector:
        def __init__(self, settings: Settings) -> None:
            self._inner = local_detector(settings)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        def detect(self, images: Any) -> Any:
            judged_on.append(threading.current_thread().name)
            return self._inner.detect(images)

    api = make_api(detector=RecordingDetector, worker_threads=2)
    for _ in range(3):
        assert api.upload(make_upload_meta(), shelf_photo()).status_code == 201
    assert len(judged_on) == 3
    assert all(name.startswith("visitproof-worker") for name in judged_on)

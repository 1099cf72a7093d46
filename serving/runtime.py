"""What a running service holds: settings, the store, the loaded model, the intake, metrics.

Built once by the app's lifespan (:mod:`serving.app`) and handed to routes through the
``RuntimeDep`` dependency, so nothing is loaded at import time.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request

from application.settings import Settings
from visitproof.errors import StoreError
from visitproof.store import Database, PhotoStore

if TYPE_CHECKING:
    from application.checkin_intake import CheckinIntake
    from serving.metrics import Metrics

P = ParamSpec("P")
T = TypeVar("T")


class WorkerThreads:
    """Long-lived threads for the blocking work of a request (judging an upload, checking a
    token), so that per-thread state survives from one request to the next.

    FastAPI runs a sync route or dependency on an anyio worker thread. Under an event loop
    started with ``run_forever`` (a Ray Serve replica's), anyio ties that thread to the
    request's task and ends it with the request: a new thread for every call, and every
    per-thread cache (pyproj's transformers, about a millisecond each) rebuilt for every
    upload.
    """

    def __init__(self, count: int) -> None:
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="visitproof-worker")

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` on one of the threads, in a copy of the caller's context."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, partial(context.run, fn, *args, **kwargs))

    def shutdown(self) -> None:
        """Stop taking work; what is queued is cancelled, what runs finishes on its own."""
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    database: Database
    photos: PhotoStore
    intake: CheckinIntake
    metrics: Metrics
    workers: WorkerThreads

    def readiness_problems(self) -> list[str]:
        """Why the service can't take uploads right now (empty: ready)."""
        problems = []
        try:
            self.database.require_current()
        except StoreError as error:
            problems.append(f"{error.code}: the store is not at the current schema or can't "
                            "be opened")
        if not self.intake.model_version:
            problems.append("MODEL_UNAVAILABLE: no shelf detector loaded")
        return problems


async def current_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(current_runtime)]

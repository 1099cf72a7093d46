"""The FastAPI application, built by :func:`create_app` (nothing is built at import time).

    app = create_app(build_settings())
    uvicorn.Server(listener_config(app, host="127.0.0.1", port=8000)).run()

(:mod:`serving.listener`: uvicorn with the header timeout of :mod:`serving.slow_clients`).

The lifespan opens the store (which must be initialised and at the current schema: start
fails otherwise, with the reason), loads the shelf detector once, and builds the check-in
intake; routes reach them through :mod:`serving.runtime`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import Depends, FastAPI
from starlette.formparsers import MultiPartParser

from application.checkin_intake import CheckinIntake, IntakePolicies
from application.evidence_archive import EvidenceArchive
from application.product_references import load_embedder
from application.settings import Settings
from serving.access_log import redact_access_log
from serving.api_docs import install_api_docs
from serving.errors import install_error_handlers
from serving.messages import MessageLanguage
from serving.metrics import Metrics, MetricsMiddleware
from serving.query_params import reject_unknown_query
from serving.rate_limit import RateLimit, rate_limits
from serving.routes import (
    actions,
    checkins,
    contacts,
    customers,
    health,
    leads,
    manager_day,
    manager_exports,
    manager_rules,
    manager_views,
    manager_visit_pack,
    pages,
    rep_notes,
    rep_pages,
    reports,
    reviews,
    rules,
    visit_notes,
)
from serving.runtime import Runtime, WorkerThreads
from serving.schemas import ErrorPublic
from serving.slow_clients import ClientTimeouts
from serving.upload_limit import LARGE_BODY_BYTES, LargeBodies, UploadLimit
from vision.detector import DetectorConfig, ShelfDetector
from visitproof.store import PhotoStore, open_database


def create_app(settings: Settings, *,
               detector: Callable[[Settings], ShelfDetector] | None = None,
               clock: Callable[[], float] = time.monotonic,
               timeouts: ClientTimeouts | None = None,
               large_bodies: LargeBodies | None = None) -> FastAPI:
    """The API for ``settings``: ``/v1/checkins``, ``/healthz``, ``/readyz``, ``/metrics``.

    ``detector`` builds the shelf detector at start-up; by default the ONNX model of
    ``settings`` in this process (:mod:`serving.ray_app` passes one that calls the batched
    detector deployment instead). ``clock`` (monotonic seconds) drives the rate limits'
    refill; tests pass one they can move forward. ``timeouts`` bound how long a request's
    body may take, ``large_bodies`` how many large ones are read at once
    (:mod:`serving.upload_limit`; defaults: those ``settings`` configure).
    """
    metrics = Metrics(reverify_runs=settings.data_dir / "reverify")
    load_detector = detector or local_detector
    timeouts = timeouts or ClientTimeouts.of(settings)
    large_bodies = large_bodies or LargeBodies(max_concurrent=settings.large_uploads_at_once)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = open_database(settings.resolved_database_url,
                                 busy_timeout_s=settings.db_busy_timeout_s)
        workers = WorkerThreads(settings.worker_threads)
        try:
            database.require_current()
            shelf_detector = load_detector(settings)
            photos = PhotoStore(settings.photos_dir)
            photos.sweep_incoming()  # what writes cut by a crash left behind
            policies = IntakePolicies(fix_history=timedelta(days=settings.fix_history_days))
            app.state.runtime = Runtime(
                settings=settings, database=database, photos=photos,
                intake=CheckinIntake(database, photos, shelf_detector, policies,
                                     load_embedder(settings.resolved_embedder_model,
                                                   settings.detector_threads),
                                     archive=EvidenceArchive.of(settings)),
                metrics=metrics, workers=workers)
            yield
        finally:
            workers.shutdown()
            database.dispose()

    app = FastAPI(
        title="visitproof",
        summary="Verified field-sales check-ins: shelf photo, GPS fix, commitment, next "
        "action.",
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        docs_url=None, redoc_url=None,  # serving.api_docs: the same pages without a CDN
    )
    install_api_docs(app)
    install_error_handlers(app)
    limits = rate_limits(settings.rate_limit_per_minute, settings.rate_limit_burst,
                         settings.upload_rate_limit_per_minute,
                         settings.upload_rate_limit_burst)
    for module in (checkins, reviews, leads, contacts, actions, customers, rules, reports,
                   visit_notes, *_PAGE_MODULES, health):
        documented = {} if module in (health, *_PAGE_MODULES) else dict(_MALFORMED_RESPONSE)
        if module is not health and not limits.off:
            documented |= _RATE_LIMITED_RESPONSE
        app.include_router(module.router, responses=documented)
    # Added last = outermost: the limits apply before anything reads the body, the rate
    # limit before the size limit, and the metrics see every answer, 429s and 413s included.
    app.add_middleware(UploadLimit, max_bytes=settings.max_upload_bytes, timeouts=timeouts,
                       large=large_bodies)
    app.add_middleware(RateLimit, limits=limits, clock=clock)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(MessageLanguage)  # every answer's messages, refusals included
    keep_photos_in_memory()
    redact_access_log()
    return app


# A phone's 12 MP JPEG (2-6 MB) stays in memory while the form is parsed. Starlette's
# default spools an upload part over 1 MB to a temporary file, and then every 64 KB chunk
# of it is written from a worker thread: some 30 thread hand-offs and a disk file per
# photo. Larger parts (up to the upload limit) still go to disk, so memory stays bounded.
PHOTO_SPOOL_BYTES = LARGE_BODY_BYTES  # what spools to disk is what counts as large


def keep_photos_in_memory() -> None:
    """Raise Starlette's multipart spool size (a class attribute: process-wide) to
    :data:`PHOTO_SPOOL_BYTES`; never lower it."""
    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, PHOTO_SPOOL_BYTES)


#: The routers of the manager pages (HTML answers, their own error pages).
_PAGE_MODULES = (pages, manager_views, manager_day, manager_rules, manager_exports,
                 manager_visit_pack, rep_pages, rep_notes)
_MALFORMED_RESPONSE: dict[int | str, dict[str, Any]] = {400: {
    "model": ErrorPublic,
    "description": "The body can't be parsed at all: broken multipart or JSON framing "
    "(MALFORMED_REQUEST)."}}
_RATE_LIMITED_RESPONSE: dict[int | str, dict[str, Any]] = {429: {
    "model": ErrorPublic,
    "description": "Too many requests from this caller (RATE_LIMITED); retry after the "
    "Retry-After header's seconds.",
    "headers": {"Retry-After": {"description": "Seconds until a retry can succeed.",
                                "schema": {"type": "integer"}}}}}


def local_detector(settings: Settings) -> ShelfDetector:
    """The ONNX shelf detector of ``settings``, run in this process."""
    return ShelfDetector(settings.resolved_detector_model,
                         DetectorConfig(threads=settings.detector_threads))

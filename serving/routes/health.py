"""Operations endpoints: liveness, readiness, Prometheus metrics. No token needed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from serving.errors import error_response
from serving.runtime import RuntimeDep
from serving.schemas import ErrorDetail, ErrorPublic

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": ErrorPublic,
                                        "description": "Not ready (NOT_READY)."}})
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready for uploads: the store is at the current schema and the model is loaded."""
    problems = runtime.readiness_problems()
    if problems:
        return error_response(503, ErrorPublic(
            code="NOT_READY", message="; ".join(problems),
            details=[ErrorDetail(code=p.split(":", 1)[0], message=p) for p in problems]))
    return JSONResponse({"status": "ready", "model_version": runtime.intake.model_version})


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(runtime: RuntimeDep) -> PlainTextResponse:
    """Prometheus text exposition."""
    return PlainTextResponse(runtime.metrics.exposition(),
                             media_type="text/plain; version=0.0.4; charset=utf-8")

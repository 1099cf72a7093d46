"""A zero-argument app factory for ``uvicorn --factory``: the service exactly as
:func:`serving.app.create_app` builds it, with settings from the ``VISITPROOF_*`` environment.

    VISITPROOF_DATA_DIR=/tmp/store uvicorn --factory benchmarks.reliability.server:app
"""

from __future__ import annotations

from fastapi import FastAPI

from application.settings import build_settings
from serving.app import create_app


def app() -> FastAPI:
    return create_app(build_settings())

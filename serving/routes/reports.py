"""``/v1/phi``, ``/v1/overlap``, ``/v1/coverage-gaps``: figures for managers, in scope."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["reports"])

"""``/v1/actions``: next actions (from check-ins) and marking them done."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/actions", tags=["actions"])

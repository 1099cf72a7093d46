"""``/v1/leads``: create (channel and tier mandatory), assign, touch; list within scope."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/leads", tags=["leads"])

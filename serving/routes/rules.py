"""``/v1/rules``: rules as data (featured SKUs, golden-zone policies, evidence), versioned."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/rules", tags=["rules"])

"""Manager pages (HTML): overlap map, PHI report, check-in drill-down."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="", tags=["pages"])

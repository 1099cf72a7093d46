"""``/v1/contacts``: a customer's decision makers, within the caller's scope."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])

"""What a running service holds: settings, the store, the loaded model, the intake, metrics.

Built once by the app's lifespan (:mod:`serving.app`) and handed to routes through the
``RuntimeDep`` dependency, so nothing is loaded at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from visitproof.errors import StoreError
from visitproof.settings import Settings
from visitproof.store import Database, PhotoStore

if TYPE_CHECKING:
    from serving.checkin_intake import CheckinIntake
    from serving.metrics import Metrics


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    database: Database
    photos: PhotoStore
    intake: CheckinIntake
    metrics: Metrics

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


def current_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(current_runtime)]

"""Shared vision fixtures: a small rendered dataset, written once per test session, and the
newest committed shelf detector."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.settings import MODELS_DIR, newest_model
from vision.detector import ShelfDetector
from vision.synth.dataset import DatasetSpec, write_dataset

MODELS = Path(__file__).resolve().parents[2] / "models"
COMMITTED_MODEL = MODELS / "shelf-detector-0.1.0.onnx"


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight 320-px photos (seed 101, two in val); returns the dataset folder."""
    root = tmp_path_factory.mktemp("shelves")
    write_dataset(DatasetSpec(count=8, seed=101, size=(320, 320, 0), val_fraction=0.25), root)
    return root


@pytest.fixture(scope="session")
def detector() -> ShelfDetector:
    """The newest committed ``shelf-detector`` model (the test skips when there is none)."""
    try:
        return ShelfDetector(newest_model("shelf-detector"))
    except Exception:
        pytest.skip(f"no shelf-detector model in {MODELS_DIR}")

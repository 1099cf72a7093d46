"""The training recipe: ultralytics YOLO from a model YAML, offline, seeded, on CPU or GPU.

No pretrained weights are used or downloaded: the model is built from its YAML
(``yolo11n.yaml``) and learns only from the rendered dataset. Plots are off because
ultralytics fetches a font to draw them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from visitproof.errors import InvalidInput

# Dense shelves hold far more than ultralytics' default of 300 boxes.
MAX_DET = 1000


@dataclass(frozen=True, slots=True)
class TrainRecipe:
    """Everything that decides the trained weights. ``imgsz`` in pixels, ``device`` e.g. "cpu"."""

    data: Path
    out: Path
    model: str = "yolo11n.yaml"
    epochs: int = 30
    imgsz: int = 640
    batch: int = 16
    seed: int = 0
    device: str = "cpu"
    workers: int = 1
    threads: int = 2
    close_mosaic: int = 2
    warmup_epochs: float = 1.0
    cache: bool = True
    hours: float | None = None  # stop after this wall time; ultralytics re-plans epochs

    def __post_init__(self) -> None:
        if not self.model.endswith((".yaml", ".yml")):
            raise InvalidInput(
                f"train from a model YAML (no pretrained download), got {self.model!r}"
            )
        if self.epochs < 1 or self.imgsz < 32 or self.batch < 1:
            raise InvalidInput(
                f"epochs, imgsz and batch must be positive, got {self.epochs}, {self.imgsz}, "
                f"{self.batch}"
            )

    def ultralytics_args(self) -> dict[str, Any]:
        """Keyword arguments for ``YOLO.train``."""
        return {
            "data": str(self.data.resolve()),
            "epochs": self.epochs,
            "imgsz": self.imgsz,
            "batch": self.batch,
            "seed": self.seed,
            "deterministic": True,
            "device": self.device,
            "workers": self.workers,
            "project": str(self.out.resolve()),
            "name": "train",
            "exist_ok": True,
            "plots": False,
            "max_det": MAX_DET,
            "close_mosaic": self.close_mosaic,
            "warmup_epochs": self.warmup_epochs,
            # One optimiser step per batch (ultralytics accumulates to 64 images by default):
            # on a CPU budget of ~1k steps, more steps beat smoother gradients.
            "nbs": self.batch,
            **({"time": self.hours} if self.hours else {}),
            "cache": self.cache,
            "amp": self.device != "cpu",
            "pretrained": False,
            "verbose": True,
            # Shelf photos are upright; rows must stay horizontal-ish, so only mild rotation.
            "degrees": 3.0,
            "fliplr": 0.5,
        }


def offline_environment() -> None:
    """Keep ultralytics from reaching the network (hub, fonts, update checks)."""
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("YOLO_VERBOSE", "True")


def train_detector(recipe: TrainRecipe) -> Path:
    """Train and return the path of the final weights (``last.pt``, see below)."""
    if not recipe.data.is_file():
        raise InvalidInput(f"data file not found: {recipe.data}")
    offline_environment()
    import torch
    from ultralytics import YOLO  # type: ignore[attr-defined]

    torch.set_num_threads(recipe.threads)
    model = YOLO(recipe.model, task="detect")
    model.train(**recipe.ultralytics_args())
    weights = recipe.out.resolve() / "train" / "weights"
    # best.pt is chosen on val fitness; with few epochs both are usually the last epoch.
    best = weights / "best.pt"
    return best if best.is_file() else weights / "last.pt"

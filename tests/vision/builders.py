"""Tiny builders for vision tests: detections and ground truth from plain lists."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vision.detection_metrics import GroundTruthBoxes
from vision.detector import Detections

BoxRow = tuple[float, float, float, float]


def make_detections(boxes: Sequence[BoxRow], scores: Sequence[float] | None = None,
                    classes: Sequence[int] | None = None, version: str = "test-0") -> Detections:
    """Detections from xyxy rows; scores default to 0.9, classes to 0."""
    n = len(boxes)
    return Detections(
        np.array(boxes, np.float32).reshape(n, 4),
        np.array(scores if scores is not None else [0.9] * n, np.float32),
        np.array(classes if classes is not None else [0] * n, np.int64),
        version,
    )


def make_truth(boxes: Sequence[BoxRow], classes: Sequence[int] | None = None) -> GroundTruthBoxes:
    """Ground truth from xyxy rows; classes default to 0."""
    n = len(boxes)
    return GroundTruthBoxes(np.array(boxes, np.float32).reshape(n, 4),
                            np.array(classes if classes is not None else [0] * n, np.int64))


def shelf_detections(*, products: Sequence[BoxRow] = (), shelves: Sequence[BoxRow] = (),
                     score: float = 0.9) -> Detections:
    """Detections from xyxy pixel boxes: class 0 for ``products``, 1 for ``shelves``."""
    boxes = [*products, *shelves]
    return make_detections(boxes, [score] * len(boxes),
                           [0] * len(products) + [1] * len(shelves))


def make_gondola(rows: int = 5, *, left: float = 100, width: float = 800, top: float = 50,
                 row_height: float = 150) -> list[tuple[float, float, float, float]]:
    """Shelf row bands of one bay, top to bottom, as xyxy pixel boxes."""
    return [(left, top + i * row_height, left + width, top + (i + 1) * row_height)
            for i in range(rows)]


def on_row(band: tuple[float, float, float, float], x: float,
           width: float = 60) -> tuple[float, float, float, float]:
    """A product box standing on ``band`` at horizontal position ``x``."""
    return (x, band[1] + 20, x + width, band[3] - 10)

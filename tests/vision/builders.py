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

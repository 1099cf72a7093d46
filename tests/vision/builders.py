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


def stocked_bay(rows: int = 5, *, left: float = 100, width: float = 800, top: float = 50,
                row_height: float = 150, pack_height: float = 100, strip: float = 20,
                tags: bool = True, band_shift: float = 0.0
                ) -> tuple[list[BoxRow], list[BoxRow], list[BoxRow]]:
    """One bay as a real shelf shows it: (packs, price tags, bands), xyxy pixels.

    Row ``i`` (1 = top) has its deck line (the packs' base) at ``top + i * row_height -
    strip``, a strip of ``strip`` pixels below it with a tag under every other pack, and a
    pack every 70 pixels standing on the deck. Bands run from the strip above to this deck's
    strip, moved down by ``band_shift`` row heights (a detector trained on one renderer's
    geometry)."""
    packs: list[BoxRow] = []
    price_tags: list[BoxRow] = []
    bands: list[BoxRow] = []
    for row in range(1, rows + 1):
        deck = top + row * row_height - strip
        for n, x in enumerate(np.arange(left + 10, left + width - 60, 70).tolist()):
            packs.append((x, deck - pack_height, x + 60, deck))
            if tags and n % 2 == 0:
                price_tags.append((x + 10, deck + 3, x + 50, deck + 17))
        shift = band_shift * row_height
        bands.append((left, deck - row_height + strip + shift, left + width, deck + strip + shift))
    return packs, price_tags, bands


def with_tags(packs: Sequence[BoxRow], tags: Sequence[BoxRow], bands: Sequence[BoxRow],
              score: float = 0.9) -> Detections:
    """Detections of packs (class 0), bands (1) and price tags (2)."""
    boxes = [*packs, *bands, *tags]
    return make_detections(boxes, [score] * len(boxes),
                           [0] * len(packs) + [1] * len(bands) + [2] * len(tags))

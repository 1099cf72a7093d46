"""Ground truth of a rendered shelf photo and its on-disk formats.

Classes (ultralytics YOLO ids):

    0 product     one pack's visible front, axis-aligned, in image pixels
    1 shelf       one shelf *row band*: from the underside of the deck above (or the top cap)
                  down to the bottom of this deck's edge strip, between the bay's uprights
                  (see ``vision.synth.fixture``). Bands of a bay stack without overlap on a
                  frontal view, so a product belongs to the band that contains its centre;
                  that is how rows are assigned and counted from the top.
    2 price_tag   a price label on a shelf edge strip

Each image gets a YOLO label file (``class cx cy w h``, normalised to 0..1) and a sidecar
JSON with, per product, its SKU, bay, row (1 = top) and box, and the fixture geometry: per bay
its height in cm and per row the band box, its projected quad and its heights in cm.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from visitproof.errors import InvalidInput

CLASS_NAMES: tuple[str, ...] = ("product", "shelf", "price_tag")
PRODUCT, SHELF, PRICE_TAG = 0, 1, 2

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels


@dataclass(frozen=True, slots=True)
class ProductLabel:
    """A labelled pack. ``visible`` is the unoccluded share of its box, 0..1."""

    sku: str
    fixture: int
    row: int
    pose: str
    box: Box
    visible: float


@dataclass(frozen=True, slots=True)
class ShelfLabel:
    """A labelled row band; heights in cm are measured down from the fixture top."""

    fixture: int
    row: int
    box: Box
    quad: tuple[tuple[float, float], ...]  # band corners TL, TR, BR, BL in image pixels
    top_cm: float
    deck_cm: float
    edge_bottom_cm: float


@dataclass(frozen=True, slots=True)
class TagLabel:
    fixture: int
    row: int
    box: Box


@dataclass(frozen=True, slots=True)
class FixtureLabel:
    """A bay in view. ``main`` marks the bay the photo was aimed at."""

    index: int
    main: bool
    width_cm: float
    height_cm: float
    rows: int
    box: Box


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Everything labelled in one image of ``width`` × ``height`` pixels."""

    width: int
    height: int
    products: tuple[ProductLabel, ...]
    shelves: tuple[ShelfLabel, ...]
    tags: tuple[TagLabel, ...]
    fixtures: tuple[FixtureLabel, ...]

    def boxes(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """(N, 4) float32 xyxy pixel boxes and (N,) int64 class ids, products first."""
        rows: list[tuple[int, Box]] = [(PRODUCT, p.box) for p in self.products]
        rows += [(SHELF, s.box) for s in self.shelves]
        rows += [(PRICE_TAG, t.box) for t in self.tags]
        boxes = np.array([b for _, b in rows], np.float32).reshape(-1, 4)
        return boxes, np.array([c for c, _ in rows], np.int64)


def yolo_text(truth: GroundTruth) -> str:
    """The ultralytics label file: one ``class cx cy w h`` line per box, 6 decimals."""
    boxes, classes = truth.boxes()
    lines = []
    for (x0, y0, x1, y1), cls in zip(boxes.tolist(), classes.tolist(), strict=True):
        cx, cy = (x0 + x1) / 2 / truth.width, (y0 + y1) / 2 / truth.height
        w, h = (x1 - x0) / truth.width, (y1 - y0) / truth.height
        lines.append(f"{cls} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}")
    return "\n".join(lines) + ("\n" if lines else "")


def read_yolo(path: Path, width: int, height: int) -> tuple[
    npt.NDArray[np.float32], npt.NDArray[np.int64]
]:
    """Read a YOLO label file back into (N, 4) xyxy pixel boxes and (N,) class ids."""
    try:
        text = path.read_text()
    except OSError as error:
        raise InvalidInput(f"cannot read label file {path}: {error}") from error
    values = np.array([line.split() for line in text.splitlines() if line.strip()], np.float64)
    if values.size == 0:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    if values.ndim != 2 or values.shape[1] != 5:
        raise InvalidInput(f"{path}: expected 5 columns per line, got shape {values.shape}")
    cx, cy = values[:, 1] * width, values[:, 2] * height
    w, h = values[:, 3] * width, values[:, 4] * height
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
    return boxes, values[:, 0].astype(np.int64)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def sidecar(truth: GroundTruth, image_name: str, generator: dict[str, Any]) -> dict[str, Any]:
    """The sidecar JSON object of one image (boxes xyxy pixels, heights cm from the top)."""
    return {
        "image": image_name,
        "width": truth.width,
        "height": truth.height,
        "generator": generator,
        "classes": list(CLASS_NAMES),
        "fixtures": [
            {
                **_rounded(asdict(f)),
                "shelves": [_rounded(asdict(s)) for s in truth.shelves if s.fixture == f.index],
            }
            for f in truth.fixtures
        ],
        "products": [_rounded(asdict(p)) for p in truth.products],
        "price_tags": [_rounded(asdict(t)) for t in truth.tags],
    }


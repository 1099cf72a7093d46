"""The annotated photo managers see: rows, the golden zone, and every pack's verdict.

Featured facings in the zone are outlined green, featured facings elsewhere red, other packs
thin grey; each featured pack carries its SKU's number from the legend. Shelf rows are
outlined blue with their row number (1 = top), golden rows tinted gold. The status banner
and the legend sit in a panel below the photo, inside the same frame. Where everything goes
is :func:`vision.annotation_layout.annotation_layout`'s, a pure function; this module only
draws it.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vision.annotation_layout import (
    FONT,
    GOLD,
    PANEL,
    AnnotationLayout,
    Colour,
    Rect,
    annotation_layout,
    nearest_point,
)
from vision.shelf_verification import ShelfVerdict

_WHITE: Colour = (255, 255, 255)


def annotate(pixels: npt.NDArray[np.uint8], verdict: ShelfVerdict,
             max_long_side: int = 1600) -> npt.NDArray[np.uint8]:
    """An RGB picture of ``pixels`` (the original photo, any size) with the verdict drawn
    on: the photo's size, or smaller so that its long side is at most ``max_long_side``."""
    height, width = pixels.shape[:2]
    scale = min(1.0, max_long_side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    layout = annotation_layout(verdict, size, source_size=(width, height))
    return draw(pixels, layout)


def draw(pixels: npt.NDArray[np.uint8], layout: AnnotationLayout) -> npt.NDArray[np.uint8]:
    """``layout`` drawn over ``pixels`` (scaled into ``layout.photo``), as a new array."""
    width, height = layout.size
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = PANEL
    x0, y0, x1, y1 = layout.photo
    shrinking = x1 - x0 < pixels.shape[1]
    canvas[y0:y1, x0:x1] = cv2.resize(
        pixels, (x1 - x0, y1 - y0),
        interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    tint = canvas.copy()
    for row in layout.rows:
        if row.golden:
            _box(tint, row.rect, GOLD, -1)
    canvas = np.ascontiguousarray(cv2.addWeighted(tint, 0.25, canvas, 0.75, 0))
    for outline in (*layout.rows, *layout.packs):
        _box(canvas, outline.rect, outline.colour, outline.thickness)
    for label in layout.labels:  # leader lines first: the labels cover their ends
        if label.anchor is not None:
            start = nearest_point(label.rect, label.anchor)
            cv2.line(canvas, start, label.anchor, label.colour, layout.thickness, cv2.LINE_AA)
            cv2.circle(canvas, label.anchor, layout.thickness + 1, label.colour, -1)
    for label in layout.labels:
        _box(canvas, label.rect, label.colour, -1)
        cv2.putText(canvas, label.text, label.origin, FONT, label.scale, _WHITE,
                    layout.thickness, cv2.LINE_AA)
    for line in (*layout.banner, *layout.legend):
        cv2.putText(canvas, line.text, line.origin, FONT, layout.font_scale, line.colour,
                    layout.thickness, cv2.LINE_AA)
    return np.asarray(canvas, dtype=np.uint8)


def _box(canvas: npt.NDArray[np.uint8], rect: Rect, colour: Colour, thickness: int) -> None:
    """A half-open rectangle outlined (``thickness`` -1: filled)."""
    cv2.rectangle(canvas, (rect[0], rect[1]), (rect[2] - 1, rect[3] - 1), colour, thickness)

"""The annotated photo managers see: rows, the golden zone, and every pack's verdict.

Featured facings in the zone are green, featured facings elsewhere red, other packs thin
grey; shelf row bands are outlined with their row number, golden rows tinted gold.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vision.shelf_verification import ShelfVerdict

_GREEN, _RED, _GREY, _GOLD, _BLUE = (40, 170, 60), (220, 40, 40), (160, 160, 160), \
    (230, 180, 30), (60, 110, 220)


def annotate(pixels: npt.NDArray[np.uint8], verdict: ShelfVerdict,
             max_long_side: int = 1600) -> npt.NDArray[np.uint8]:
    """An RGB copy of ``pixels`` (the original photo, any size) with the verdict drawn on."""
    height, width = pixels.shape[:2]
    scale = min(1.0, max_long_side / max(height, width))
    canvas = cv2.resize(pixels, (round(width * scale), round(height * scale)),
                        interpolation=cv2.INTER_AREA) if scale < 1.0 else pixels.copy()
    factor = scale
    if verdict.image_size:
        factor = canvas.shape[1] / verdict.image_size[0]
    tint = canvas.copy()
    golden = set(verdict.golden_zone_rows)
    featured = {p.sku for p in verdict.featured}
    thickness = max(1, round(canvas.shape[1] / 600))
    # The rows the verdict used; older verdicts had none but their numbered shelf bands.
    rows = [(r.row, r.box) for r in verdict.shelf_rows] or [
        (d.row, d.box) for d in verdict.detections if d.label == "shelf" and d.row is not None]
    for row, box in rows:
        x0, y0, x1, y1 = (round(v * factor) for v in box)
        if row in golden:
            cv2.rectangle(tint, (x0, y0), (x1, y1), _GOLD, -1)
        cv2.rectangle(canvas, (x0, y0), (x1, y1), _BLUE, thickness)
        cv2.putText(canvas, str(row), (x0 + 4, y0 + 18 * thickness),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.6 * thickness, _BLUE, thickness)
    canvas = cv2.addWeighted(tint, 0.25, canvas, 0.75, 0)
    for detection in verdict.detections:
        if detection.label != "product":
            continue
        x0, y0, x1, y1 = (round(v * factor) for v in detection.box)
        if detection.sku in featured:
            colour = _GREEN if detection.row in golden else _RED
            cv2.rectangle(canvas, (x0, y0), (x1, y1), colour, thickness + 1)
            cv2.putText(canvas, str(detection.sku), (x0, max(y0 - 4, 10)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness, colour, thickness)
        else:
            cv2.rectangle(canvas, (x0, y0), (x1, y1), _GREY, 1)
    label = f"{verdict.status.value}  " + ", ".join(r.code for r in verdict.reasons)
    cv2.putText(canvas, label[:120], (8, canvas.shape[0] - 10), cv2.FONT_HERSHEY_SIMPLEX,
                0.5 * thickness, _RED if verdict.reasons else _GREEN, thickness)
    return np.asarray(canvas, dtype=np.uint8)

"""The quality gate: is the photo sharp, exposed and large enough to judge the shelf?

Each failure is a retake reason the rep can act on at once. Measures are computed on a
grey copy scaled to a fixed long side, so thresholds mean the same for a 640 px and a
4000 px photo. Given a subject box (the shelf check passes the extent of the packs on found
rows), they are measured there only: a white wall, a window, a lit fridge door or a blank end
panel beside the shelf is not the shelf being over-exposed or blurred.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from visitproof.reasons import ReasonCode, reason
from visitproof.records import Reason

_MEASURE_LONG_SIDE = 640


@dataclass(frozen=True, slots=True)
class QualityPolicy:
    """Thresholds. ``min_short_side`` is in original pixels; ``min_sharpness`` is the
    variance of the Laplacian at 640 px long side; brightness is 0-255."""

    min_short_side: int = 480
    min_sharpness: float = 25.0
    min_mean_brightness: float = 35.0
    max_washed_out_share: float = 0.35
    washed_out_level: int = 250


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The measures and the retake reasons they gave (empty when the photo passes)."""

    sharpness: float
    mean_brightness: float
    washed_out_share: float
    reasons: tuple[Reason, ...]

    @property
    def passed(self) -> bool:
        return not self.reasons


def assess_quality(pixels: npt.NDArray[np.uint8], original_size: tuple[int, int],
                   policy: QualityPolicy | None = None, *,
                   subject: tuple[float, float, float, float] | None = None) -> QualityReport:
    """Judge an (H, W, 3) uint8 RGB image; ``original_size`` is the stored (width, height)
    before any reduced-size decoding. ``subject``: an xyxy box in ``pixels`` (the packs on
    the shelf) to measure sharpness and exposure on instead of the whole frame."""
    policy = policy or QualityPolicy()
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    height, width = grey.shape
    factor = _MEASURE_LONG_SIDE / max(height, width)
    if factor < 1.0:
        grey = cv2.resize(grey, (max(1, round(width * factor)), max(1, round(height * factor))),
                          interpolation=cv2.INTER_AREA)
    if subject is not None:
        grey = _crop(grey, subject, min(factor, 1.0))
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    mean_brightness = float(grey.mean())
    washed_out = float((grey >= policy.washed_out_level).mean())
    reasons: list[Reason] = []
    original_width, original_height = original_size
    if min(original_width, original_height) < policy.min_short_side:
        reasons.append(reason(ReasonCode.PHOTO_LOW_RESOLUTION, width=original_width,
                              height=original_height, minimum=policy.min_short_side))
    if mean_brightness < policy.min_mean_brightness:
        reasons.append(reason(ReasonCode.PHOTO_TOO_DARK, mean=mean_brightness))
    elif washed_out > policy.max_washed_out_share:
        reasons.append(reason(ReasonCode.PHOTO_OVEREXPOSED, share=washed_out))
    elif sharpness < policy.min_sharpness:
        # Only judged on a usable exposure: a black frame is also "flat".
        reasons.append(reason(ReasonCode.PHOTO_BLURRY, score=sharpness,
                              minimum=policy.min_sharpness))
    return QualityReport(sharpness=sharpness, mean_brightness=mean_brightness,
                         washed_out_share=washed_out, reasons=tuple(reasons))


def _crop(grey: npt.NDArray[Any], box: tuple[float, float, float, float],
          factor: float) -> npt.NDArray[Any]:
    """``box`` (in the unscaled image's pixels) cut from ``grey`` (scaled by ``factor``);
    the whole of ``grey`` when the box is too small to measure (under 32 px a side)."""
    height, width = grey.shape
    x0, y0, x1, y1 = (round(v * factor) for v in box)
    x0, x1 = max(0, min(x0, width)), max(0, min(x1, width))
    y0, y1 = max(0, min(y0, height)), max(0, min(y1, height))
    if x1 - x0 < 32 or y1 - y0 < 32:
        return grey
    return grey[y0:y1, x0:x1]

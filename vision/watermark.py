"""The evidence archive's visible watermark: a semi-opaque band at the foot of the photo.

    lines = watermark_lines(WatermarkFacts(local_time="2026-11-03 10:12 +08:00", ...))
    jpeg = watermarked_jpeg(photo_bytes, lines)

The band holds ASCII lines (the visit's local time with its zone offset, "lat, lon +-acc m",
customer, rep and check-in id) in OpenCV's built-in Hershey font, so no font file is needed.
The text height scales with the photo's width (about 1/60 of it, at least 9 px), so it reads
the same on a 4000 px phone photo and on a 160 px test image: on a narrow photo the lines
wrap rather than shrink to dots or get cut. The photo is decoded upright (EXIF orientation applied)
at full size and written back as a JPEG of quality :data:`JPEG_QUALITY`; the stored
original is never touched.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vision.photo_decode import DecodeLimits, decode_photo

JPEG_QUALITY = 90
FONT = cv2.FONT_HERSHEY_SIMPLEX
MIN_TEXT_PX = 8.0
"""The smallest text height drawn, px (a 160 px photo's lines wrap to keep it)."""
BAND_OPACITY = 0.6
"""How dark the band is (0: clear, 1: black)."""


@dataclass(frozen=True, slots=True)
class WatermarkFacts:
    """What the watermark says, as text already formatted by the caller."""

    local_time: str
    lat: float
    lon: float
    accuracy_m: float
    customer_id: str
    rep_id: str
    checkin_id: str


def watermark_lines(facts: WatermarkFacts) -> tuple[str, ...]:
    """The band's lines, ASCII only (anything else becomes ``?``)."""
    lines = (f"{facts.local_time}",
             f"{facts.lat:.6f}, {facts.lon:.6f} +-{facts.accuracy_m:.0f} m",
             f"customer {facts.customer_id}  rep {facts.rep_id}",
             f"check-in {facts.checkin_id}")
    return tuple(line.encode("ascii", "replace").decode("ascii") for line in lines)


def draw_watermark(pixels: npt.NDArray[np.uint8],
                   lines: Sequence[str]) -> npt.NDArray[np.uint8]:
    """A copy of the (H, W, 3) uint8 image with the band and ``lines`` drawn at its foot."""
    if pixels.ndim != 3 or pixels.shape[2] != 3 or pixels.dtype != np.uint8:
        raise ValueError(f"pixels must be (H, W, 3) uint8, got {pixels.shape} {pixels.dtype}")
    out = pixels.copy()
    height, width = out.shape[:2]
    target = max(MIN_TEXT_PX, width / 60)  # text height, px
    thickness = max(1, round(target / 12))
    scale = cv2.getFontScaleFromHeight(FONT, round(target), thickness)
    margin = max(2, round(target / 3))
    room = width - 2 * margin
    # A narrow photo: wrap the lines (the check-in id too) to what fits at the smallest
    # readable size, rather than shrinking the text to dots.
    per_char = cv2.getTextSize("0", FONT, scale, thickness)[0][0]
    lines = [piece for line in lines for piece in textwrap.wrap(
        line, max(4, room // max(1, per_char)), break_long_words=True) or [""]]
    widest = max(cv2.getTextSize(line, FONT, scale, thickness)[0][0] for line in lines)
    if widest > room:
        scale *= room / widest
    text_height = cv2.getTextSize("Ag", FONT, scale, thickness)[0][1]
    step = round(text_height * 1.6) + 1
    band = min(height, step * len(lines) + margin)
    top = height - band
    region = out[top:, :].astype(np.float32)
    out[top:, :] = (region * (1.0 - BAND_OPACITY)).astype(np.uint8)
    for number, line in enumerate(lines):
        baseline = top + margin // 2 + step * (number + 1) - (step - text_height) // 2
        cv2.putText(out, line, (margin, baseline), FONT, scale, (255, 255, 255), thickness,
                    cv2.LINE_AA)
    return out


def watermarked_jpeg(photo: bytes, lines: Sequence[str], *,
                     limits: DecodeLimits | None = None) -> bytes:
    """``photo`` decoded upright at full size, the watermark drawn, as JPEG bytes
    (:class:`~vision.photo_decode.PhotoRejected` when the photo can't be decoded)."""
    decoded = decode_photo(photo, limits or DecodeLimits(target_long_side=None))
    marked = draw_watermark(decoded.pixels, lines)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(marked, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB image
        raise ValueError("the watermarked photo could not be encoded")
    return bytes(encoded.tobytes())

"""The annotated shelf photo managers drill down to: the stored photo with the stored shelf
verdict drawn on it (:func:`vision.annotation.annotate`).

The verdict is rebuilt from the ``shelf`` verification's stored JSON
(:meth:`~vision.shelf_verification.ShelfVerdict.from_json`), not re-computed, so the picture
shows exactly what judged the check-in, whatever model is loaded now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2

from vision.annotation import annotate
from vision.photo_decode import DecodeLimits, decode_photo
from vision.shelf_verification import ShelfVerdict

MAX_LONG_SIDE = 1600


def annotated_jpeg(photo: bytes, shelf: Mapping[str, Any], quality: int = 85) -> bytes:
    """A JPEG (long side at most 1600 px) of ``photo`` with the ``shelf`` verdict JSON
    (``ShelfVerdict.as_json``) drawn on it."""
    pixels = decode_photo(photo, DecodeLimits(target_long_side=MAX_LONG_SIDE)).pixels
    image = annotate(pixels, ShelfVerdict.from_json(shelf), max_long_side=MAX_LONG_SIDE)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV can always encode a uint8 RGB array
        raise RuntimeError("OpenCV could not encode the annotated photo")
    return encoded.tobytes()


"""The annotated shelf photo managers drill down to: the stored photo with the stored shelf
verdict drawn on it (:func:`vision.annotation.annotate`).

The verdict is rebuilt from the ``shelf`` verification's stored JSON, not re-computed, so the
picture shows exactly what judged the check-in, whatever model is loaded now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cv2

from vision.annotation import annotate
from vision.golden_zone import FeaturedPlacement
from vision.photo_decode import DecodeLimits, decode_photo
from vision.shelf_verification import ProductBox, ShelfVerdict
from visitproof.records import CheckinStatus, Reason

MAX_LONG_SIDE = 1600


def annotated_jpeg(photo: bytes, shelf: Mapping[str, Any], quality: int = 85) -> bytes:
    """A JPEG (long side at most 1600 px) of ``photo`` with the ``shelf`` verdict JSON
    (``ShelfVerdict.as_json``) drawn on it."""
    pixels = decode_photo(photo, DecodeLimits(target_long_side=MAX_LONG_SIDE)).pixels
    image = annotate(pixels, verdict_from_json(shelf), max_long_side=MAX_LONG_SIDE)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV can always encode a uint8 RGB array
        raise RuntimeError("OpenCV could not encode the annotated photo")
    return encoded.tobytes()


def verdict_from_json(shelf: Mapping[str, Any]) -> ShelfVerdict:
    """The drawable part of a stored shelf verdict (boxes, rows, featured SKUs, reasons)."""
    size = shelf.get("image_size")
    return ShelfVerdict(
        status=CheckinStatus(shelf["status"]),
        reasons=tuple(Reason(code=r["code"], message=r["message"]) for r in shelf["reasons"]),
        featured=tuple(FeaturedPlacement(sku=f["sku"], facings_in_zone=f["facings_in_zone"],
                                         facings_elsewhere=f["facings_elsewhere"],
                                         rows=tuple(f["rows"]))
                       for f in shelf.get("featured", ())),
        golden_zone_rows=tuple(shelf.get("golden_zone_rows", ())),
        detections=tuple(ProductBox(label=d["label"], box=tuple(d["box"]), score=d["score"],
                                    sku=d.get("sku"), row=d.get("row", 0),
                                    bay=d.get("bay", -1))
                         for d in shelf.get("detections", ())),
        image_size=(int(size[0]), int(size[1])) if size else None)

"""Photos made in the test: encoded in memory, seeded, no files needed."""

from __future__ import annotations

import io

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image


def rgb(bgr: cv2.typing.MatLike | None) -> npt.NDArray[np.uint8]:
    """OpenCV's BGR uint8 image as a contiguous RGB array (None: the image wasn't read)."""
    if bgr is None:
        raise ValueError("image could not be read")
    return np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def textured(width: int = 800, height: int = 600, seed: int = 0) -> npt.NDArray[np.uint8]:
    """A sharp, well-exposed RGB picture: coloured rectangles and lines on a mid-grey."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 128, np.uint8)
    for _ in range(60):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(10, width // 4)), int(rng.integers(10, height // 4))
        colour = tuple(int(c) for c in rng.integers(20, 235, 3))
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, -1)
        cv2.line(image, (x, y), (x + w, y + h), (20, 20, 20), 2)
    return image


def encode(pixels: npt.NDArray[np.uint8], fmt: str = "JPEG", quality: int = 90,
           orientation: int | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    kwargs: dict[str, object] = {"quality": quality} if fmt == "JPEG" else {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()

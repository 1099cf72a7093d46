"""Random views of a product photo as a phone on a shelf might take it: the pretrained
embedder's training augmentation (geometry and photometry, RGB uint8 in and out)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


def augment(image: Image, rng: np.random.Generator, size: int, flip: bool,
            min_area: float = 0.35) -> Image:
    """A random view (size, size, 3) uint8 of an RGB image as a phone on a shelf might take it.

    Geometry: a random crop of ``min_area``-1 of the area and 3:4-4:3 aspect, each corner
    moved by up to 8 % (perspective), a mirror image with ``flip`` (p 0.5). Photometry:
    exposure, contrast, white balance, saturation, a small hue turn, sometimes shrunk to
    16-64 px and back (a pack a few dozen pixels tall), blur, JPEG.
    """
    h, w = image.shape[:2]
    area = rng.uniform(min_area, 1.0) * h * w
    ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
    cw, ch = min(w, round(math.sqrt(area * ratio))), min(h, round(math.sqrt(area / ratio)))
    x0, y0 = rng.uniform(0, w - cw), rng.uniform(0, h - ch)
    corners = np.array([[x0, y0], [x0 + cw, y0], [x0 + cw, y0 + ch], [x0, y0 + ch]])
    corners += rng.uniform(-0.08, 0.08, (4, 2)) * np.array([cw, ch])
    target = np.array([[0, 0], [size, 0], [size, size], [0, size]])
    warp = cv2.getPerspectiveTransform(corners.astype(np.float32), target.astype(np.float32))
    view = cv2.warpPerspective(image, warp, (size, size), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT_101)
    if flip and rng.random() < 0.5:
        view = view[:, ::-1]
    a = view.astype(np.float32)
    mean = a.mean()
    a = (a - mean) * rng.uniform(0.7, 1.3) + mean  # contrast
    a = a * rng.uniform(0.6, 1.35) + rng.uniform(-25, 25)  # exposure
    a *= rng.uniform(0.85, 1.15, 3)  # white balance
    grey = a.mean(axis=2, keepdims=True)
    a = grey + (a - grey) * rng.uniform(0.6, 1.35)  # saturation
    out = np.clip(a, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:  # hue: a few degrees only, colour tells SKUs apart
        hsv = cv2.cvtColor(out, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + int(rng.integers(-4, 5))) % 180
                       ).astype(np.uint8)
        out = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    if rng.random() < 0.3:
        small = int(rng.integers(16, 65))
        out = cv2.resize(cv2.resize(out, (small, small), interpolation=cv2.INTER_AREA),
                         (size, size), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.3:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.4, 1.6))
    if rng.random() < 0.5:
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(out, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 92))])
        decoded = cv2.imdecode(jpeg, cv2.IMREAD_COLOR) if ok else None
        if decoded is not None:
            out = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(out, dtype=np.uint8)

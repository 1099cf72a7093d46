"""Store lighting on a rendered shelf photo: colour cast, gradients, glare and cast shadows.

All functions take and return (H, W, 3) uint8 BGR images and never modify their input.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


def _gain_field(rng: np.random.Generator, h: int, w: int) -> npt.NDArray[np.float32]:
    """Multiplicative (H, W, 1) field: exposure, a linear gradient and a vignette."""
    exposure = float(rng.uniform(0.6, 1.25))
    angle = float(rng.uniform(0, 2 * np.pi))
    strength = float(rng.uniform(0.0, 0.45))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (np.cos(angle) * (xs / w - 0.5) + np.sin(angle) * (ys / h - 0.5)) * 2
    field = exposure * (1.0 + strength * 0.5 * ramp)
    if rng.random() < 0.5:
        r2 = ((xs / w - 0.5) ** 2 + (ys / h - 0.5) ** 2) * 2
        field *= 1.0 - float(rng.uniform(0.1, 0.4)) * r2
    result: npt.NDArray[np.float32] = field[..., None].astype(np.float32)
    return result


def _glare(rng: np.random.Generator, h: int, w: int) -> npt.NDArray[np.float32]:
    """Additive (H, W, 1) bright spots: ceiling lights reflected in packs and shelf strips."""
    glare = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        centre = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        axes = (max(2, int(rng.uniform(0.03, 0.25) * w)), max(2, int(rng.uniform(0.01, 0.08) * h)))
        cv2.ellipse(glare, centre, axes, float(rng.uniform(-30, 30)), 0, 360,
                    float(rng.uniform(60, 200)), -1)
    sigma = max(1.0, 0.02 * min(h, w))
    blurred = np.asarray(cv2.GaussianBlur(glare, (0, 0), sigma), np.float32)[..., None]
    return blurred


def _shadow(rng: np.random.Generator, h: int, w: int) -> npt.NDArray[np.float32]:
    """Multiplicative (H, W, 1) soft shadow of a shopper or a trolley passing by."""
    mask = np.zeros((h, w), np.float32)
    n = int(rng.integers(3, 7))
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    radius = rng.uniform(0.15, 0.6) * min(h, w)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    pts = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], axis=1)
    cv2.fillPoly(mask, [pts.astype(np.int32)], 1.0)
    mask = np.asarray(cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.04 * min(h, w))), np.float32)
    field: npt.NDArray[np.float32] = (1.0 - float(rng.uniform(0.2, 0.5)) * mask)[..., None]
    return field


def light(rng: np.random.Generator, image: Image) -> Image:
    """Apply colour cast, gain field, optional shadow and glare; returns a new image."""
    h, w = image.shape[:2]
    out = image.astype(np.float32)
    cast = rng.uniform(0.85, 1.15, size=3).astype(np.float32)
    out *= cast * _gain_field(rng, h, w)
    if rng.random() < 0.3:
        out *= _shadow(rng, h, w)
    if rng.random() < 0.45:
        out += _glare(rng, h, w)
    return np.clip(out, 0, 255).astype(np.uint8)

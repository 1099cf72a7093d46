"""Image features for telling one pack from another, without training.

A newly featured SKU must work the minute its reference photos are registered, so products
are identified by comparing hand-built descriptors rather than by a classifier. Each crop is
resized to 32×64 (w×h: packs are mostly taller than wide) and described by:

- colour: a global HSV histogram with fine hue bins (16×4×4);
- colour layout: HSV histograms (8×3×3) of the 2×2 quadrants — where the colours are, not
  just which (an orange juice and an orange-label milk share colours, not layout);
- print and shape: gradient-orientation histograms (9 bins) over a 4×4 grid (HOG-like:
  logo glyphs, text lines, pack outlines);
- a 4×8 Lab thumbnail, lightness-centred (coarse appearance under changing light).

Blocks are square-rooted (Hellinger), L2-normalised, weighted and concatenated; the vector is
L2-normalised, so cosine similarity is a dot product. Everything is computed for a whole
batch of crops at once (a shelf has up to 400 packs), which is what keeps identification
within the upload's time budget. :func:`colour_histograms` is the plain global colour
histogram kept as the baseline the README's accuracy table compares against.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
Crops = Sequence[npt.NDArray[np.uint8]] | npt.NDArray[np.uint8]
"""(H, W, 3) uint8 RGB crops: a sequence, or an (N, H, W, 3) array of equal-sized ones."""

_WIDTH, _HEIGHT = 32, 64
# Chosen on a rendered tuning seed, then checked on held-out seeds and on the real grocery
# photos (benchmarks/product_identification.py).
WEIGHTS = {"colour": 1.0, "layout": 0.5, "gradients": 0.5, "thumbnail": 0.3}


def product_descriptors(crops: Sequence[npt.NDArray[np.uint8]]) -> FloatMatrix:
    """(N, D) unit-length float32 descriptors of N (H, W, 3) RGB uint8 crops."""
    if len(crops) == 0:
        return np.zeros((0, descriptor_size()), dtype=np.float32)
    batch = _resize_all(crops)
    hsv = _hsv(batch)
    parts = [
        WEIGHTS["colour"] * _unit_rows(_histograms(hsv, (16, 4, 4), grid=1)),
        WEIGHTS["layout"] * _unit_rows(_histograms(hsv, (8, 3, 3), grid=2)),
        WEIGHTS["gradients"] * _unit_rows(_gradient_histograms(batch)),
        WEIGHTS["thumbnail"] * _unit_rows(_lab_thumbnails(batch)),
    ]
    return _unit_rows(np.concatenate(parts, axis=1))


def colour_histograms(crops: Crops,
                      gains: npt.NDArray[np.float32] | None = None) -> FloatMatrix:
    """Baseline: (N, 128) global HSV histograms (8×4×4 bins), square-rooted, unit length.
    ``gains`` (per RGB channel, from :func:`scene_balance`) are applied to the crops first."""
    if len(crops) == 0:
        return np.zeros((0, 128), dtype=np.float32)
    batch = _resize_all(crops)
    if gains is not None:
        batch = np.clip(batch * gains.astype(np.float32), 0, 255).astype(np.uint8)
    return _unit_rows(_histograms(_hsv(batch), (8, 4, 4), grid=1))


def scene_balance(pixels: npt.NDArray[np.uint8], *, bright_share: float = 0.05,
                  bright_level: float = 230.0) -> npt.NDArray[np.float32]:
    """Per-channel gains that take a shelf photo's light back towards the studio's.

    Store light tints a whole photo (a channel 15% up or down) and changes its exposure (0.6
    to 1.25×): enough to move a pack's colour histogram away from its reference even though
    the pack is the same. Gray-world balance (every channel's mean brought to the grey mean)
    undoes the tint; scaling the brightest ``bright_share`` of the photo to ``bright_level``
    undoes the exposure. Every 8th pixel each way is enough (0.3 ms for a 1280 × 960 photo);
    gains stay within 0.25-4.
    """
    sample = pixels[::8, ::8].reshape(-1, 3).astype(np.float32)
    if sample.shape[0] == 0:
        return np.ones(3, dtype=np.float32)
    means = np.maximum(sample.mean(axis=0), 1.0)
    balance = means.mean() / means
    brightness = sample @ (balance / 3.0)
    rank = min(int(brightness.size * (1.0 - bright_share)), brightness.size - 1)
    bright = float(np.partition(brightness, rank)[rank])
    gains = balance * bright_level / max(bright, 1.0)
    return np.asarray(np.clip(gains, 0.25, 4.0), dtype=np.float32)


def descriptor_size() -> int:
    return 16 * 4 * 4 + 4 * 8 * 3 * 3 + 16 * 9 + 4 * 8 * 3


def thumbnails(crops: Crops) -> npt.NDArray[np.uint8]:
    """(N, 64, 32, 3): every crop at the size both the descriptors and the embedder read
    (``INTER_AREA``, as they do), so a caller that needs both resizes each crop once (the
    resizes of a shelf's crops cost more than half as much as the INT8 embedder's run).
    Crops already at that size are kept as they are."""
    if len(crops) == 0:
        return np.zeros((0, _HEIGHT, _WIDTH, 3), dtype=np.uint8)
    return _resize_all(crops)


def _resize_all(crops: Crops) -> npt.NDArray[np.uint8]:
    resized: list[npt.NDArray[np.uint8]] = []
    for crop in crops:
        if crop.ndim != 3 or crop.shape[2] != 3 or crop.dtype != np.uint8:
            raise ValueError(f"crops must be (H, W, 3) uint8, got {crop.shape} {crop.dtype}")
        if crop.shape[0] < 2 or crop.shape[1] < 2:
            raise ValueError(f"crops must be at least 2×2 pixels, got {crop.shape[:2]}")
        if crop.shape[:2] == (_HEIGHT, _WIDTH):
            resized.append(crop)
        else:
            resized.append(np.asarray(
                cv2.resize(crop, (_WIDTH, _HEIGHT), interpolation=cv2.INTER_AREA), np.uint8))
    return np.stack(resized)


def _hsv(batch: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    count = batch.shape[0]
    tall = batch.reshape(count * _HEIGHT, _WIDTH, 3)  # one cvtColor call for the batch
    return np.asarray(cv2.cvtColor(tall, cv2.COLOR_RGB2HSV), dtype=np.uint8).reshape(
        batch.shape)


def _histograms(hsv: npt.NDArray[np.uint8], bins: tuple[int, int, int],
                grid: int) -> FloatMatrix:
    """Per crop and per grid cell, a joint HSV histogram; (N, grid² · Πbins)."""
    count = hsv.shape[0]
    h = (hsv[..., 0].astype(np.int32) * bins[0]) // 180
    s = (hsv[..., 1].astype(np.int32) * bins[1]) >> 8
    v = (hsv[..., 2].astype(np.int32) * bins[2]) >> 8
    colour = (h.clip(0, bins[0] - 1) * bins[1] + s) * bins[2] + v
    cell_y = (np.arange(_HEIGHT) * grid // _HEIGHT)[:, None]
    cell_x = (np.arange(_WIDTH) * grid // _WIDTH)[None, :]
    cell = cell_y * grid + cell_x
    per_cell = bins[0] * bins[1] * bins[2]
    per_crop = grid * grid * per_cell
    index = (np.arange(count, dtype=np.int32)[:, None, None] * per_crop
             + (cell * per_cell).astype(np.int32)[None] + colour)
    counts = np.bincount(index.ravel(), minlength=count * per_crop).reshape(count, per_crop)
    return np.sqrt(counts.astype(np.float32))


def _gradient_histograms(batch: npt.NDArray[np.uint8]) -> FloatMatrix:
    count = batch.shape[0]
    # One Sobel over the crops stacked into a tall image; the single row where two crops
    # meet mixes them, which moves these histograms by well under a percent.
    tall = cv2.cvtColor(batch.reshape(count * _HEIGHT, _WIDTH, 3), cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(tall, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(tall, cv2.CV_32F, 0, 1, ksize=3)
    magnitude, angle = cv2.cartToPolar(gx, gy, angleInDegrees=True)
    orientation = (np.mod(angle, 180.0) * (1 / 20.0)).astype(np.int32).clip(0, 8)
    cell = ((np.arange(_HEIGHT) * 4 // _HEIGHT)[:, None] * 4
            + (np.arange(_WIDTH) * 4 // _WIDTH)[None, :]).astype(np.int32)
    index = (np.arange(count, dtype=np.int32)[:, None, None] * 144 + cell[None] * 9
             + orientation.reshape(count, _HEIGHT, _WIDTH))
    sums = np.bincount(index.ravel(), weights=np.asarray(magnitude).ravel(),
                       minlength=count * 144).astype(np.float64).reshape(count, 16, 9)
    sums /= np.linalg.norm(sums, axis=2, keepdims=True) + 1e-6  # per-cell contrast
    return np.sqrt(sums.reshape(count, 144)).astype(np.float32)


def _lab_thumbnails(batch: npt.NDArray[np.uint8]) -> FloatMatrix:
    count = batch.shape[0]
    blocks = batch.reshape(count, 8, _HEIGHT // 8, 4, _WIDTH // 4, 3).mean(axis=(2, 4))
    lab = cv2.cvtColor(blocks.astype(np.uint8).reshape(count * 8, 4, 3),
                       cv2.COLOR_RGB2LAB).astype(np.float32).reshape(count, 8, 4, 3)
    lab[..., 0] -= lab[..., 0].mean(axis=(1, 2), keepdims=True)  # light shifts L
    lab[..., 1:] -= 128.0
    result: FloatMatrix = lab.reshape(count, 96)
    return result


def _unit_rows(matrix: npt.NDArray[np.floating]) -> FloatMatrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    result: FloatMatrix = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return result

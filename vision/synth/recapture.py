"""A rendered shelf photo turned into a photo *of* that photo: shown on a screen or printed,
then photographed again (the re-capture fraud the recapture check looks for).

Both kinds paint the photo onto a flat plane at several samples per camera pixel (a screen's
RGB sub-pixel stripes and black matrix, or a print's halftone dots on paper) and photograph
the plane with a slight keystone and roll, point-sampling it so a fine grid aliases into
moiré as a real sensor does. Around the plane: a bezel or the paper's edge on a desk or wall
(when the plane doesn't fill the frame). Screens add backlight gamma, rolling-shutter
refresh bands and a glare spot; prints a reduced gamut and paper texture. Every strength is
drawn at random, mild cases included (a fine pitch blurred by the lens is barely visible).
The camera's own blur and noise come last (:func:`vision.synth.camera.capture`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

from vision.synth.camera import Image, capture

FloatImage = npt.NDArray[np.float32]


class RecaptureKind(StrEnum):
    """What the honest photo was shown on before it was photographed again."""

    SCREEN = "screen"
    PRINT = "print"


@dataclass(frozen=True, slots=True)
class Recapture:
    """A re-captured photo, (H, W, 3) uint8 BGR like the render, and how it was made:
    ``pitch_px`` is the screen pixel or halftone cell in camera pixels, ``fill`` the share
    of the frame's short side the screen or paper covers, ``angle_deg`` its roll."""

    image: Image
    kind: RecaptureKind
    pitch_px: float
    fill: float
    angle_deg: float


def recapture(rng: np.random.Generator, image: Image, kind: RecaptureKind) -> Recapture:
    """``image`` (H, W, 3) uint8 BGR shown on a screen or printed, photographed again at the
    same size."""
    if kind is RecaptureKind.SCREEN:
        return _screen(rng, image)
    return _print(rng, image)


def _screen(rng: np.random.Generator, image: Image) -> Recapture:
    h, w = image.shape[:2]
    pitch = float(rng.uniform(1.2, 4.0))
    fill = float(rng.uniform(0.8, 1.15))
    cols, rows = _plane_pixels(w, h, pitch, fill)
    shown = cv2.resize(image, (cols, rows), interpolation=cv2.INTER_AREA).astype(np.float32)
    shown = 255.0 * (shown / 255.0) ** float(rng.uniform(0.75, 1.3))  # backlight gamma
    shown = shown * float(rng.uniform(0.75, 1.0)) + float(rng.uniform(5, 30))
    # Each screen pixel becomes 3x3 samples: B, G, R stripes (BGR order here) and a darker
    # black-matrix row; ``gap`` is how dark the matrix and the stripes' other channels are.
    k = 3
    gap = float(rng.uniform(0.05, 0.6))
    stripes = np.full((k, k, 3), gap, np.float32)
    for channel, column in ((2, 0), (1, 1), (0, 2)):  # R, G, B left to right
        stripes[:, column, channel] = 1.0
    stripes[k - 1, :, :] *= float(rng.uniform(0.3, 0.9))
    plane = np.kron(shown, np.ones((k, k, 1), np.float32)) * np.tile(stripes, (rows, cols, 1))
    plane *= 3.0 / (1.0 + 2.0 * gap)  # keep the mean brightness of the shown photo
    out, inside, angle = _photograph(rng, plane, k / pitch, w, h, _bezel_colour(rng))
    y = np.arange(h, dtype=np.float32)[:, None, None]
    if rng.random() < 0.7:  # rolling shutter against the refresh rate
        period = float(rng.uniform(15, 250))
        depth = float(rng.uniform(0.02, 0.12))
        bands = 1.0 + depth * np.sin(2 * np.pi * y / period + float(rng.uniform(0, 6.3)))
        out = out * np.where(inside[..., None], bands, 1.0)
    if rng.random() < 0.6:
        out = out + _glare_spot(rng, h, w)
    result = capture(rng, np.clip(out, 0, 255).astype(np.uint8))
    return Recapture(result, RecaptureKind.SCREEN, pitch, fill, angle)


def _print(rng: np.random.Generator, image: Image) -> Recapture:
    h, w = image.shape[:2]
    pitch = float(rng.uniform(1.5, 5.0))
    fill = float(rng.uniform(0.8, 1.15))
    k = 2  # plane samples per camera pixel
    cols, rows = _plane_pixels(w, h, 1.0 / k, fill)
    shown = cv2.resize(image, (cols, rows), interpolation=cv2.INTER_LINEAR)
    rgb = shown[..., ::-1].astype(np.float32) / 255.0
    # Reduced gamut: a print's blacks are grey and its colours duller.
    rgb = 0.12 + 0.8 * (0.3 * rgb.mean(axis=2, keepdims=True) + 0.7 * rgb)
    cmy = 1.0 - rgb
    black = cmy.min(axis=2, keepdims=True) * float(rng.uniform(0.5, 1.0))
    inks = np.concatenate([cmy - black, black], axis=2)
    cell = pitch * k  # halftone cell in plane samples
    base = float(rng.uniform(0, 90))
    xs = np.arange(cols, dtype=np.float32)[None, :]
    ys = np.arange(rows, dtype=np.float32)[:, None]
    paper = np.array([float(rng.uniform(0.9, 1.0)), float(rng.uniform(0.9, 0.98)),
                      float(rng.uniform(0.85, 0.95))], np.float32)  # RGB, warm white
    out_rgb = np.broadcast_to(paper, (rows, cols, 3)).copy()
    # Each ink's transmission of R, G, B: cyan absorbs red, magenta green, yellow blue.
    absorbs = np.array([[0.85, 0.1, 0.05], [0.1, 0.85, 0.1], [0.02, 0.1, 0.9],
                        [0.9, 0.9, 0.9]], np.float32)
    for index, offset in enumerate((15.0, 75.0, 0.0, 45.0)):
        theta = np.deg2rad(base + offset)
        threshold = 0.5 + 0.25 * (_wave(xs, ys, np.cos(theta), np.sin(theta), cell)
                                  + _wave(xs, ys, -np.sin(theta), np.cos(theta), cell))
        dots = (inks[..., index] > threshold).astype(np.float32)[..., None]
        out_rgb *= 1.0 - dots * absorbs[index]
    texture = cv2.GaussianBlur(rng.normal(0, 1, (rows, cols)).astype(np.float32), (0, 0), 1.5)
    out_rgb *= 1.0 + float(rng.uniform(0.01, 0.05)) * texture[..., None]
    plane = 255.0 * out_rgb[..., ::-1]
    out, _, angle = _photograph(rng, plane, float(k), w, h, _desk_colour(rng))
    result = capture(rng, np.clip(out, 0, 255).astype(np.uint8))
    return Recapture(result, RecaptureKind.PRINT, pitch, fill, angle)


def _wave(xs: FloatImage, ys: FloatImage, cx: float, cy: float, period: float) -> FloatImage:
    """cos(2π (x·cx + y·cy) / period) on the (rows, cols) grid, from separable factors
    (cos(a + b) = cos a cos b - sin a sin b: two outer products instead of a full grid of
    cosines)."""
    a, b = 2 * np.pi * cx * xs / period, 2 * np.pi * cy * ys / period
    return np.asarray(np.cos(b) * np.cos(a) - np.sin(b) * np.sin(a), np.float32)


def _plane_pixels(w: int, h: int, pitch: float, fill: float) -> tuple[int, int]:
    """The plane's (columns, rows) for a plane covering ``fill`` of the frame at ``pitch``
    camera pixels per plane pixel, in the photo's aspect."""
    scale = fill / pitch
    return max(8, round(w * scale)), max(8, round(h * scale))


def _photograph(rng: np.random.Generator, plane: FloatImage, samples_per_px: float, w: int,
                h: int, surround: tuple[float, float, float]
                ) -> tuple[FloatImage, npt.NDArray[np.bool_], float]:
    """The plane (float BGR, ``samples_per_px`` samples per camera pixel) seen by a (w, h)
    camera with a small roll and keystone, centred with a little jitter; outside it the
    ``surround`` colour. Returns the float image, the mask of pixels on the plane and the
    roll in degrees."""
    ph, pw = plane.shape[:2]
    # Lens blur before sampling, in plane samples: a sharp lens keeps the grid, a soft one
    # leaves only its moiré.
    # 0.2-0.5 camera px: a phone lens's MTF50 is near 0.3 cycles/px.
    sigma = float(rng.uniform(0.2, 0.5)) * samples_per_px
    plane = np.asarray(cv2.GaussianBlur(plane, (0, 0), sigma), np.float32)
    angle = float(rng.uniform(-8, 8))
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    corners = np.array([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2],
                        [-pw / 2, ph / 2]], np.float32) / samples_per_px
    keystone = rng.uniform(-0.04, 0.04, (4, 2)).astype(np.float32) * np.array([w, h], np.float32)
    rot = np.deg2rad(angle)
    turn = np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]], np.float32)
    centre = np.array([w / 2, h / 2], np.float32) + rng.uniform(-0.05, 0.05, 2).astype(
        np.float32) * np.array([w, h], np.float32)
    dst = (corners @ turn.T + centre + keystone).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    # Point sampling of the blurred plane (no area averaging): what photosites do.
    seen = np.asarray(cv2.warpPerspective(plane, matrix, (w, h), flags=cv2.INTER_LINEAR,
                                          borderMode=cv2.BORDER_CONSTANT, borderValue=-1.0),
                      np.float32)
    inside = seen[..., 0] >= 0
    background = np.empty_like(seen)
    background[:] = np.array(surround, np.float32)
    gradient = np.linspace(0.8, 1.1, h, dtype=np.float32)[:, None, None]
    out = np.where(inside[..., None], seen, background * gradient)
    return out.astype(np.float32), inside, angle


def _bezel_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    grey = float(rng.uniform(10, 60))
    return (grey, grey, grey)


def _desk_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    base = rng.uniform(60, 200, 3)
    return (float(base[0]), float(base[1]), float(base[2]))


def _glare_spot(rng: np.random.Generator, h: int, w: int) -> FloatImage:
    """An additive (H, W, 1) blurred reflection of a lamp or window on the glass."""
    spot = np.zeros((h, w), np.float32)
    centre = (int(rng.uniform(0.1, 0.9) * w), int(rng.uniform(0.1, 0.9) * h))
    axes = (max(2, int(rng.uniform(0.03, 0.15) * w)), max(2, int(rng.uniform(0.03, 0.15) * h)))
    cv2.ellipse(spot, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                float(rng.uniform(30, 140)), -1)
    blurred = cv2.GaussianBlur(spot, (0, 0), max(1.0, 0.03 * min(h, w)))
    return np.asarray(blurred, np.float32)[..., None]

"""A phone camera in front of a fixture: where it looks and how it degrades the picture.

Geometry: a homography from the fixture plane (cm, see ``vision.synth.fixture``) to image
pixels, built as a frontal view (scale ``px_per_cm`` around a world point) followed by a
rotation of the camera about its own centre (yaw, pitch, roll), which is what tilting a phone
does to a planar scene. Capture effects (focus and motion blur, sensor noise, JPEG) act on the
rendered (H, W, 3) uint8 BGR image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Camera:
    """Pose and intrinsics. Angles in degrees, ``centre_cm`` on the fixture plane."""

    width: int
    height: int
    centre_cm: tuple[float, float]
    px_per_cm: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    hfov_deg: float = 66.0

    def homography(self) -> Matrix:
        """3×3 matrix mapping fixture-plane cm (x, y, 1) to image pixels."""
        w, h = self.width, self.height
        cx, cy = self.centre_cm
        s = self.px_per_cm
        frontal = np.array([[s, 0, w / 2 - s * cx], [0, s, h / 2 - s * cy], [0, 0, 1]])
        f = w / (2 * math.tan(math.radians(self.hfov_deg) / 2))
        k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
        rot = _rotation(self.yaw_deg, self.pitch_deg, self.roll_deg)
        tilt = k @ rot @ np.linalg.inv(k)
        # Keep the aimed-at point in the image centre, as the photographer would.
        c = tilt @ np.array([w / 2, h / 2, 1.0])
        recentre = np.array([[1, 0, w / 2 - c[0] / c[2]], [0, 1, h / 2 - c[1] / c[2]], [0, 0, 1]])
        matrix: Matrix = recentre @ tilt @ frontal
        normalised: Matrix = matrix / matrix[2, 2]
        return normalised


def _rotation(yaw: float, pitch: float, roll: float) -> Matrix:
    y, p, r = (math.radians(a) for a in (yaw, pitch, roll))
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    matrix: Matrix = rz @ rx @ ry
    return matrix


def project(matrix: Matrix, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Apply a homography to (N, 2) points; returns (N, 2)."""
    ones = np.ones((points.shape[0], 1))
    mapped = np.hstack([points, ones]) @ matrix.T
    result: npt.NDArray[np.float64] = mapped[:, :2] / mapped[:, 2:3]
    return result


def local_scale(matrix: Matrix, points: npt.NDArray[np.float64]) -> float:
    """Largest image-pixel length of 1 cm around any of the (N, 2) plane points."""
    base = project(matrix, points)
    dx = project(matrix, points + np.array([1.0, 0.0])) - base
    dy = project(matrix, points + np.array([0.0, 1.0])) - base
    return float(max(np.linalg.norm(dx, axis=1).max(), np.linalg.norm(dy, axis=1).max()))


def sample_camera(
    rng: np.random.Generator,
    width: int,
    height: int,
    target_cm: tuple[float, float],
    px_per_cm: float,
    max_tilt_deg: float = 20.0,
) -> Camera:
    """A hand-held pose aimed at ``target_cm``: yaw and pitch within ±``max_tilt_deg``."""
    # Most shelf photos are near-frontal; strong tilts are the tail.
    yaw = float(np.clip(rng.normal(0, max_tilt_deg / 2.2), -max_tilt_deg, max_tilt_deg))
    pitch = float(np.clip(rng.normal(0, max_tilt_deg / 2.5), -max_tilt_deg, max_tilt_deg))
    roll = float(np.clip(rng.normal(0, 1.5), -5, 5))
    return Camera(width, height, target_cm, px_per_cm, yaw, pitch, roll,
                  float(rng.uniform(58, 72)))


def capture(rng: np.random.Generator, image: Image) -> Image:
    """Focus or motion blur and sensor noise, each with a probability; returns a new image."""
    out = image
    h, w = image.shape[:2]
    short = min(h, w)
    roll = rng.random()
    if roll < 0.2:
        sigma = float(rng.uniform(0.5, 1.6)) * short / 640
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), sigma), np.uint8)
    elif roll < 0.35:
        length = max(3, int(rng.uniform(3, 9) * short / 640)) | 1
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        angle = float(rng.uniform(0, 180))
        rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
        kernel = np.asarray(cv2.warpAffine(kernel, rot, (length, length)), np.float32)
        kernel /= max(float(kernel.sum()), 1e-6)
        out = np.asarray(cv2.filter2D(out, -1, kernel), np.uint8)
    if rng.random() < 0.6:
        sigma = float(rng.uniform(2, 9))
        noise = rng.normal(0, sigma, size=(h, w, 1)).astype(np.float32)
        colour = rng.normal(0, sigma / 3, size=(h, w, 3)).astype(np.float32)
        out = np.clip(out.astype(np.float32) + noise + colour, 0, 255).astype(np.uint8)
    return out


def encode_jpeg(rng: np.random.Generator, image: Image) -> bytes:
    """JPEG bytes at a random quality 45..95 (phones and messengers recompress)."""
    quality = int(rng.integers(45, 96))
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("OpenCV failed to encode a JPEG")
    return bytes(buffer.tobytes())

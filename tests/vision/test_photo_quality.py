"""The quality gate gives one retake reason per problem, and passes good photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.vision.photos import textured
from vision.photo_decode import decode_photo
from vision.photo_quality import assess_quality

GOOD = textured(1200, 900)


@pytest.mark.parametrize(("pixels", "size", "codes"), [
    (GOOD, (4000, 3000), []),
    (cv2.GaussianBlur(GOOD, (0, 0), 6), (4000, 3000), ["PHOTO_BLURRY"]),
    ((GOOD * 0.15).astype(np.uint8), (4000, 3000), ["PHOTO_TOO_DARK"]),
    (np.clip(GOOD.astype(np.int32) + 200, 0, 255).astype(np.uint8), (4000, 3000),
     ["PHOTO_OVEREXPOSED"]),
    (GOOD, (400, 300), ["PHOTO_LOW_RESOLUTION"]),
])
def test_quality_reasons(pixels: np.ndarray, size: tuple[int, int], codes: list[str]) -> None:
    report = assess_quality(pixels, size)
    assert [r.code for r in report.reasons] == codes
    assert report.passed is (not codes)
    assert all("retake" in r.message for r in report.reasons)


def test_a_white_wall_beside_the_fixture_is_no_overexposure() -> None:
    """Judged on the fixture's extent, a bright empty wall next to it is no retake; the
    whole frame (no shelves found) still is, and so is a washed-out fixture."""
    frame = np.full((900, 1200, 3), 255, np.uint8)
    frame[:, :700] = GOOD[:, :700]
    fixture = (0.0, 0.0, 700.0, 900.0)

    assert [r.code for r in assess_quality(frame, (4000, 3000)).reasons] == [
        "PHOTO_OVEREXPOSED"]
    assert assess_quality(frame, (4000, 3000), subject=fixture).passed
    washed = frame.copy()
    washed[:, :700] = np.clip(GOOD[:, :700].astype(np.int32) + 200, 0, 255)
    assert [r.code for r in assess_quality(washed, (4000, 3000), subject=fixture).reasons] == [
        "PHOTO_OVEREXPOSED"]


def test_real_camera_photos_pass(real_data: Path) -> None:
    for name in ("DSCN0010.jpg", "iphone_hdr_NO.jpg"):
        photo = decode_photo((real_data / "photos_exif" / "gps" / name).read_bytes())
        assert assess_quality(photo.pixels, photo.original_size).passed, name

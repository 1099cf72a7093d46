"""The archive's watermark: a dark band with the lines at the photo's foot, at any size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.vision.photos import encode, textured
from vision.photo_decode import PhotoRejected
from vision.watermark import WatermarkFacts, draw_watermark, watermark_lines, watermarked_jpeg

FACTS = WatermarkFacts(local_time="2026-11-03 17:20:00 +08:00 (Asia/Shanghai)",
                       lat=30.274084, lon=120.155070, accuracy_m=12.4, customer_id="c1",
                       rep_id="r1", checkin_id="3f6c0b5e-1111-4222-8333-944445555666")


def test_lines_say_time_position_ids_in_ascii() -> None:
    lines = watermark_lines(FACTS)
    assert lines == ("2026-11-03 17:20:00 +08:00 (Asia/Shanghai)",
                     "30.274084, 120.155070 +-12 m", "customer c1  rep r1",
                     "check-in 3f6c0b5e-1111-4222-8333-944445555666")
    odd = watermark_lines(WatermarkFacts(**{**_fields(FACTS), "customer_id": "浙一"}))
    assert odd[2] == "customer ??  rep r1"


def _fields(facts: WatermarkFacts) -> dict[str, object]:
    return {name: getattr(facts, name) for name in facts.__slots__}


@pytest.mark.parametrize(("width", "height"), [(160, 120), (1280, 960), (4000, 3000)])
def test_band_at_the_foot_with_text_scaled_to_the_width(width: int, height: int) -> None:
    pixels = np.full((height, width, 3), 200, np.uint8)
    marked = draw_watermark(pixels, watermark_lines(FACTS))
    assert marked.shape == pixels.shape
    assert np.array_equal(pixels, np.full((height, width, 3), 200, np.uint8))  # not mutated
    changed = np.flatnonzero((marked != pixels).any(axis=(1, 2)))
    top = changed.min()
    assert changed.max() == height - 1  # the band reaches the foot
    # A band, not the whole photo (a 160 px one's lines wrap, so its band is taller).
    assert 0.08 < (height - top) / height < (0.95 if width < 400 else 0.3)
    band = marked[top:]
    text_rows = (band.max(axis=2) > 230).any(axis=1).sum()
    assert text_rows >= 4 * max(4, width // 200)  # white text on the lines
    assert (band < 200).mean() > 0.5  # darkened
    assert np.array_equal(marked[: top], pixels[: top])  # the shelf itself untouched


def test_refuses_a_wrong_shape() -> None:
    with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
        draw_watermark(np.zeros((4, 4), np.uint8), ["x"])


def test_jpeg_is_upright_full_size_and_refuses_a_non_photo() -> None:
    photo = encode(textured(640, 480, seed=1), orientation=6)  # rotated 90° by EXIF
    with Image.open(io.BytesIO(watermarked_jpeg(photo, watermark_lines(FACTS)))) as image:
        assert image.format == "JPEG"
        assert image.size == (480, 640)
    with pytest.raises(PhotoRejected):
        watermarked_jpeg(b"not a photo", ["x"])

"""Decoding uploads: every hostile file gets a stable code, good photos come out upright."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.vision.photos import encode, textured
from vision.photo_decode import DecodeLimits, PhotoProblem, PhotoRejected, decode_photo

MALFORMED_EXPECTED = {
    "broken.png": PhotoProblem.UNSUPPORTED_FORMAT,
    "broken_data_stream.png": PhotoProblem.CORRUPT,
    "crash-86214e58da443d2b80820cff9677a38a33dcbbca.tif": PhotoProblem.UNSUPPORTED_FORMAT,
    "decompression_bomb.gif": PhotoProblem.TOO_MANY_PIXELS,
    "oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif": PhotoProblem.UNSUPPORTED_FORMAT,
    "pngtest_bad.png.bin": PhotoProblem.UNSUPPORTED_FORMAT,
    "truncated_end_chunk.png": PhotoProblem.TRUNCATED,
    "truncated_image.png": PhotoProblem.TRUNCATED,
    "truncated_jpeg.jpg": PhotoProblem.TRUNCATED,
}


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares width×height and carries almost no data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("name", "problem"), sorted(MALFORMED_EXPECTED.items()))
def test_real_malformed_files_get_their_code(real_data: Path, name: str,
                                             problem: PhotoProblem) -> None:
    with pytest.raises(PhotoRejected) as caught:
        decode_photo((real_data / "malformed_images" / name).read_bytes())
    assert caught.value.code == problem.value
    assert caught.value.message


def test_photos_with_broken_metadata_still_decode_on_their_pixels(real_data: Path) -> None:
    others = [p for p in sorted((real_data / "malformed_images").iterdir())
              if p.name not in MALFORMED_EXPECTED and p.suffix != ".txt"]
    assert len(others) >= 15
    for path in others:
        decoded = decode_photo(path.read_bytes())
        assert decoded.pixels.ndim == 3, path.name
        assert decoded.pixels.shape[2] == 3


def test_heic_is_unsupported(real_data: Path) -> None:
    with pytest.raises(PhotoRejected) as caught:
        decode_photo((real_data / "photos_exif" / "gps" / "IMG_5195.HEIC").read_bytes())
    assert caught.value.code == "PHOTO_UNSUPPORTED_FORMAT"
    assert "JPEG" in caught.value.message


@pytest.mark.parametrize(("data", "limits", "problem"), [
    (b"", DecodeLimits(), PhotoProblem.EMPTY),
    (b"\xff\xd8" + b"\x00" * 2000, DecodeLimits(max_bytes=1000), PhotoProblem.TOO_LARGE),
    (_png_header_only(10_000, 10_000), DecodeLimits(), PhotoProblem.TOO_MANY_PIXELS),
    (_png_header_only(5_000, 5_000), DecodeLimits(), PhotoProblem.TOO_MANY_PIXELS),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><rect width='9' height='9'/></svg>",
     DecodeLimits(), PhotoProblem.UNSUPPORTED_FORMAT),
    (b"%PDF-1.4 not a photo", DecodeLimits(), PhotoProblem.UNSUPPORTED_FORMAT),
    (encode(textured(), "BMP"), DecodeLimits(), PhotoProblem.UNSUPPORTED_FORMAT),
    (encode(textured())[:3000], DecodeLimits(), PhotoProblem.TRUNCATED),
])
def test_crafted_bad_uploads(data: bytes, limits: DecodeLimits,
                             problem: PhotoProblem) -> None:
    with pytest.raises(PhotoRejected) as caught:
        decode_photo(data, limits)
    assert caught.value.code == problem.value


def test_a_png_with_a_jpg_name_is_judged_by_its_content() -> None:
    decoded = decode_photo(encode(textured(), "PNG"))
    assert decoded.format == "PNG"


def test_exif_orientation_is_applied() -> None:
    pixels = textured(800, 600)
    upright = decode_photo(encode(pixels, orientation=6), DecodeLimits(target_long_side=None))
    assert upright.size == (600, 800)
    assert upright.original_size == (600, 800)


def test_large_jpegs_are_decoded_at_reduced_size_inside_the_decoder() -> None:
    data = encode(textured(4000, 3000), quality=85)
    decoded = decode_photo(data, DecodeLimits(target_long_side=1000))
    assert decoded.scale == 0.25
    assert decoded.size == (1000, 750)
    assert decoded.original_size == (4000, 3000)
    full = decode_photo(data, DecodeLimits(target_long_side=None))
    assert full.size == (4000, 3000)
    assert full.scale == 1.0


def test_decoded_pixels_match_pillow() -> None:
    data = encode(textured(320, 240), "PNG")
    decoded = decode_photo(data)
    reference = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert np.array_equal(decoded.pixels, reference)

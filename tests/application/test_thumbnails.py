"""Thumbnails of stored photos: small, upright JPEGs that fit the box, cached on disk by the
photo's digest (built once, then read back), written whole, and NotFound for a photo that
is not there or can't be decoded."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from application.thumbnails import Thumbnails, encode_thumbnail
from tests.vision.photos import encode, textured
from visitproof.errors import InvalidValue, NotFound
from visitproof.store import PhotoStore


@pytest.fixture
def photos(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "photos")


def _size(jpeg: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(jpeg)) as image:
        assert image.format == "JPEG"
        image.load()
        return image.size


@pytest.mark.parametrize(("width", "height", "fmt", "orientation", "expected"), [
    (4000, 3000, "JPEG", None, (240, 180)),   # a 12-megapixel photo: decoded at 1/8
    (1280, 960, "JPEG", None, (240, 180)),
    (960, 1280, "JPEG", None, (180, 240)),    # portrait
    (1280, 960, "JPEG", 6, (180, 240)),       # stored landscape, EXIF says turn it
    (1000, 500, "PNG", None, (240, 120)),
    (200, 100, "JPEG", None, (200, 100)),     # already small: never enlarged
])
def test_thumbnail_fits_the_box_upright(photos: PhotoStore, width: int, height: int,
                                        fmt: str, orientation: int | None,
                                        expected: tuple[int, int]) -> None:
    photo = encode(textured(width, height), fmt=fmt, orientation=orientation)
    thumbnails = Thumbnails(photos)
    jpeg = thumbnails.jpeg(photos.put(photo))
    assert _size(jpeg) == expected
    assert len(jpeg) < 20_000  # a few kilobytes, whatever the photo weighs


def test_built_once_then_read_from_the_cache(photos: PhotoStore, tmp_path: Path) -> None:
    digest = photos.put(encode(textured(1600, 1200, seed=3)))
    thumbnails = Thumbnails(photos)
    first = thumbnails.jpeg(digest)
    cached = thumbnails.path_for(digest)
    assert cached.read_bytes() == first
    assert cached.is_relative_to(tmp_path / "thumbnails")  # beside the photos, not in them
    assert cached.name == f"{digest}-240.jpg"
    os.utime(cached, (1_000_000_000, 1_000_000_000))

    again = Thumbnails(photos)  # another request, another process: the file is the cache
    assert again.jpeg(digest) == first
    assert (thumbnails.built, again.built) == (1, 0)
    assert cached.stat().st_mtime == 1_000_000_000  # read, not rewritten
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # no temporary left


def test_a_lost_cache_file_is_rebuilt(photos: PhotoStore) -> None:
    digest = photos.put(encode(textured(800, 600, seed=4)))
    thumbnails = Thumbnails(photos)
    first = thumbnails.jpeg(digest)
    thumbnails.path_for(digest).unlink()
    assert thumbnails.jpeg(digest) == first
    assert thumbnails.built == 2


def test_box_and_quality_are_part_of_the_key(photos: PhotoStore) -> None:
    digest = photos.put(encode(textured(1600, 1200, seed=5)))
    small, large = Thumbnails(photos, box=120), Thumbnails(photos, box=480)
    assert _size(small.jpeg(digest)) == (120, 90)
    assert _size(large.jpeg(digest)) == (480, 360)
    assert small.path_for(digest) != large.path_for(digest)


def test_missing_or_undecodable_photo_is_not_found(photos: PhotoStore) -> None:
    thumbnails = Thumbnails(photos)
    with pytest.raises(NotFound, match="no photo with sha256"):
        thumbnails.jpeg("ab" * 32)
    broken = photos.put(b"not a picture at all")
    with pytest.raises(NotFound, match="can't be shown"):
        thumbnails.jpeg(broken)
    assert not thumbnails.path_for(broken).exists()
    with pytest.raises(InvalidValue):
        thumbnails.jpeg("../../etc/passwd")


@pytest.mark.parametrize(("box", "quality"), [(8, 75), (240, 0), (240, 101)])
def test_bad_settings_are_refused(photos: PhotoStore, box: int, quality: int) -> None:
    with pytest.raises(ValueError, match="box must be"):
        Thumbnails(photos, box=box, quality=quality)


def test_encode_keeps_colours() -> None:
    red = textured(300, 300)
    red[:] = (200, 30, 30)
    with Image.open(io.BytesIO(encode_thumbnail(red))) as image:
        r, g, b = (int(v) for v in np.asarray(image.convert("RGB"))[100, 100])
    assert (r > 150, g < 80, b < 80) == (True, True, True)  # RGB in, RGB out (not BGR)

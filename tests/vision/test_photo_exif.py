"""EXIF from real cameras and broken files: facts when present, problems instead of crashes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.vision.photos import encode, textured
from vision.photo_exif import read_exif


def test_nikon_gps_photo(real_data: Path) -> None:
    exif = read_exif((real_data / "photos_exif" / "gps" / "DSCN0010.jpg").read_bytes())
    assert exif.captured_local == datetime(2008, 10, 22, 16, 28, 39)
    assert exif.captured_at is None  # no OffsetTimeOriginal: camera-local only
    assert exif.gps_time is not None
    assert exif.gps_time.replace(microsecond=0) == datetime(2008, 10, 23, 14, 27, 7, tzinfo=UTC)
    assert exif.lat == pytest.approx(43 + 28 / 60 + 2.8 / 3600, abs=1e-4)
    assert exif.lon == pytest.approx(11 + 53 / 60 + 6.5 / 3600, abs=1e-4)
    assert exif.problems == ()


def test_degrees_and_decimal_minutes_in_the_southern_hemisphere(real_data: Path) -> None:
    exif = read_exif((real_data / "photos_exif" / "gps" / "Kodak_CX7530.jpg").read_bytes())
    assert exif.lat == pytest.approx(-(22.278 / 60), abs=1e-4)
    assert exif.lon == pytest.approx(36 + 3.385 / 60, abs=1e-4)


def test_photos_without_gps_have_a_time_but_no_position(real_data: Path) -> None:
    exif = read_exif((real_data / "photos_exif" / "no_gps" / "Canon_40D.jpg").read_bytes())
    assert exif.captured_local is not None
    assert not exif.has_position


def test_malformed_gps_is_reported_not_raised(real_data: Path) -> None:
    exif = read_exif((real_data / "malformed_images" / "exif_gps.jpg").read_bytes())
    assert exif.captured_local == datetime(2099, 9, 29, 10, 10, 10)
    assert set(exif.problems) == {"EXIF_BAD_GPS", "EXIF_BAD_GPS_TIME"}


def test_no_file_in_the_malformed_corpus_makes_exif_reading_raise(real_data: Path) -> None:
    for path in sorted((real_data / "malformed_images").iterdir()):
        read_exif(path.read_bytes())


def test_a_photo_without_exif() -> None:
    exif = read_exif(encode(textured(64, 64)))
    assert exif.captured_local is None
    assert exif.problems == ()


def test_garbage_bytes() -> None:
    assert read_exif(b"not an image").problems == ("EXIF_UNREADABLE",)

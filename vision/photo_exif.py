"""What the photo says about itself: EXIF capture time and GPS position, read with Pillow.

Cameras write EXIF badly in every way imaginable (Pillow's own test corpus has dozens of
broken files), so reading never raises: anything unreadable becomes a problem code in
:attr:`PhotoExif.problems`, and the photo is still judged on its pixels.

``DateTimeOriginal`` is camera-local time without a zone; with ``OffsetTimeOriginal`` it
becomes an instant, otherwise it stays naive and only the GPS date/time stamp (UTC by
definition) gives an instant.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import Image

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_DATETIME = 0x0132
_SOFTWARE = 0x0131
_MAKE = 0x010F
_MODEL = 0x0110


@dataclass(frozen=True, slots=True)
class PhotoExif:
    """EXIF facts, each ``None`` when absent or unreadable.

    ``captured_local`` is the naive camera-local DateTimeOriginal; ``captured_at`` is an
    aware UTC instant when the offset is known; ``gps_time`` is the GPS UTC stamp; lat/lon
    are WGS 84 decimal degrees. ``problems`` lists codes such as ``EXIF_UNREADABLE``,
    ``EXIF_BAD_DATETIME``, ``EXIF_BAD_GPS``.
    """

    captured_local: datetime | None = None
    captured_at: datetime | None = None
    gps_time: datetime | None = None
    lat: float | None = None
    lon: float | None = None
    problems: tuple[str, ...] = ()
    # ``Software`` (lower case) and camera make or model as written; "" when the file was
    # read and carries none, None when its metadata could not be read at all
    software: str | None = None
    camera: str | None = None

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None


def read_exif(data: bytes) -> PhotoExif:
    """Read EXIF from the photo's bytes. Never raises; problems are listed instead."""
    problems: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                exif = image.getexif()
                main = dict(exif)
                sub = _ifd(exif, _EXIF_IFD, problems)
                gps = _ifd(exif, _GPS_IFD, problems)
    except Exception:
        return PhotoExif(problems=("EXIF_UNREADABLE",))
    local = _datetime(sub.get(_DATETIME_ORIGINAL) or main.get(_DATETIME), problems)
    offset = _offset(sub.get(_OFFSET_TIME_ORIGINAL))
    captured_at = (local.replace(tzinfo=offset).astimezone(UTC)
                   if local is not None and offset is not None else None)
    lat, lon = _position(gps, problems)
    return PhotoExif(captured_local=local, captured_at=captured_at,
                     gps_time=_gps_time(gps, problems), lat=lat, lon=lon,
                     problems=tuple(dict.fromkeys(problems)),
                     software=str(main.get(_SOFTWARE, "")).strip().lower(),
                     camera=str(main.get(_MAKE, "")).strip() or str(main.get(_MODEL, "")).strip())


def _ifd(exif: Image.Exif, tag: int, problems: list[str]) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:
        problems.append("EXIF_UNREADABLE")
        return {}


def _datetime(value: Any, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    text = text.strip("\x00 ")
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
    except ValueError:
        problems.append("EXIF_BAD_DATETIME")
        return None


def _offset(value: Any) -> timezone | None:
    if not isinstance(value, str) or len(value.strip()) != 6:
        return None
    text = value.strip()
    try:
        sign = -1 if text[0] == "-" else 1
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes >= 60:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _rational(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number


def _degrees(parts: Any, reference: Any) -> float:
    if isinstance(parts, (tuple, list)):
        values = [_rational(p) for p in parts] + [0.0, 0.0]
        degrees = values[0] + values[1] / 60 + values[2] / 3600
    else:
        degrees = _rational(parts)
    ref = reference.decode() if isinstance(reference, bytes) else str(reference or "")
    return -degrees if ref.strip().upper() in ("S", "W") else degrees


def _position(gps: dict[int, Any], problems: list[str]) -> tuple[float | None, float | None]:
    if 2 not in gps and 4 not in gps:
        return None, None
    if 2 not in gps or 4 not in gps:
        problems.append("EXIF_BAD_GPS")  # half a position is no position
        return None, None
    try:
        lat = _degrees(gps[2], gps.get(1))
        lon = _degrees(gps[4], gps.get(3))
    except (TypeError, ValueError, ZeroDivisionError, IndexError, AttributeError):
        problems.append("EXIF_BAD_GPS")
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        problems.append("EXIF_BAD_GPS")
        return None, None
    return lat, lon


def _gps_time(gps: dict[int, Any], problems: list[str]) -> datetime | None:
    date_stamp, time_stamp = gps.get(29), gps.get(7)
    if date_stamp is None and time_stamp is None:
        return None
    if date_stamp is None or time_stamp is None:
        problems.append("EXIF_BAD_GPS_TIME")  # a date without a time or the reverse
        return None
    try:
        text = date_stamp.decode() if isinstance(date_stamp, bytes) else str(date_stamp)
        day = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d")
        hours, minutes, seconds = (_rational(part) for part in time_stamp)
        return (day + timedelta(hours=hours, minutes=minutes, seconds=seconds)).replace(
            tzinfo=UTC)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, AttributeError):
        problems.append("EXIF_BAD_GPS_TIME")
        return None



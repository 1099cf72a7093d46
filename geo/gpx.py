"""Reading GPX 1.0/1.1 tracks with the standard library, for tests and benchmarks.

Every ``trkpt`` of every segment becomes a :class:`~geo.movement.TrackPoint`; a missing or
unreadable ``<time>`` becomes None (the movement check skips it) instead of an error, so a
logger's bogus dates are reported by the checks, not by the parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from geo.movement import TrackPoint


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_gpx_time(text: str | None) -> datetime | None:
    """An ISO 8601 GPX time (``Z`` or offset; more than 6 fraction digits are cut) as UTC,
    or None. Times without an offset are read as UTC, which the GPX schema prescribes."""
    if text is None or not text.strip():
        return None
    value = text.strip().replace("Z", "+00:00")
    if "." in value:
        head, _, rest = value.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits):]
        value = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def read_gpx(path: Path) -> list[TrackPoint]:
    """All track points of the GPX file at ``path``, in file order (degrees, UTC)."""
    points: list[TrackPoint] = []
    for element in ET.parse(path).getroot().iter():
        if _local(element.tag) != "trkpt":
            continue
        time_text = next((child.text for child in element if _local(child.tag) == "time"),
                         None)
        points.append(TrackPoint(lat=float(element.attrib["lat"]),
                                 lon=float(element.attrib["lon"]),
                                 time=parse_gpx_time(time_text)))
    return points

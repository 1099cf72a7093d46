"""Hostile input to the check-in API: each case a table row, with its exact answer.

Each row runs on a fresh store:

- ``REFUSED``: crafted uploads (broken photos, a 60 MB body, a 100-megapixel image, meta
  JSON with wrong types, missing or extra fields, unicode, very long strings, naive or
  impossible timestamps, NaN and infinite coordinates, a replayed id with another body, no or
  the wrong token). Each gets its exact 4xx status, stable code and field, and leaves the
  store as it found it: no check-in row, no verification row, no photo file.
- ``MALFORMED_FILES``: every file of ``../shared/data/real/malformed_images`` (Pillow's broken
  and hostile test images), and the iPhone HEIC. Files that can't be decoded get 422 with
  their ``PHOTO_*`` code and nothing is stored. Files whose pixels decode but whose metadata
  is broken (bad EXIF, a bad MPO header, a 1×1 PNG) are photos: they are judged (201) and
  stored whole, and what is wrong with them is in the verdict's stable reason codes.
- ``JUDGED``: odd but well-formed input the service must take and judge rather than refuse
  (unicode texts, a future departure, a path in the file name).
- ``HOSTILE_QUERIES``: listing check-ins with out-of-range paging and times.

Then the service's peak memory over the whole corpus, measured on a real server process.
"""

from __future__ import annotations

import io
import json
import math
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from PIL import Image

from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta
from tests.vision.photos import encode, textured

Meta = dict[str, Any]


# -- crafted photos ---------------------------------------------------------------------------
def small_photo(seed: int = 0) -> bytes:
    """A decodable 320×240 JPEG (judged, with a low-resolution reason)."""
    return encode(textured(320, 240, seed=seed))


def blank_png(width: int, height: int) -> bytes:
    """A valid greyscale PNG of ``width``×``height`` black pixels, built row by row through a
    streaming compressor, so a 100-megapixel image costs ~100 kB and a fraction of a second."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    compressor = zlib.compressobj(6)
    row = bytes(width + 1)  # filter byte 0, then the row's pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) claims ``width``×``height``."""
    data = bytearray(small_photo(seed=40))
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(textured(320, 240, seed=41)).save(buffer, format="PNG")
    return buffer.getvalue()


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="4000" '
       b'height="3000"><script>alert(1)</script><rect width="100%" height="100%"/></svg>')


# -- crafted meta -----------------------------------------------------------------------------
_DELETE = object()


def meta_with(**changes: Any) -> Callable[[], str]:
    """A builder of the meta JSON text with ``changes`` applied (``fix__lat=...`` sets
    ``meta["fix"]["lat"]``; ``_DELETE`` removes the key). NaN and infinities are written
    as JSON's non-standard ``NaN``/``Infinity`` tokens, as a careless client would."""
    def build() -> str:
        meta = make_upload_meta()
        for path, value in changes.items():
            target: Any = meta
            *parents, leaf = path.split("__")
            for parent in parents:
                target = target[parent]
            if value is _DELETE:
                del target[leaf]
            else:
                target[leaf] = value
        return json.dumps(meta, allow_nan=True)
    return build


def raw_meta(text: str) -> Callable[[], str]:
    return lambda: text


def lat_token(token: str) -> Callable[[], str]:
    """The meta JSON with the latitude written as the raw JSON token ``token``."""
    def build() -> str:
        meta: Any = make_upload_meta()
        meta["fix"]["lat"] = "<lat>"
        return json.dumps(meta).replace('"<lat>"', token)
    return build


def json_escaped_meta(old: str, new: str) -> Callable[[], str]:
    """The meta JSON with the text ``old`` replaced by ``new`` in its serialised form."""
    return lambda: json.dumps(make_upload_meta()).replace(old, new, 1)


# -- the tables -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """One hostile request: the meta text, the photo part, who sends it."""

    meta: Callable[[], str | None] = field(default=lambda: json.dumps(make_upload_meta()))
    photo: Callable[[], bytes | None] = field(default=small_photo)
    filename: str = "shelf.jpg"
    content_type: str = "image/jpeg"
    who: str | None = "rep"
    prior: bool = False  # first store ``original()`` under the same id (a replay)
    original: Callable[[], str] = field(default=lambda: "")


def send(client: httpx.Client, tokens: dict[str, str], attempt: Attempt) -> httpx.Response:
    """Post ``attempt`` (after its prior upload, for a replay); the TestClient or a live
    server's client alike."""
    def post(meta: str | None, photo: bytes | None, who: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who else {}
        data = {} if meta is None else {"meta": meta}
        files = None if photo is None else {"photo": (attempt.filename, photo,
                                                      attempt.content_type)}
        return client.post("/v1/checkins", data=data, files=files, headers=headers)

    if attempt.prior:
        first = post(attempt.original(), small_photo(), "rep")
        assert first.status_code == 201, first.text
    return post(attempt.meta(), attempt.photo(), attempt.who)


def _replayed(change: Callable[[Meta], None], photo: Callable[[], bytes] = small_photo,
              who: str = "rep") -> Attempt:
    """The same check-in id sent again after a stored upload, with ``change`` applied."""
    meta = make_upload_meta()

    def changed() -> str:
        body = json.loads(json.dumps(meta))
        change(body)
        return json.dumps(body)

    return Attempt(meta=changed, photo=photo, who=who, prior=True,
                   original=lambda: json.dumps(meta))


REFUSED: list[tuple[str, Attempt, int, str, str | None]] = [
    # (name, attempt, status, code, field)
    # the photo part
    ("zero-byte photo", Attempt(photo=lambda: b""), 422, "PHOTO_EMPTY", "photo"),
    ("60 MB upload", Attempt(photo=lambda: b"\xff\xd8\xff" + bytes(60_000_000)), 413,
     "PAYLOAD_TOO_LARGE", None),
    ("100-megapixel PNG", Attempt(photo=lambda: blank_png(10_000, 10_000),
                                  filename="shelf.png", content_type="image/png"), 422,
     "PHOTO_TOO_MANY_PIXELS", "photo"),
    ("JPEG declaring 10000x10000", Attempt(photo=lambda: jpeg_declaring(10_000, 10_000)),
     422, "PHOTO_TOO_MANY_PIXELS", "photo"),
    ("25-megapixel PNG (no reduced decoding)", Attempt(
        photo=lambda: blank_png(5_000, 5_000), filename="shelf.png", content_type="image/png"),
     422, "PHOTO_TOO_MANY_PIXELS", "photo"),
    ("PNG renamed .jpg", Attempt(photo=png_bytes, filename="shelf.jpg",
                                 content_type="application/octet-stream"), 422,
     "PHOTO_TYPE_MISMATCH", "photo"),
    ("WebP declared as JPEG", Attempt(photo=lambda: encode(textured(320, 240), fmt="WEBP")),
     422, "PHOTO_TYPE_MISMATCH", "photo"),
    ("SVG with a script", Attempt(photo=lambda: SVG, filename="shelf.svg",
                                  content_type="image/svg+xml"), 422,
     "PHOTO_UNSUPPORTED_FORMAT", "photo"),
    ("text file", Attempt(photo=lambda: "货架照片\nshelf photo\n".encode() * 100,
                          filename="shelf.txt", content_type="text/plain"), 422,
     "PHOTO_UNSUPPORTED_FORMAT", "photo"),
    ("JPEG magic only", Attempt(photo=lambda: b"\xff\xd8\xff"), 422,
     "PHOTO_UNSUPPORTED_FORMAT", "photo"),
    ("truncated JPEG", Attempt(photo=lambda: shelf_photo(seed=42)[:20_000]), 422,
     "PHOTO_TRUNCATED", "photo"),
    ("file name of 100k characters", Attempt(filename="x" * 100_000 + ".jpg"), 400,
     "MALFORMED_REQUEST", None),
    # wrong types
    ("meta not JSON", Attempt(meta=raw_meta("{not json")), 422, "BAD_JSON", "meta"),
    ("meta null", Attempt(meta=raw_meta("null")), 422, "BAD_TYPE", "meta"),
    ("meta a number", Attempt(meta=raw_meta("1e999")), 422, "BAD_TYPE", "meta"),
    ("meta with a byte-order mark", Attempt(meta=lambda: "\ufeff" +
                                            json.dumps(make_upload_meta())), 422,
     "BAD_JSON", "meta"),
    ("meta nested 100k deep", Attempt(meta=raw_meta("[" * 100_000 + "]" * 100_000)), 422,
     "BAD_JSON", "meta"),
    ("id a number", Attempt(meta=meta_with(id=5)), 422, "BAD_IDENTIFIER", "meta.id"),
    ("id not a uuid", Attempt(meta=meta_with(id="'; DROP TABLE checkins; --")), 422,
     "BAD_IDENTIFIER", "meta.id"),
    ("latitude a string", Attempt(meta=meta_with(fix__lat="30.27")), 422, "BAD_TYPE",
     "meta.fix.lat"),
    ("accuracy a boolean", Attempt(meta=meta_with(fix__accuracy_m=True)), 422, "BAD_TYPE",
     "meta.fix.accuracy_m"),
    ("mock flag a string", Attempt(meta=meta_with(fix__is_mock="false")), 422, "BAD_TYPE",
     "meta.fix.is_mock"),
    ("fix null", Attempt(meta=meta_with(fix=None)), 422, "BAD_TYPE", "meta.fix"),
    ("commitment a string", Attempt(meta=meta_with(commitment="yes")), 422, "BAD_TYPE",
     "meta.commitment"),
    ("due date a number", Attempt(meta=meta_with(next_action__due_at=1_700_000_000)), 422,
     "BAD_TIMESTAMP", "meta.next_action.due_at"),
    ("unknown provider", Attempt(meta=meta_with(fix__provider="satellite")), 422,
     "UNKNOWN_ENUM_VALUE", "meta.fix.provider"),
    ("negative accuracy", Attempt(meta=meta_with(fix__accuracy_m=-1.0)), 422, "BAD_NUMBER",
     "meta.fix.accuracy_m"),
    # missing fields
    ("meta empty object", Attempt(meta=raw_meta("{}")), 422, "MISSING_FIELD", "meta.id"),
    ("no meta", Attempt(meta=lambda: None), 422, "MISSING_FIELD", "meta"),
    ("no photo", Attempt(photo=lambda: None), 422, "MISSING_FIELD", "photo"),
    ("no next action", Attempt(meta=meta_with(next_action=_DELETE)), 422, "MISSING_FIELD",
     "meta.next_action"),
    ("no fix time", Attempt(meta=meta_with(fix__fix_time=_DELETE)), 422, "MISSING_FIELD",
     "meta.fix.fix_time"),
    # extra fields
    ("rep id in the body", Attempt(meta=meta_with(rep_id="r2")), 422, "UNKNOWN_FIELD",
     "meta.rep_id"),
    ("status in the body", Attempt(meta=meta_with(status="verified")), 422,
     "UNKNOWN_FIELD", "meta.status"),
    ("featured SKUs in the body", Attempt(meta=meta_with(featured_skus=["sku-1"])), 422,
     "UNKNOWN_FIELD", "meta.featured_skus"),
    ("extra nested field", Attempt(meta=meta_with(fix__altitude=10.0)), 422,
     "UNKNOWN_FIELD", "meta.fix.altitude"),
    ("extra field with a 10k name", Attempt(meta=meta_with(**{"x" * 10_000: 1})), 422,
     "UNKNOWN_FIELD", "meta." + "x" * 10_000),
    # unicode and very long strings
    ("full-width customer id", Attempt(meta=meta_with(customer_id="c１")), 422,
     "BAD_IDENTIFIER", "meta.customer_id"),
    ("Chinese contact id", Attempt(meta=meta_with(next_action__contact_id="张医生")), 422,
     "BAD_IDENTIFIER", "meta.next_action.contact_id"),
    ("lone surrogate escape", Attempt(meta=json_escaped_meta("agrees", "agr\\ud800ees")),
     422, "BAD_JSON", "meta"),
    ("blank commitment", Attempt(meta=meta_with(commitment__text=" \u3000\t")), 422,
     "EMPTY_FIELD", "meta.commitment.text"),
    ("NUL in the commitment", Attempt(meta=meta_with(commitment__text="agrees\x00 to")), 422,
     "BAD_TEXT", "meta.commitment.text"),
    ("commitment of 2,001 characters", Attempt(meta=meta_with(commitment__text="货" * 2001)),
     422, "TOO_LONG", "meta.commitment.text"),
    ("customer id of 129 characters", Attempt(meta=meta_with(customer_id="c" * 129)), 422,
     "TOO_LONG", "meta.customer_id"),
    ("contract number of 101 characters",
     Attempt(meta=meta_with(commitment__contract_number="x" * 101)), 422, "TOO_LONG",
     "meta.commitment.contract_number"),
    ("meta field over 1 MiB", Attempt(meta=meta_with(commitment__text="x" * 1_500_000)),
     400, "MALFORMED_REQUEST", None),
    ("unknown customer", Attempt(meta=meta_with(customer_id="c404")), 422,
     "UNKNOWN_CUSTOMER", "meta.customer_id"),
    # timestamps
    ("naive departure", Attempt(meta=meta_with(departed_at="2026-11-03T09:40:00")), 422,
     "NAIVE_TIMESTAMP", "meta.departed_at"),
    ("naive fix time", Attempt(meta=meta_with(fix__fix_time="2026-11-03T09:30:00")), 422,
     "NAIVE_TIMESTAMP", "meta.fix.fix_time"),
    ("date without time", Attempt(meta=meta_with(departed_at="2026-11-03")), 422,
     "BAD_TIMESTAMP", "meta.departed_at"),
    ("offset +25:00", Attempt(meta=meta_with(departed_at="2026-11-03T09:40:00+25:00")), 422,
     "BAD_TIMESTAMP", "meta.departed_at"),
    ("year 10000", Attempt(meta=meta_with(arrived_at="10000-01-01T00:00:00Z")), 422,
     "BAD_TIMESTAMP", "meta.arrived_at"),
    # NaN and infinities
    ("NaN latitude", Attempt(meta=meta_with(fix__lat=math.nan)), 422,
     "COORDINATE_NOT_FINITE", "meta.fix.lat"),
    ("Infinity longitude", Attempt(meta=meta_with(fix__lon=math.inf)), 422,
     "COORDINATE_NOT_FINITE", "meta.fix.lon"),
    ("-Infinity latitude", Attempt(meta=meta_with(fix__lat=-math.inf)), 422,
     "COORDINATE_NOT_FINITE", "meta.fix.lat"),
    ("1e400 latitude (overflows to inf)", Attempt(meta=lat_token("1e400")), 422,
     "COORDINATE_NOT_FINITE", "meta.fix.lat"),
    ("NaN accuracy", Attempt(meta=meta_with(fix__accuracy_m=math.nan)), 422,
     "NUMBER_NOT_FINITE",
     "meta.fix.accuracy_m"),
    ("latitude 1e30", Attempt(meta=meta_with(fix__lat=1e30)), 422, "LAT_OUT_OF_RANGE",
     "meta.fix.lat"),
    ("longitude 181", Attempt(meta=meta_with(fix__lon=181.0)), 422, "LON_OUT_OF_RANGE",
     "meta.fix.lon"),
    # replays of a stored id with another body
    ("replay: another commitment", _replayed(
        lambda meta: meta["commitment"].update(text="a different commitment")), 409,
     "CHECKIN_ID_CONFLICT", None),
    ("replay: another position", _replayed(lambda meta: meta["fix"].update(lat=30.3)), 409,
     "CHECKIN_ID_CONFLICT", None),
    ("replay: another photo", _replayed(lambda meta: None,
                                        photo=lambda: small_photo(seed=43)), 409,
     "CHECKIN_ID_CONFLICT", None),
    ("replay: another rep", _replayed(lambda meta: None, who="rep2"), 409,
     "CHECKIN_ID_CONFLICT", None),
    # who sends it
    ("no token", Attempt(who=None), 401, "UNAUTHENTICATED", None),
    ("a manager uploading", Attempt(who="manager"), 403, "FORBIDDEN", None),
]



JUDGED = [
    # (attempt, reason codes the verdict must carry): taken, judged and stored whole
    pytest.param(Attempt(meta=meta_with(
        commitment__text="同意在 3 月 15 日前试用 DSA 🧪 \u202eesrever\u202c\u200b مرحبا",
        next_action__text="10:00 把合同草稿发给张医生 ✉️")), (), id="unicode texts"),
    pytest.param(Attempt(meta=meta_with(
        departed_at=(datetime.now(UTC) + timedelta(days=365)).isoformat(),
        next_action__due_at=(datetime.now(UTC) + timedelta(days=366)).isoformat())),
        ("TIME_IN_FUTURE",), id="departure in a year"),
    pytest.param(Attempt(meta=meta_with(departed_at="9999-12-31T23:59:59Z",
                                        next_action__due_at="9999-12-31T23:59:59Z")),
                 ("TIME_IN_FUTURE",), id="departure at the end of year 9999"),
    pytest.param(Attempt(meta=meta_with(arrived_at="0001-01-01T00:00:00Z")),
                 ("TIME_IMPLAUSIBLE",), id="arrival in year 1"),
    pytest.param(Attempt(meta=meta_with(departed_at="2020-01-01T00:00:00+00:00",
                                        next_action__due_at="2020-01-02T00:00:00+00:00")),
                 ("TIME_ORDER",), id="departure before arrival"),
    pytest.param(Attempt(filename="../../../../etc/passwd.jpg"), (),
                 id="a path in the file name"),
    pytest.param(Attempt(meta=meta_with(fix__fix_time="9999-12-31T23:00:00Z")),
                 ("TIME_IN_FUTURE",), id="fix time at the end of year 9999"),
    pytest.param(Attempt(meta=meta_with(fix__fix_time="0001-01-01T00:00:00Z")),
                 ("TIME_IMPLAUSIBLE",), id="fix time in year 1"),
]

# Timestamps whose offset moves them out of datetime's range once converted to UTC.
OUT_OF_RANGE = [
    pytest.param(Attempt(meta=meta_with(**{key: value})), 422, "BAD_TIMESTAMP",
                 "meta." + key.replace("__", "."), id=name)
    for name, key, value in [
        ("departure past year 9999 in UTC", "departed_at", "9999-12-31T23:59:59-23:59"),
        ("arrival before year 1 in UTC", "arrived_at", "0001-01-01T00:00:00+14:00"),
        ("due date past year 9999 in UTC", "next_action__due_at",
         "9999-12-31T23:00:00-02:00")]]


@pytest.mark.parametrize(("attempt", "status", "code", "field"),
                         [pytest.param(*row[1:], id=row[0]) for row in REFUSED]
                         + OUT_OF_RANGE)
def test_a_hostile_request_is_refused_and_leaves_no_trace(
        api: Api, attempt: Attempt, status: int, code: str, field: str | None) -> None:
    before = (1, 2, 1) if attempt.prior else (0, 0, 0)
    response = send(api.client, api.tokens, attempt)
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert (body["code"], body.get("field")) == (code, field), body
    assert body["message"]
    assert "Traceback" not in response.text
    assert api.stored() == before


@pytest.mark.parametrize(("attempt", "reasons"), JUDGED)
def test_odd_but_valid_input_is_judged_and_stored_whole(
        api: Api, attempt: Attempt, reasons: tuple[str, ...]) -> None:
    response = send(api.client, api.tokens, attempt)
    assert response.status_code == 201, response.text[:500]
    verdict = response.json()
    assert set(reasons) <= {reason["code"] for reason in verdict["reasons"]}
    assert api.stored() == (1, 2, 1)
    stored = api.client.get(f"/v1/checkins/{verdict['checkin_id']}",
                            headers=api.auth("rep")).json()
    sent = json.loads(attempt.meta() or "{}")
    assert (stored["commitment"]["text"], stored["next_action"]["text"]) == \
        (sent["commitment"]["text"], sent["next_action"]["text"])
    assert stored["verdict"] == verdict
    sha = stored["photo_sha256"]
    assert [p.relative_to(api.photos_dir).as_posix() for p in api.photos_dir.rglob("*")
            if p.is_file()] == [f"{sha[:2]}/{sha[2:4]}/{sha}"]


STATUSES = {"verified", "needs_review", "rejected"}

MALFORMED_FILES: list[tuple[str, int, str | tuple[str, ...]]] = [
    # (file, status, the 422's code | the verdict's PHOTO_*/EXIF_* reason codes)
    ("LICENSE.Pillow-MIT-CMU.txt", 422, "PHOTO_UNSUPPORTED_FORMAT"),
    ("broken.png", 422, "PHOTO_UNSUPPORTED_FORMAT"),
    ("broken_data_stream.png", 422, "PHOTO_CORRUPT"),
    ("broken_exif_dpi.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_BLURRY")),
    ("crash-86214e58da443d2b80820cff9677a38a33dcbbca.tif", 422, "PHOTO_UNSUPPORTED_FORMAT"),
    ("decompression_bomb.gif", 422, "PHOTO_TOO_MANY_PIXELS"),
    ("empty_gps_ifd.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_TOO_DARK")),
    ("exif-dpi-zerodivision.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_BLURRY")),
    ("exif-ifd-offset.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_BLURRY")),
    ("exif_gps.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_TOO_DARK", "EXIF_BAD_GPS",
                           "EXIF_BAD_GPS_TIME")),
    ("exif_gps_typeerror.jpg", 201, ()),
    ("exif_typeerror.jpg", 201, ()),
    ("hopper.jpg", 201, ("PHOTO_LOW_RESOLUTION",)),
    ("hopper_bad_exif.jpg", 201, ()),
    ("invalid-exif-without-x-resolution.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_TOO_DARK")),
    ("invalid-exif.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_BLURRY")),
    ("multiple_exif.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_TOO_DARK")),
    ("oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif", 422, "PHOTO_UNSUPPORTED_FORMAT"),
    ("photoshop-200dpi-broken.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_BLURRY")),
    ("pngtest_bad.png.bin", 422, "PHOTO_UNSUPPORTED_FORMAT"),
    ("sugarshack_bad_mpo_header.jpg", 201, ()),
    ("tRNS_null_1x1.png", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_BLURRY")),
    ("truncated_app14.jpg", 201, ("PHOTO_LOW_RESOLUTION", "PHOTO_TOO_DARK")),
    ("truncated_end_chunk.png", 422, "PHOTO_TRUNCATED"),
    ("truncated_exif_dpi.jpg", 201, ("PHOTO_OVEREXPOSED",)),
    ("truncated_image.png", 422, "PHOTO_TRUNCATED"),
    ("truncated_jpeg.jpg", 422, "PHOTO_TRUNCATED"),
]


def _file_attempt(path: Path) -> Attempt:
    data = path.read_bytes()
    return Attempt(photo=lambda: data, filename=path.name,
                   content_type="application/octet-stream")


def test_the_table_covers_every_malformed_file(real_data: Path) -> None:
    on_disk = {p.name for p in (real_data / "malformed_images").iterdir() if p.is_file()}
    assert on_disk == {row[0] for row in MALFORMED_FILES}


@pytest.mark.parametrize(("name", "status", "expected"), MALFORMED_FILES,
                         ids=[row[0] for row in MALFORMED_FILES])
def test_a_malformed_file_is_refused_or_judged_never_half_stored(
        api: Api, real_data: Path, name: str, status: int,
        expected: str | tuple[str, ...]) -> None:
    response = send(api.client, api.tokens,
                    _file_attempt(real_data / "malformed_images" / name))
    assert response.status_code == status, response.text[:500]
    body = response.json()
    if status == 422:
        assert (body["code"], body["field"]) == (expected, "photo")
        assert api.stored() == (0, 0, 0)
        return
    assert body["status"] in STATUSES
    assert tuple(r["code"] for r in body["reasons"]
                 if r["code"].startswith(("PHOTO_", "EXIF_"))) == expected
    assert api.stored() == (1, 2, 1)


def test_an_iphone_heic_is_refused(api: Api, real_data: Path) -> None:
    heic = real_data / "photos_exif" / "gps" / "IMG_5195.HEIC"
    attempt = Attempt(photo=heic.read_bytes, filename=heic.name, content_type="image/heic")
    response = send(api.client, api.tokens, attempt)
    assert (response.status_code, response.json()["code"], response.json()["field"]) == \
        (422, "PHOTO_UNSUPPORTED_FORMAT", "photo")
    assert api.stored() == (0, 0, 0)


# -- peak memory ------------------------------------------------------------------------------
# The largest image decoded at full size (PNG has no draft mode): just under
# DecodeLimits.max_full_decode_pixels = 16 MP. A JPEG up to max_pixels = 50 MP is drafted
# to a fraction of that.
LARGEST_DECODED = Attempt(photo=lambda: blank_png(4_000, 3_990), filename="shelf.png",
                          content_type="image/png")
# Peak RSS the server may gain on top of its warmed-up resident set (one 1280×960 upload
# judged). Measured on the 2-core machine: +7 MiB over the hostile corpus; the 16-megapixel
# PNG, decoded at full size and converted to RGB, is the per-request cost of
# DecodeLimits.max_full_decode_pixels (a 49-megapixel PNG cost +556 MiB before that limit).
CORPUS_GROWTH_BOUND_MIB = 64
PEAK_GROWTH_BOUND_MIB = 320


SERVE = """
import sys, uvicorn
from serving.app import create_app
from application.settings import build_settings
uvicorn.run(create_app(build_settings()), host="127.0.0.1", port=int(sys.argv[1]))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (VmHWM) since start or :func:`_reset_peak`, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def _reset_peak(pid: int) -> None:
    """Set the process's peak resident set to its current one (Linux >= 4.0), so start-up
    (imports, loading the model) doesn't hide what the requests cost."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


@pytest.fixture
def live_server(make_api: Callable[..., Api], tmp_path: Path) -> Iterator[
        tuple[httpx.Client, Api, int]]:
    """The app under uvicorn in one child process on loopback, over the seeded store, rate
    limits off (the whole corpus comes from one token)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc (Linux)")
    api = make_api()
    port = _free_port()
    env = {**os.environ, "VISITPROOF_DATA_DIR": str(tmp_path / "store"),
           "VISITPROOF_RATE_LIMIT_PER_MINUTE": "0"}
    log = tmp_path / "server.log"
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield client, api, server.pid
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


@pytest.mark.slow
def test_peak_memory_over_the_whole_corpus_is_bounded(
        live_server: tuple[httpx.Client, Api, int], real_data: Path) -> None:
    client, api, pid = live_server
    warm_up = send(client, api.tokens, Attempt(photo=lambda: shelf_photo(seed=44)))
    assert warm_up.status_code == 201, warm_up.text
    _reset_peak(pid)
    warm_mib = _peak_rss_mib(pid)
    corpus = [row[1] for row in REFUSED] + [cast(Attempt, p.values[0])
                                            for p in JUDGED + OUT_OF_RANGE]
    corpus += [_file_attempt(path) for path in
               sorted((real_data / "malformed_images").iterdir())]
    statuses = [send(client, api.tokens, attempt).status_code for attempt in corpus]
    after_corpus_mib = _peak_rss_mib(pid)
    largest = send(client, api.tokens, LARGEST_DECODED)
    peak_mib = _peak_rss_mib(pid)
    print(f"\nserver peak RSS: warmed up {warm_mib:.0f} MiB; after {len(corpus)} hostile "
          f"requests {after_corpus_mib:.0f} MiB (+{after_corpus_mib - warm_mib:.0f}); after a "
          f"16-megapixel PNG {peak_mib:.0f} MiB (+{peak_mib - warm_mib:.0f}); bound "
          f"+{CORPUS_GROWTH_BOUND_MIB} / +{PEAK_GROWTH_BOUND_MIB} MiB")
    assert max(statuses) < 500, statuses
    assert largest.status_code == 201, largest.text[:300]
    assert after_corpus_mib - warm_mib < CORPUS_GROWTH_BOUND_MIB
    assert peak_mib - warm_mib < PEAK_GROWTH_BOUND_MIB


HOSTILE_QUERIES = [
    pytest.param({"limit": 0}, 422, "OUT_OF_RANGE", "limit", id="limit 0"),
    pytest.param({"limit": 10**6}, 422, "OUT_OF_RANGE", "limit", id="limit a million"),
    pytest.param({"offset": -1}, 422, "OUT_OF_RANGE", "offset", id="negative offset"),
    pytest.param({"limit": "NaN"}, 422, "BAD_TYPE", "limit", id="limit NaN"),
    pytest.param({"status": "approved"}, 422, "UNKNOWN_ENUM_VALUE", "status",
                 id="unknown status"),
    pytest.param({"from": "2026-11-03T09:00:00"}, 422, "NAIVE_TIMESTAMP", "from",
                 id="naive from"),
    pytest.param({"from": "yesterday"}, 422, "BAD_TIMESTAMP", "from", id="from not a time"),
    pytest.param({"offset": 10**24}, 422, "OUT_OF_RANGE", "offset", id="offset 10^24"),
    pytest.param({"from": "9999-12-31T23:59:59-23:59"}, 422, "BAD_TIMESTAMP", "from",
                 id="from past year 9999 in UTC"),
    pytest.param({"to": "1.97e-86"}, 422, "BAD_TIMESTAMP", "to", id="to as a bare number"),
    pytest.param({"from": "1500-01-01T00:00:00Z"}, 422, "BAD_TIMESTAMP", "from",
                 id="from before 1970"),
    pytest.param({"stauts": "verified"}, 422, "UNKNOWN_FIELD", "stauts",
                 id="misspelt filter"),
]


@pytest.mark.parametrize(("params", "status", "code", "field"), HOSTILE_QUERIES)
def test_a_hostile_checkin_query_is_refused(api: Api, params: dict[str, Any], status: int,
                                            code: str, field: str) -> None:
    response = api.client.get("/v1/checkins", params=params, headers=api.auth("director"))
    assert response.status_code == status, response.text[:500]
    assert (response.json()["code"], response.json().get("field")) == (code, field)


@pytest.mark.parametrize(("url", "code", "field"), [
    ("/v1/coverage-gaps?now=9999-12-31T23:59:59Z", "BAD_TIMESTAMP", "now"),
    ("/v1/phi?period=2026-10&now=0", "BAD_TIMESTAMP", "now"),
    ("/v1/rules/15712817512748818432", "OUT_OF_RANGE", "version"),
    ("/v1/leads?offset=278866986481042568773632", "OUT_OF_RANGE", "offset"),
    ("/v1/contacts?offset=278866986481042568773632", "OUT_OF_RANGE", "offset"),
    ("/v1/actions?due_from=9999-12-31T23:59:59-23:59", "BAD_TIMESTAMP", "due_from"),
])
def test_hostile_values_on_other_endpoints_are_422_not_500(api: Api, url: str, code: str,
                                                           field: str) -> None:
    """Values the fuzzer found reaching SQLite or pandas out of range (500s before)."""
    response = api.client.get(url, headers=api.auth("director"))
    assert response.status_code == 422, response.text[:500]
    assert (response.json()["code"], response.json()["field"]) == (code, field)


@pytest.mark.parametrize("part", ["photo", "meta"])
def test_a_second_photo_or_meta_part_is_refused_not_silently_dropped(api: Api,
                                                                     part: str) -> None:
    meta = json.dumps(make_upload_meta())
    photo = ("shelf.jpg", small_photo(), "image/jpeg")
    files = [("photo", photo), ("photo", ("other.jpg", small_photo(seed=1), "image/jpeg"))] \
        if part == "photo" else [("photo", photo)]
    data = {"meta": [meta, meta] if part == "meta" else meta}
    response = api.client.post("/v1/checkins", data=data, files=files, headers=api.auth("rep"))
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == ("DUPLICATE_FIELD", part)
    assert api.stored() == (0, 0, 0)

"""POST /v1/checkins end to end: real store, real model, real photo store.

Verdict statuses are whatever the committed (early) model says; the tests assert on the
structure, the codes that don't depend on the model, what is stored, and idempotency.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.api_harness import Api, shelf_photo
from tests.builders import HANGZHOU, make_customer, make_upload_meta, shifted
from tests.vision.photos import encode, textured
from vision.photo_decode import DecodeLimits, decode_photo
from visitproof.reasons import combined_status
from visitproof.records import CheckinStatus
from visitproof.store import Store

STATUSES = {"verified", "needs_review", "rejected"}


def test_upload_stores_the_checkin_with_both_verifications(api: Api) -> None:
    meta = make_upload_meta()
    response = api.upload(meta, shelf_photo())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["checkin_id"] == meta["id"]
    assert body["status"] in STATUSES
    assert body["shelf"]["model_version"] == "shelf-detector-0.1.0-int8"
    assert body["shelf"]["image_size"] == [1280, 960]
    assert body["fix"]["status"] in STATUSES
    assert set(body["fix"]["measurements"]) >= {"distance_m", "submit_delay_s"}
    assert body["fix"]["measurements"]["distance_m"] == pytest.approx(26.2, abs=1.0)
    codes = [reason["code"] for reason in body["reasons"]]
    assert codes == [r["code"] for r in body["shelf"]["reasons"]] + \
        [r["code"] for r in body["fix"]["reasons"]]
    assert all(reason["message"] for reason in body["reasons"])
    assert api.stored() == (1, 2, 1)
    with api.database.connect() as connection:
        stored = Store(connection, "acme").checkins.get(uuid.UUID(meta["id"]))
    assert stored is not None
    assert stored.rep_id == "r1"  # from the token
    assert stored.status.value == body["status"]
    assert stored.photo_phash is not None
    shelf, fix = stored.verifications
    assert (shelf.checker, shelf.model_version, shelf.policy_version) == \
        ("shelf", "shelf-detector-0.1.0-int8", body["shelf"]["policy_version"])
    assert shelf.policy_version
    assert (fix.checker, fix.model_version, fix.policy_version) == \
        ("fix", None, "fix-integrity/1")
    assert abs(stored.submitted_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_retry_returns_the_identical_body_and_stores_one_row(api: Api) -> None:
    meta = make_upload_meta()
    photo = shelf_photo()
    first = api.upload(meta, photo)
    # Same content, other spelling: keys reordered, times with another offset.
    reordered = dict(reversed(list(meta.items())))
    reordered["departed_at"] = datetime.fromisoformat(meta["departed_at"]).astimezone(
        UTC).astimezone(timezone(timedelta(hours=8))).isoformat()
    assert reordered["departed_at"] != meta["departed_at"]
    reordered["device_submitted_at"] = datetime.now(UTC).isoformat()  # stamped per attempt
    second = api.upload(reordered, photo)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.content == first.content
    assert api.stored() == (1, 2, 1)
    read_back = api.client.get(f"/v1/checkins/{meta['id']}", headers=api.auth("rep"))
    assert read_back.json()["verdict"] == first.json()


@pytest.mark.parametrize(("change", "who"), [
    (lambda meta: meta["commitment"].update(text="a different commitment"), "rep"),
    (lambda meta: meta["fix"].update(accuracy_m=30.0), "rep"),
    (None, "rep2"),  # another rep replaying the same id and body
])
def test_the_same_id_with_another_body_is_a_conflict(
        api: Api, change: Callable[[dict[str, Any]], None] | None, who: str) -> None:
    meta = make_upload_meta()
    assert api.upload(meta, shelf_photo()).status_code == 201
    if change is not None:
        change(meta)
    response = api.upload(meta, shelf_photo(), who=who)
    assert response.status_code == 409
    assert response.json()["code"] == "CHECKIN_ID_CONFLICT"
    assert api.stored() == (1, 2, 1)


def test_the_same_id_with_another_photo_is_a_conflict(api: Api) -> None:
    meta = make_upload_meta()
    assert api.upload(meta, shelf_photo(seed=1)).status_code == 201
    response = api.upload(meta, shelf_photo(seed=2))
    assert (response.status_code, response.json()["code"]) == (409, "CHECKIN_ID_CONFLICT")


def test_a_photo_sent_twice_is_rejected_as_reused(api: Api) -> None:
    photo = shelf_photo(seed=3)
    first = api.upload(make_upload_meta(), photo)
    second = api.upload(make_upload_meta(), photo)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "PHOTO_REUSED" not in [r["code"] for r in first.json()["reasons"]]
    second_codes = [r["code"] for r in second.json()["shelf"]["reasons"]]
    assert "PHOTO_REUSED" in second_codes
    assert "PHOTO_NEAR_DUPLICATE" not in second_codes  # said once, not twice
    assert second.json()["status"] == "rejected"
    assert api.stored() == (2, 4, 1)  # one photo file, content-addressed


def test_a_reencoded_photo_at_another_customer_is_a_near_duplicate(api: Api) -> None:
    with api.database.begin() as connection:
        Store(connection, "acme").reference.put_customers([make_customer("c2")])
    pixels = textured(1280, 960, seed=4)
    assert api.upload(make_upload_meta(), encode(pixels, quality=92)).status_code == 201
    second = api.upload(make_upload_meta(customer="c2"), encode(pixels, quality=70))
    codes = [r["code"] for r in second.json()["shelf"]["reasons"]]
    assert "PHOTO_NEAR_DUPLICATE" in codes
    assert second.json()["status"] == "rejected"


def test_photos_uploaded_through_another_process_are_seen(
        make_api: Callable[..., Api]) -> None:
    this, other = make_api(), make_api()  # two apps, two intakes, one store
    with this.database.begin() as connection:
        Store(connection, "acme").reference.put_customers([make_customer("c2")])
    for seed in (12, 14):  # the second upload has this app load the store's photos
        assert this.upload(make_upload_meta(), shelf_photo(seed=seed)).status_code == 201
    pixels = textured(1280, 960, seed=13)
    assert other.upload(make_upload_meta(), encode(pixels, quality=92)).status_code == 201
    copy = this.upload(make_upload_meta(customer="c2"), encode(pixels, quality=70))
    assert "PHOTO_NEAR_DUPLICATE" in [r["code"] for r in copy.json()["shelf"]["reasons"]]


def test_the_fix_check_uses_the_server_clock_and_the_reps_history(api: Api) -> None:
    late = make_upload_meta(datetime.now(UTC) - timedelta(hours=3))
    response = api.upload(late, shelf_photo(seed=5))
    fix = response.json()["fix"]
    assert "SUBMITTED_BACKFILLED" in [r["code"] for r in fix["reasons"]]
    assert response.json()["status"] == "rejected"
    far = make_upload_meta(north_m=5000.0)
    codes = [r["code"] for r in api.upload(far, shelf_photo(seed=6)).json()["fix"]["reasons"]]
    assert "GPS_OUTSIDE_GEOFENCE" in codes


def test_the_reps_earlier_fixes_are_the_history_of_the_movement_check(api: Api) -> None:
    with api.database.begin() as connection:
        Store(connection, "acme").reference.put_customers(
            [make_customer("c50", *shifted(*HANGZHOU, north_m=50_000.0))])
    assert api.upload(make_upload_meta(), shelf_photo(seed=15)).status_code == 201
    # One minute later, 50 km away, at another customer, by the same rep.
    later = make_upload_meta(datetime.now(UTC) + timedelta(minutes=1), customer="c50",
                             north_m=50_023.4)
    fix = api.upload(later, shelf_photo(seed=16)).json()["fix"]
    assert [r["code"] for r in fix["reasons"]] == ["IMPOSSIBLE_SPEED"]
    assert fix["measurements"]["speed_kmh"] > 1000
    # Another rep's fixes are not this rep's history.
    other = make_upload_meta(datetime.now(UTC) + timedelta(minutes=1), customer="c50",
                             north_m=50_023.4)
    assert api.upload(other, shelf_photo(seed=17), who="rep2").json()["fix"]["reasons"] == []


@pytest.mark.parametrize(("shelf", "fix", "expected"), [
    ("verified", "verified", "verified"),
    ("needs_review", "verified", "needs_review"),
    ("verified", "needs_review", "needs_review"),
    ("needs_review", "rejected", "rejected"),
    ("rejected", "verified", "rejected"),
])
def test_combined_status(shelf: str, fix: str, expected: str) -> None:
    assert combined_status(CheckinStatus(shelf), CheckinStatus(fix)) is CheckinStatus(expected)


def _meta_with(**changes: Any) -> Callable[[], str]:
    def build() -> str:
        meta = make_upload_meta()
        for path, value in changes.items():
            target = meta
            *parents, leaf = path.split("__")
            for parent in parents:
                target = target[parent]
            if value is _DELETE:
                del target[leaf]
            else:
                target[leaf] = value
        return json.dumps(meta)
    return build


_DELETE = object()
def _nan_lat() -> str:
    meta = make_upload_meta()
    text = json.dumps(meta)
    return text.replace(json.dumps(meta["fix"]["lat"]), "NaN", 1)


BAD_META = [
    # (name, meta builder, expected status, code, field)
    ("meta not JSON", lambda: "{not json", 422, "BAD_JSON", "meta"),
    ("meta a list", lambda: "[1, 2]", 422, "BAD_TYPE", "meta"),
    ("missing customer", _meta_with(customer_id=_DELETE), 422, "MISSING_FIELD",
     "meta.customer_id"),
    ("missing fix time", _meta_with(fix__fix_time=_DELETE), 422, "MISSING_FIELD",
     "meta.fix.fix_time"),
    ("lat as a string", _meta_with(fix__lat="30.27"), 422, "BAD_TYPE", "meta.fix.lat"),
    ("mock flag as 1", _meta_with(fix__is_mock=1), 422, "BAD_TYPE", "meta.fix.is_mock"),
    ("extra field", _meta_with(rep_id="r2"), 422, "UNKNOWN_FIELD", "meta.rep_id"),
    ("extra nested field", _meta_with(fix__altitude=10.0), 422, "UNKNOWN_FIELD",
     "meta.fix.altitude"),
    ("naive timestamp", _meta_with(departed_at="2026-11-03T09:40:00"), 422,
     "NAIVE_TIMESTAMP", "meta.departed_at"),
    ("not a timestamp", _meta_with(arrived_at="yesterday"), 422, "BAD_TIMESTAMP",
     "meta.arrived_at"),
    ("bad uuid", _meta_with(id="not-a-uuid"), 422, "BAD_IDENTIFIER", "meta.id"),
    ("NaN latitude", _nan_lat, 422, "COORDINATE_NOT_FINITE", "meta.fix.lat"),
    ("latitude 91", _meta_with(fix__lat=91.0), 422, "LAT_OUT_OF_RANGE", "meta.fix.lat"),
    ("unknown next action kind", _meta_with(next_action__kind="hope"), 422,
     "UNKNOWN_ENUM_VALUE", "meta.next_action.kind"),
    ("blank commitment", _meta_with(commitment__text="   "), 422, "EMPTY_FIELD",
     "meta.commitment.text"),
    ("very long commitment", _meta_with(commitment__text="x" * 2001), 422, "TOO_LONG",
     "meta.commitment.text"),
    ("bad customer id", _meta_with(customer_id="c 1"), 422, "BAD_IDENTIFIER",
     "meta.customer_id"),
    ("unknown customer", _meta_with(customer_id="c404"), 422, "UNKNOWN_CUSTOMER",
     "meta.customer_id"),
]


@pytest.mark.parametrize(("build", "status", "code", "field"),
                         [case[1:] for case in BAD_META], ids=[case[0] for case in BAD_META])
def test_bad_meta_is_refused_and_nothing_is_stored(
        api: Api, build: Callable[[], str], status: int, code: str, field: str) -> None:
    response = api.upload(build(), shelf_photo())
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["code"], body.get("field")) == (code, field)
    assert "Traceback" not in response.text
    assert api.stored() == (0, 0, 0)


def test_a_missing_meta_or_photo_is_refused(api: Api) -> None:
    no_meta = api.client.post("/v1/checkins", files={"photo": ("a.jpg", shelf_photo(),
                                                                "image/jpeg")},
                              headers=api.auth("rep"))
    assert (no_meta.status_code, no_meta.json()["code"], no_meta.json()["field"]) == \
        (422, "MISSING_FIELD", "meta")
    no_photo = api.upload(make_upload_meta(), None)
    assert (no_photo.status_code, no_photo.json()["code"], no_photo.json()["field"]) == \
        (422, "MISSING_FIELD", "photo")
    assert api.stored() == (0, 0, 0)


def _png() -> bytes:
    return encode(textured(1280, 960, seed=7), fmt="PNG")


BAD_PHOTOS = [
    # (name, photo bytes, filename, content type, code)
    ("zero bytes", lambda: b"", "shelf.jpg", "image/jpeg", "PHOTO_EMPTY"),
    ("PNG renamed .jpg", _png, "shelf.jpg", "image/jpeg", "PHOTO_TYPE_MISMATCH"),
    ("PNG declared as JPEG", _png, "shelf", "image/jpeg", "PHOTO_TYPE_MISMATCH"),
    ("not an image", lambda: b"%PDF-1.7\n" + b"x" * 5000, "shelf.jpg", "image/jpeg",
     "PHOTO_UNSUPPORTED_FORMAT"),
    ("SVG", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
     "shelf.svg", "image/svg+xml", "PHOTO_UNSUPPORTED_FORMAT"),
    ("truncated JPEG", lambda: shelf_photo(seed=8)[:20_000], "shelf.jpg", "image/jpeg",
     "PHOTO_TRUNCATED"),
]


@pytest.mark.parametrize(("make_photo", "filename", "content_type", "code"),
                         [case[1:] for case in BAD_PHOTOS], ids=[c[0] for c in BAD_PHOTOS])
def test_an_unreadable_photo_is_refused_and_nothing_is_stored(
        api: Api, make_photo: Callable[[], bytes], filename: str, content_type: str,
        code: str) -> None:
    meta = make_upload_meta()
    response = api.upload(meta, make_photo(), filename=filename, content_type=content_type)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, "photo")
    assert api.stored() == (0, 0, 0)
    # The rep can retake the photo under the same check-in id.
    assert api.upload(meta, shelf_photo()).status_code == 201


def test_a_png_named_as_png_is_judged(api: Api) -> None:
    response = api.upload(make_upload_meta(), _png(), filename="shelf.png",
                          content_type="image/png")
    assert response.status_code == 201, response.text


def test_a_heic_photo_from_an_iphone_is_refused(api: Api, real_data: Any) -> None:
    heic = (real_data / "photos_exif" / "gps" / "IMG_5195.HEIC").read_bytes()
    response = api.upload(make_upload_meta(), heic, filename="IMG_5195.HEIC",
                          content_type="image/heic")
    assert (response.status_code, response.json()["code"]) == (422, "PHOTO_UNSUPPORTED_FORMAT")
    assert api.stored() == (0, 0, 0)


def test_a_body_over_the_limit_is_refused_with_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_upload_bytes=200_000)
    big = b"\xff\xd8\xff" + bytes(300_000)
    response = api.upload(make_upload_meta(), big)
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert api.stored() == (0, 0, 0)


def test_a_streamed_body_without_length_is_cut_at_the_limit(
        make_api: Callable[..., Api]) -> None:
    api = make_api(max_upload_bytes=200_000)
    boundary = "visitproof-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n"
            f"{json.dumps(make_upload_meta())}\r\n--{boundary}\r\nContent-Disposition: "
            "form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            ).encode()
    sent: list[int] = []

    def chunks() -> Any:
        yield head
        for _ in range(100):  # 6.4 MB if nobody stopped it
            sent.append(1)
            yield bytes(64_000)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = api.client.post(
        "/v1/checkins", content=chunks(),
        headers={**api.auth("rep"), "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert api.stored() == (0, 0, 0)


@pytest.mark.parametrize("who", ["manager", "director", "admin"])
@pytest.mark.parametrize("meta", [make_upload_meta(), {"bad": "meta"}], ids=["good", "bad"])
def test_only_reps_upload(api: Api, who: str, meta: dict[str, Any]) -> None:
    response = api.upload(meta, shelf_photo(), who=who)
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert api.stored() == (0, 0, 0)


def test_concurrent_retries_store_one_checkin_with_identical_answers(api: Api) -> None:
    meta = make_upload_meta()
    photo = shelf_photo(seed=9)
    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: api.upload(meta, photo), range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.content for r in responses}) == 1
    assert api.stored() == (1, 2, 1)


def test_the_annotated_photo_is_a_jpeg_of_the_stored_photo(api: Api) -> None:
    meta = make_upload_meta()
    api.upload(meta, shelf_photo(seed=11))
    response = api.client.get(f"/v1/checkins/{meta['id']}/photo",
                              params={"annotated": "true"}, headers=api.auth("rep"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    picture = decode_photo(response.content, DecodeLimits(target_long_side=None))
    assert picture.original_size == (1280, 960)
    assert response.content != shelf_photo(seed=11)


def test_malformed_multipart_bodies_are_bad_requests(api: Api) -> None:
    huge = make_upload_meta()
    huge["commitment"]["text"] = "x" * 1_500_000  # a form field over Starlette's 1 MiB
    oversized_field = api.upload(huge, shelf_photo())
    no_boundary = api.client.post("/v1/checkins", content=b"garbage", headers={
        **api.auth("rep"), "Content-Type": "multipart/form-data"})
    not_multipart = api.client.post("/v1/checkins", json={"meta": {}}, headers=api.auth("rep"))
    assert [(r.status_code, r.json()["code"]) for r in
            (oversized_field, no_boundary, not_multipart)] == \
        [(400, "MALFORMED_REQUEST"), (400, "MALFORMED_REQUEST"), (422, "MISSING_FIELD")]
    assert api.stored() == (0, 0, 0)

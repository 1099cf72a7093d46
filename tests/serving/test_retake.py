"""The upload's answer tells the phone when to ask for a new photo: ``retake`` with the codes
that want one, and a photo to retake is judged for nothing else (no "featured absent", no
stale shelf), so the rep is never sent looking for products that are there."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.api_harness import Api, shelf_photo
from tests.builders import make_upload_meta
from visitproof.retake import RETAKE_CODES


def spoiled(seed: int, how: str) -> bytes:
    image = cv2.imdecode(np.frombuffer(shelf_photo(seed), np.uint8), cv2.IMREAD_COLOR)
    if how == "blurred":
        image = cv2.GaussianBlur(image, (0, 0), 12)
    elif how == "dark":
        image = (image * 0.05).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()


@pytest.mark.parametrize(("how", "code"), [("blurred", "PHOTO_BLURRY"),
                                           ("dark", "PHOTO_TOO_DARK")])
def test_a_photo_to_retake_says_so_and_nothing_else(api: Api, how: str, code: str) -> None:
    first = api.upload(make_upload_meta(), shelf_photo(3))  # the store's last photo
    assert first.status_code == 201, first.text
    answer = api.upload(make_upload_meta(), spoiled(3, how))
    assert answer.status_code == 201, answer.text
    verdict = answer.json()
    codes = [r["code"] for r in verdict["reasons"]]
    assert verdict["status"] == "rejected"
    assert verdict["retake"] is True
    assert code in verdict["retake_reasons"]
    assert set(verdict["retake_reasons"]) <= RETAKE_CODES
    assert not {"FEATURED_ABSENT", "FEATURED_NOT_IN_GOLDEN_ZONE", "NO_SHELF_FOUND",
                "PHOTO_STALE_SHELF", "PHOTO_NEAR_DUPLICATE"} & set(codes), codes


def test_the_stored_checkin_carries_the_same_flag(api: Api) -> None:
    posted = api.upload(make_upload_meta(), spoiled(7, "blurred")).json()
    stored = api.client.get(f"/v1/checkins/{posted['checkin_id']}", headers=api.auth("rep"))
    verdict = stored.json()["verdict"]
    assert (verdict["retake"], verdict["retake_reasons"]) == \
        (posted["retake"], posted["retake_reasons"])
    sharp = api.upload(make_upload_meta(), shelf_photo(8)).json()
    assert sharp["retake"] is (sharp["status"] != "verified" and bool(sharp["retake_reasons"]))
    listed = api.client.get("/v1/checkins", headers=api.auth("rep")).json()["data"]
    for item in listed:
        assert item["verdict"]["retake"] == bool(item["verdict"]["retake_reasons"])
        if item["status"] == "verified":
            assert item["verdict"]["retake"] is False

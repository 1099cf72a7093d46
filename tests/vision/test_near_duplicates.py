"""Near-duplicate photos across customers are rejected; a stale shelf asks for review."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from PIL import Image

from tests.builders import at
from tests.vision.photos import encode, textured
from vision.near_duplicates import HashedPhotoUse, NearDuplicatePolicy, PhotoHistory
from vision.perceptual_hash import perceptual_hash
from vision.photo_decode import decode_photo

SHELF = textured(1200, 900, seed=7)
RESENT = decode_photo(encode(np.asarray(Image.fromarray(SHELF).resize((900, 675))),
                             quality=55)).pixels
OTHER = textured(1200, 900, seed=8)


def use(checkin: str, customer: str, hour: str, pixels: np.ndarray = SHELF,
        accepted: bool = True) -> HashedPhotoUse:
    return HashedPhotoUse(checkin_id=checkin, customer_id=customer, submitted_at=at(hour),
                          phash=perceptual_hash(pixels), accepted=accepted)


@pytest.mark.parametrize(("history", "customer", "pixels", "codes"), [
    ([], "c1", RESENT, []),
    ([use("k0", "c2", "08:00")], "c1", RESENT, ["PHOTO_NEAR_DUPLICATE"]),
    ([use("k0", "c1", "08:00")], "c1", RESENT, ["PHOTO_STALE_SHELF"]),
    ([use("k0", "c1", "08:00", accepted=False)], "c1", RESENT, []),
    ([use("k0", "c2", "08:00")], "c1", OTHER, []),
    ([use("k0", "c2", "10:00")], "c1", RESENT, []),  # later uses don't count
])
def test_reasons(history: list[HashedPhotoUse], customer: str, pixels: np.ndarray,
                 codes: list[str]) -> None:
    found = PhotoHistory(history).reasons_for(checkin_id="new", customer_id=customer,
                                              phash=perceptual_hash(pixels),
                                              submitted_at=at("09:00"))
    assert [r.code for r in found] == codes
    if codes == ["PHOTO_NEAR_DUPLICATE"]:
        assert "k0" in found[0].message
        assert "2026-11-03" in found[0].message


def test_the_last_accepted_photo_before_the_moment_is_the_one_compared() -> None:
    history = PhotoHistory([use("k1", "c1", "07:00", OTHER), use("k2", "c1", "08:00")])
    history.add(use("k3", "c1", "10:00", OTHER))
    found = history.reasons_for(checkin_id="new", customer_id="c1",
                                phash=perceptual_hash(RESENT), submitted_at=at("09:00"))
    assert [r.code for r in found] == ["PHOTO_STALE_SHELF"]
    later = history.reasons_for(checkin_id="new", customer_id="c1",
                                phash=perceptual_hash(RESENT),
                                submitted_at=at("09:00") + timedelta(hours=2))
    assert later == []


def test_distances_beyond_the_index_reach_are_refused() -> None:
    with pytest.raises(ValueError, match="distances"):
        NearDuplicatePolicy(near_distance=12)

"""Exact photo re-use (vision/photo_reuse.py; lives here until tests/vision takes it)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import at
from vision.photo_reuse import PhotoUse, build_index, photo_reuse_verdict, reused_mask

SHA_A, SHA_B = "a" * 64, "b" * 64
INDEX = build_index([(SHA_A, PhotoUse(checkin_id="c1", customer_id="s1",
                                      submitted_at=at("2026-11-01T09:20:00+00:00"))),
                     (SHA_A, PhotoUse(checkin_id="c2", customer_id="s2",
                                      submitted_at=at("09:00"))),
                     (SHA_B, PhotoUse(checkin_id="c3", customer_id="s1",
                                      submitted_at=at("09:00")))])


@pytest.mark.parametrize(("checkin", "sha", "submitted", "status", "earlier"), [
    ("c1", SHA_A, "2026-11-01T09:20:00+00:00", "verified", 0),
    ("c2", SHA_A, "09:00", "rejected", 1),
    ("c9", SHA_A, "10:00", "rejected", 2),
    ("c3", SHA_B, "09:00", "verified", 0),
    ("c9", "c" * 64, "10:00", "verified", 0),
])
def test_reuse_verdict(checkin: str, sha: str, submitted: str, status: str,
                       earlier: int) -> None:
    verdict = photo_reuse_verdict(checkin, sha, at(submitted), INDEX)

    assert verdict.status == status
    assert len(verdict.earlier_uses) == earlier
    if earlier:
        assert verdict.reasons[0].code == "PHOTO_REUSED"
        assert "2026-11-01 09:20 UTC" in verdict.reasons[0].message


def test_batch_mask_agrees_with_single() -> None:
    submitted = pd.Series(pd.to_datetime(["2026-11-03T09:00Z", "2026-11-01T09:20Z",
                                          "2026-11-03T09:00Z"], utc=True))

    mask = reused_mask([SHA_A, SHA_A, SHA_B], submitted, ["c2", "c1", "c3"])

    assert mask.tolist() == [True, False, False]

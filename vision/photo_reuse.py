"""Exact re-use of a shelf photo: the same bytes (SHA-256) already sent with another check-in.

A re-used photo is a fake visit, the most common fraud. This module compares digests only;
near-duplicates (re-encoded, cropped) need perceptual hashing, which comes with the photo
integrity work. Pure functions over an index the caller builds from the tenant's stored
photos (``Checkins.with_photo`` in the store, or a whole-tenant scan).

Reason code: ``PHOTO_REUSED`` (reject), defined with every other code in
:mod:`visitproof.reasons`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from visitproof.reasons import ReasonCode, reason, status_for
from visitproof.records import CheckinStatus, Reason
from visitproof.values import require_utc


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoUse:
    """One stored use of a photo: which check-in, customer and when it was submitted (UTC)."""

    checkin_id: str
    customer_id: str
    submitted_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "submitted_at", require_utc(self.submitted_at,
                                                             "submitted_at"))


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoReuseVerdict:
    """``rejected`` with the earlier uses listed (oldest first), or ``verified``."""

    status: CheckinStatus
    reasons: tuple[Reason, ...]
    earlier_uses: tuple[PhotoUse, ...]


def build_index(uses: Iterable[tuple[str, PhotoUse]]) -> dict[str, tuple[PhotoUse, ...]]:
    """Index (sha256, use) pairs by digest, each digest's uses oldest first."""
    grouped: dict[str, list[PhotoUse]] = {}
    for digest, use in uses:
        grouped.setdefault(digest, []).append(use)
    return {digest: tuple(sorted(found, key=lambda u: (u.submitted_at, u.checkin_id)))
            for digest, found in grouped.items()}


def photo_reuse_verdict(checkin_id: str, photo_sha256: str, submitted_at: datetime,
                        index: Mapping[str, Sequence[PhotoUse]]) -> PhotoReuseVerdict:
    """Rejected when another check-in submitted before this one (by time, then id) carries
    the same photo digest. The first use of a photo stays verified."""
    submitted_at = require_utc(submitted_at, "submitted_at")
    earlier = tuple(use for use in index.get(photo_sha256, ())
                    if use.checkin_id != checkin_id
                    and (use.submitted_at, use.checkin_id) < (submitted_at, checkin_id))
    if not earlier:
        return PhotoReuseVerdict(status=status_for([]), reasons=(), earlier_uses=())
    first = earlier[0]
    found = reason(ReasonCode.PHOTO_REUSED,
                   date=f"{first.submitted_at:%Y-%m-%d %H:%M} UTC", checkin=first.checkin_id)
    return PhotoReuseVerdict(status=status_for([found.code]), reasons=(found,),
                             earlier_uses=earlier)


def reused_mask(photo_sha256: Sequence[str], submitted_at: pd.Series,
                checkin_id: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Batch form: True for every row whose digest appeared on an earlier row (by submitted
    time, then check-in id). ``submitted_at`` is a tz-aware column."""
    frame = pd.DataFrame({"sha": list(photo_sha256), "t": submitted_at.to_numpy(),
                          "id": list(checkin_id)})
    ordered = frame.sort_values(["t", "id"], kind="stable")
    repeated = ordered.duplicated("sha", keep="first")
    return np.asarray(repeated.reindex(frame.index).to_numpy(), dtype=bool)

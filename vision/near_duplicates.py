"""Re-used photos that are not byte-identical, and shelves that never change.

Exact re-use (same SHA-256) is :mod:`vision.photo_reuse`. Here, perceptual hashes
(:mod:`vision.perceptual_hash`) catch a photo re-encoded, resized or lightly cropped:

- ``PHOTO_NEAR_DUPLICATE`` (reject): within ``near_distance`` bits of a photo sent earlier
  with a check-in at *another* customer — one shelf photo passed off as two visits;
- ``PHOTO_STALE_SHELF`` (review): within ``stale_distance`` bits of the last *accepted* photo
  of the *same* customer — either a re-sent old photo or a shelf nobody has touched, which a
  manager should look at either way.

Search goes through :class:`vision.photo_index.PhotoHashIndex`, so it stays fast at a
million photos per tenant.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from vision.perceptual_hash import hamming
from vision.photo_index import MAX_GUARANTEED_DISTANCE, PhotoHashIndex
from visitproof.reasons import ReasonCode, reason
from visitproof.records import Reason
from visitproof.values import require_utc


@dataclass(frozen=True, slots=True)
class NearDuplicatePolicy:
    """Distances in bits of the 64-bit pHash (0 = identical)."""

    near_distance: int = 6
    stale_distance: int = 4

    def __post_init__(self) -> None:
        for value in (self.near_distance, self.stale_distance):
            if not 0 <= value <= MAX_GUARANTEED_DISTANCE:
                raise ValueError(f"distances must be within 0..{MAX_GUARANTEED_DISTANCE}")


@dataclass(frozen=True, slots=True, kw_only=True)
class HashedPhotoUse:
    """A stored check-in's photo: its hash and whether its verdict accepted it."""

    checkin_id: str
    customer_id: str
    submitted_at: datetime
    phash: int
    accepted: bool

    def __post_init__(self) -> None:
        object.__setattr__(self, "submitted_at", require_utc(self.submitted_at,
                                                             "submitted_at"))


class PhotoHistory:
    """A tenant's hashed photos: the near-duplicate index plus the last accepted photo per
    customer."""

    def __init__(self, uses: Iterable[HashedPhotoUse] = ()) -> None:
        self._uses: list[HashedPhotoUse] = []
        self._index = PhotoHashIndex()
        # Accepted uses per customer, oldest first, to find "the last before t" by bisection.
        self._accepted: dict[str, list[HashedPhotoUse]] = {}
        batch = list(uses)
        self._uses.extend(batch)
        if batch:
            self._index.add_many(np.array([u.phash for u in batch], dtype=np.uint64),
                                 np.arange(len(batch), dtype=np.int64))
        for use in batch:
            self._remember(use)

    def __len__(self) -> int:
        return len(self._uses)

    def add(self, use: HashedPhotoUse) -> None:
        self._index.add(use.phash, len(self._uses))
        self._uses.append(use)
        self._remember(use)

    def reasons_for(self, *, checkin_id: str, customer_id: str, phash: int,
                    submitted_at: datetime,
                    policy: NearDuplicatePolicy | None = None) -> list[Reason]:
        """Reasons for a new photo (empty when it is new to this tenant). Only uses
        submitted before ``submitted_at`` count, so re-judging history is stable."""
        policy = policy or NearDuplicatePolicy()
        submitted_at = require_utc(submitted_at, "submitted_at")
        reasons: list[Reason] = []
        for match in self._index.query(phash, policy.near_distance):
            use = self._uses[match.key]
            if use.checkin_id == checkin_id or use.submitted_at >= submitted_at:
                continue
            if use.customer_id != customer_id:
                reasons.append(reason(ReasonCode.PHOTO_NEAR_DUPLICATE,
                                      date=f"{use.submitted_at:%Y-%m-%d}",
                                      checkin=use.checkin_id))
                break
        last = self._last_accepted_before(customer_id, submitted_at, checkin_id)
        if last is not None and hamming(last.phash, phash) <= policy.stale_distance:
            reasons.append(reason(ReasonCode.PHOTO_STALE_SHELF,
                                  date=f"{last.submitted_at:%Y-%m-%d}"))
        return reasons

    def _remember(self, use: HashedPhotoUse) -> None:
        if use.accepted:
            insort(self._accepted.setdefault(use.customer_id, []), use,
                   key=lambda u: (u.submitted_at, u.checkin_id))

    def _last_accepted_before(self, customer_id: str, moment: datetime,
                              checkin_id: str) -> HashedPhotoUse | None:
        accepted = self._accepted.get(customer_id, [])
        position = bisect_left(accepted, moment, key=lambda u: u.submitted_at)
        for use in reversed(accepted[:position]):
            if use.checkin_id != checkin_id:
                return use
        return None

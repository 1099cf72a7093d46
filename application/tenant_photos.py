"""The near-duplicate index of one tenant's photos, kept in this process's memory and topped
up from the store before every check, so uploads through other processes (Ray replicas) are
seen too."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from vision.near_duplicates import HashedPhotoUse, PhotoHistory
from visitproof.records import CheckinStatus
from visitproof.store import Checkins


class TenantPhotos:
    """One tenant's hashed photos, topped up from the store on every :meth:`refresh`.

    A check-in commits a moment after its ``submitted_at`` (its verification runs in
    between), so a refresh re-reads from a little before the newest submission it has seen:
    ``RECENT`` back on every refresh (uploads commit within a second or two), and
    ``OVERLAP`` back on a sweep every ``SWEEP_EVERY`` seconds, which catches a commit that
    took longer. The cost of a refresh is the rows in its window, so the every-upload window
    stays short: at 20 uploads/s a 5-minute window would re-read 6,000 rows per upload."""

    RECENT = timedelta(seconds=10)
    OVERLAP = timedelta(minutes=5)
    SWEEP_EVERY = 30.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.history = PhotoHistory()
        self.seen: set[str] = set()
        self.newest: datetime | None = None
        self._clock = clock
        self._last_sweep: float | None = None

    def refresh(self, checkins: Checkins) -> None:
        now = self._clock()
        sweep = self._last_sweep is None or now - self._last_sweep >= self.SWEEP_EVERY
        if sweep:
            self._last_sweep = now
        since = (None if self.newest is None
                 else self.newest - (self.OVERLAP if sweep else self.RECENT))
        new = [HashedPhotoUse(checkin_id=photo.checkin_id, customer_id=photo.customer_id,
                              submitted_at=photo.submitted_at, phash=photo.phash,
                              accepted=photo.status is CheckinStatus.VERIFIED)
               for photo in checkins.hashed_photos(submitted_from=since)
               if photo.checkin_id not in self.seen]
        if not new:
            return
        if len(self.history) == 0:
            self.history = PhotoHistory(new)  # one bulk index build on the first load
        else:
            for use in new:
                self.history.add(use)
        self.seen.update(use.checkin_id for use in new)
        newest = max(use.submitted_at for use in new)
        self.newest = newest if self.newest is None else max(self.newest, newest)

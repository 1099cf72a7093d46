"""The upload path's near-duplicate index is topped up from the store: a short window on
every refresh, a long one on a sweep every half minute, so a slow commit is still seen."""

from __future__ import annotations

from dataclasses import replace

from application.tenant_photos import TenantPhotos
from tests.builders import TENANT, at, make_checkin
from visitproof.records import Checkin
from visitproof.store import Checkins, Database


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def hashed(submitted: str, phash: int) -> Checkin:
    """A check-in received at ``submitted`` (the visit an hour before) with a hashed photo."""
    received = at(f"2026-11-03T{submitted}+00:00")
    return replace(make_checkin(arrived="07:00", captured="07:10", departed="07:30",
                                submitted=received), photo_phash=phash)


def store(database: Database, *checkins: Checkin) -> None:
    with database.begin() as connection:
        Checkins(connection, TENANT).add_many(list(checkins))


def refresh(database: Database, photos: TenantPhotos) -> set[str]:
    with database.connect() as connection:
        photos.refresh(Checkins(connection, TENANT))
    return set(photos.seen)


def test_a_slow_commit_is_seen_by_the_next_sweep(database: Database) -> None:
    clock = Clock()
    photos = TenantPhotos(clock=clock)
    first = hashed("09:00:00", 1)
    store(database, first)
    assert refresh(database, photos) == {str(first.id)}  # the first load reads everything

    # Committed since: one received a moment before the newest seen, one a minute before
    # (its verification was slow), and a newer one.
    clock.now += 1
    quick = hashed("08:59:55", 2)
    slow = hashed("08:59:00", 3)
    newer = hashed("09:00:05", 4)
    store(database, quick, slow, newer)
    assert refresh(database, photos) == {str(c.id) for c in (first, quick, newer)}

    clock.now += TenantPhotos.SWEEP_EVERY
    assert refresh(database, photos) == {str(c.id) for c in (first, quick, slow, newer)}
    assert len(photos.history) == 4

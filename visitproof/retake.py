"""Which reasons ask the rep for a new photo, so the phone can say "retake" instead of
showing a rejection it can't act on.

A photo that is blurred, dark, washed out or too small (``PHOTO_BLURRY``,
``PHOTO_TOO_DARK``, ``PHOTO_OVEREXPOSED``, ``PHOTO_LOW_RESOLUTION``) is judged for nothing
else: the shelf check says no more about it, so a retake never comes with "featured product
absent". A photo in which no shelf was found or whose fixture is cut off
(``NO_SHELF_FOUND``, ``FIXTURE_CUT_OFF``) asks for a retake too: photograph the whole fixture.
"""

from __future__ import annotations

from collections.abc import Iterable

from visitproof.records import Reason

RETAKE_CODES = frozenset({"PHOTO_BLURRY", "PHOTO_TOO_DARK", "PHOTO_OVEREXPOSED",
                          "PHOTO_LOW_RESOLUTION", "NO_SHELF_FOUND", "FIXTURE_CUT_OFF"})


def retake_codes(reasons: Iterable[Reason]) -> tuple[str, ...]:
    """The codes of ``reasons`` that ask for a new photo, in order, each once."""
    return tuple(dict.fromkeys(r.code for r in reasons if r.code in RETAKE_CODES))

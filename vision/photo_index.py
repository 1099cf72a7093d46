"""Finding near-duplicate photos among a tenant's millions, without a linear scan.

Multi-index hashing: the 64-bit perceptual hash is cut into 8 bands of 8 bits. Two hashes
within Hamming distance 7 agree exactly on at least one band (pigeonhole), so a query only
looks at entries sharing a band value with it — about N·8/256 candidates — and checks their
full distance with a vectorised popcount. Entries live in sorted arrays (a binary search per
band) plus a small unsorted tail for recent additions, merged when it grows, so adding one
upload costs no re-sort of a million entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_BANDS = 8
_SHIFTS = np.arange(_BANDS, dtype=np.uint64) * np.uint64(8)
MAX_GUARANTEED_DISTANCE = _BANDS - 1
_TAIL_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class Match:
    """An indexed entry within the queried distance (bits)."""

    key: int
    distance: int


class PhotoHashIndex:
    """Perceptual hashes with integer keys (row numbers the caller maps to check-ins)."""

    def __init__(self) -> None:
        self._hashes = np.zeros(0, dtype=np.uint64)
        self._keys = np.zeros(0, dtype=np.int64)
        self._band_values = np.zeros((_BANDS, 0), dtype=np.uint8)
        self._band_order = np.zeros((_BANDS, 0), dtype=np.int64)
        self._tail_hashes: list[int] = []
        self._tail_keys: list[int] = []

    def __len__(self) -> int:
        return len(self._hashes) + len(self._tail_hashes)

    def add(self, photo_hash: int, key: int) -> None:
        self._tail_hashes.append(photo_hash)
        self._tail_keys.append(key)
        if len(self._tail_hashes) >= _TAIL_LIMIT:
            self._merge()

    def add_many(self, hashes: npt.NDArray[np.uint64], keys: npt.NDArray[np.int64]) -> None:
        """Bulk load (service start, re-verification): one sort per band."""
        self._merge(np.asarray(hashes, dtype=np.uint64), np.asarray(keys, dtype=np.int64))

    def query(self, photo_hash: int, max_distance: int) -> list[Match]:
        """Entries within ``max_distance`` bits (at most 7, the guaranteed reach), nearest
        first."""
        if not 0 <= max_distance <= MAX_GUARANTEED_DISTANCE:
            raise ValueError(f"max_distance must be within 0..{MAX_GUARANTEED_DISTANCE}")
        target = np.uint64(photo_hash)
        bands = ((target >> _SHIFTS) & np.uint64(0xFF)).astype(np.uint8)
        candidates: list[npt.NDArray[np.int64]] = []
        for band in range(_BANDS):
            values = self._band_values[band]
            low = np.searchsorted(values, bands[band], side="left")
            high = np.searchsorted(values, bands[band], side="right")
            candidates.append(self._band_order[band, low:high])
        rows = np.concatenate(candidates)
        matches: list[Match] = []
        if len(rows):
            # A row can come from several bands; dedupe after the cheap distance filter.
            distances = np.bitwise_count(self._hashes[rows] ^ target).astype(np.int64)
            close = np.unique(rows[distances <= max_distance])
            matches += [Match(key=int(k), distance=int(d)) for k, d in zip(
                self._keys[close], np.bitwise_count(self._hashes[close] ^ target),
                strict=True)]
        for tail_hash, key in zip(self._tail_hashes, self._tail_keys, strict=True):
            distance = (tail_hash ^ photo_hash).bit_count()
            if distance <= max_distance:
                matches.append(Match(key=key, distance=distance))
        return sorted(matches, key=lambda m: (m.distance, m.key))

    def _merge(self, hashes: npt.NDArray[np.uint64] | None = None,
               keys: npt.NDArray[np.int64] | None = None) -> None:
        parts_h = [self._hashes, np.array(self._tail_hashes, dtype=np.uint64)]
        parts_k = [self._keys, np.array(self._tail_keys, dtype=np.int64)]
        if hashes is not None and keys is not None:
            parts_h.append(hashes)
            parts_k.append(keys)
        self._hashes = np.concatenate(parts_h)
        self._keys = np.concatenate(parts_k)
        self._tail_hashes, self._tail_keys = [], []
        all_bands = ((self._hashes[None, :] >> _SHIFTS[:, None]) & np.uint64(0xFF)).astype(
            np.uint8)
        self._band_order = np.argsort(all_bands, axis=1, kind="stable").astype(np.int64)
        self._band_values = np.take_along_axis(all_bands, self._band_order, axis=1)


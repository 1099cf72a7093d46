"""Finding near-duplicate photos among a tenant's millions, without a linear scan.

Multi-index hashing: the 64-bit perceptual hash is cut into 4 bands of 16 bits. Two hashes
within Hamming distance 7 differ in at most one bit on at least one band (pigeonhole: 4 bands
with 2 or more differing bits each would be 8), so a query looks up, per band, its own value
and the 16 values one bit away — 68 binary searches — and checks only the entries found
(about 68·N/65,536: a thousand at a million photos) with a vectorised popcount. Entries
live in sorted arrays (binary searches per band) plus a small unsorted tail for recent
additions, merged when it grows, so adding one upload costs no re-sort of a million entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_BANDS = 4
_BAND_BITS = 16
_SHIFTS = np.arange(_BANDS, dtype=np.uint64) * np.uint64(_BAND_BITS)
_MASK = np.uint64((1 << _BAND_BITS) - 1)
# The band value itself and its 16 one-bit neighbours.
_PROBES = np.concatenate([[0], 1 << np.arange(_BAND_BITS)]).astype(np.uint16)
MAX_GUARANTEED_DISTANCE = 2 * _BANDS - 1
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
        self._band_values = np.zeros((_BANDS, 0), dtype=np.uint16)
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
        bands = ((target >> _SHIFTS) & _MASK).astype(np.uint16)
        candidates: list[npt.NDArray[np.int64]] = []
        for band in range(_BANDS):
            values = self._band_values[band]
            probes = np.sort(bands[band] ^ _PROBES)
            low = np.searchsorted(values, probes, side="left")
            high = np.searchsorted(values, probes, side="right")
            candidates.extend(self._band_order[band, a:b] for a, b in zip(low, high, strict=True)
                              if b > a)
        matches: list[Match] = []
        if candidates:
            rows = np.concatenate(candidates)
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
        all_bands = ((self._hashes[None, :] >> _SHIFTS[:, None]) & _MASK).astype(np.uint16)
        self._band_order = np.argsort(all_bands, axis=1, kind="stable").astype(np.int64)
        self._band_values = np.take_along_axis(all_bands, self._band_order, axis=1)


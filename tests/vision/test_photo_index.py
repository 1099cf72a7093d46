"""Perceptual hashes survive re-encoding; the index finds exactly what a scan would."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from tests.vision.photos import encode, textured
from vision.perceptual_hash import from_signed, hamming, perceptual_hash, to_signed
from vision.photo_decode import decode_photo
from vision.photo_index import PhotoHashIndex


def test_reencoded_and_resized_copies_stay_close_unrelated_photos_do_not() -> None:
    original = textured(1200, 900, seed=1)
    copy = decode_photo(encode(np.asarray(Image.fromarray(original).resize((800, 600))),
                               quality=60)).pixels
    other = textured(1200, 900, seed=2)
    assert hamming(perceptual_hash(original), perceptual_hash(copy)) <= 4
    assert hamming(perceptual_hash(original), perceptual_hash(other)) >= 16


def test_signed_round_trip() -> None:
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert from_signed(to_signed(value)) == value
        assert -(1 << 63) <= to_signed(value) < (1 << 63)


def _flip(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), bits=st.lists(st.integers(0, 63), max_size=7, unique=True),
       bulk=st.integers(0, 3000), tail=st.integers(0, 50))
def test_index_equals_a_linear_scan(seed: int, bits: list[int], bulk: int, tail: int) -> None:
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 1 << 63, bulk + tail, dtype=np.int64).astype(np.uint64) * 2
    index = PhotoHashIndex()
    index.add_many(hashes[:bulk], np.arange(bulk, dtype=np.int64))
    for key in range(bulk, bulk + tail):
        index.add(int(hashes[key]), key)
    target = _flip(int(hashes[0]), bits) if len(hashes) else 12345
    for distance in (0, 3, 7):
        expected = sorted((int(bin(int(h) ^ target).count("1")), k)
                          for k, h in enumerate(hashes.tolist())
                          if bin(int(h) ^ target).count("1") <= distance)
        found = [(m.distance, m.key) for m in index.query(target, distance)]
        assert found == expected
    assert len(index) == bulk + tail


def test_the_tail_is_merged_when_it_grows() -> None:
    index = PhotoHashIndex()
    for key in range(5000):
        index.add(key * 7919, key)
    assert len(index) == 5000
    assert [m.key for m in index.query(1234 * 7919, 0)] == [1234]

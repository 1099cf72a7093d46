"""A 64-bit perceptual hash (DCT "pHash") of a photo, robust to re-encoding and resizing.

Grey, resized to 32×32, 2-D DCT, the 8×8 lowest frequencies without the DC term compared
with their median: 64 bits. Two photos of the same scene differ in a few bits; a re-encoded
or resized copy in 0–4; unrelated photos in about 32.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt


def perceptual_hash(pixels: npt.NDArray[np.uint8]) -> int:
    """pHash of an (H, W, 3) RGB or (H, W) grey uint8 image, as an unsigned 64-bit int."""
    grey = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY) if pixels.ndim == 3 else pixels
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].flatten()
    # Skip the DC term (overall brightness) when taking the median, keep 64 bits.
    bits = low > np.median(low[1:])
    return int(np.packbits(bits.astype(np.uint8)).view(">u8")[0])


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit hashes."""
    return (a ^ b).bit_count()


def to_signed(value: int) -> int:
    """The unsigned 64-bit hash as the signed int a BIGINT column stores."""
    return value - (1 << 64) if value >= (1 << 63) else value


def from_signed(value: int) -> int:
    return value + (1 << 64) if value < 0 else value

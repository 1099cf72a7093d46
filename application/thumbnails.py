"""Small JPEG thumbnails of the stored shelf photos, for the manager pages' list and gallery.

A thumbnail is derived data: it is rebuilt from the photo whenever it is missing, so it
lives in its own folder beside the photo store (``<data_dir>/thumbnails``), laid out like
it and keyed by the photo's SHA-256 and the box size (``ab/cd/abcd…ef-240.jpg``). A photo
never changes under its digest, so a cached thumbnail is never stale and is never checked
again.

Building one costs a decode, so it is cheap where it matters: a JPEG is decoded at 1/2, 1/4
or 1/8 scale inside the JPEG decoder (:func:`vision.photo_decode.decode_photo` with the box
as its target, which also applies the EXIF orientation and the upload's decoding limits: a
12-megapixel photo decodes at 1/8 in a few milliseconds), then shrunk with OpenCV's area
filter and encoded at quality 75 (a 240-pixel thumbnail is a few kilobytes). The file is
written to a temporary name in the same folder and renamed into place, so a reader sees no
file or a whole one, and two requests building the same thumbnail at once both succeed.

A photo that is not in the store is :class:`~visitproof.errors.NotFound`; one that can't be
decoded (an import that skipped the upload's checks) too, as there is no thumbnail to show.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vision.photo_decode import DecodeLimits, PhotoRejected, decode_photo
from visitproof.errors import NotFound
from visitproof.store import PhotoStore

#: The long side of the box a thumbnail fits in (pixels), and its JPEG quality.
BOX = 240
QUALITY = 75


class Thumbnails:
    """The thumbnails of one photo store's photos, cached under ``root`` (default: a
    ``thumbnails`` folder beside the store's). ``built`` counts the thumbnails this
    object has rendered (not read back from the cache)."""

    def __init__(self, photos: PhotoStore, root: Path | None = None, *, box: int = BOX,
                 quality: int = QUALITY) -> None:
        if box < 16 or not 1 <= quality <= 100:
            raise ValueError(f"box must be >= 16 px and quality in 1..100, got {box}, "
                             f"{quality}")
        self.photos = photos
        self.root = root if root is not None else photos.root.parent / "thumbnails"
        self.box = box
        self.quality = quality
        self.built = 0

    def path_for(self, sha256: str) -> Path:
        """Where the thumbnail of photo ``sha256`` is cached (a valid digest, or
        ``InvalidValue``)."""
        name = self.photos.path_for(sha256).name
        return self.root / name[:2] / name[2:4] / f"{name}-{self.box}.jpg"

    def jpeg(self, sha256: str) -> bytes:
        """The thumbnail of photo ``sha256`` (JPEG bytes, the long side at most
        :attr:`box`): from the cache, else built from the photo and cached."""
        target = self.path_for(sha256)
        try:
            return target.read_bytes()
        except FileNotFoundError:
            pass
        data = self._render(self.photos.get(sha256), sha256)  # NotFound: no such photo
        _write_atomically(target, data)
        return data

    def _render(self, photo: bytes, sha256: str) -> bytes:
        try:
            decoded = decode_photo(photo, DecodeLimits(target_long_side=self.box))
        except PhotoRejected as error:
            raise NotFound(f"photo {sha256} can't be shown: {error.message}") from None
        encoded = encode_thumbnail(decoded.pixels, box=self.box, quality=self.quality)
        self.built += 1
        return encoded


def encode_thumbnail(rgb: npt.NDArray[np.uint8], *, box: int = BOX,
                     quality: int = QUALITY) -> bytes:
    """``rgb`` (H, W, 3) shrunk to fit in ``box``×``box`` (never enlarged), as JPEG."""
    height, width = rgb.shape[:2]
    scale = min(1.0, box / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = rgb if size == (width, height) else cv2.resize(rgb, size,
                                                           interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # OpenCV's JPEG encoder refuses nothing a decoded photo can be
        raise RuntimeError(f"OpenCV could not encode a {size[0]}×{size[1]} thumbnail")
    return bytes(encoded.tobytes())


def _write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` by a temporary file in its folder and a rename (no
    fsync: a thumbnail lost in a crash is rebuilt on the next request)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

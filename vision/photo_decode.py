"""Turning uploaded bytes into pixels, safely and no bigger than the detector needs.

Checks run cheapest first: byte size, then the format and pixel count from the header alone
(Pillow reads only the header on ``open``), and only then the decode. Large JPEGs are decoded
at 1/2, 1/4 or 1/8 scale inside the JPEG decoder (``Image.draft``), which is several times
faster than decoding a 12-megapixel photo and shrinking it. EXIF orientation is applied so
"top of the shelf" means the top of the picture.

Problems raise :class:`PhotoRejected` with a stable code from :class:`PhotoProblem`.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from visitproof.errors import InvalidInput

ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "MPO"})


class PhotoProblem(StrEnum):
    """Why a file can't be judged at all (a retake or another file is needed)."""

    EMPTY = "PHOTO_EMPTY"
    TOO_LARGE = "PHOTO_TOO_LARGE"
    TOO_MANY_PIXELS = "PHOTO_TOO_MANY_PIXELS"
    UNSUPPORTED_FORMAT = "PHOTO_UNSUPPORTED_FORMAT"
    TRUNCATED = "PHOTO_TRUNCATED"
    CORRUPT = "PHOTO_CORRUPT"


class PhotoRejected(InvalidInput):
    """The upload is not a photo visitproof can read; ``code`` is a :class:`PhotoProblem`."""

    def __init__(self, problem: PhotoProblem, message: str) -> None:
        super().__init__(message, code=problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Bounds on what is decoded. ``max_pixels`` is checked on the declared size, before
    any pixel is decoded; ``max_full_decode_pixels`` too, for formats that can only be
    decoded at full size (PNG, WebP: a 49-megapixel PNG costs the server ~560 MiB, a JPEG of
    that size a few MiB once drafted); ``target_long_side`` is the smallest long side (px)
    the caller needs, so the decoder may scale down until just above it."""

    max_bytes: int = 40 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_full_decode_pixels: int = 16_000_000
    target_long_side: int | None = 1280


@dataclass(frozen=True, slots=True)
class DecodedPhoto:
    """An RGB image, upright. ``original_size`` is (width, height) as stored in the file
    after orientation; ``scale`` = decoded width / original width (1.0, 0.5, 0.25 or
    0.125 for JPEG draft decoding)."""

    pixels: npt.NDArray[np.uint8]
    format: str
    original_size: tuple[int, int]
    scale: float

    @property
    def size(self) -> tuple[int, int]:
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


def decode_photo(data: bytes, limits: DecodeLimits | None = None) -> DecodedPhoto:
    """Decode ``data`` into an upright (H, W, 3) uint8 RGB array, within ``limits``."""
    limits = limits or DecodeLimits()
    if not data:
        raise PhotoRejected(PhotoProblem.EMPTY, "the photo is empty (0 bytes); take it again")
    if len(data) > limits.max_bytes:
        raise PhotoRejected(
            PhotoProblem.TOO_LARGE,
            f"the photo is {len(data) / 1e6:.1f} MB; at most {limits.max_bytes / 1e6:.0f} MB "
            "is accepted")
    image = _open_header(data, limits)
    with image:
        width, height = image.size
        if width * height > limits.max_pixels:
            raise PhotoRejected(
                PhotoProblem.TOO_MANY_PIXELS,
                f"the photo declares {width}×{height} = {width * height / 1e6:.0f} megapixels; "
                f"at most {limits.max_pixels / 1e6:.0f} are accepted")
        drafts = image.format in ("JPEG", "MPO")
        if not drafts and width * height > limits.max_full_decode_pixels:
            raise PhotoRejected(
                PhotoProblem.TOO_MANY_PIXELS,
                f"{image.format} photos are decoded at full size, so at most "
                f"{limits.max_full_decode_pixels / 1e6:.0f} megapixels are accepted and this "
                f"one has {width * height / 1e6:.0f}; send the camera's JPEG")
        scale = 1.0
        if drafts and limits.target_long_side:
            requested = _draft_size(width, height, limits.target_long_side)
            if requested != (width, height):
                image.draft("RGB", requested)
                scale = image.size[0] / width
        drafted = image.size
        upright = _load_upright(image)
    swapped = drafted[0] != drafted[1] and upright.size == (drafted[1], drafted[0])
    original_size = (height, width) if swapped else (width, height)
    # convert() copies even when the mode is already RGB: only convert what isn't.
    rgb = upright if upright.mode == "RGB" else upright.convert("RGB")
    pixels = np.asarray(rgb, dtype=np.uint8)
    return DecodedPhoto(pixels=pixels, format=str(image.format), original_size=original_size,
                        scale=scale)


def _open_header(data: bytes, limits: DecodeLimits) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on odd metadata
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(PhotoProblem.TOO_MANY_PIXELS,
                            "the file declares an enormous image (a decompression bomb)"
                            ) from None
    except UnidentifiedImageError:
        raise PhotoRejected(PhotoProblem.UNSUPPORTED_FORMAT,
                            "the file is not a JPEG, PNG or WebP photo (HEIC, SVG and other "
                            "formats are not accepted: set the camera to JPEG)") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise PhotoRejected(PhotoProblem.CORRUPT, f"the photo can't be read: {error}") from None
    if image.format not in ACCEPTED_FORMATS:
        image.close()
        raise PhotoRejected(PhotoProblem.UNSUPPORTED_FORMAT,
                            f"{image.format} files are not accepted; send a JPEG, PNG or WebP")
    return image


def _load_upright(image: Image.Image) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Pillow's notes on odd metadata
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(PhotoProblem.TOO_MANY_PIXELS,
                            "the file declares an enormous image (a decompression bomb)"
                            ) from None
    except OSError as error:
        text = str(error)
        problem = PhotoProblem.TRUNCATED if "truncated" in text.lower() else PhotoProblem.CORRUPT
        raise PhotoRejected(problem, f"the photo is damaged ({text}); upload it again") from None
    except (ValueError, SyntaxError, IndexError, TypeError, ZeroDivisionError) as error:
        raise PhotoRejected(PhotoProblem.CORRUPT, f"the photo can't be decoded: {error}") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            # In place: an upright photo (the usual case) isn't copied.
            ImageOps.exif_transpose(image, in_place=True)
            return image
    except (OSError, ValueError, SyntaxError, IndexError, TypeError, KeyError,
            ZeroDivisionError, AttributeError):
        return image  # broken EXIF: keep the pixels as stored; the EXIF check reports it


def _draft_size(width: int, height: int, target_long_side: int) -> tuple[int, int]:
    """The smallest JPEG draft size (1/1, 1/2, 1/4, 1/8) whose long side stays >= target."""
    long_side = max(width, height)
    for divisor in (8, 4, 2):
        if long_side / divisor >= target_long_side:
            return (width + divisor - 1) // divisor, (height + divisor - 1) // divisor
    return width, height

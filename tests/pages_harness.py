"""What the browser tests of the manager pages share: the app served by uvicorn on a free
loopback port (:func:`serve`), and screenshots held against golden images with a tolerance
that survives a Chromium update (:func:`compare_screen`).

Goldens are stored small: the screenshot reduced to a quarter in each direction by area
averaging, in grey levels, as an optimized PNG. A new Chromium moves anti-aliasing and
sub-pixel glyph positions, which the reduction averages away, and may set a line a pixel or
two aside, which the comparison forgives (each pixel is held to its nearest match within
one reduced pixel); a layout change (a panel that collapses, a table that runs off, a
missing bar) moves whole blocks further than that, which it does not forgive.
"""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from fastapi import FastAPI
from PIL import Image, ImageChops

from tests.api_harness import Api

#: Set to 1 to write the screenshots of this run as the new goldens.
UPDATE_GOLDENS = "VISITPROOF_UPDATE_GOLDENS"
#: A folder to keep this run's full-size screenshots in, to look at (optional).
KEEP_SCREENS = "VISITPROOF_SCREENS_DIR"
#: Goldens are the screenshot reduced by this factor in each direction.
REDUCTION = 4


@dataclass(frozen=True, slots=True)
class ScreenTolerance:
    """How far a screenshot may stray from its golden (both reduced, grey levels 0-255):
    heights within ``height_share``, a mean absolute difference of at most ``mean_levels``,
    and at most ``far_share`` of the pixels more than ``far_levels`` apart."""

    height_share: float = 0.04
    mean_levels: float = 6.0
    far_levels: int = 32
    far_share: float = 0.02


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port in a thread; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def reduced(png: bytes) -> Image.Image:
    """A screenshot as it is compared and stored: a quarter the size, grey."""
    image = Image.open(io.BytesIO(png)).convert("L")
    return image.reduce(REDUCTION)


def compare_screen(png: bytes, golden: Path, failures: Path,
                   tolerance: ScreenTolerance = ScreenTolerance()) -> str | None:
    """None when the screenshot ``png`` matches ``golden`` within ``tolerance``, else why,
    naming the actual and difference images written under ``failures``. With
    ``VISITPROOF_UPDATE_GOLDENS=1`` (or no golden yet there) the golden is (re)written and
    the screenshot passes; ``VISITPROOF_SCREENS_DIR`` keeps the full-size one there."""
    keep = os.environ.get(KEEP_SCREENS)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / golden.name).write_bytes(png)
    actual = reduced(png)
    if os.environ.get(UPDATE_GOLDENS) == "1" or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        actual.save(golden, optimize=True)
        return None if os.environ.get(UPDATE_GOLDENS) == "1" else (
            f"no golden yet: wrote {golden}; check it and commit it")
    expected = Image.open(golden).convert("L")
    why = _mismatch(actual, expected, tolerance)
    if why is None:
        return None
    failures.mkdir(parents=True, exist_ok=True)
    actual_path, diff_path = failures / f"{golden.stem}.actual.png", \
        failures / f"{golden.stem}.diff.png"
    actual.save(actual_path)
    ImageChops.difference(actual.resize(expected.size), expected).point(
        lambda level: min(255, level * 4)).save(diff_path)
    return (f"{golden.name}: {why}; actual {actual_path}, difference {diff_path} "
            f"(rerun with {UPDATE_GOLDENS}=1 if the change is meant)")


def _nearest_difference(levels: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per pixel, the smallest difference to ``expected`` with ``levels`` moved by up to one
    reduced pixel (four screen pixels) each way: glyphs and lines a little aside, as after
    a font or Chromium update, are not a difference; a block that moved further is."""
    height, width = expected.shape
    padded = np.pad(levels, 1, mode="edge")
    moved = [padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
             for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
    nearest: np.ndarray = np.min([np.abs(shifted - expected) for shifted in moved], axis=0)
    return nearest


def _mismatch(actual: Image.Image, expected: Image.Image,
              tolerance: ScreenTolerance) -> str | None:
    (width, height), (golden_width, golden_height) = actual.size, expected.size
    if width != golden_width:
        return f"width {width * REDUCTION} px, golden {golden_width * REDUCTION} px"
    if abs(height - golden_height) > tolerance.height_share * golden_height + 1:
        return (f"height {height * REDUCTION} px, golden {golden_height * REDUCTION} px "
                f"(more than {tolerance.height_share:.0%} apart)")
    # A few pixels taller or shorter: a line wrapped elsewhere; compare on one grid.
    levels = np.asarray(actual.resize(expected.size, Image.Resampling.BILINEAR), np.int16)
    difference = _nearest_difference(levels, np.asarray(expected, np.int16))
    mean = float(difference.mean())
    far = float((difference > tolerance.far_levels).mean())
    if mean > tolerance.mean_levels or far > tolerance.far_share:
        return (f"mean difference {mean:.2f} levels (at most {tolerance.mean_levels}), "
                f"{far:.2%} of pixels more than {tolerance.far_levels} levels apart "
                f"(at most {tolerance.far_share:.0%})")
    return None


#: The content type of every manager page, refusals included.
HTML = "text/html; charset=utf-8"


def sign_in(api: Api, who: str) -> None:
    """Sign ``who`` (a key of ``api.tokens``) in to the manager pages: the test client keeps
    the cookie."""
    response = api.client.get("/manager/login", params={"token": api.tokens[who]},
                              follow_redirects=False)
    assert response.status_code == 303


def refused_page(response: Any, status: int, code: str) -> None:
    """``response`` is the HTML error page of ``status`` naming ``code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == HTML
    assert f"<code>{code}</code>" in response.text

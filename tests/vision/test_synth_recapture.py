"""Rendered recaptures: a shelf render shown on a screen or printed, photographed again."""

from __future__ import annotations

import numpy as np
import pytest

from vision.synth.catalogue import build_catalogue
from vision.synth.recapture import RecaptureKind, recapture
from vision.synth.scene import render_scene

CATALOGUE = build_catalogue(0)


@pytest.fixture(scope="module")
def render() -> np.ndarray:
    return render_scene(np.random.default_rng(5), CATALOGUE, (480, 360)).image


@pytest.mark.parametrize("kind", list(RecaptureKind))
def test_recapture_keeps_size_and_type(render: np.ndarray, kind: RecaptureKind) -> None:
    made = recapture(np.random.default_rng(1), render, kind)
    assert made.image.shape == render.shape
    assert made.image.dtype == np.uint8
    assert made.kind is kind
    assert 1.0 <= made.pitch_px <= 5.0
    assert 0.8 <= made.fill <= 1.15
    assert -8 <= made.angle_deg <= 8


@pytest.mark.parametrize("kind", list(RecaptureKind))
def test_recapture_is_seeded(render: np.ndarray, kind: RecaptureKind) -> None:
    first = recapture(np.random.default_rng(3), render, kind).image
    again = recapture(np.random.default_rng(3), render, kind).image
    other = recapture(np.random.default_rng(4), render, kind).image
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("kind", list(RecaptureKind))
def test_recapture_does_not_change_the_render(render: np.ndarray, kind: RecaptureKind) -> None:
    before = render.copy()
    made = recapture(np.random.default_rng(2), render, kind)
    assert np.array_equal(render, before)
    assert np.abs(made.image.astype(int) - render.astype(int)).mean() > 5

"""Which detector and embedder files the service loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from application.settings import DEFAULT_EMBEDDER, MODELS_DIR, Settings, newest_model, pinned_model
from visitproof.errors import InvalidInput


def test_the_service_loads_the_newest_detectors_int8_build_by_default() -> None:
    fp32 = newest_model("shelf-detector")
    assert not fp32.stem.endswith("-int8")
    assert Settings().resolved_detector_model == fp32.with_name(f"{fp32.stem}-int8.onnx")
    assert Settings(detector_precision="fp32").resolved_detector_model == fp32


def test_an_explicit_model_wins_over_the_precision(tmp_path: Path) -> None:
    chosen = tmp_path / "mine.onnx"
    assert Settings(detector_model=chosen).resolved_detector_model == chosen
    assert Settings(embedder_model=chosen).resolved_embedder_model == chosen


def test_the_service_loads_the_pinned_embedders_int8_build_by_default() -> None:
    assert DEFAULT_EMBEDDER == "product-embedder-0.1.0"
    fp32 = MODELS_DIR / f"{DEFAULT_EMBEDDER}.onnx"
    int8 = MODELS_DIR / f"{DEFAULT_EMBEDDER}-int8.onnx"
    assert int8.is_file()
    assert Settings().resolved_embedder_model == int8
    assert Settings(embedder_precision="fp32").resolved_embedder_model == fp32


def test_a_newer_embedder_in_the_folder_is_not_picked_up_until_named(tmp_path: Path) -> None:
    for name in ("product-embedder-0.1.0.onnx", "product-embedder-0.1.0-int8.onnx",
                 "product-embedder-0.2.0.onnx"):
        (tmp_path / name).write_bytes(b"")
    assert newest_model("product-embedder", tmp_path).name == "product-embedder-0.2.0.onnx"
    assert pinned_model("product-embedder-0.1.0", "int8", tmp_path) == (
        tmp_path / "product-embedder-0.1.0-int8.onnx")
    assert pinned_model("product-embedder-0.2.0", "int8", tmp_path) == (
        tmp_path / "product-embedder-0.2.0.onnx")  # no INT8 build: the fp32 one
    assert pinned_model("product-embedder-0.3.0", "int8", tmp_path) is None


def test_an_absent_embedder_version_is_an_error_only_when_asked_for() -> None:
    with pytest.raises(InvalidInput, match=r"product-embedder-9\.9\.9") as error:
        _ = Settings(embedder_version="product-embedder-9.9.9").resolved_embedder_model
    assert error.value.code == "MODEL_MISSING"


@pytest.mark.parametrize("version", ["../product-embedder-0.1.0", "", ".hidden", "a/b"])
def test_an_embedder_version_is_a_plain_model_name(version: str) -> None:
    with pytest.raises(ValueError, match="model name"):
        Settings(embedder_version=version)


def test_versions_compare_as_numbers_and_int8_builds_are_not_versions(tmp_path: Path) -> None:
    for name in ("shelf-detector-0.9.0.onnx", "shelf-detector-0.10.0.onnx",
                 "shelf-detector-0.10.0-int8.onnx", "shelf-detector-0.11.0-int8.onnx"):
        (tmp_path / name).write_bytes(b"")
    assert newest_model("shelf-detector", tmp_path).name == "shelf-detector-0.10.0.onnx"


def test_no_model_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="visitproof train detector") as error:
        newest_model("shelf-detector", tmp_path)
    assert error.value.code == "MODEL_MISSING"

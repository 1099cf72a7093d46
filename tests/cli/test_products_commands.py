"""``visitproof products identify`` as a user runs it: a real process on a real data folder
whose SKUs were registered with ``products add``, the committed embedder by default."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from tests.subprocess_cli import run_visitproof
from tests.vision.photos import encode, textured
from tests.vision.test_product_embedder import tiny_embedder
from vision.synth.catalogue import build_catalogue, reference_shot

visitproof = run_visitproof
SKUS = build_catalogue(0)[:3]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with three SKUs of catalogue 0, one studio reference shot each
    (``ref-<SKU>.png`` beside it)."""
    data_dir = tmp_path_factory.mktemp("var")
    assert visitproof(data_dir, "init").returncode == 0
    for sku in SKUS:
        reference = data_dir / f"ref-{sku.sku}.png"
        cv2.imwrite(str(reference), reference_shot(sku))
        added = visitproof(data_dir, "products", "add", sku.sku, "--name", sku.name,
                           "--ref", str(reference))
        assert added.returncode == 0, added.stderr
    return data_dir


def test_identify_answers_the_closest_skus_as_json(store: Path) -> None:
    sku = SKUS[1].sku
    result = visitproof(store, "products", "identify", str(store / f"ref-{sku}.png"),
                        "--top", "2", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["known"] is True
    assert payload["model_version"] == "product-embedder-0.1.0-int8"
    assert payload["matches"][0]["sku"] == sku
    assert payload["matches"][0]["score"] == 1.0
    assert len(payload["matches"]) == 2
    assert payload["matches"][1]["score"] <= payload["matches"][0]["score"]


def test_identify_prints_a_short_table(store: Path) -> None:
    sku = SKUS[0].sku
    result = visitproof(store, "products", "identify", str(store / f"ref-{sku}.png"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "known (open-set threshold 0.520, product-embedder-0.1.0-int8)"
    assert lines[1].split() == ["rank", "sku", "score"]
    assert lines[2].split() == ["1", sku, "1.000"]
    assert len(lines) == 2 + len(SKUS)  # --top 5, but only three SKUs are registered


def test_a_pack_under_the_models_threshold_is_unknown(store: Path, tmp_path: Path) -> None:
    model = tiny_embedder(tmp_path / "strict.onnx", metadata={
        "model_version": "strict-0.0.1", "open_set_threshold": "0.9999"})
    photo = tmp_path / "other.jpg"
    photo.write_bytes(encode(textured(400, 600, seed=5)))
    result = visitproof(store, "products", "identify", str(photo), "--json",
                        VISITPROOF_EMBEDDER_MODEL=str(model))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["known"] is False
    assert payload["model_version"] == "strict-0.0.1"
    assert len(payload["matches"]) == len(SKUS)


def _write(tmp_path: Path, content: bytes | None) -> Path:
    if content is None:
        return tmp_path / "absent.jpg"
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(("content", "options", "code"), [
    (None, [], "FILE_UNREADABLE"),
    (b"", [], "PHOTO_EMPTY"),
    (b"shelf photo, honest", [], "PHOTO_UNSUPPORTED_FORMAT"),
    (encode(textured())[:3000], [], "PHOTO_TRUNCATED"),
    (encode(textured()), ["--top", "0"], "BAD_TOP"),
])
def test_bad_input_is_a_clear_error_and_prints_no_answer(
        store: Path, tmp_path: Path, content: bytes | None, options: list[str],
        code: str) -> None:
    photo = _write(tmp_path, content)
    result = visitproof(store, "products", "identify", str(photo), "--json", *options)
    assert result.returncode == 2
    assert f"error [{code}]" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_folder_is_not_a_photo(store: Path, tmp_path: Path) -> None:
    result = visitproof(store, "products", "identify", str(tmp_path))
    assert result.returncode == 2
    assert "error [FILE_UNREADABLE]" in result.stderr


@pytest.mark.parametrize(("init", "code", "exit_code"), [
    (True, "GALLERY_EMPTY", 2),
    (False, "STORE_NOT_INITIALISED", 3),
])
def test_nothing_to_identify_against(tmp_path: Path, init: bool, code: str,
                                     exit_code: int) -> None:
    data_dir = tmp_path / "var"
    if init:
        assert visitproof(data_dir, "init").returncode == 0
    photo = _write(tmp_path, encode(textured()))
    result = visitproof(data_dir, "products", "identify", str(photo), "--json")
    assert result.returncode == exit_code
    assert f"error [{code}]" in result.stderr
    assert result.stdout == ""

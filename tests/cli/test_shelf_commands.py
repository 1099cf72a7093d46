"""``visitproof products add|list`` and ``verify-photo`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from application.settings import MODELS_DIR
from tests.subprocess_cli import run_visitproof
from tests.vision.photos import encode, textured
from vision.synth.catalogue import build_catalogue, reference_shot

if not list(MODELS_DIR.glob("shelf-detector-*.onnx")):
    pytest.skip("no committed shelf-detector model", allow_module_level=True)


visitproof = run_visitproof


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("var")
    assert visitproof(data_dir, "init").returncode == 0
    sku = build_catalogue(0)[0]
    reference = data_dir / "ref.png"
    cv2.imwrite(str(reference), reference_shot(sku))
    added = visitproof(data_dir, "products", "add", sku.sku, "--name", sku.name,
                       "--ref", str(reference))
    assert added.returncode == 0, added.stderr
    return data_dir


def test_products_list_shows_the_registered_sku(store: Path) -> None:
    listed = visitproof(store, "products", "list")
    assert listed.returncode == 0
    assert listed.stdout.splitlines()[1].startswith(build_catalogue(0)[0].sku + ",")


def test_a_bad_reference_registers_nothing(store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"nope")
    result = visitproof(store, "products", "add", "SKU-X", "--name", "X", "--ref", str(bad))
    assert result.returncode == 2
    assert "PHOTO_UNSUPPORTED_FORMAT" in result.stderr
    assert "SKU-X" not in visitproof(store, "products", "list").stdout


def test_verify_photo_prints_the_api_shape(store: Path, tmp_path: Path) -> None:
    photo = tmp_path / "shelf.jpg"
    photo.write_bytes(encode(textured(1600, 1200)))
    annotated = tmp_path / "annotated.png"
    result = visitproof(store, "verify-photo", str(photo), "--featured",
                        build_catalogue(0)[0].sku, "--json", "--annotated", str(annotated))
    payload = json.loads(result.stdout)
    assert set(payload) >= {"status", "reasons", "featured", "golden_zone_rows", "detections",
                            "model_version", "policy_version", "timings_ms"}
    assert result.returncode == (0 if payload["status"] == "verified" else 1)
    assert annotated.stat().st_size > 0


@pytest.mark.parametrize(("content", "code"), [
    (b"", "PHOTO_EMPTY"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PHOTO_UNSUPPORTED_FORMAT"),
])
def test_unreadable_files_exit_2_and_still_print_json(store: Path, tmp_path: Path,
                                                      content: bytes, code: str) -> None:
    photo = tmp_path / "upload.jpg"
    photo.write_bytes(content)
    result = visitproof(store, "verify-photo", str(photo), "--json")
    assert result.returncode == 2
    payload = json.loads(result.stdout)
    assert payload["status"] == "rejected"
    assert [r["code"] for r in payload["reasons"]] == [code]


def test_a_bad_policy_file_is_a_clear_error(store: Path, tmp_path: Path) -> None:
    photo = tmp_path / "shelf.jpg"
    photo.write_bytes(encode(textured(800, 600)))
    policy = tmp_path / "policy.json"
    policy.write_text('{"rows_by_shelf_count": {"3": [7]}}')
    result = visitproof(store, "verify-photo", str(photo), "--policy", str(policy))
    assert result.returncode == 2
    assert "BAD_POLICY" in result.stderr

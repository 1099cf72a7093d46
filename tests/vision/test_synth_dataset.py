"""The shelf generator: determinism, label validity, sidecar consistency, sizes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vision.synth.catalogue import SHAPES, build_catalogue
from vision.synth.dataset import DatasetSpec, parse_size, render_one, write_dataset
from vision.synth.labels import CLASS_NAMES, PRODUCT, SHELF, read_yolo
from visitproof.errors import InvalidInput


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    spec = DatasetSpec(count=4, seed=5, size=(320, 320, 0))
    write_dataset(spec, tmp_path / "a")
    write_dataset(spec, tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert len(a) > 4 * 3
    assert a == b


def test_other_seed_other_photos() -> None:
    catalogue = build_catalogue(0)
    first = render_one(DatasetSpec(count=1, seed=1, size=(320, 240)), catalogue, 0)
    second = render_one(DatasetSpec(count=1, seed=2, size=(320, 240)), catalogue, 0)
    assert first[0] != second[0]


def test_catalogue_has_sixty_skus_of_every_shape() -> None:
    catalogue = build_catalogue(0)
    assert len(catalogue) >= 60
    assert len({s.sku for s in catalogue}) == len(catalogue)
    assert len({s.name for s in catalogue}) == len(catalogue)
    assert {s.shape for s in catalogue} == set(SHAPES)


def test_catalogue_refuses_fewer_than_sixty() -> None:
    with pytest.raises(InvalidInput, match="at least 60"):
        build_catalogue(0, count=10)


def test_dataset_layout(small_dataset: Path) -> None:
    assert (small_dataset / "data.yaml").read_text().count("images/") == 2
    assert len(list((small_dataset / "images" / "train").glob("*.jpg"))) == 6
    assert len(list((small_dataset / "images" / "val").glob("*.jpg"))) == 2
    catalogue = json.loads((small_dataset / "catalogue.json").read_text())["skus"]
    references = {p.stem for p in (small_dataset / "references").glob("*.png")}
    assert references == {s["sku"] for s in catalogue}


def _sidecars(root: Path) -> list[tuple[dict[str, object], Path]]:
    pairs = []
    for meta in sorted((root / "meta").rglob("*.json")):
        split = meta.parent.name
        pairs.append((json.loads(meta.read_text()), root / "labels" / split / f"{meta.stem}.txt"))
    return pairs


def test_labels_are_valid_and_match_the_sidecar(small_dataset: Path) -> None:
    for meta, label in _sidecars(small_dataset):
        width, height = int(meta["width"]), int(meta["height"])  # type: ignore[call-overload]
        boxes, classes = read_yolo(label, width, height)
        assert set(classes.tolist()) <= set(range(len(CLASS_NAMES)))
        assert (boxes[:, :2] >= -0.01).all()
        assert (boxes[:, 2] <= width + 0.01).all()
        assert (boxes[:, 3] <= height + 0.01).all()
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        products = meta["products"]
        assert isinstance(products, list)
        sidecar_boxes = np.array([p["box"] for p in products], np.float32).reshape(-1, 4)
        np.testing.assert_allclose(boxes[classes == PRODUCT], sidecar_boxes, atol=0.02)
        shelves = [s for f in meta["fixtures"] for s in f["shelves"]]  # type: ignore[attr-defined]
        assert (classes == SHELF).sum() == len(shelves)


def test_every_product_sits_in_its_labelled_row(small_dataset: Path) -> None:
    checked = 0
    for meta, _ in _sidecars(small_dataset):
        fixtures = {f["index"]: f for f in meta["fixtures"]}  # type: ignore[attr-defined]
        for product in meta["products"]:  # type: ignore[attr-defined]
            fixture = fixtures[product["fixture"]]
            assert 1 <= product["row"] <= fixture["rows"]
            assert product["sku"].startswith("SKU-")
            bands = {s["row"]: s["box"] for s in fixture["shelves"]}
            if product["row"] in bands:
                x0, y0, x1, y1 = bands[product["row"]]
                cx = (product["box"][0] + product["box"][2]) / 2
                cy = (product["box"][1] + product["box"][3]) / 2
                assert x0 - 1 <= cx <= x1 + 1
                assert y0 - 1 <= cy <= y1 + 1
                checked += 1
    assert checked > 20


def test_rows_count_from_the_top(small_dataset: Path) -> None:
    for meta, _ in _sidecars(small_dataset):
        for fixture in meta["fixtures"]:  # type: ignore[attr-defined]
            assert 3 <= fixture["rows"] <= 7
            tops = [s["top_cm"] for s in sorted(fixture["shelves"], key=lambda s: s["row"])]
            assert tops == sorted(tops)


def test_dense_scenes_respect_the_product_cap() -> None:
    catalogue = build_catalogue(0)
    spec = DatasetSpec(count=30, seed=3, size=(640, 480), max_products=60)
    counts = [len(render_one(spec, catalogue, i)[2]["products"]) for i in range(30)]
    assert max(counts) <= 60
    assert max(counts) >= 40  # some scenes really are dense


def test_phone_sized_photo() -> None:
    catalogue = build_catalogue(0)
    jpeg, labels, meta = render_one(DatasetSpec(count=1, seed=9, size=(4000, 3000)), catalogue, 0)
    assert (meta["width"], meta["height"]) == (4000, 3000)
    assert labels.strip()
    assert jpeg[:2] == b"\xff\xd8"


@pytest.mark.parametrize(
    ("text", "expected", "error"),
    [
        ("640x480", (640, 480), None),
        ("640", (640, 640, 0), None),
        ("640-4000", (640, 4000, 0), None),
        ("4000-640", None, "low-high"),
        ("big", None, "must look like"),
    ],
)
def test_parse_size(text: str, expected: tuple[int, ...] | None, error: str | None) -> None:
    if error:
        with pytest.raises(InvalidInput, match=error):
            parse_size(text)
    else:
        assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"count": 0, "seed": 0}, "count"),
        ({"count": 1, "seed": 0, "size": (32, 32)}, "sides"),
        ({"count": 1, "seed": 0, "size": (640, 5000, 0)}, "sides"),
        ({"count": 1, "seed": 0, "val_fraction": 1.0}, "val_fraction"),
    ],
)
def test_spec_rejects_bad_input(kwargs: dict[str, object], error: str) -> None:
    with pytest.raises(InvalidInput, match=error):
        DatasetSpec(**kwargs)  # type: ignore[arg-type]


def test_cli_renders_a_dataset(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from cli import synth as synth_commands

    app = typer.Typer()
    synth_commands.register(app)
    result = CliRunner().invoke(app, ["synth", "shelves", "--n", "2", "--seed", "4", "--out",
                                      str(tmp_path), "--size", "320x240"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "images").rglob("*.jpg"))) == 2
    bad = CliRunner().invoke(app, ["synth", "shelves", "--out", str(tmp_path), "--size", "huge"])
    assert isinstance(bad.exception, InvalidInput)

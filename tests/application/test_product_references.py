"""Registering products and identifying one pack photo against them, on a real SQLite file
and photo folder. Embedders: the committed 0.1.0 INT8 build, and tiny ONNX graphs
(:func:`tests.vision.test_product_embedder.tiny_embedder`) where a model must carry an
open-set threshold or a 160×160 input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from application.product_references import (
    HAND_BUILT_DESCRIPTOR,
    describer_version,
    identify_pack,
    load_gallery,
    register_product,
)
from tests.builders import TENANT
from tests.vision.photos import encode, textured
from tests.vision.test_product_embedder import INT8_MODEL, tiny_embedder
from vision.product_embedder import ProductEmbedder
from vision.product_gallery import EMBEDDER_POLICY, GalleryPolicy, ProductGallery
from visitproof.errors import InvalidInput
from visitproof.records import Product
from visitproof.store import Database, PhotoStore, ReferenceData

COLOURS = {"RED": (230, 20, 20), "GREEN": (20, 200, 40), "BLUE": (30, 40, 220)}


def pack_shot(colour: tuple[int, int, int]) -> bytes:
    """A studio shot: a coloured pack with print on it, on a plain white backdrop (PNG)."""
    image = np.full((300, 200, 3), 245, np.uint8)
    pack = (textured(100, 220, seed=sum(colour)).astype(np.float32) * 0.3
            + np.array(colour, np.float32) * 0.7)
    image[40:260, 50:150] = pack.astype(np.uint8)
    return encode(image, "PNG")


@pytest.fixture
def catalogue(database: Database, tmp_path: Path) -> tuple[list[Product], PhotoStore]:
    """Three SKUs, one reference shot each, registered as ``products add`` does."""
    photos = PhotoStore(tmp_path / "photos")
    products = []
    with database.begin() as connection:
        for sku, colour in COLOURS.items():
            path = tmp_path / f"{sku}.png"
            path.write_bytes(pack_shot(colour))
            products.append(register_product(ReferenceData(connection, TENANT), photos,
                                              sku=sku, name=sku.title(), references=[path]))
    return products, photos


def test_the_gallery_policy_comes_from_the_model_where_it_carries_one(
        catalogue: tuple[list[Product], PhotoStore], tmp_path: Path) -> None:
    products, photos = catalogue
    tuned = ProductEmbedder(tiny_embedder(tmp_path / "tuned.onnx",
                                          metadata={"open_set_threshold": "0.93"}), threads=1)
    assert load_gallery(products, photos, tuned).policy.threshold == 0.93
    assert load_gallery(products, photos, tuned).policy.prefilter == EMBEDDER_POLICY.prefilter
    untuned = ProductEmbedder(INT8_MODEL, threads=1)
    assert load_gallery(products, photos, untuned).policy == EMBEDDER_POLICY
    assert load_gallery(products, photos, None).policy == GalleryPolicy()
    assert describer_version(untuned) == "product-embedder-0.1.0-int8"
    assert describer_version(None) == HAND_BUILT_DESCRIPTOR


@pytest.mark.parametrize("embedder", ["hand-built", "0.1.0-int8", "tiny-160"])
def test_a_reference_shot_identifies_as_its_own_sku_with_score_1(
        catalogue: tuple[list[Product], PhotoStore], tmp_path: Path, embedder: str) -> None:
    products, photos = catalogue
    model = {"hand-built": None,
             "0.1.0-int8": ProductEmbedder(INT8_MODEL, threads=1),
             "tiny-160": ProductEmbedder(tiny_embedder(tmp_path / "tiny.onnx"), threads=1),
             }[embedder]
    gallery = load_gallery(products, photos, model)
    answer = identify_pack(pack_shot(COLOURS["GREEN"]), gallery, describer_version(model),
                           top=2)
    assert answer.known
    assert answer.matches[0].sku == "GREEN"
    # The hand-built descriptor runs one Sobel over a batch's crops stacked, so the rows
    # where the references meet nudge their gradients (vision.product_features): ~0.998.
    assert answer.matches[0].similarity == pytest.approx(
        1.0, abs=0.005 if model is None else 1e-5)
    payload = answer.as_json()
    assert set(payload) == {"matches", "known", "model_version"}
    assert len(payload["matches"]) == 2  # type: ignore[arg-type]
    scores = [m["score"] for m in payload["matches"]]  # type: ignore[attr-defined]
    assert scores == sorted(scores, reverse=True)
    assert all(round(s, 3) == s for s in scores)


def test_an_unregistered_pack_is_unknown(catalogue: tuple[list[Product], PhotoStore],
                                         tmp_path: Path) -> None:
    products, photos = catalogue
    tuned = ProductEmbedder(tiny_embedder(tmp_path / "tuned.onnx",
                                          metadata={"open_set_threshold": "0.99"}), threads=1)
    answer = identify_pack(pack_shot((200, 200, 30)), load_gallery(products, photos, tuned),
                           "tiny")
    assert not answer.known
    assert [m.sku for m in answer.matches] == ["GREEN", "RED", "BLUE"]


@pytest.mark.parametrize(
    ("data", "top", "empty", "code"),
    [
        (b"", 5, False, "PHOTO_EMPTY"),
        (b"%PDF-1.4 not a photo", 5, False, "PHOTO_UNSUPPORTED_FORMAT"),
        (encode(textured())[:3000], 5, False, "PHOTO_TRUNCATED"),
        (encode(textured()), 0, False, "BAD_TOP"),
        (encode(textured()), 5, True, "GALLERY_EMPTY"),
    ],
)
def test_what_cannot_be_identified_is_invalid_input(
        catalogue: tuple[list[Product], PhotoStore], data: bytes, top: int, empty: bool,
        code: str) -> None:
    products, photos = catalogue
    gallery = ProductGallery({}) if empty else load_gallery(products, photos)
    with pytest.raises(InvalidInput) as error:
        identify_pack(data, gallery, HAND_BUILT_DESCRIPTOR, top=top, source="upload.jpg")
    assert error.value.code == code

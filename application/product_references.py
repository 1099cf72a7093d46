"""Products and their reference photos: registering a SKU, building the gallery the shelf
check identifies packs against, and identifying one pack photo against it (``visitproof
products identify``). The bridge between the store and ``vision/``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vision.photo_decode import DecodeLimits, PhotoRejected, decode_photo
from vision.product_embedder import ProductEmbedder, trim_reference
from vision.product_gallery import (
    EMBEDDER_POLICY,
    MAX_REFERENCES,
    GalleryPolicy,
    Match,
    ProductGallery,
)
from visitproof.errors import InvalidInput, InvalidValue
from visitproof.records import Product
from visitproof.store import PhotoStore, ReferenceData

Image = npt.NDArray[np.uint8]

_REFERENCE_LIMITS = DecodeLimits(max_bytes=20 * 1024 * 1024, target_long_side=512)
HAND_BUILT_DESCRIPTOR = "product-descriptors-hand-built"
"""What ``model_version`` says when no embedder is loaded (:mod:`vision.product_features`)."""


def register_product(reference: ReferenceData, photos: PhotoStore, *, sku: str, name: str,
                     references: Sequence[Path], brand: str | None = None) -> Product:
    """Store 1-5 reference photos and upsert the SKU; the gallery sees it on next load.
    Every reference is decoded first, so an unreadable file registers nothing."""
    if not 1 <= len(references) <= MAX_REFERENCES:
        raise InvalidValue("ref", f"give 1 to {MAX_REFERENCES} reference photos, got "
                           f"{len(references)}", code="BAD_REFERENCES")
    contents = []
    for path in references:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise InvalidValue("ref", f"can't read {path}: {error.strerror}",
                               code="FILE_UNREADABLE") from None
        try:
            decode_photo(data, _REFERENCE_LIMITS)
        except PhotoRejected as rejected:
            raise InvalidValue("ref", f"{path}: {rejected.message}",
                               code=rejected.code) from None
        contents.append(data)
    digests = tuple(photos.put(data) for data in contents)
    product = Product(tenant_id=reference.tenant_id, sku=sku, name=name, brand=brand,
                      reference_sha256=digests)
    reference.put_products([product])
    return product


def reference_images(products: Sequence[Product], photos: PhotoStore) -> dict[str, list[Image]]:
    """SKU -> its reference photos (RGB, decoded as registered), for every product that
    has any."""
    references: dict[str, list[Image]] = {}
    for product in products:
        images = [decode_photo(photos.get(digest), _REFERENCE_LIMITS).pixels
                  for digest in product.reference_sha256]
        if images:
            references[product.sku] = images
    return references


def load_gallery(products: Sequence[Product], photos: PhotoStore,
                 embedder: ProductEmbedder | None = None) -> ProductGallery:
    """A gallery of every product that has reference photos, matched with the learned
    ``embedder`` when there is one, else the hand-built descriptor. An embedder's policy
    is :data:`~vision.product_gallery.EMBEDDER_POLICY` with the open-set threshold the
    model carries in its metadata, where it carries one (0.2.0 on; 0.1.0 has none)."""
    references = reference_images(products, photos)
    if embedder is None:
        return ProductGallery(references, GalleryPolicy())
    policy = EMBEDDER_POLICY if embedder.open_set_threshold is None else replace(
        EMBEDDER_POLICY, threshold=embedder.open_set_threshold)
    return ProductGallery(references, policy, describe=embedder.embed,
                          describe_size=embedder.input_size)


def load_embedder(path: Path | None, threads: int = 2) -> ProductEmbedder | None:
    """The product embedder at ``path``, or None for none (identification then uses the
    hand-built descriptor). ``Settings.resolved_embedder_model`` says which file."""
    return None if path is None else ProductEmbedder(path, threads=threads)


def describer_version(embedder: ProductEmbedder | None) -> str:
    """The ``model_version`` a gallery built with ``embedder`` answers with."""
    return HAND_BUILT_DESCRIPTOR if embedder is None else embedder.model_version


@dataclass(frozen=True, slots=True)
class PackIdentification:
    """The closest registered SKUs of one pack photo, most similar first; ``known`` says
    whether the best passes the gallery's open-set policy (its ``threshold``)."""

    matches: tuple[Match, ...]
    known: bool
    model_version: str
    threshold: float

    def as_json(self) -> dict[str, object]:
        """``{"matches": [{"sku", "score"}], "known", "model_version"}``, scores to 3
        decimals."""
        return {"matches": [{"sku": m.sku, "score": round(m.similarity, 3)}
                            for m in self.matches],
                "known": self.known, "model_version": self.model_version}


def pack_pixels(data: bytes, source: str = "photo") -> Image:
    """A photo of one pack as the gallery compares it: decoded within the limits references
    are, then trimmed to the pack as references are (a plain backdrop is cut away; a photo
    with no plain margin is kept whole), so a photo identified against itself as a
    reference matches at a cosine of 1. Raises :class:`InvalidValue` (field ``photo``, the
    :class:`~vision.photo_decode.PhotoProblem` code) for what can't be decoded."""
    try:
        pixels = decode_photo(data, _REFERENCE_LIMITS).pixels
    except PhotoRejected as rejected:
        raise InvalidValue("photo", f"{source}: {rejected.message}",
                           code=rejected.code) from None
    return trim_reference(pixels)


def identify_pack(data: bytes, gallery: ProductGallery, model_version: str, *, top: int = 5,
                  source: str = "photo") -> PackIdentification:
    """Identify the photo ``data`` as one pack against every SKU of ``gallery`` (no colour
    prefilter): the ``top`` closest, best reference per SKU. ``source`` names the photo in
    messages. An empty gallery or ``top`` < 1 is :class:`InvalidInput`."""
    if top < 1:
        raise InvalidValue("top", f"must be at least 1, got {top}", code="BAD_TOP")
    pixels = pack_pixels(data, source)
    if len(gallery) == 0:
        raise InvalidInput("no product has reference photos yet; register one with "
                           "`visitproof products add SKU --name NAME --ref IMG`",
                           code="GALLERY_EMPTY")
    (ranking,) = gallery.rank([pixels], top=top)
    return PackIdentification(ranking.matches, ranking.known, model_version,
                              gallery.policy.threshold)

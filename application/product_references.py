"""Products and their reference photos: registering a SKU, and building the gallery the
shelf check identifies packs against. The bridge between the store and ``vision/``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from vision.photo_decode import DecodeLimits, PhotoRejected, decode_photo
from vision.product_embedder import ProductEmbedder
from vision.product_gallery import (
    EMBEDDER_POLICY,
    MAX_REFERENCES,
    GalleryPolicy,
    ProductGallery,
)
from visitproof.errors import InvalidValue
from visitproof.records import Product
from visitproof.store import PhotoStore, ReferenceData

_REFERENCE_LIMITS = DecodeLimits(max_bytes=20 * 1024 * 1024, target_long_side=512)


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


def load_gallery(products: Sequence[Product], photos: PhotoStore,
                 embedder: ProductEmbedder | None = None) -> ProductGallery:
    """A gallery of every product that has reference photos, matched with the learned
    ``embedder`` when there is one (and its open-set policy), else the hand-built
    descriptor."""
    references: dict[str, list[npt.NDArray[np.uint8]]] = {}
    for product in products:
        images = [decode_photo(photos.get(digest), _REFERENCE_LIMITS).pixels
                  for digest in product.reference_sha256]
        if images:
            references[product.sku] = images
    if embedder is None:
        return ProductGallery(references, GalleryPolicy())
    return ProductGallery(references, EMBEDDER_POLICY, describe=embedder.embed)


def load_embedder(path: Path | None, threads: int = 2) -> ProductEmbedder | None:
    """The product embedder at ``path``, or None for none (identification then uses the
    hand-built descriptor). ``Settings.resolved_embedder_model`` says which file."""
    return None if path is None else ProductEmbedder(path, threads=threads)

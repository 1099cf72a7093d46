"""``visitproof verify-photo``: the shelf check by hand (products: :mod:`cli.products`).

``verify-photo`` prints the same JSON object the upload endpoint returns for the shelf part.
Exit codes: 0 verified, 1 rejected or needs review, 2 a file that can't be read at all (the
JSON still says why, with ``--json``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import cv2
import typer

from application.product_references import load_embedder, load_gallery
from application.settings import Settings
from cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    settings_for,
)
from vision.annotation import annotate
from vision.detector import DetectorConfig, ShelfDetector
from vision.golden_zone import policy_from_mapping
from vision.photo_decode import DecodeLimits, decode_photo
from vision.product_gallery import ProductGallery
from vision.shelf_verification import ShelfPolicies, verify_shelf_photo
from visitproof.errors import InvalidInput, StoreNotInitialised
from visitproof.records import CheckinStatus
from visitproof.store import PhotoStore, ReferenceData


def register(app: typer.Typer) -> None:
    app.command("verify-photo")(verify_photo)


def verify_photo(
    photo: Annotated[Path, typer.Argument(help="Shelf photo (JPEG, PNG or WebP).")],
    featured: Annotated[list[str] | None, typer.Option(
        "--featured", help="A featured SKU (repeat for several).")] = None,
    policy: Annotated[Path | None, typer.Option(
        help="Golden-zone policy (JSON) for this fixture type.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    annotated: Annotated[Path | None, typer.Option(
        help="Write the annotated photo here (.png or .jpg).")] = None,
    model: Annotated[Path | None, typer.Option(help="ONNX detector (default: newest in "
                                               "models/).")] = None,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Check that the featured products sit in the shelf's golden zone."""
    settings = settings_for(data_dir, tenant)
    policies = ShelfPolicies()
    if policy is not None:
        policies = ShelfPolicies(golden_zone=policy_from_mapping(_read_json(policy)))
    detector = ShelfDetector(model or settings.resolved_detector_model,
                             DetectorConfig(threads=settings.detector_threads))
    gallery = _gallery(settings)
    try:
        data = photo.read_bytes()
    except OSError as error:
        raise InvalidInput(f"can't read {photo}: {error.strerror}",
                           code="FILE_UNREADABLE") from None
    verdict = verify_shelf_photo(data, detector=detector, gallery=gallery,
                                 featured=featured or [], policies=policies)
    if as_json:
        typer.echo(json.dumps(verdict.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_summary(verdict.as_json())
    if annotated is not None and not verdict.unreadable:
        pixels = decode_photo(data, DecodeLimits(target_long_side=1600)).pixels
        image = annotate(pixels, verdict)
        if not cv2.imwrite(str(annotated), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise InvalidInput(f"can't write {annotated} (use .png or .jpg)",
                               code="FILE_UNWRITABLE")
    if verdict.unreadable:
        sys.exit(2)
    if verdict.status is not CheckinStatus.VERIFIED:
        sys.exit(1)


def _gallery(settings: Settings) -> ProductGallery:
    try:
        with current_store(settings) as database, database.connect() as connection:
            products = ReferenceData(connection, settings.tenant).products()
    except StoreNotInitialised:
        return ProductGallery({})
    embedder = load_embedder(settings.resolved_embedder_model,
                             threads=settings.detector_threads)
    return load_gallery(products, PhotoStore(settings.photos_dir), embedder)


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"can't read policy {path}: {error}", code="BAD_POLICY") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"policy {path} must be a JSON object", code="BAD_POLICY")
    return data


def _print_summary(result: dict[str, object]) -> None:
    typer.echo(f"status: {result['status']}")
    for item in result["reasons"]:  # type: ignore[attr-defined]
        typer.echo(f"  {item['code']}: {item['message']}")
    for item in result["featured"]:  # type: ignore[attr-defined]
        typer.echo(f"  {item['sku']}: {item['facings_in_zone']} in zone, "
                   f"{item['facings_elsewhere']} elsewhere, rows {item['rows']}")
    typer.echo(f"  golden-zone rows: {result['golden_zone_rows']}; "
               f"model {result['model_version']}; policy {result['policy_version']}")

"""``visitproof products add|list|identify``: featured products and their reference photos.

``identify`` treats a whole photo as one pack and answers from the data folder's gallery,
so identification can be checked on real photos without a shelf around them. It exits 0
with an answer (``known`` true or false); bad input (an unreadable or undecodable file, no
registered product, ``--top`` below 1) exits 2 with ``error [CODE]: message`` on stderr
and nothing on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from application.product_references import (
    PackIdentification,
    describer_version,
    identify_pack,
    load_embedder,
    load_gallery,
    register_product,
)
from cli.options import DataDirOption, TenantOption, current_store, settings_for
from visitproof.errors import InvalidValue
from visitproof.store import PhotoStore, ReferenceData

products_app = typer.Typer(help="Featured products and their reference photos.",
                           no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(products_app, name="products")


@products_app.command("add")
def add_product(
    sku: Annotated[str, typer.Argument(help="The SKU code.")],
    name: Annotated[str, typer.Option(help="Product name.")],
    ref: Annotated[list[Path], typer.Option(help="Reference photo (1 to 5; repeat).")],
    brand: Annotated[str | None, typer.Option(help="Brand.")] = None,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Register a SKU from 1-5 reference photos; it is recognised at once."""
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.begin() as connection:
        product = register_product(ReferenceData(connection, settings.tenant),
                                   PhotoStore(settings.photos_dir), sku=sku, name=name,
                                   references=ref, brand=brand)
    typer.echo(f"registered {product.sku} ({product.name}) with "
               f"{len(product.reference_sha256)} reference photo(s)")


@products_app.command("list")
def list_products(data_dir: DataDirOption = None, tenant: TenantOption = None) -> None:
    """List registered SKUs."""
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.connect() as connection:
        products = ReferenceData(connection, settings.tenant).products()
    typer.echo("sku,name,brand,references")
    for product in products:
        typer.echo(f"{product.sku},{product.name},{product.brand or ''},"
                   f"{len(product.reference_sha256)}")


@products_app.command("identify")
def identify(
    photo: Annotated[Path, typer.Argument(help="Photo of one pack (JPEG, PNG or WebP).")],
    top: Annotated[int, typer.Option(help="How many SKUs to list, closest first.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Identify the whole photo as one pack against every registered SKU."""
    if top < 1:
        raise InvalidValue("top", f"must be at least 1, got {top}", code="BAD_TOP")
    try:
        data = photo.read_bytes()
    except OSError as error:
        raise InvalidValue("photo", f"can't read {photo}: {error.strerror}",
                           code="FILE_UNREADABLE") from None
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.connect() as connection:
        products = ReferenceData(connection, settings.tenant).products()
    embedder = load_embedder(settings.resolved_embedder_model,
                             threads=settings.detector_threads)
    gallery = load_gallery(products, PhotoStore(settings.photos_dir), embedder)
    answer = identify_pack(data, gallery, describer_version(embedder), top=top,
                           source=str(photo))
    if as_json:
        typer.echo(json.dumps(answer.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_table(answer)


def _print_table(answer: PackIdentification) -> None:
    verdict = "known" if answer.known else "unknown"
    typer.echo(f"{verdict} (open-set threshold {answer.threshold:.3f}, "
               f"{answer.model_version})")
    width = max(len("sku"), *(len(m.sku) for m in answer.matches))
    typer.echo(f"{'rank':>4}  {'sku':<{width}}  score")
    for rank, match in enumerate(answer.matches, start=1):
        typer.echo(f"{rank:>4}  {match.sku:<{width}}  {match.similarity:.3f}")

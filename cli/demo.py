"""``visitproof demo``: what ``make run`` prints so a new user can try the running service.

    visitproof demo photo var/demo/shelf.jpg     # a rendered shelf photo to upload
    visitproof demo banner                       # tokens for a demo rep, manager, director
    visitproof demo meta --rep R                 # a fresh check-in meta for rep R, as JSON

The meta is made for "now" (departed a minute ago, photo and fix inside the visit), at one of
the rep's own customers, so an upload with it is judged like a real one; its id is new every
time (a second upload of the same meta is a retry and answers the stored verdict).
"""

from __future__ import annotations

import json
import math
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    settings_for,
)
from visitproof.errors import NotFound
from visitproof.records import Customer, Rep
from visitproof.store import Database, ReferenceData
from visitproof.values import utc_now

demo_app = typer.Typer(help="Try the running service: demo tokens, photo and meta.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(demo_app, name="demo")


@demo_app.command("photo")
def photo(
    out: Annotated[Path, typer.Argument(help="Where to write the JPEG.")],
    seed: Annotated[int, typer.Option(help="Scene seed (2 renders a shelf that passes).")] = 2,
    size: Annotated[str, typer.Option(help="W x H in pixels.")] = "2000x1500",
    feature: Annotated[int, typer.Option(
        help="Register the photo's N most-faced SKUs as the tenant's products.")] = 0,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Render one shelf photo (the training generator's scenes, a new seed); with
    ``--feature N``, register its N most-faced SKUs, reference shots included."""
    import cv2

    from application.product_references import register_product
    from vision.synth.catalogue import build_catalogue, reference_shot
    from vision.synth.dataset import DatasetSpec, parse_size, render_one
    from visitproof.store import PhotoStore

    spec = DatasetSpec(count=1, seed=seed, size=parse_size(size))
    catalogue = build_catalogue(spec.catalogue_seed, spec.catalogue_size)
    data, _, sidecar = render_one(spec, catalogue, 0)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    typer.echo(str(out))
    if feature <= 0:
        return
    facings = Counter(str(p["sku"]) for p in sidecar["products"])
    skus = {sku.sku: sku for sku in catalogue}
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.begin() as connection:
        reference_data = ReferenceData(connection, settings.tenant)
        for code, _ in facings.most_common(feature):
            ok, png = cv2.imencode(".png", reference_shot(skus[code]))
            reference = out.parent / f"{code}.png"
            reference.write_bytes(png.tobytes() if ok else b"")
            product = register_product(reference_data, PhotoStore(settings.photos_dir),
                                       sku=code, name=skus[code].name, references=[reference])
            typer.echo(f"featured {product.sku} ({product.name})")


@demo_app.command("meta")
def meta(
    rep: Annotated[str | None, typer.Option(
        help="Rep id (default: the first active rep with customers).")] = None,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Print a check-in meta JSON for a visit that ended a minute ago."""
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database:
        _, customer = _rep_and_customer(database, settings.tenant, rep)
    now = utc_now().replace(microsecond=0)
    departed = now - timedelta(minutes=1)
    typer.echo(json.dumps({
        "id": str(uuid.uuid4()),
        "customer_id": customer.id,
        "arrived_at": stamp(departed - timedelta(minutes=25)),
        "departed_at": stamp(departed),
        "photo_captured_at": stamp(departed - timedelta(minutes=5)),
        # A few metres off the registered point, like a real fix (an exact hit is suspect).
        "fix": {"lat": round(customer.location.lat + 9.0 / 111_320, 7),
                "lon": round(customer.location.lon + 6.0 / (111_320 * math.cos(
                    math.radians(customer.location.lat))), 7),
                "accuracy_m": 12.0, "fix_time": stamp(departed - timedelta(minutes=4)),
                "provider": "fused"},
        "commitment": {"text": "agrees to a second facing of the featured SKU in the "
                               "eye-level row"},
        "next_action": {"text": f"call {customer.name} to confirm the order",
                        "due_at": stamp(now + timedelta(days=3)), "kind": "call"},
    }))


@demo_app.command("banner")
def banner(
    host: Annotated[str, typer.Option(help="Where the service will listen.")] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Create demo tokens (rep, their manager, a director) and print how to use them."""
    from serving.auth import Role, issue_token

    settings = settings_for(data_dir, tenant)
    tenant_id = settings.tenant
    with current_store(settings) as database:
        rep, _ = _rep_and_customer(database, tenant_id, None)
        rep_token = issue_token(database, tenant_id=tenant_id, user_id=rep.id, role=Role.REP)
        manager_token = issue_token(database, tenant_id=tenant_id, user_id="demo-manager",
                                    role=Role.MANAGER, team_id=rep.team_id or "none")
        director_token = issue_token(database, tenant_id=tenant_id, user_id="demo-director",
                                     role=Role.DIRECTOR)
    base = f"http://{host}:{port}"
    lines = [
        "",
        f"visitproof is starting at {base} (tenant {tenant_id!r}); Ctrl-C stops it.",
        f"  API docs       {base}/docs",
        f"  manager pages  {base}/manager/login?token={manager_token}",
        f"  director pages {base}/manager/login?token={director_token}",
        f"  rep pages      {base}/rep/login?token={rep_token}  (visit pack, visit note)",
        f"  health         {base}/readyz",
        "",
        f"Demo rep {rep.id} ({rep.name}), token (shown once):",
        f"  export TOKEN={rep_token}",
        "Upload a check-in from another terminal:",
        f"  curl -s -H \"Authorization: Bearer $TOKEN\" -F photo=@{settings.data_dir}/demo/"
        "shelf.jpg \\",
        f"       -F \"meta=$(VISITPROOF_TENANT={tenant_id} .venv/bin/visitproof demo meta "
        f"--rep {rep.id})\" {base}/v1/checkins",
        "",
    ]
    typer.echo("\n".join(lines))


def stamp(instant: datetime) -> str:
    """``2026-11-27T08:15:00Z``: how a phone sends a UTC instant."""
    return instant.isoformat().replace("+00:00", "Z")


def _rep_and_customer(database: Database, tenant_id: str,
                      rep_id: str | None) -> tuple[Rep, Customer]:
    with database.connect() as connection:
        reference = ReferenceData(connection, tenant_id)
        reference.require_tenant()
        reps = {rep.id: rep for rep in reference.reps() if rep.active}
        customers = reference.customers()
    for customer in customers:
        for assigned in customer.assigned_rep_ids:
            if assigned in reps and rep_id in (None, assigned):
                return reps[assigned], customer
    wanted = f"rep {rep_id!r}" if rep_id else "an active rep"
    raise NotFound(f"no customer assigned to {wanted} in tenant {tenant_id!r}; run "
                   "`visitproof simulate` or import reps and customers first")

"""``visitproof init``, ``import`` and ``export``: the store and its reference data."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from application.file_export import write_csv
from application.file_import import KINDS, REFERENCE_KINDS, read_import_file
from application.signing_keys import SigningKeys
from cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    settings_for,
)
from visitproof.records import Contact, Customer, Lead, Rep, Tenant
from visitproof.store import Commerce, PhotoStore, Store, open_database
from visitproof.values import utc_now

KindArgument = Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.",
                                             show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("import")(import_file)
    app.command("export")(export)


def init(
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
    name: Annotated[str | None, typer.Option(help="Tenant display name.")] = None,
) -> None:
    """Create the store in the data folder, or migrate it to the current schema; create the
    evidence archive's signing key when absent ($VISITPROOF_SIGNING_KEY, default
    DATA_DIR/../keys/visitproof-signing.pem)."""
    settings = settings_for(data_dir, tenant)
    keys = SigningKeys(settings.signing_key_path)  # refused inside data_dir, before anything
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(settings.resolved_database_url,
                             busy_timeout_s=settings.db_busy_timeout_s, create_dir=True)
    database.migrate()
    PhotoStore(settings.photos_dir).root.mkdir(parents=True, exist_ok=True)
    with database.begin() as connection:
        reference = Store(connection, settings.tenant).reference
        if reference.tenant() is None:
            reference.put_tenant(Tenant(id=settings.tenant, name=name or settings.tenant,
                                        timezone=settings.timezone, created_at=utc_now()))
    typer.echo(f"store ready at {settings.resolved_database_url} "
               f"(schema {database.current_revision()}, tenant {settings.tenant})")
    if keys.ensure():
        typer.echo(f"signing key created at {keys.path} (keep it out of backups of the data)")
    keys.publish(settings.archive_dir)
    database.dispose()


def import_file(
    kind: KindArgument,
    file: Annotated[Path, typer.Argument(help="CSV with a header row, or GeoJSON.")],
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Import customers, reps, leads, contacts, teams, orders, stock (counts) or promotions. A
    file with any bad row imports nothing and lists every problem (line, field, reason)."""
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.begin() as connection:
        store = Store(connection, settings.tenant)
        reference = store.reference
        reference.require_tenant()
        batch = read_import_file(
            file, kind, tenant_id=settings.tenant,
            known_reps=reference.ids("reps"), known_customers=reference.ids("customers"),
            known_regions={team.region for team in reference.teams() if team.region})
        reference.put_territories(batch.territories)
        commerce = Commerce(connection, settings.tenant)
        put = {"customers": reference.put_customers, "reps": reference.put_reps,
               "leads": store.crm.put_leads, "contacts": store.crm.put_contacts,
               "teams": reference.put_teams, "orders": commerce.put_orders,
               "stock": commerce.put_stock_levels,
               "promotions": commerce.put_promotions}[kind]
        count = put(batch.records)  # type: ignore[operator]
    typer.echo(f"imported {count} {kind} from {file}"
               + (f" and {len(batch.territories)} territories" if batch.territories else ""))


def export(kind: KindArgument, data_dir: DataDirOption = None,
           tenant: TenantOption = None) -> None:
    """Write customers, reps, leads or contacts to standard output as CSV."""
    settings = settings_for(data_dir, tenant)
    if kind not in REFERENCE_KINDS:
        raise typer.BadParameter(f"expected one of: {', '.join(REFERENCE_KINDS)}",
                                 param_hint="KIND")
    with current_store(settings) as database, database.connect() as connection:
        store = Store(connection, settings.tenant)
        records: list[Customer | Rep | Lead | Contact] = {
            "customers": store.reference.customers, "reps": store.reference.reps,
            "leads": store.crm.leads, "contacts": store.crm.contacts}[kind]()  # type: ignore[assignment]
    write_csv(kind, records, sys.stdout)


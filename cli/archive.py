"""``visitproof verify-archive``, ``archive backfill`` and ``keys rotate``: the evidence archive.

    visitproof verify-archive 3f6c...-uuid          # a stored check-in, against the store
    visitproof verify-archive exported/3f6c.../     # an exported folder or a manifest.jsonl
    visitproof archive backfill                     # archive every stored check-in
    visitproof keys rotate                          # a new signing key; old entries verify

``verify-archive`` prints one row per check (OK, FAIL with its ``ARCHIVE_*`` codes, or
SKIPPED) and exits 0 when photo, watermark, manifest and store agree, 1 when it found
tampering, 2 for bad input (an unknown check-in id, an unreadable file). ``--json`` prints
the report as JSON. (:mod:`application.archive_check`.)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from application.archive_check import ArchiveReport, check_folder, check_stored
from application.evidence_archive import EvidenceArchive, backfill
from application.signing_keys import PUBLIC_KEYS, SigningKeys, read_public_keys
from cli.options import DataDirOption, TenantOption, current_store, settings_for
from visitproof.errors import InvalidValue

TargetArgument = Annotated[str, typer.Argument(
    help="A check-in id, or an exported archive folder / manifest.jsonl.",
    show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("verify-archive")(verify_archive)
    archive = typer.Typer(help="The evidence archive: watermarked copies, signed manifests.",
                          no_args_is_help=True)
    archive.command("backfill")(backfill_command)
    app.add_typer(archive, name="archive")
    keys = typer.Typer(help="The archive's signing keys.", no_args_is_help=True)
    keys.command("rotate")(rotate_command)
    app.add_typer(keys, name="keys")


def verify_archive(
    target: TargetArgument,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    keys_file: Annotated[Path | None, typer.Option(
        "--keys", help="A public-keys.json to trust as well (an exported folder's own "
        "list is not trusted unless named here).", show_default=False)] = None,
) -> None:
    """Say whether a check-in's photo, watermarked copy, signed manifest and stored record
    agree (exit 0), or what was tampered with (exit 1, a code per kind)."""
    settings = settings_for(data_dir, tenant)
    path = Path(target)
    if path.exists():
        keys = {**read_public_keys(settings.archive_dir / PUBLIC_KEYS),
                **SigningKeys(settings.signing_key_path).public_keys(),
                **(read_public_keys(keys_file) if keys_file is not None else {})}
        report = check_folder(path, keys)
    else:
        checkin_id = _checkin_id(target)
        archive = EvidenceArchive.of(settings)
        with current_store(settings) as database:
            report = check_stored(archive, database, settings.tenant, checkin_id)
    _print(report, as_json)
    if not report.agrees:
        raise typer.Exit(1)


def backfill_command(data_dir: DataDirOption = None, tenant: TenantOption = None) -> None:
    """Archive every stored check-in of the tenant that the archive lacks (the watermarked
    copy, the capture entry, each verification); what is archived already is skipped."""
    settings = settings_for(data_dir, tenant)
    archive = EvidenceArchive.of(settings)
    archive.keys.ensure()
    started = time.perf_counter()
    with current_store(settings) as database:
        seen, appended = backfill(archive, database, settings.tenant)
    typer.echo(f"archived {seen} check-ins of tenant {settings.tenant}: {appended} entries "
               f"appended in {time.perf_counter() - started:.1f} s")


def rotate_command(data_dir: DataDirOption = None) -> None:
    """Make a new signing key; entries signed by the old one stay verifiable (its public
    key is kept in public-keys.json, beside the key and under DATA_DIR/archive/)."""
    settings = settings_for(data_dir)
    keys = SigningKeys(settings.signing_key_path)
    new = keys.rotate()
    keys.publish(settings.archive_dir)
    typer.echo(f"signing key {new} is now current at {keys.path}")


def _checkin_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidValue("TARGET", f"{text!r} is neither a check-in id (a UUID) nor an "
                           "existing file or folder", code="BAD_IDENTIFIER") from None


def _print(report: ArchiveReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    typer.echo(f"archive of {report.target}: {report.entries} entries"
               + (f", manifest sha256 {report.manifest_sha256}" if report.manifest_sha256
                  else ""))
    for check in report.checks:
        typer.echo(f"  {check.name:<14} {check.status:<8}{check.note}")
        for finding in check.findings:
            typer.echo(f"      {finding.code.value}: {finding.detail}")
    typer.echo("all agree" if report.agrees else
               f"TAMPERING FOUND: {', '.join(report.codes)}")

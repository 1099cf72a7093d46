"""``visitproof reverify``: judge stored check-ins again after a model or rules change.

    visitproof reverify --since 2026-11-01 --until 2026-11-30 --rules 4
    visitproof reverify --since 2026-11-01 --until 2026-11-30 --model models/new.onnx \\
        --ray-address auto

Prints a progress bar, then the flip report as a table; writes it as ``flips.json`` and
``flips.csv`` under ``DATA_DIR/reverify/RUN_ID/``. Running the same command again resumes
an interrupted run. ``--dry-run`` prints the same flip report and writes nothing at all: no
verification, no status change, no resume state, no report file (``--json`` prints the
report as JSON instead of tables, with ``"dry_run": true``). What is stored, and that
check-in statuses move to the new verdicts, is described in :mod:`application.reverify`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, TextIO
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from application.reports import tenant_timezone
from application.settings import Settings
from cli.options import DataDirOption, TenantOption, current_store, settings_for
from visitproof.errors import InvalidValue

MISSING_SHOWN = 10
"""Check-ins with a missing photo listed one by one; the rest are counted (all are in the
report)."""

DRY_RUN_NOTE = ("nothing was stored: no verification written, no status changed, no resume "
                "state, no report file; the flips below are what a real run would make")


def register(app: typer.Typer) -> None:
    app.command("reverify")(reverify_command)


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(option, f"expected a date YYYY-MM-DD, got {value!r}",
                           code="BAD_DATE") from None


def reverify_command(
    since: Annotated[str, typer.Option("--since", help="First departure day (YYYY-MM-DD, "
                                       "tenant time zone).", show_default=False)],
    until: Annotated[str, typer.Option("--until", help="Last departure day, included.",
                                       show_default=False)],
    model: Annotated[Path | None, typer.Option(
        "--model", help="Shelf detector ONNX file (default: the service's).",
        show_default=False)] = None,
    rules: Annotated[int | None, typer.Option(
        "--rules", help="Rules version (default: the current one).", show_default=False,
        min=1)] = None,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address", help="Join this Ray cluster (default: start a local Ray).",
        show_default=False)] = None,
    run_id: Annotated[str | None, typer.Option(
        "--run-id", help="Name the run (default: from window, rules and model; the same "
        "command resumes the same run).", show_default=False)] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Judge at most this many check-ins now (re-run to finish).",
        show_default=False, min=1)] = None,
    workers: Annotated[int, typer.Option(help="Parallel judging workers.", min=1)] = 1,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Report the flips a run would make; store and write nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: DataDirOption = None,
    tenant: TenantOption = None,
) -> None:
    """Judge the check-ins of a period again with a model and rules version; report flips
    (``--dry-run``: only report them)."""
    from application.reverify import reverify  # Ray and the model load only for this command

    quiet_ray_logs()

    settings = settings_for(data_dir, tenant)
    # A dry run leaves nothing in the data folder, its Ray log included.
    ray_log = Path(tempfile.gettempdir()) / f"visitproof-dry-run-{os.getpid()}-{RAY_LOG}" \
        if dry_run else settings.data_dir / "reverify" / RAY_LOG
    with ray_output_to(ray_log) as terminal, Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=Console(file=terminal if as_json else None),
            transient=True) as bar:
        task = bar.add_task("re-verifying", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = reverify(settings, since=_day(since, "since"), until=_day(until, "until"),
                          model=model, rules_version=rules, ray_address=ray_address,
                          run_id=run_id, limit=limit, workers=workers, progress=advance,
                          dry_run=dry_run)
    console = Console(stderr=as_json)
    Console(stderr=True).print(f"[dim]Ray's own output of the run: {ray_log}[/]")
    if as_json:
        if not dry_run:
            report.write(settings.data_dir / "reverify" / report.run_id)
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    if dry_run:
        console.print(f"[bold]dry run[/]: {DRY_RUN_NOTE}")
    judged_by = "no director rules: every product with references featured" \
        if report.rules_version is None else f"rules version {report.rules_version}"
    console.print(f"run {report.run_id}: {report.in_window} check-ins in the window, "
                  f"{report.judged_now} judged now, {report.already_done} already done, "
                  f"{len(report.photo_missing)} photos missing, {len(report.flips)} flipped "
                  f"({judged_by}, model {report.model})")
    zone = _tenant_zone(settings)
    if report.flips:
        table = Table(title=f"Flipped verdicts (times in {zone.key})")
        table.add_column("check-in", no_wrap=True)  # ids are copied into other tools whole
        for name in ("rep", "customer", "departed", "old → new"):
            table.add_column(name)
        for name in ("gained", "lost"):
            table.add_column(name, overflow="fold")
        for flip in report.flips:
            table.add_row(str(flip.checkin_id), flip.rep_id, flip.customer_id,
                          _short(flip.departed_at, zone),
                          f"{flip.old_status.value} → {flip.new_status.value}",
                          " ".join(flip.gained), " ".join(flip.lost))
        console.print(table)
        counts = Table("reason code", "flips", title="Reasons of the new verdicts")
        for code, count in report.by_reason.items():
            counts.add_row(code, str(count))
        console.print(counts)
    for checkin_id, message in report.photo_missing[:MISSING_SHOWN]:
        console.print(f"[yellow]PHOTO_MISSING_FROM_STORE[/] {checkin_id}: {message}")
    if len(report.photo_missing) > MISSING_SHOWN:
        console.print(f"... and {len(report.photo_missing) - MISSING_SHOWN} more check-ins "
                      "whose photo is missing (every one in the report: flips.json, or --json)")
    if dry_run:
        console.print(f"[bold]dry run[/]: {len(report.flips)} would flip; run without "
                      "--dry-run to store them")
        return
    json_path, csv_path = report.write(settings.data_dir / "reverify" / report.run_id)
    console.print(f"report: {json_path} and {csv_path}")


RAY_LOGGERS = ("ray", "ray.data", "ray.train", "ray.tune", "ray.serve")
#: Where Ray's own lines go while a run is judging (in the data folder's reverify/).
RAY_LOG = "ray-output.log"


@contextmanager
def ray_output_to(path: Path) -> Iterator[TextIO]:
    """While the block runs, the process's standard error (file descriptor 2: Ray's C++
    core, its workers' start-up lines, Python warnings) is appended to ``path`` instead of
    the terminal; yields a text stream on the terminal's standard error for what the
    command itself shows there (the progress bar of ``--json``). Restored on the way out,
    errors included, so the command's own error message reaches the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stderr.flush()
    saved = os.dup(2)
    terminal = os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace")
    try:
        with path.open("ab") as log:
            os.dup2(log.fileno(), 2)
            try:
                yield terminal
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)
        terminal.close()


def quiet_ray_logs() -> None:
    """Keep Ray's own INFO lines (executor start-up, dataset plans) out of the command's
    output: warnings and errors still show (``RAY_DATA_LOG_LEVEL=INFO`` brings them back).
    Called after Ray is imported, which configures these loggers."""
    for name in RAY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # Ray Data sets its logger's level again when a dataset first runs, from this variable.
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "WARNING")


def _short(moment: datetime, zone: ZoneInfo) -> str:
    """A departure in the tenant's zone, as the manager pages show it."""
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _tenant_zone(settings: Settings) -> ZoneInfo:
    with current_store(settings) as database, database.connect() as connection:
        return ZoneInfo(tenant_timezone(connection, settings.tenant))

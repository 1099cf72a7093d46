"""``visitproof phi``: the Process Health Index report and its drill-down.

    visitproof phi --period 2026-11 [--team T] [--format json|csv|html] [--out FILE]
    visitproof phi explain --rep R --period 2026-W45 [--format text|json]

Reads the tenant's time zone and data from the store; "now" defaults to the server clock
and can be pinned with ``--now`` to reproduce a report. Periods and ``--now`` lie within the
years 1970 to 2199: outside them the command stops with ``error [BAD_PERIOD]`` /
``error [BAD_TIMESTAMP]`` and exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from application.phi_inputs import tables_from_store
from application.reports import phi_report, tenant_period
from cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    settings_for,
)
from phi.explain import explain_rep, explanation_to_dict, explanation_to_text
from phi.periods import calendar_instant
from phi.report import PhiReport
from phi.report_export import report_to_csv, report_to_json
from phi.report_html import report_to_html
from visitproof.errors import InvalidInput
from visitproof.values import utc_now


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


class ExplainFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


PeriodOption = Annotated[str | None, typer.Option(
    "--period", help="2026-11 (month), 2026-W45 (ISO week) or 2026-11-01..2026-11-15, in "
    "the tenant's time zone, within the years 1970 to 2199.")]
NowOption = Annotated[str | None, typer.Option(
    "--now", help="Report as of this ISO 8601 instant with offset, within the years 1970 to "
    "2199 (default: now).")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")]


def register(app: typer.Typer) -> None:
    """Add the ``phi`` command group to ``app``."""
    group = typer.Typer(help="Process Health Index per rep, team and region.",
                        invoke_without_command=True)
    group.callback(invoke_without_command=True)(report)
    group.command("explain")(explain)
    app.add_typer(group, name="phi")


def report(ctx: typer.Context, period: PeriodOption = None,
           team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
           output_format: Annotated[ReportFormat, typer.Option(
               "--format", help="Output format.")] = ReportFormat.JSON,
           out: OutOption = None, data_dir: DataDirOption = None, tenant: TenantOption = None,
           now: NowOption = None,
           trend: Annotated[int, typer.Option(
               "--trend", min=1, max=24, help="Periods in each rep's trend.")] = 6) -> None:
    """PHI for a period: per rep, team, region, with exclusions and warnings."""
    if ctx.invoked_subcommand is not None:
        return
    if period is None:
        raise InvalidInput("--period is required, e.g. --period 2026-11", code="MISSING_PERIOD")
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.connect() as connection:
        parsed = tenant_period(connection, settings.tenant, period)
        result = phi_report(connection, settings.tenant, parsed, now=_now(now), team=team,
                            trend=trend)
    # A file has no manager pages to link to: its figures are plain text.
    writers: dict[ReportFormat, Callable[[PhiReport], str]] = {
        ReportFormat.JSON: report_to_json, ReportFormat.CSV: report_to_csv,
        ReportFormat.HTML: partial(report_to_html, explain_url=None)}
    text = writers[output_format](result)
    _emit(text, out)


def explain(rep: Annotated[str, typer.Option("--rep", help="Rep id.")],
            period: PeriodOption = None,
            output_format: Annotated[ExplainFormat, typer.Option(
                "--format", help="Output format.")] = ExplainFormat.TEXT,
            out: OutOption = None, data_dir: DataDirOption = None,
            tenant: TenantOption = None, now: NowOption = None) -> None:
    """The leads, actions, role touches and excluded check-ins behind one rep's PHI."""
    if period is None:
        raise InvalidInput("--period is required, e.g. --period 2026-11", code="MISSING_PERIOD")
    settings = settings_for(data_dir, tenant)
    with current_store(settings) as database, database.connect() as connection:
        parsed = tenant_period(connection, settings.tenant, period)
        tables = tables_from_store(connection, settings.tenant)
    explanation = explain_rep(tables, rep_id=rep, period=parsed, now=_now(now))
    if output_format is ExplainFormat.JSON:
        _emit(json.dumps(explanation_to_dict(explanation), indent=2) + "\n", out)
    else:
        _emit(explanation_to_text(explanation), out)


def _now(text: str | None) -> datetime:
    return utc_now() if text is None else calendar_instant(text, "--now")


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}", err=True)

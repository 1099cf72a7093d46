"""``visitproof overlap``: territory overlap, coverage gaps and the managers' overlap map.

    visitproof overlap --from 2026-11-01 --to 2026-11-30 --out overlap.html [--json]
        [--top 10] [--ranking R1,R2,..] [--buffer-m 500] [--neglect-days 21] [--now ISO]
        [--tiles URL|none] [--outputs DIR] [--data-dir D] [--tenant T]

Dates are whole days in the tenant's time zone, both inclusive, within the years 1970 to
2199 (outside them the command stops with ``error [BAD_DATE]``, exit code 2; ``--now``
likewise with ``BAD_TIMESTAMP``). Coverage is judged at the end of the period, or at
``--now`` if earlier (default: the server clock). The page holds the whole period and, for
ranges longer than a week, each calendar week in it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from application.reports import overlap_reports
from cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    settings_for,
)
from geo.overlap_map import OSM_TILES, MapOptions, write_overlap_map
from geo.overlap_outputs import OverlapReport, report_to_dict, write_outputs
from geo.territory_overlap import OverlapPolicy
from phi.periods import calendar_instant, parse_day
from visitproof.errors import InvalidInput
from visitproof.values import utc_now


def register(app: typer.Typer) -> None:
    """Add the ``overlap`` command to ``app``."""
    app.command("overlap")(overlap)


def overlap(
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (years "
                                           "1970 to 2199).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the map page here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    top: Annotated[int, typer.Option("--top", min=1, max=200,
                                     help="Reps in the overlap matrix.")] = 10,
    ranking: Annotated[str | None, typer.Option(
        "--ranking", help="Comma-separated rep ids, best first, to choose the top N instead "
        "of 'most verified visits' (e.g. from sales figures).")] = None,
    buffer_m: Annotated[float, typer.Option("--buffer-m", min=1.0, max=20000.0,
                                            help="Footprint half-width, metres.")] = 500.0,
    neglect_days: Annotated[int, typer.Option("--neglect-days", min=1, max=3650,
                                              help="Days untouched = coverage gap.")] = 21,
    now: Annotated[str | None, typer.Option(
        "--now", help="Judge coverage at this ISO 8601 instant with offset.")] = None,
    tiles: Annotated[str | None, typer.Option(
        "--tiles", help="XYZ tile URL for the page (e.g. " + OSM_TILES + "), or 'none' for "
        "a plain background. Default: VISITPROOF_MAP_TILE_URL, else none.",
        show_default=False)] = None,
    outputs: Annotated[Path | None, typer.Option(
        "--outputs", help="Also write GeoJSON, matrix JSON/CSV and GeoParquet here.")] = None,
    data_dir: DataDirOption = None, tenant: TenantOption = None,
) -> None:
    """Who farms the same ground, and which customers nobody visits."""
    if out is None and not as_json and outputs is None:
        raise InvalidInput("nothing to do: give --out FILE, --json or --outputs DIR",
                           code="MISSING_OUTPUT")
    policy = OverlapPolicy(buffer_m=buffer_m, neglect_days=neglect_days, top_n=top)
    settings = settings_for(data_dir, tenant)
    first, last = _days(date_from, date_to)
    ranked = None if ranking is None else [r.strip() for r in ranking.split(",") if r.strip()]
    judged_at = utc_now() if now is None else calendar_instant(now, "--now")
    with current_store(settings) as database, database.connect() as connection:
        reports = overlap_reports(connection, settings.tenant, first=first, last=last,
                                  policy=policy, now=judged_at, weekly=True, ranking=ranked)
    if out is not None:
        chosen = settings.map_tile_url if tiles is None else tiles
        options = MapOptions(tile_url=None if chosen is None or chosen.lower() == "none"
                             else chosen)
        write_overlap_map(reports, out, options)
        typer.echo(f"wrote {out} ({_summary(reports[0])})", err=True)
    if outputs is not None:
        write_outputs(reports[0], outputs)
        typer.echo(f"wrote GeoJSON, matrix and GeoParquet files to {outputs}", err=True)
    if as_json:
        typer.echo(json.dumps(report_to_dict(reports[0]), indent=2, ensure_ascii=False))


def _days(date_from: str, date_to: str) -> tuple[date, date]:
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    if last < first:
        raise InvalidInput(f"--to {last} is before --from {first}", code="TIME_ORDER")
    return first, last


def _date(text: str, option: str) -> date:
    try:
        return parse_day(text)
    except InvalidInput as error:
        raise InvalidInput(f"{option}: {error.message}", code=error.code) from None


def _summary(report: OverlapReport) -> str:
    matrix = report.matrix
    return (f"{len(report.footprints.frame)} reps, {len(report.pairs)} overlapping pairs, "
            f"top {len(matrix.reps)} group overlap {matrix.group_overlap:.0%}, "
            f"{len(report.gaps)} coverage gaps")

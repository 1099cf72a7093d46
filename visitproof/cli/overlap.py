"""``visitproof overlap``: territory overlap, coverage gaps and the managers' overlap map.

    visitproof overlap --from 2026-11-01 --to 2026-11-30 --out overlap.html [--json]
        [--top 10] [--ranking R1,R2,..] [--buffer-m 500] [--neglect-days 21] [--now ISO]
        [--tiles URL|none] [--outputs DIR] [--data-dir D] [--tenant T]

Dates are whole days in the tenant's time zone, both inclusive. Coverage is judged at the
end of the period, or at ``--now`` if earlier (default: the server clock). The page holds the
whole period and, for ranges longer than a week, each calendar week in it.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from geo.overlap_map import OSM_TILES, MapOptions, write_overlap_map
from geo.overlap_outputs import (
    OverlapReport,
    build_overlap_report,
    report_to_dict,
    write_outputs,
)
from geo.routes import Period, calendar_weeks, local_days, metric_crs
from geo.store_reader import overlap_inputs
from geo.territory_overlap import OverlapPolicy
from visitproof.cli.options import (
    DataDirOption,
    TenantOption,
    current_store,
    settings_for,
)
from visitproof.errors import InvalidInput
from visitproof.store import Repository
from visitproof.values import parse_utc, utc_now


def register(app: typer.Typer) -> None:
    """Add the ``overlap`` command to ``app``."""
    app.command("overlap")(overlap)


def overlap(
    date_from: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
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
    tiles: Annotated[str, typer.Option(
        "--tiles", help="XYZ tile URL for the page, or 'none' for a plain background.")
    ] = OSM_TILES,
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
    with current_store(settings) as database, database.connect() as connection:
        record = Repository(connection, settings.tenant).require_tenant()
        whole = _period(date_from, date_to, record.timezone)
        judged_at = min(whole.end, utc_now() if now is None else parse_utc(now, "--now"))
        inputs = overlap_inputs(connection, settings.tenant, until=whole.end)
    if inputs.sites.frame.empty:
        raise InvalidInput(f"tenant {settings.tenant!r} has no customers yet",
                           code="EMPTY_INPUT")
    crs = metric_crs(inputs.sites.frame["lon"], inputs.sites.frame["lat"])
    periods = [whole, *calendar_weeks(whole, record.timezone)]
    ranked = None if ranking is None else [r.strip() for r in ranking.split(",") if r.strip()]
    reports = [build_overlap_report(inputs, p, min(p.end, judged_at), policy, crs=crs,
                                    ranking=ranked) for p in periods]
    if out is not None:
        options = MapOptions(tile_url=None if tiles.lower() == "none" else tiles)
        write_overlap_map(reports, out, options)
        typer.echo(f"wrote {out} ({_summary(reports[0])})", err=True)
    if outputs is not None:
        write_outputs(reports[0], outputs)
        typer.echo(f"wrote GeoJSON, matrix and GeoParquet files to {outputs}", err=True)
    if as_json:
        typer.echo(json.dumps(report_to_dict(reports[0]), indent=2, ensure_ascii=False))


def _period(date_from: str, date_to: str, timezone: str) -> Period:
    zone = ZoneInfo(timezone)
    first, last = _date(date_from, "--from"), _date(date_to, "--to")
    if last < first:
        raise InvalidInput(f"--to {last} is before --from {first}", code="TIME_ORDER")
    return local_days(first, last, zone)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option}: expected a date like 2026-11-01, got {text!r}",
                           code="BAD_DATE") from None


def _summary(report: OverlapReport) -> str:
    matrix = report.matrix
    return (f"{len(report.footprints.frame)} reps, {len(report.pairs)} overlapping pairs, "
            f"top {len(matrix.reps)} group overlap {matrix.group_overlap:.0%}, "
            f"{len(report.gaps)} coverage gaps")

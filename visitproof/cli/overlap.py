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
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Connection

from geo.coverage import sites_frame
from geo.overlap_map import OSM_TILES, MapOptions, write_overlap_map
from geo.overlap_outputs import (
    OverlapInputs,
    OverlapReport,
    build_overlap_report,
    report_to_dict,
    write_outputs,
)
from geo.routes import WGS84, Period, metric_crs, visits_frame
from geo.territory_overlap import OverlapPolicy
from visitproof.cli.options import DataDirOption, TenantOption, open_current_store, settings_for
from visitproof.errors import InvalidInput
from visitproof.records import CheckinStatus
from visitproof.store import Repository, tables
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
    database = open_current_store(settings)
    try:
        with database.connect() as connection:
            record = Repository(connection, settings.tenant).require_tenant()
            whole = _period(date_from, date_to, record.timezone)
            judged_at = min(whole.end, utc_now() if now is None else parse_utc(now, "--now"))
            inputs = _inputs(connection, settings.tenant, until=whole.end)
    finally:
        database.dispose()
    if inputs.sites.frame.empty:
        raise InvalidInput(f"tenant {settings.tenant!r} has no customers yet",
                           code="EMPTY_INPUT")
    crs = metric_crs(inputs.sites.frame["lon"], inputs.sites.frame["lat"])
    periods = [whole, *_weeks(whole, record.timezone)]
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
    return _local_days(first, last, zone)


def _weeks(whole: Period, timezone: str) -> list[Period]:
    """Calendar weeks (Monday to Sunday, local time) within ``whole``, clipped to it; none
    for a range of a week or less."""
    zone = ZoneInfo(timezone)
    first = whole.start.astimezone(zone).date()
    last = (whole.end.astimezone(zone) - timedelta(days=1)).date()
    if (last - first).days < 7:
        return []
    weeks, monday = [], first - timedelta(days=first.weekday())
    while monday <= last:
        start = max(monday, first)
        end = min(monday + timedelta(days=7), last + timedelta(days=1))
        weeks.append(_local_days(start, end - timedelta(days=1), zone))
        monday += timedelta(days=7)
    return weeks


def _local_days(first: date, last: date, zone: ZoneInfo) -> Period:
    """The local days ``first`` to ``last`` (inclusive) as UTC instants."""
    return Period(datetime.combine(first, time(), zone),
                  datetime.combine(last + timedelta(days=1), time(), zone),
                  name=f"{first}..{last}")


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{option}: expected a date like 2026-11-01, got {text!r}",
                           code="BAD_DATE") from None


def _inputs(connection: Connection, tenant: str, *, until: datetime) -> OverlapInputs:
    """Read only the columns the analysis needs, straight into frames: at 20,000 customers
    and a year of check-ins, building records first would dominate the run time."""
    c, k, link = tables.checkins.c, tables.customers.c, tables.customer_reps.c
    customers = pd.DataFrame(connection.execute(
        sa.select(k.id.label("customer_id"), k.name, k.tier, k.lon, k.lat, k.territory_id)
        .where(k.tenant_id == tenant).order_by(k.id)).all(),
        columns=["customer_id", "name", "tier", "lon", "lat", "territory_id"])
    assigned: dict[str, list[str]] = {}
    for customer_id, rep_id in connection.execute(
            sa.select(link.customer_id, link.rep_id).where(link.tenant_id == tenant)
            .order_by(link.customer_id, link.position)):
        assigned.setdefault(customer_id, []).append(rep_id)
    customers["assigned_rep_ids"] = [tuple(assigned.get(i, ())) for i in
                                     customers["customer_id"]]
    # Every verified visit up to the period's end: coverage needs each customer's last touch,
    # however long ago it was.
    visits = pd.DataFrame(connection.execute(
        sa.select(c.rep_id, c.customer_id, c.arrived_at, c.departed_at, k.lon, k.lat)
        .join(tables.customers, sa.and_(k.tenant_id == c.tenant_id, k.id == c.customer_id))
        .where(c.tenant_id == tenant, c.status == CheckinStatus.VERIFIED.value,
               c.departed_at < until)).all(),
        columns=["rep_id", "customer_id", "arrived_at", "departed_at", "lon", "lat"])
    r, t = tables.reps.c, tables.territories.c
    reps = connection.execute(sa.select(r.id, r.name, r.territory_id)
                              .where(r.tenant_id == tenant)).all()
    areas = connection.execute(sa.select(t.id, t.area_wkt).where(t.tenant_id == tenant)).all()
    territories = gpd.GeoSeries(shapely.from_wkt([a.area_wkt for a in areas]),
                                index=pd.Index([a.id for a in areas], dtype=object),
                                crs=WGS84)
    return OverlapInputs(visits=visits_frame(visits), sites=sites_frame(customers),
                         territories=territories,
                         rep_territory={rep.id: rep.territory_id for rep in reps},
                         rep_names={rep.id: rep.name for rep in reps})


def _summary(report: OverlapReport) -> str:
    matrix = report.matrix
    return (f"{len(report.footprints.frame)} reps, {len(report.pairs)} overlapping pairs, "
            f"top {len(matrix.reps)} group overlap {matrix.group_overlap:.0%}, "
            f"{len(report.gaps)} coverage gaps")

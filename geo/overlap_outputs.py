"""The overlap report for one period, and what it is written out as.

:func:`build_overlap_report` runs the whole analysis — footprints, pairwise overlap, the top-N
matrix, coverage gaps, territory conflicts — in one metric CRS. The report then becomes:

* a JSON-ready dict (:func:`report_to_dict`, what ``visitproof overlap --json`` prints);
* GeoJSON FeatureCollections in lon/lat (RFC 7946): footprints, routes, pairwise overlap
  areas, customers with their coverage status;
* the top-N matrix as JSON and as CSV (one row per ordered pair);
* GeoParquet files of footprints, overlaps and customers, in the metric CRS.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.coverage import CoverageGap, CustomerSites, coverage_status, gaps_from_status
from geo.routes import WGS84, Footprints, Period, Visits, metric_crs, rep_footprints
from geo.territory_conflicts import TerritoryConflicts, territory_conflicts
from geo.territory_overlap import (
    BY_RANKING,
    BY_VISITS,
    OverlapMatrix,
    OverlapPolicy,
    PairOverlap,
    overlap_matrix,
    pairwise_overlap,
    top_reps,
)
from visitproof import neglect

DEFINITIONS = {
    "footprint": "the rep's route through their verified visits in the period, buffered by "
                 "buffer_m metres (areas in m² in the region's UTM zone)",
    "share_a_in_b": "area(footprint A ∩ footprint B) / area(footprint A); asymmetric",
    "iou": "area(A ∩ B) / area(A ∪ B); symmetric, 0 = disjoint, 1 = identical",
    "shared_accounts": "customers with a verified visit by both reps in the period",
    "group_overlap": "area covered by two or more of the top-N footprints / area covered by "
                     "any of them",
    "coverage_gap": f"{neglect.DEFINITION}; ranked by tier then days untouched",
}


@dataclass(frozen=True, slots=True)
class OverlapInputs:
    """One tenant's data: verified visits reaching back far enough for last touches,
    customers, territory polygons (EPSG:4326, indexed by id), rep id -> territory id and
    rep id -> display name."""

    visits: Visits
    sites: CustomerSites
    territories: gpd.GeoSeries
    rep_territory: Mapping[str, str | None]
    rep_names: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class OverlapReport:
    """Everything computed for one period; ``now`` (UTC) is when coverage is judged: the
    period's end, or the caller's now if earlier (:func:`visitproof.neglect.judged_at`)."""

    period: Period
    now: datetime
    policy: OverlapPolicy
    crs: CRS
    footprints: Footprints
    pairs: tuple[PairOverlap, ...]
    matrix: OverlapMatrix
    gaps: tuple[CoverageGap, ...]
    conflicts: TerritoryConflicts
    customers: pd.DataFrame
    rep_names: Mapping[str, str]


def build_overlap_report(inputs: OverlapInputs, period: Period, now: datetime,
                         policy: OverlapPolicy, *, ranking: Sequence[str] | None = None,
                         crs: CRS | None = None) -> OverlapReport:
    """The full analysis of ``period`` read at ``now`` (tz-aware UTC); coverage is judged at
    the period's end, or ``now`` if earlier, as PHI's untouched-customer warning is.

    ``crs`` defaults to the UTM zone of the customers' extent; ``ranking`` replaces "most
    verified visits" for choosing the top ``policy.top_n`` reps.
    """
    now = neglect.judged_at(period.end, now)
    frame = inputs.sites.frame
    if crs is None:
        lon = np.r_[frame["lon"].to_numpy(float), inputs.visits.frame["lon"].to_numpy(float)]
        lat = np.r_[frame["lat"].to_numpy(float), inputs.visits.frame["lat"].to_numpy(float)]
        crs = metric_crs(lon, lat)
    footprints = rep_footprints(inputs.visits, period, crs, buffer_m=policy.buffer_m,
                                trip_gap_h=policy.trip_gap_h)
    pairs = pairwise_overlap(footprints, inputs.visits)
    top = top_reps(footprints, policy.top_n, ranking)
    matrix = overlap_matrix(footprints, pairs, top, trip_gap_h=policy.trip_gap_h,
                            ranked_by=BY_VISITS if ranking is None else BY_RANKING)
    status = coverage_status(inputs.sites, inputs.visits, now, policy, inputs.rep_territory)
    conflicts = territory_conflicts(inputs.visits, period, inputs.sites, inputs.territories,
                                    inputs.rep_territory, crs)
    return OverlapReport(period, now, policy, crs, footprints, pairs, matrix,
                         gaps_from_status(status), conflicts,
                         status.drop(columns=["assigned_rep_ids"]), dict(inputs.rep_names))


def report_to_dict(report: OverlapReport) -> dict[str, Any]:
    """The JSON-ready report: shares and IoU as fractions (4 decimals), areas in km²,
    instants as ISO 8601 UTC."""
    fp = report.footprints.frame
    matrix = report.matrix
    return {
        "definition": matrix.definition,
        "definitions": DEFINITIONS,
        "period": {"from": _iso(report.period.start), "to": _iso(report.period.end)},
        "now": _iso(report.now),
        "crs": report.crs.to_string(),
        "policy": asdict(report.policy),
        "reps": [{"rep_id": rep, "name": report.rep_names.get(rep, rep),
                  "visits": int(row.visits), "customers": int(row.customers),
                  "route_km": round(float(row.route_m) / 1000, 3),
                  "footprint_km2": round(float(row.area_m2) / 1e6, 4)}
                 for rep, row in zip(fp.index, fp.itertuples(), strict=True)],
        "pairs": [pair_to_dict(pair) for pair in report.pairs],
        "top": {"reps": list(matrix.reps), "share_in": _rounded(matrix.share_in),
                "iou": _rounded(matrix.iou),
                "shared_accounts": [list(row) for row in matrix.shared_accounts],
                "group_overlap": round(matrix.group_overlap, 4),
                "mean_pairwise_iou": round(matrix.mean_pairwise_iou, 4)},
        "coverage_gaps": [gap_to_dict(gap) for gap in report.gaps],
        "conflicts": {
            "outside_territory": [
                {"rep_id": c.rep_id, "customer_id": c.customer_id,
                 "territory_id": c.territory_id, "visits": c.visits,
                 "last_visit": _iso(c.last_visit), "distance_m": round(c.distance_m, 1)}
                for c in report.conflicts.outside],
            "foreign_accounts": [
                {"rep_id": c.rep_id, "customer_id": c.customer_id,
                 "owner_rep_ids": list(c.owner_rep_ids), "visits": c.visits,
                 "last_visit": _iso(c.last_visit)} for c in report.conflicts.foreign],
            "reps_without_territory": list(report.conflicts.reps_without_territory)},
    }


def footprints_geojson(report: OverlapReport, *, simplify_m: float = 0.0) -> dict[str, Any]:
    """Footprints as a lon/lat FeatureCollection, one Feature per rep (``id`` = rep id).
    ``simplify_m`` (metres) thins vertices for display."""
    fp = report.footprints.frame
    props = [{"rep_id": rep, "name": report.rep_names.get(rep, rep), "visits": int(v),
              "customers": int(c), "area_km2": round(float(a) / 1e6, 4)}
             for rep, v, c, a in zip(fp.index, fp["visits"], fp["customers"], fp["area_m2"],
                                     strict=True)]
    return _collection(fp.geometry.to_numpy(), report.crs, props, simplify_m)


def routes_geojson(report: OverlapReport, *, simplify_m: float = 0.0) -> dict[str, Any]:
    """Routes (MultiLineString per rep) as a lon/lat FeatureCollection."""
    fp = report.footprints.frame
    props = [{"rep_id": rep, "route_km": round(float(m) / 1000, 3)}
             for rep, m in zip(fp.index, fp["route_m"], strict=True)]
    return _collection(np.asarray(fp["route"].to_numpy()), report.crs, props, simplify_m)


def overlap_areas(report: OverlapReport) -> gpd.GeoDataFrame:
    """The intersection polygon of every pair with overlap_m2 > 0, in the metric CRS, with
    the pair's figures as columns."""
    geoms = report.footprints.frame.geometry
    pairs = [p for p in report.pairs if p.overlap_m2 > 0]
    areas = shapely.intersection(geoms.reindex([p.rep_a for p in pairs]).to_numpy(),
                                 geoms.reindex([p.rep_b for p in pairs]).to_numpy())
    columns = pd.DataFrame([pair_to_dict(p) for p in pairs],
                           columns=["rep_a", "rep_b", "share_a_in_b", "share_b_in_a", "iou",
                                    "shared_accounts", "overlap_km2"])
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(areas, crs=report.crs),
                            crs=report.crs)


def overlaps_geojson(report: OverlapReport, *, simplify_m: float = 0.0) -> dict[str, Any]:
    """The pairwise overlap areas (see :func:`overlap_areas`) as lon/lat polygons."""
    areas = overlap_areas(report)
    props = [pair_to_dict(p) for p in report.pairs if p.overlap_m2 > 0]
    return _collection(areas.geometry.to_numpy(), report.crs, props, simplify_m)


def customers_geojson(report: OverlapReport) -> dict[str, Any]:
    """Every customer as a lon/lat Point with ``status`` (covered / neglected / never),
    ``last_touch`` (UTC), ``days_untouched`` and ``owner_rep_ids``."""
    frame = report.customers
    points = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    props = [{"customer_id": r.customer_id, "name": r.name, "tier": r.tier,
              "status": r.status, "owner_rep_ids": list(r.owner_rep_ids),
              "last_touch": None if pd.isna(r.last_touch) else _iso(r.last_touch),
              "days_untouched": None if pd.isna(r.days) else round(float(r.days), 2)}
             for r in frame.itertuples(index=False)]
    return _collection(points, WGS84, props, 0.0)


def matrix_json(matrix: OverlapMatrix) -> str:
    """The top-N matrix, its group figures and definition, as JSON text."""
    return json.dumps({"reps": list(matrix.reps), "share_in": _rounded(matrix.share_in),
                       "iou": _rounded(matrix.iou),
                       "shared_accounts": [list(r) for r in matrix.shared_accounts],
                       "group_overlap": round(matrix.group_overlap, 4),
                       "mean_pairwise_iou": round(matrix.mean_pairwise_iou, 4),
                       "definition": matrix.definition}, indent=2, ensure_ascii=False) + "\n"


def matrix_csv(matrix: OverlapMatrix) -> str:
    """One row per ordered pair of top-N reps: rep_a, rep_b, share_a_in_b, iou,
    shared_accounts (the diagonal included: share 1, iou 1, the rep's own accounts)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rep_a", "rep_b", "share_a_in_b", "iou", "shared_accounts"])
    for i, rep_a in enumerate(matrix.reps):
        for j, rep_b in enumerate(matrix.reps):
            writer.writerow([rep_a, rep_b, f"{matrix.share_in[i][j]:.4f}",
                             f"{matrix.iou[i][j]:.4f}", matrix.shared_accounts[i][j]])
    return out.getvalue()


def write_outputs(report: OverlapReport, folder: Path) -> list[Path]:
    """Write the GeoJSON, matrix and GeoParquet files into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "footprints.geojson": json.dumps(footprints_geojson(report)),
        "routes.geojson": json.dumps(routes_geojson(report)),
        "overlaps.geojson": json.dumps(overlaps_geojson(report)),
        "customers.geojson": json.dumps(customers_geojson(report)),
        "matrix.json": matrix_json(report.matrix),
        "matrix.csv": matrix_csv(report.matrix),
        "report.json": json.dumps(report_to_dict(report), indent=2, ensure_ascii=False),
    }
    written = []
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    fp = report.footprints.frame.drop(columns=["route"]).reset_index()
    fp.to_parquet(folder / "footprints.parquet")
    overlap_areas(report).to_parquet(folder / "overlaps.parquet")
    customers = report.customers.assign(owner_rep_ids=report.customers["owner_rep_ids"].map(
        ",".join))
    gpd.GeoDataFrame(customers, geometry=gpd.points_from_xy(customers["lon"],
                                                            customers["lat"]),
                     crs=WGS84).to_parquet(folder / "customers.parquet")
    written += [folder / n for n in ("footprints.parquet", "overlaps.parquet",
                                     "customers.parquet")]
    return written


def _collection(geoms: np.ndarray[Any, Any], crs: CRS, props: list[dict[str, Any]],
                simplify_m: float) -> dict[str, Any]:
    if simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
    lonlat = gpd.GeoSeries(geoms, crs=crs).to_crs(WGS84).to_numpy()
    # Six decimals of a degree are ~0.1 m: finer digits only bloat the files and the page.
    rounded = shapely.transform(lonlat, lambda xy: np.round(xy, 6))
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": p,
                          "geometry": json.loads(shapely.to_geojson(g))}
                         for g, p in zip(rounded, props, strict=True)]}


def pair_to_dict(pair: PairOverlap) -> dict[str, Any]:
    """One pair as JSON: shares and IoU as fractions rounded to 4 decimals, km²."""
    return {"rep_a": pair.rep_a, "rep_b": pair.rep_b,
            "share_a_in_b": round(pair.share_a_in_b, 4),
            "share_b_in_a": round(pair.share_b_in_a, 4), "iou": round(pair.iou, 4),
            "shared_accounts": pair.shared_accounts,
            "overlap_km2": round(pair.overlap_m2 / 1e6, 4)}


def gap_to_dict(gap: CoverageGap) -> dict[str, Any]:
    """One coverage gap as JSON (last touch ISO 8601 UTC, days untouched to 0.01)."""
    return {"customer_id": gap.customer_id, "name": gap.name, "tier": gap.tier,
            "owner_rep_ids": list(gap.owner_rep_ids), "territory_id": gap.territory_id,
            "last_touch": None if gap.last_touch is None else _iso(gap.last_touch),
            "last_touch_rep_id": gap.last_touch_rep_id,
            "days_untouched": None if gap.days_untouched is None
            else round(gap.days_untouched, 2),
            "lon": gap.lon, "lat": gap.lat}


def _rounded(rows: tuple[tuple[float, ...], ...]) -> list[list[float]]:
    return [[round(v, 4) for v in row] for row in rows]


def _iso(value: datetime | pd.Timestamp) -> str:
    text: str = pd.Timestamp(value).tz_convert("UTC").isoformat()
    return text.replace("+00:00", "Z")

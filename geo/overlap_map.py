"""The managers' overlap map: one self-contained HTML page, readable offline from a file.

Leaflet 1.9.4 (BSD-2-Clause, vendored in ``geo/map_assets/`` with its licence) and the page's
own script and style are inlined, so no CDN is contacted. Map tiles are the one optional
network use, and only when asked for: ``tile_url`` (an XYZ template such as
:data:`OSM_TILES`; default None, a plain background); when tiles fail to load the page falls
back to a plain background and says so.

The page shows, per period (a selector): each rep's footprint in its own colour, the pairwise
overlap areas highlighted in dashed red, neglected (orange) and never-touched (black)
customers of the selected reps, a rep filter that doubles as the colour legend, the top-N
summary with its definition, and the overlap table beside the map. On a narrow screen (a
phone, 390 CSS px) the map comes first at the full width and most of the height, with the
controls and the table below it (``map_assets/overlap_map.css``).
"""

from __future__ import annotations

import colorsys
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from geo.overlap_outputs import (
    OverlapReport,
    customers_geojson,
    footprints_geojson,
    overlaps_geojson,
    pair_to_dict,
)
from geo.routes import require_same_crs
from visitproof.errors import InvalidValue

ASSETS = Path(__file__).resolve().parent / "map_assets"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
# Distinct, colour-blind-friendlier hues first (Tableau 10 and its light variants); beyond
# twenty reps, golden-angle hues keep neighbours in the list apart.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
           "#e15759", "#bab0ac", "#ff9da7", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b",
           "#17becf", "#bcbd22", "#7f7f7f", "#e377c2", "#aec7e8", "#98df8a")


@dataclass(frozen=True, slots=True, kw_only=True)
class MapOptions:
    """``tile_url``: XYZ template or None for the plain background only. ``simplify_m``:
    vertex thinning of drawn shapes (metres; the figures are computed before it).
    ``max_table_rows``: overlap table rows shown per selection."""

    title: str = "Territory overlap"
    tile_url: str | None = None
    tile_attribution: str = OSM_ATTRIBUTION
    simplify_m: float = 15.0
    max_table_rows: int = 200


def rep_colours(rep_ids: Sequence[str]) -> dict[str, str]:
    """A colour per rep, in the given order (``#rrggbb``)."""
    out = {}
    for i, rep in enumerate(rep_ids):
        if i < len(PALETTE):
            out[rep] = PALETTE[i]
        else:
            red, green, blue = colorsys.hls_to_rgb((i * 0.618034) % 1.0, 0.45, 0.65)
            out[rep] = f"#{int(red * 255):02x}{int(green * 255):02x}{int(blue * 255):02x}"
    return out


def map_data(reports: Sequence[OverlapReport], options: MapOptions) -> dict[str, Any]:
    """The JSON the page reads: reps with colours, the default selection (the first
    report's top N), and per period its footprints, overlaps, neglected customers (GeoJSON,
    lon/lat), pairs and top-N figures. Reports in different CRSs raise CRS_MISMATCH."""
    if not reports:
        raise InvalidValue("reports", "the map needs at least one period", code="EMPTY_INPUT")
    first = reports[0]
    visits: dict[str, int] = {}
    for report in reports:
        # One page compares areas across periods: they must be measured in one CRS.
        require_same_crs(first.crs, report.crs, "reports")
        for rep, count in report.footprints.frame["visits"].items():
            visits[str(rep)] = max(visits.get(str(rep), 0), int(count))
    ordered = list(first.matrix.reps) + sorted(
        (rep for rep in visits if rep not in first.matrix.reps),
        key=lambda rep: (-visits[rep], rep))
    colours = rep_colours(ordered)
    names = {**first.rep_names}
    customers = first.customers
    west, south = float(customers["lon"].min()), float(customers["lat"].min())
    east, north = float(customers["lon"].max()), float(customers["lat"].max())
    return {
        "title": options.title,
        "tile_url": options.tile_url,
        "tile_attribution": options.tile_attribution,
        "max_table_rows": options.max_table_rows,
        "bounds": [[south, west], [north, east]],
        "reps": [{"id": rep, "name": names.get(rep, rep), "colour": colours[rep]}
                 for rep in ordered],
        "default_reps": list(first.matrix.reps),
        "periods": [_period_data(report, options) for report in reports],
    }


def overlap_map_html(reports: Sequence[OverlapReport], options: MapOptions | None = None,
                     ) -> str:
    """The page for ``reports`` (one per period; the first is shown first) as HTML text."""
    options = options or MapOptions()
    data = json.dumps(map_data(reports, options), ensure_ascii=False, separators=(",", ":"))
    # "</" would close the inline <script> early if a customer name contained it.
    data = data.replace("</", "<\\/")
    first = reports[0]
    subtitle = (f"{first.period.label} · buffer {first.policy.buffer_m:g} m · neglected after "
                f"{first.policy.neglect_days} days without a verified visit · "
                f"{first.crs.to_string()}")
    return _PAGE.format(
        title=html.escape(options.title), subtitle=html.escape(subtitle),
        leaflet_css=asset("leaflet.css"), page_css=asset("overlap_map.css"),
        leaflet_js=asset("leaflet.js"), tiles_js=asset("tiles.js"),
        page_js=asset("overlap_map.js"), data=data)


def write_overlap_map(reports: Sequence[OverlapReport], path: Path,
                      options: MapOptions | None = None) -> Path:
    """Write the page to ``path`` (UTF-8) and return it."""
    path.write_text(overlap_map_html(reports, options), encoding="utf-8")
    return path


def _period_data(report: OverlapReport, options: MapOptions) -> dict[str, Any]:
    customers = customers_geojson(report)
    customers["features"] = [f for f in customers["features"]
                             if f["properties"]["status"] != "covered"]
    matrix = report.matrix
    return {
        "label": report.period.label,
        "footprints": footprints_geojson(report, simplify_m=options.simplify_m),
        "overlaps": overlaps_geojson(report, simplify_m=options.simplify_m),
        "customers": customers,
        "pairs": [pair_to_dict(pair) for pair in report.pairs],
        "top": {"reps": list(matrix.reps), "group_overlap": round(matrix.group_overlap, 4),
                "mean_pairwise_iou": round(matrix.mean_pairwise_iou, 4)},
        "definition": matrix.definition,
    }


@cache
@cache
def asset(name: str) -> str:
    """A vendored file of :data:`ASSETS` as text, read once per process (they never change
    while it runs; every page inlines them)."""
    text = (ASSETS / name).read_text(encoding="utf-8")
    # The source map is not shipped; the comment would only make browsers ask for it.
    return text.replace("//# sourceMappingURL=leaflet.js.map", "")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{leaflet_css}</style>
<style>{page_css}</style>
</head>
<body>
<header><h1>{title}</h1><p>{subtitle}</p></header>
<aside id="vp-side">
<h2>Period</h2>
<select id="vp-period"></select>
<h2>Legend</h2>
<div class="legend">
<div><span class="swatch" style="background:#4e79a7"></span>footprint, one colour per rep</div>
<div><span class="swatch overlap"></span>overlap of two selected reps</div>
<div><span class="dot" style="background:#ff9800"></span>neglected customer</div>
<div><span class="dot" style="background:#111111"></span>never visited (verified)</div>
</div>
<h2>Reps</h2>
<div><button id="vp-top" type="button">Top N</button><button id="vp-all" type="button">All
</button><button id="vp-none" type="button">None</button></div>
<div id="vp-reps"></div>
</aside>
<main id="vp-map-wrap"><div id="vp-map"></div>
<div id="vp-tiles-note" hidden>Map tiles unavailable: plain background.</div></main>
<section id="vp-table">
<h2>Overlap between selected reps</h2>
<p id="vp-summary"></p>
<table id="vp-pairs"><thead><tr><th>Rep A</th><th>Rep B</th><th>A in B</th><th>B in A</th>
<th>IoU</th><th>Shared accounts</th></tr></thead><tbody></tbody></table>
<p id="vp-definition"></p>
</section>
<script>{leaflet_js}</script>
<script>{tiles_js}</script>
<script type="application/json" id="vp-data">{data}</script>
<script>{page_js}</script>
</body>
</html>
"""

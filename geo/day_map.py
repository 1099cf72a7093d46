"""A rep's day on a map: the day's stops numbered in visiting order, joined by the route.

An HTML fragment for a page to embed (the manager day page, ``/manager/reps/{id}/day``),
readable offline: Leaflet 1.9.4 is inlined from the vendored ``geo/map_assets/`` (as
:mod:`geo.overlap_map` does), and the map's own script and style are inlined from here. Map
tiles are the one optional network use, only when ``tile_url`` is given (an XYZ template;
default None, a plain background); when every tile fails the map keeps the plain
background and says so.

Drawn per stop, in visiting order (arrival, then departure, then check-in id): a numbered
marker at the phone's fix (``.leaflet-marker-icon.vp-stop``, coloured by status), a faint
circle of the fix's accuracy, and the customer's registered location with its geofence
(``path.vp-geofence``, once per customer) when it is known; a polyline through the fixes
(``path.vp-route``). A marker's popup says the local arrival and departure, the customer,
the status and links to the check-in. Popups are built from DOM text nodes, never from
markup, so a customer's name can't inject anything. ``window.vpDayReady`` turns true once
drawn.

:func:`day_legs` measures each stop from the previous one: straight-line metres between
the fixes (in the UTM zone of the earlier fix, :mod:`geo.projection`) and the minutes from
the previous departure to this arrival.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from geo.overlap_map import OSM_ATTRIBUTION, asset
from geo.projection import point_distance_m, utm_epsg
from visitproof.errors import InvalidValue
from visitproof.records import CheckinStatus
from visitproof.values import require_lat, require_lon, require_non_negative, require_utc

#: The vendored files (``geo/map_assets/``) the fragment inlines.
ASSETS_USED = ("leaflet.css", "leaflet.js")
#: Marker colours by status (the manager pages' status colours).
STATUS_COLOURS = {CheckinStatus.VERIFIED: "#1b5e20", CheckinStatus.REJECTED: "#b00020",
                  CheckinStatus.NEEDS_REVIEW: "#e65100", CheckinStatus.RECEIVED: "#546e7a"}


@dataclass(frozen=True, slots=True, kw_only=True)
class DaySite:
    """A customer's registered location (degrees) and geofence radius (metres)."""

    lat: float
    lon: float
    radius_m: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "lat", require_lat(self.lat, "site.lat"))
        object.__setattr__(self, "lon", require_lon(self.lon, "site.lon"))
        object.__setattr__(self, "radius_m", require_non_negative(self.radius_m,
                                                                  "site.radius_m"))


@dataclass(frozen=True, slots=True, kw_only=True)
class DayStop:
    """One check-in of the day: the phone's fix (degrees, accuracy in metres), the visit's
    arrival and departure (aware instants, kept in UTC), its status, the customer (id and
    name, plain text) and ``link``, the check-in's page: a path on this site (``/...``),
    never another host. ``site``: the customer's location and geofence, when known."""

    checkin_id: str
    lat: float
    lon: float
    accuracy_m: float
    arrived_at: datetime
    departed_at: datetime
    status: CheckinStatus
    customer_id: str
    customer_name: str
    link: str
    site: DaySite | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "lat", require_lat(self.lat))
        object.__setattr__(self, "lon", require_lon(self.lon))
        object.__setattr__(self, "accuracy_m", require_non_negative(self.accuracy_m,
                                                                    "accuracy_m"))
        object.__setattr__(self, "arrived_at", require_utc(self.arrived_at, "arrived_at"))
        object.__setattr__(self, "departed_at", require_utc(self.departed_at, "departed_at"))
        object.__setattr__(self, "status", CheckinStatus(self.status))
        if not self.link.startswith("/") or self.link.startswith("//") or "\\" in self.link:
            raise InvalidValue("link", f"must be a path on this site (/...), got "
                               f"{self.link!r}", code="BAD_LINK")


@dataclass(frozen=True, slots=True)
class Leg:
    """From the previous stop to this one: straight-line metres between the two fixes and
    minutes from the previous departure to this arrival (negative when the visits
    overlap, as the phones reported them)."""

    distance_m: float
    minutes: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DayMapOptions:
    """``tile_url``: XYZ template or None for the plain background only."""

    tile_url: str | None = None
    tile_attribution: str = OSM_ATTRIBUTION


def visiting_order(stops: Sequence[DayStop]) -> tuple[DayStop, ...]:
    """``stops`` by arrival, then departure, then check-in id (a stable order for ties)."""
    return tuple(sorted(stops, key=lambda s: (s.arrived_at, s.departed_at, s.checkin_id)))


def day_legs(stops: Sequence[DayStop]) -> tuple[Leg | None, ...]:
    """One entry per stop of ``stops`` as given (pass them in visiting order): None for
    the first, then the leg from the stop before."""
    legs: list[Leg | None] = [None] if stops else []
    for before, after in pairwise(stops):
        metres = point_distance_m(before.lon, before.lat, after.lon, after.lat,
                                  utm_epsg(before.lon, before.lat))
        minutes = (after.arrived_at - before.departed_at).total_seconds() / 60.0
        legs.append(Leg(distance_m=metres, minutes=minutes))
    return tuple(legs)


def day_map_data(stops: Sequence[DayStop], *, timezone: str,
                 options: DayMapOptions) -> dict[str, Any]:
    """The JSON the map's script reads: tiles, the stops numbered in visiting order with
    their local times (``timezone``, an IANA name), and each customer's site once."""
    zone = ZoneInfo(timezone)
    ordered = visiting_order(stops)
    sites: dict[str, dict[str, Any]] = {}
    for stop in ordered:
        if stop.site is not None and stop.customer_id not in sites:
            sites[stop.customer_id] = {"lat": stop.site.lat, "lon": stop.site.lon,
                                       "radius_m": stop.site.radius_m,
                                       "name": stop.customer_name}
    return {
        "tile_url": options.tile_url,
        "tile_attribution": options.tile_attribution,
        "stops": [{"number": number, "id": stop.checkin_id, "lat": stop.lat, "lon": stop.lon,
                   "accuracy_m": stop.accuracy_m,
                   "arrived": _local(stop.arrived_at, zone),
                   "departed": _local(stop.departed_at, zone),
                   "status": stop.status.value, "colour": STATUS_COLOURS[stop.status],
                   "customer": stop.customer_name, "customer_id": stop.customer_id,
                   "link": stop.link}
                  for number, stop in enumerate(ordered, start=1)],
        "sites": list(sites.values()),
    }


def day_map_html(stops: Sequence[DayStop], *, timezone: str,
                 options: DayMapOptions | None = None) -> str:
    """The map as an HTML fragment (its container, Leaflet's and its own style and
    script); an empty day raises ``EMPTY_INPUT`` (the page says so instead of a map)."""
    if not stops:
        raise InvalidValue("stops", "a day map needs at least one stop", code="EMPTY_INPUT")
    data = json.dumps(day_map_data(stops, timezone=timezone, options=options or
                                   DayMapOptions()),
                      ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # Markup characters as JSON escapes: a customer's name can't close the inline <script>
    # early, nor read as a tag to anything that scans the page.
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (f"<style>{asset('leaflet.css')}</style><style>{_STYLE}</style>"
            "<div id='vp-day-map-wrap'><div id='vp-day-map' role='region' "
            "aria-label='the day on a map'></div>"
            "<div id='vp-day-tiles-note' hidden>Map tiles unavailable: plain background."
            "</div></div>"
            f"<script>{asset('leaflet.js')}</script><script>{asset('tiles.js')}</script>"
            f"<script type='application/json' id='vp-day-data'>{data}</script>"
            f"<script>{_SCRIPT}</script>")


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%H:%M %Z")


_STYLE = """
#vp-day-map-wrap{position:relative;margin:12px 0}
#vp-day-map{height:480px;background:#eef1f4;border:1px solid #c9ced4}
#vp-day-tiles-note{position:absolute;z-index:1000;left:50px;top:8px;padding:2px 6px;
background:#fff;border:1px solid #c9ced4}
.vp-stop{border-radius:50%;color:#fff;font:bold 12px/22px system-ui,sans-serif;
text-align:center;border:2px solid #fff;box-shadow:0 0 2px #000;box-sizing:border-box}
.vp-popup a{display:inline-block;margin-top:4px}
@media (max-width:640px){#vp-day-map-wrap{margin:8px -12px}
#vp-day-map{height:60vh;border-left:0;border-right:0}}
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vp-day-data").textContent);
  var map = L.map("vp-day-map", {zoomAnimation: false, fadeAnimation: false,
                                 markerZoomAnimation: false, zoomSnap: 0.25});
  map.attributionControl.setPrefix(false);
  vpAddTiles(map, data.tile_url, data.tile_attribution,
             document.getElementById("vp-day-tiles-note"));
  function line(parent, tag, text) {
    var element = document.createElement(tag);
    element.textContent = text;
    parent.appendChild(element);
    return element;
  }
  function popup(stop) {
    var box = document.createElement("div");
    box.className = "vp-popup";
    line(box, "strong", stop.number + ". " + stop.customer);
    line(box, "div", "arrived " + stop.arrived + ", departed " + stop.departed);
    line(box, "div", stop.status).style.color = stop.colour;
    var link = line(box, "a", "open the check-in");
    link.href = stop.link;
    return box;
  }
  // The view first: Leaflet adds layers (and makes a marker's element) once it has one.
  var points = data.stops.map(function (stop) { return [stop.lat, stop.lon]; });
  data.sites.forEach(function (site) { points.push([site.lat, site.lon]); });
  map.fitBounds(L.latLngBounds(points), {padding: [28, 28], maxZoom: 16});
  data.sites.forEach(function (site) {
    var at = [site.lat, site.lon];
    L.circle(at, {radius: site.radius_m, className: "vp-geofence", color: "#455a64",
                  weight: 1, dashArray: "4 3", fillOpacity: 0.06}).addTo(map)
      .bindTooltip(site.name + " (geofence)");
    L.circleMarker(at, {radius: 3, className: "vp-site", color: "#455a64", weight: 1,
                        fillOpacity: 1}).addTo(map);
  });
  var route = data.stops.map(function (stop) { return [stop.lat, stop.lon]; });
  if (route.length > 1) {
    L.polyline(route, {className: "vp-route", color: "#1565c0", weight: 3,
                       opacity: 0.8}).addTo(map);
  }
  data.stops.forEach(function (stop) {
    var at = [stop.lat, stop.lon];
    L.circle(at, {radius: stop.accuracy_m, className: "vp-accuracy", color: stop.colour,
                  weight: 0, fillOpacity: 0.12, interactive: false}).addTo(map);
    var icon = L.divIcon({className: "vp-stop vp-" + stop.status, html: "",
                          iconSize: [24, 24]});
    var marker = L.marker(at, {icon: icon, title: stop.number + ". " + stop.customer})
      .addTo(map);
    var element = marker.getElement();
    element.textContent = String(stop.number);
    element.style.background = stop.colour;
    element.dataset.checkinId = stop.id;
    marker.bindPopup(popup(stop));
  });
  window.vpDayReady = true;
})();
"""

/* The overlap map page: footprints, overlaps and neglected customers on a Leaflet map, with
 * filters by period and rep, a legend and the overlap table. Reads its data from the JSON in
 * <script id="vp-data">; needs nothing from the network (tiles are optional).
 * Rendered paths carry the classes vp-footprint, vp-overlap and vp-neglected so a browser
 * test can count them; window.vpReady turns true after each render. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("vp-data").textContent);
  var colour = {};
  data.reps.forEach(function (rep) { colour[rep.id] = rep.colour; });
  var selected = new Set(data.default_reps);
  var periodIndex = 0;

  var map = L.map("vp-map", {
    zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false,
    zoomSnap: 0.25, attributionControl: true
  });
  var noTiles = document.getElementById("vp-tiles-note");
  if (!vpAddTiles(map, data.tile_url, data.tile_attribution, noTiles)) {
    noTiles.hidden = false;
  }
  var layers = L.layerGroup().addTo(map);

  function pct(value) { return (100 * value).toFixed(1) + "%"; }
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }
  function visible(pair) { return selected.has(pair.rep_a) && selected.has(pair.rep_b); }
  function ownedBySelection(props) {
    return props.owner_rep_ids.length === 0 ||
      props.owner_rep_ids.some(function (id) { return selected.has(id); });
  }

  function render(fit) {
    var period = data.periods[periodIndex];
    layers.clearLayers();
    var counts = { footprints: 0, overlaps: 0, neglected: 0 };
    var bounds = L.latLngBounds([]);
    period.footprints.features.forEach(function (feature) {
      var rep = feature.properties.rep_id;
      if (!selected.has(rep)) { return; }
      var layer = L.geoJSON(feature, { style: {
        color: colour[rep], weight: 1.5, fillColor: colour[rep], fillOpacity: 0.22,
        className: "vp-footprint vp-rep-" + rep } });
      layer.bindTooltip(feature.properties.name + ": " + feature.properties.visits +
        " verified visits, " + feature.properties.area_km2 + " km²");
      layer.addTo(layers);
      bounds.extend(layer.getBounds());
      counts.footprints += 1;
    });
    period.overlaps.features.forEach(function (feature) {
      if (!visible(feature.properties)) { return; }
      var p = feature.properties;
      L.geoJSON(feature, { style: {
        color: "#c0001a", weight: 2, dashArray: "5 3", fillColor: "#c0001a",
        fillOpacity: 0.35, className: "vp-overlap" } })
        .bindTooltip(p.rep_a + " ∩ " + p.rep_b + ": IoU " + pct(p.iou))
        .addTo(layers);
      counts.overlaps += 1;
    });
    period.customers.features.forEach(function (feature) {
      var p = feature.properties;
      if (!ownedBySelection(p)) { return; }
      var c = feature.geometry.coordinates;
      bounds.extend([c[1], c[0]]);
      L.circleMarker([c[1], c[0]], {
        radius: 5, weight: 1.5, color: "#222", fillOpacity: 0.9,
        fillColor: p.status === "never" ? "#111111" : "#ff9800",
        className: "vp-neglected vp-" + p.status })
        .bindTooltip(p.name + " (tier " + p.tier + "): " + (p.last_touch === null ?
          "never touched" : p.days_untouched.toFixed(0) + " days since " + p.last_touch))
        .addTo(layers);
      counts.neglected += 1;
    });
    if (fit) {
      if (bounds.isValid()) { map.fitBounds(bounds, { animate: false, padding: [36, 36] }); }
      else { map.fitBounds(data.bounds, { animate: false }); }
    }
    renderTable(period);
    renderSummary(period, counts);
    document.body.dataset.footprints = counts.footprints;
    document.body.dataset.overlaps = counts.overlaps;
    document.body.dataset.neglected = counts.neglected;
    window.vpReady = true;
  }

  function renderTable(period) {
    var body = document.querySelector("#vp-pairs tbody");
    body.replaceChildren();
    period.pairs.filter(visible).slice(0, data.max_table_rows).forEach(function (pair) {
      var row = document.createElement("tr");
      row.dataset.repA = pair.rep_a;
      row.dataset.repB = pair.rep_b;
      row.dataset.shareAInB = pair.share_a_in_b;
      row.dataset.shareBInA = pair.share_b_in_a;
      row.dataset.iou = pair.iou;
      row.dataset.sharedAccounts = pair.shared_accounts;
      row.append(text("td", pair.rep_a), text("td", pair.rep_b),
        text("td", pct(pair.share_a_in_b), "num"), text("td", pct(pair.share_b_in_a), "num"),
        text("td", pct(pair.iou), "num"), text("td", String(pair.shared_accounts), "num"));
      body.append(row);
    });
  }

  function renderSummary(period, counts) {
    var top = period.top;
    document.getElementById("vp-summary").textContent =
      "Top " + top.reps.length + " (" + top.reps.join(", ") + "): group overlap " +
      pct(top.group_overlap) + ", mean pairwise IoU " + pct(top.mean_pairwise_iou) + ". Shown: " +
      counts.footprints + " footprints, " + counts.overlaps + " overlaps, " +
      counts.neglected + " neglected customers.";
    document.getElementById("vp-definition").textContent = period.definition;
  }

  var periodSelect = document.getElementById("vp-period");
  data.periods.forEach(function (period, i) {
    var option = text("option", period.label);
    option.value = String(i);
    periodSelect.append(option);
  });
  periodSelect.addEventListener("change", function () {
    periodIndex = Number(periodSelect.value);
    render(true);
  });

  var repList = document.getElementById("vp-reps");
  data.reps.forEach(function (rep) {
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.value = rep.id;
    box.checked = selected.has(rep.id);
    box.addEventListener("change", function () {
      if (box.checked) { selected.add(rep.id); } else { selected.delete(rep.id); }
      render(false);
    });
    var swatch = text("span", "", "swatch");
    swatch.style.background = rep.colour;
    label.append(box, swatch, text("span", rep.name + " (" + rep.id + ")"));
    repList.append(label);
  });
  function selectOnly(ids) {
    selected = new Set(ids);
    repList.querySelectorAll("input").forEach(function (box) {
      box.checked = selected.has(box.value);
    });
    render(true);
  }
  document.getElementById("vp-top").addEventListener("click", function () {
    selectOnly(data.periods[periodIndex].top.reps);
  });
  document.getElementById("vp-all").addEventListener("click", function () {
    selectOnly(data.reps.map(function (rep) { return rep.id; }));
  });
  document.getElementById("vp-none").addEventListener("click", function () { selectOnly([]); });

  render(true);
}());

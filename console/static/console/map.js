/* 一张图: the grids and the open reports from the page's own data (#map-data); pins are
   filled by status and ringed by traffic light; a click opens the report. Zoomed out,
   clusters from the server (the API's clusters, through the console's session). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var box = document.getElementById("map");
  var map = L.map(box, { preferCanvas: false, zoomSnap: 0.25 });
  if (data.tile_url) {
    L.tileLayer(data.tile_url, { attribution: data.tile_attribution, maxZoom: 19 }).addTo(map);
  } else {
    box.classList.add("plain");
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(box.dataset.noTiles);
  }
  var grids = L.geoJSON({ type: "FeatureCollection", features: data.grids }, {
    style: function () { return { className: "grid-cell", color: "#2f6fb3", weight: 1.5, fillColor: "#9cc3ea", fillOpacity: 0.18 }; },
    onEachFeature: function (feature, layer) {
      var p = feature.properties;
      layer.bindTooltip(p.code + " " + p.name, { direction: "top", offset: [0, -8], className: "grid-label", permanent: true, opacity: 0.9 });
    }
  }).addTo(map);
  var STATUS = { submitted: "#d9480f", accepted: "#f08c00", dispatched: "#1971c2", in_progress: "#5f3dc4" };
  var LIGHT = { green: "#2b8a3e", yellow: "#f2c200", red: "#e03131" };
  // Pins above the grid labels (tooltips sit at z-index 650), so a label never hides one.
  map.createPane("pins").style.zIndex = 700;
  var pins = L.layerGroup().addTo(map);
  var shown = {};
  function esc(s) { var d = document.createElement("div"); d.textContent = s; return d.innerHTML; }
  function draw() {
    pins.clearLayers();
    var n = 0;
    data.reports.forEach(function (r) {
      if (!shown[r.status]) { return; }
      n += 1;
      var marker = L.circleMarker([r.lat, r.lng], {
        pane: "pins",
        className: "report-pin pin-" + r.status + (r.light ? " light-" + r.light : ""),
        radius: r.urgent ? 9 : 7, fillColor: STATUS[r.status] || "#495057", fillOpacity: 0.9,
        color: r.light ? LIGHT[r.light] : "#ffffff", weight: r.light ? 4 : 2
      });
      var url = data.report_url.replace("{id}", r.id);
      marker.bindPopup("<b>" + esc(r.number) + "</b><br>" + esc(r.category) + " · " + esc(r.status_label) +
        '<br><a class="open-report" href="' + url + '">' + esc(box.dataset.open) + "</a>");
      marker.addTo(pins);
    });
    document.getElementById("map-counts").textContent =
      data.grids.length + " " + box.dataset.grids + " · " + n + " " + box.dataset.pins;
  }
  // Zoomed out, the server's clusters of the visible reports replace the pins: one circle
  // per cell, sized by its count, a click zooms in on it.
  var clusters = L.layerGroup().addTo(map);
  var request = 0;
  function checked() { return Object.keys(shown).filter(function (s) { return shown[s]; }); }
  function drawClusters() {
    var b = map.getBounds(), ask = ++request;
    var query = new URLSearchParams({
      zoom: Math.floor(map.getZoom()), status: checked().join(","),
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",")
    });
    fetch(data.clusters_url + "?" + query, { credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : { features: [] }; })
      .then(function (found) {
        if (ask !== request) { return; }  // a later move asked again
        clusters.clearLayers();
        var total = 0;
        found.features.forEach(function (f) {
          var n = f.properties.count, at = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
          total += n;
          L.marker(at, { pane: "pins", icon: L.divIcon({
            className: "report-cluster", iconSize: null,
            html: '<span style="--size:' + Math.round(22 + 8 * Math.log2(n)) + 'px">' + n + "</span>" }) })
            .on("click", function () { map.setView(at, Math.max(map.getZoom() + 2, data.cluster_below_zoom)); })
            .addTo(clusters);
        });
        document.getElementById("map-counts").textContent = data.grids.length + " " + box.dataset.grids +
          " · " + total + " " + box.dataset.pins + " · " + found.features.length + " " + box.dataset.clusters;
      });
  }
  function refresh() {
    var out = map.getZoom() < data.cluster_below_zoom;
    box.classList.toggle("zoomed-out", out);  // the grids' names would pile up
    if (out) {
      pins.clearLayers();
      drawClusters();
    } else {
      request += 1;
      clusters.clearLayers();
      draw();
    }
  }
  document.querySelectorAll('.map-bar input[name="status"]').forEach(function (input) {
    shown[input.value] = input.checked;
    input.addEventListener("change", function () { shown[input.value] = input.checked; refresh(); });
  });
  map.on("moveend", refresh);
  if (data.grids.length) { map.fitBounds(grids.getBounds(), { padding: [20, 20] }); } else { map.setView([21.48, 109.12], 14); }
  refresh();
})();

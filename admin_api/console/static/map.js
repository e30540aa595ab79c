// The console's map: the filter's pins, coloured by status and clustered. Loaded on the map
// page only; the list beside the map works without it.
(function () {
  "use strict";
  var box = document.getElementById("map");
  if (!box || !window.L || !window.fetch) { return; }
  var colours = { "new": "#0b57a4", "acknowledged": "#6f42c1", "in_progress": "#b7791f",
                  "reopened": "#b42318", "resolved": "#0f5132", "closed": "#57606a",
                  "rejected": "#57606a", "duplicate": "#57606a",
                  // an investment plan's projects
                  "planned": "#0b57a4", "in_progress": "#b7791f", "completed": "#0f5132",
                  "suspended": "#b42318" };
  var map = L.map(box, { preferCanvas: true, maxZoom: 19 }).setView([9.3, 2.3], 7);  // Benin
  var tiles = box.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, { maxZoom: 19,
      attribution: "&copy; OpenStreetMap" }).addTo(map);
  }
  var group = L.markerClusterGroup({ showCoverageOnHover: false });
  fetch(box.getAttribute("data-points"), { credentials: "same-origin" })
    .then(function (answer) { return answer.json(); })
    .then(function (body) {
      body.points.forEach(function (pin) {
        var marker = L.circleMarker([pin[1], pin[2]], { radius: 7, weight: 1,
          color: "#fff", fillColor: colours[pin[3]] || "#57606a", fillOpacity: 0.9 });
        var link = document.createElement("a");
        link.href = (box.getAttribute("data-link") || "/console/s/") + encodeURIComponent(pin[0]);
        link.textContent = (pin[4] || pin[0]) + " — " + box.getAttribute("data-open");
        marker.bindPopup(link);
        group.addLayer(marker);
      });
      map.addLayer(group);
      if (body.points.length) { map.fitBounds(group.getBounds(), { maxZoom: 16 }); }
      box.setAttribute("data-shown", String(body.points.length));
    });
}());

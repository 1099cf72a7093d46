// The map's background tiles where the operator configured a tile server (the overlap map
// and a rep's day both draw them so). Offline deployments: after a few failures and no
// success the tiles are dropped and the plain background stays, so the page is readable
// instead of a grid of broken images, and `note` (an element) says so. False: no tiles.
function vpAddTiles(map, url, attribution, note) {
  "use strict";
  if (!url) { return false; }
  var tiles = L.tileLayer(url, {attribution: attribution, maxZoom: 19});
  var loaded = 0, failed = 0;
  tiles.on("tileload", function () { loaded += 1; });
  tiles.on("tileerror", function () {
    failed += 1;
    if (failed >= 4 && loaded === 0 && map.hasLayer(tiles)) {
      map.removeLayer(tiles);
      note.hidden = false;
    }
  });
  tiles.addTo(map);
  return true;
}

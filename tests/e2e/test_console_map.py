"""The console's map: the filter's pins as data, the list beside the map without JavaScript,
and Leaflet served by Palabre itself (no CDN), on the map page only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from core.geo import Point
from palabre.web import create_web_app
from tests.e2e.console_client import signed_in, signed_in_browser
from tests.e2e.test_privacy import _report
from tests.talk import Talker


@pytest.fixture
def client(app) -> TestClient:
    return signed_in_browser(app)


def test_the_filters_pins_and_only_the_communes_own(app, client, messenger) -> None:
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    drain = _report(ama, "Caniveau bouché")
    lamp = _report(ama, "Lampadaire éteint", Point(6.40, 2.45))
    koffi = Talker(app, messenger, "koffi")
    koffi.onboard(commune="Abomey-Calavi")
    theirs = _report(koffi, "Route défoncée", Point(6.45, 2.35))

    pins = client.get("/console/map.json").json()["points"]
    assert {p[0] for p in pins} == {drain, lamp}
    assert next(p[1:] for p in pins if p[0] == lamp) == [6.40, 2.45, "new"]
    assert [p[0] for p in client.get("/console/map.json?q=lampadaire").json()["points"]] == [
        lamp]
    page = client.get("/console/map?q=lampadaire")
    assert lamp in page.text and drain not in page.text and theirs not in page.text
    assert "6.40000, 2.45000" in page.text  # readable without the map


def test_leaflet_comes_from_palabre_and_only_on_the_map_page(client) -> None:
    page = client.get("/console/map").text
    assert '/console/vendor/leaflet/leaflet.js' in page
    assert "unpkg" not in page and "cdn" not in page.lower()
    assert client.get("/console/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/console/vendor/markercluster/leaflet.markercluster.js").status_code == 200
    assert "leaflet" not in client.get("/console/").text


def test_the_tile_server_is_allowed_on_the_map_page_only(app, client) -> None:
    web = create_web_app(app)
    web.state.map_tiles = "https://tiles.example.bj/{z}/{x}/{y}.png"
    tiled = TestClient(web)
    signed_in(tiled, "awa")
    policy = tiled.get("/console/map").headers["content-security-policy"]
    assert "img-src 'self' data: https://tiles.example.bj" in policy
    assert "tiles.example.bj" not in tiled.get("/console/").headers["content-security-policy"]

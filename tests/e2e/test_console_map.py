"""The console's map: the filter's pins as data, the list beside the map without JavaScript,
and Leaflet served by Palabre itself (no CDN), on the map page only."""

from __future__ import annotations

import math
import re

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


def test_a_submission_shows_its_pin_and_the_similar_reports_on_a_small_map(
        app, client, messenger) -> None:
    ama, kojo = Talker(app, messenger, "ama"), Talker(app, messenger, "kojo")
    ama.onboard()
    kojo.onboard()
    first = _report(ama, "Caniveau bouché", Point(6.3700, 2.3900))
    near = _report(kojo, "Caniveau qui déborde", Point(6.3700, 2.3918))  # 200 m east
    far = _report(kojo, "Caniveau cassé", Point(6.4000, 2.4500))  # 7 km away

    answer = client.get(f"/console/s/{first}")
    page = answer.text
    figure = page.split('<figure class="minimap">')[1].split("</figure>")[0]
    assert '<circle class="pin"' in figure and f"<title>{first}</title>" in figure
    assert f'<a href="/console/s/{near}"><circle class="near"' in figure
    assert far not in figure
    assert "6.37000, 2.39000" in figure and "200 m" in figure  # readable without tiles
    assert "<img" not in figure  # no tile server in the tests
    assert "img-src 'self' data:;" in answer.headers["content-security-policy"]


def test_the_small_map_draws_its_pin_over_the_tile_servers_pictures(app, client,
                                                                   messenger) -> None:
    ama = Talker(app, messenger, "ama")
    ama.onboard()
    reference = _report(ama, "Caniveau bouché", Point(6.3700, 2.3900))
    web = create_web_app(app)
    web.state.map_tiles = "https://{s}.tiles.example.bj/{z}/{x}/{y}.png"
    tiled = TestClient(web)
    signed_in(tiled, "awa")

    answer = tiled.get(f"/console/s/{reference}")

    tiles = re.findall(r'<img src="https://([abc])\.tiles\.example\.bj/(\d+)/(\d+)/(\d+)\.png" '
                       r'alt="" width="256" height="256" loading="lazy">', answer.text)
    assert len(tiles) == 4 and {zoom for _, zoom, _, _ in tiles} == {"16"}
    # The tile holding the pin, worked out from the Web Mercator formulas (zoom 16).
    x = int((2.39 + 180) / 360 * 2 ** 16)
    y = int((1 - math.asinh(math.tan(math.radians(6.37))) / math.pi) / 2 * 2 ** 16)
    assert (str(x), str(y)) in {(tx, ty) for _, _, tx, ty in tiles}
    assert "img-src 'self' data: https://*.tiles.example.bj;" in \
        answer.headers["content-security-policy"]

"""The small map beside a submission, drawn on the server: its pin, the similar reports
nearby that it might be a duplicate of, and a scale bar, over four tiles of the tile server
(PALABRE_MAP_TILES) at street level. No script: the tiles are plain pictures in a 2×2 grid,
the pins an SVG laid over them in the same pixels; the window shows the block's middle
256 px, where the pin always falls. Without tiles (none configured, a server
out of reach, a phone that saves its data) the sketch to scale remains, and the coordinates
and arrondissement are written under it."""

from __future__ import annotations

import math
from dataclasses import dataclass

ZOOM = 16  # streets and blocks: the 256 px window covers about 600 m in Benin
TILE = 256
VIEW = TILE  # the window: the middle of the 2×2 block, from TILE / 2 to TILE * 3 / 2
EARTH_METRES_PER_PIXEL = 156_543.03392  # at the equator, zoom 0 (Web Mercator)
SCALE_METRES = 200


@dataclass(frozen=True)
class Dot:
    reference: str
    x: float  # pixels within the square
    y: float
    status: str


@dataclass(frozen=True)
class MiniMap:
    pin: Dot
    nearby: list[Dot]
    tiles: list[str]  # four addresses, row by row; empty without a tile server
    scale_pixels: float  # the length of SCALE_METRES
    scale_metres: int = SCALE_METRES
    start: int = TILE // 2  # the window within the block, in pixels
    end: int = TILE // 2 + VIEW


def minimap(reference: str, status: str, latitude: float, longitude: float,
            nearby: list[tuple[str, str, float, float]], tiles: str) -> MiniMap:
    """The map around a pin; `nearby` as (reference, status, latitude, longitude), those
    outside the window left out; `tiles` a {z}/{x}/{y} address or empty."""
    x, y = _pixels(latitude, longitude)
    # The 2×2 block whose centre is nearest the pin: the pin falls in its middle half.
    left, top = round(x / TILE) - 1, round(y / TILE) - 1
    origin_x, origin_y = left * TILE, top * TILE

    def dot(ref: str, state: str, lat: float, lon: float) -> Dot:
        px, py = _pixels(lat, lon)
        return Dot(ref, round(px - origin_x, 1), round(py - origin_y, 1), state)

    others = [dot(*other) for other in nearby]
    metres_per_pixel = EARTH_METRES_PER_PIXEL * math.cos(math.radians(latitude)) / 2 ** ZOOM
    return MiniMap(
        pin=dot(reference, status, latitude, longitude),
        nearby=[d for d in others if TILE // 2 <= d.x <= TILE // 2 + VIEW and
                TILE // 2 <= d.y <= TILE // 2 + VIEW],
        tiles=[tile_address(tiles, ZOOM, left + column, top + row)
               for row in (0, 1) for column in (0, 1)] if tiles else [],
        scale_pixels=round(SCALE_METRES / metres_per_pixel, 1))


def tile_address(template: str, zoom: int, x: int, y: int) -> str:
    """A tile's address from a Leaflet-style template ({s} a subdomain, {r} empty)."""
    return (template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))
            .replace("{s}", "abc"[(x + y) % 3]).replace("{r}", ""))


def _pixels(latitude: float, longitude: float) -> tuple[float, float]:
    """Web Mercator pixel coordinates at ZOOM, as the tile servers cut their tiles."""
    world = TILE * 2 ** ZOOM
    sine = math.sin(math.radians(max(-85.0, min(85.0, latitude))))
    x = (longitude + 180.0) / 360.0 * world
    y = (0.5 - math.log((1 + sine) / (1 - sine)) / (4 * math.pi)) * world
    return x, y

"""The public page's pictures, drawn on the server: the map of the reports sent publicly (an
SVG of rounded points around the commune's seat, no tiles to download) and the QR codes of
the links that open the bots."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from xml.sax.saxutils import escape

import segno

from core.communes.centres import centres
from core.geo import Point
from core.submissions.published import Pin

WIDTH, HEIGHT, MARGIN = 480, 320, 16
MIN_SPAN = 0.02  # degrees: a map no smaller than about 2 km across


def map_svg(commune_id: str, pins: list[Pin], title: str) -> str:
    """The points (open: orange, dealt with: green) and the seat (a black square)."""
    seat = centres().get(commune_id)
    points = [Point(p.latitude, p.longitude) for p in pins] + ([seat.point] if seat else [])
    place = _frame(points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" class="{"o" if p.open else "c"}"/>'
                   for p in pins for x, y in [place(Point(p.latitude, p.longitude))])
    mark = ""
    if seat is not None:
        x, y = place(seat.point)
        mark = f'<rect x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" height="12" class="s"/>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}" role="img"><title>{escape(title)}</title>'
            '<style>.o{fill:#d9480f;fill-opacity:.75}.c{fill:#2b8a3e;fill-opacity:.75}'
            '.s{fill:#111}</style>'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f4f1ea"/>{dots}{mark}</svg>')


def _frame(points: list[Point]) -> Callable[[Point], tuple[float, float]]:
    """Longitude and latitude to the picture's x and y, the points' box filling it (east-west
    shrunk by the latitude's cosine, so that distances keep their proportions)."""
    if not points:
        points = [Point(9.3, 2.3)]  # Benin's middle: an empty map
    south, north = min(p.latitude for p in points), max(p.latitude for p in points)
    west, east = min(p.longitude for p in points), max(p.longitude for p in points)
    shrink = math.cos(math.radians((south + north) / 2))
    span_y = max(north - south, MIN_SPAN)
    span_x = max((east - west) * shrink, MIN_SPAN)
    scale = min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)
    middle_x, middle_y = (west + east) / 2, (south + north) / 2

    def place(point: Point) -> tuple[float, float]:
        return (WIDTH / 2 + (point.longitude - middle_x) * shrink * scale,
                HEIGHT / 2 - (point.latitude - middle_y) * scale)
    return place


def qr_svg(url: str) -> str:
    """The link as a QR code, black on white, a few kilobytes."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False,
                                    svgns=True, title=url)
    return out.getvalue().decode()

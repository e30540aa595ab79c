"""The submission's small map, worked out on the server: the pin inside the window, the
similar reports where they are to scale, those too far left out, the tiles' addresses."""

from __future__ import annotations

from admin_api.console.minimap import VIEW, minimap, tile_address

COTONOU = (6.3703, 2.3912)


def test_the_pin_falls_inside_the_window_wherever_it_is() -> None:
    for step in range(40):  # across several tiles, east and south
        lat, lon = COTONOU[0] - step * 0.0007, COTONOU[1] + step * 0.0009
        drawn = minimap("COT-SIG-26-0001", "new", lat, lon, [], "")
        assert drawn.start <= drawn.pin.x <= drawn.end and drawn.start <= drawn.pin.y <= drawn.end
        assert drawn.end - drawn.start == VIEW


def test_nearby_reports_are_drawn_to_scale_and_far_ones_left_out() -> None:
    east = ("COT-SIG-26-0002", "acknowledged", COTONOU[0], COTONOU[1] + 0.0009)  # ~100 m
    north = ("COT-SIG-26-0003", "new", COTONOU[0] + 0.0009, COTONOU[1])  # ~100 m
    far = ("COT-SIG-26-0004", "new", COTONOU[0] + 0.05, COTONOU[1])  # ~5.5 km

    drawn = minimap("COT-SIG-26-0001", "new", *COTONOU, [east, north, far], "")

    assert [d.reference for d in drawn.nearby] == ["COT-SIG-26-0002", "COT-SIG-26-0003"]
    right, up = drawn.nearby
    assert 40 < right.x - drawn.pin.x < 44 and abs(right.y - drawn.pin.y) < 0.2
    assert 40 < drawn.pin.y - up.y < 44 and abs(up.x - drawn.pin.x) < 0.2  # north is up
    # 200 m at zoom 16 near the equator: 2.37 m a pixel.
    assert 83 < drawn.scale_pixels < 86
    assert drawn.tiles == []


def test_four_tile_addresses_around_the_pin() -> None:
    drawn = minimap("COT-SIG-26-0001", "new", *COTONOU, [],
                    "https://{s}.tile.example.org/{z}/{x}/{y}{r}.png")
    cut = [a.removeprefix("https://").split("/") for a in drawn.tiles]
    xs = sorted({int(c[2]) for c in cut})
    ys = sorted({int(c[3].removesuffix(".png")) for c in cut})
    assert len(drawn.tiles) == 4 and {c[1] for c in cut} == {"16"}
    assert xs[1] - xs[0] == 1 and ys[1] - ys[0] == 1
    assert all(c[0] in ("a.tile.example.org", "b.tile.example.org", "c.tile.example.org")
               for c in cut)
    assert tile_address("https://t.example/{z}/{x}/{y}.png", 3, 4, 5) == \
        "https://t.example/3/4/5.png"

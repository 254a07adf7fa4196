"""Writes world.svg, the page's land outline, from world-atlas's land-110m.json.

Run once by hand when the outline should change (the SVG is committed, so neither a build
nor a test needs Node, npm or this script):

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python3 src/serve/assets/make_map.py package/land-110m.json > src/serve/assets/world.svg

The projection is equirectangular: x = lon + 180, y = 90 - lat, on a 360 x 180 canvas
cropped to latitudes 84 N .. 58 S, so the page places a city's dot with the same two
lines. Coordinates are rounded to 0.1 degree: enough for a sketch map, and small.
"""

import json
import sys

TOP, BOTTOM = 84.0, -58.0


def decode_arcs(topo):
    scale = topo["transform"]["scale"]
    translate = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)
    return arcs


def ring_points(ring, arcs):
    points = []
    for index in ring:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def path_of(points):
    out = []
    last = None
    for lon, lat in points:
        lat = max(min(lat, TOP), BOTTOM)
        p = (round(lon + 180, 1), round(TOP - lat, 1))
        if p == last:
            continue
        # A ring that crosses the 180th meridian jumps across the whole map: start a new
        # piece there instead of drawing a line through every continent.
        op = "M" if last is None or abs(p[0] - last[0]) > 180 else "L"
        out.append(f"{op}{p[0]:g},{p[1]:g}")
        last = p
    if len(out) < 3:
        return ""
    return "".join(out) + "Z"


def main(path):
    topo = json.load(open(path, encoding="utf-8"))
    arcs = decode_arcs(topo)
    parts = []
    for geometry in topo["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for ring in polygon:
                points = ring_points(ring, arcs)
                # Antarctica lies wholly south of the crop: a strip along the edge says
                # nothing on a map of cities.
                if max(lat for _, lat in points) < BOTTOM:
                    continue
                d = path_of(points)
                if d:
                    parts.append(d)
    height = TOP - BOTTOM
    sys.stdout.write(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 %g">'
        "<!-- Land outlines: Natural Earth (public domain) via world-atlas 2.0.2 "
        "(ISC licence, Copyright 2013-2019 Michael Bostock); equirectangular; "
        "latitudes %g N to %g S. -->"
        '<path fill="#cfd8e2" d="%s"/></svg>\n' % (height, TOP, -BOTTOM, "".join(parts))
    )


if __name__ == "__main__":
    main(sys.argv[1])

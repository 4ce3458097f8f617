"""The dashboard's map of NRW: one square tile per unit in its status colour,
labelled with the unit's licence-plate code, thick lines between the regions.

The layout follows the approximate positions the project ships
(lms/data/unit-positions.csv): each position is projected onto a grid of
CELL_KM squares; units in crowded places (the Ruhr) choose first, and a unit
whose cell is taken moves to the nearest free cell, preferring, among cells
about as near, one next to its own region's tiles. A unit the positions do
not know (added in the app later) gets a free cell near the centre of its
region's tiles.
"""
import csv
import functools
import math
from typing import NamedTuple

from markupsafe import Markup, escape

from ..coverage import STATUS_LABELS
from .charts import STATUS_COLOURS

CELL_KM = 24  # side of a grid cell on the ground: NRW becomes 10 x 9 cells
KM_PER_DEGREE_LAT = 111.2
CROWD_RADIUS = 1.5  # in cells: how near another unit counts as crowding a unit
MARGIN = 1  # free cells around the projected places a tile may move into
SLACK = 0.25  # in cells: how much further than the nearest free cell a tile may go to join its region
SIDES = ((-1, 0), (1, 0), (0, -1), (0, 1))
TILE = 40  # side of a cell in the SVG's units
GAP = 3  # white space between two tiles
REGION_LINE_WIDTH = 4  # the line between two regions runs in that gap
PAD = 4
DARK_TEXT, LIGHT_TEXT = "#000000", "#ffffff"
REGION_LINE = "#1b1b1b"


@functools.cache
def load_positions(path):
    """Approximate positions of the units ({name: (lat, lon)}): centres of
    the Kreise and cities, rounded, enough for a schematic map."""
    with open(path, encoding="utf-8") as handle:
        return {row["name"]: (float(row["lat"]), float(row["lon"])) for row in csv.DictReader(handle)}


@functools.cache
def load_plates(path):
    """{unit name: licence-plate code} (lms/data/unit-plates.csv)."""
    with open(path, encoding="utf-8") as handle:
        return {row["name"]: row["plate"] for row in csv.DictReader(handle)}


def tile_label(name, plates):
    """The unit's plate code, or the first letters of its name."""
    return plates.get(name) or name.upper()[:3]


# --- layout ---------------------------------------------------------------------------


class Layout(NamedTuple):
    points: dict  # {name: (x, y)}: the projected place, in cells (x east, y south)
    cells: dict  # {name: (column, row)}: the tile's cell
    area: tuple  # every cell a tile may take, row by row


def project(positions):
    """{name: (x, y)} in cells from the westernmost and northernmost unit;
    a degree of longitude is shortened by the cosine of the mean latitude,
    so that a cell is square on the ground."""
    mean_lat = sum(lat for lat, _ in positions.values()) / len(positions)
    west = min(lon for _, lon in positions.values())
    north = max(lat for lat, _ in positions.values())
    km_per_degree_lon = KM_PER_DEGREE_LAT * math.cos(math.radians(mean_lat))
    return {name: ((lon - west) * km_per_degree_lon / CELL_KM, (north - lat) * KM_PER_DEGREE_LAT / CELL_KM)
            for name, (lat, lon) in positions.items()}


def home_cell(point):
    """The cell a projected place falls into."""
    return math.floor(point[0] + 0.5), math.floor(point[1] + 0.5)


def nearest_free(point, area, taken, region):
    """A free cell of ``area`` near ``point``, or None when the area is full.
    Cells up to SLACK further away than the nearest count as near too; of
    those, the one next to most tiles of ``region`` wins (then the nearest,
    the northern, the western), so that a region's tiles hang together.
    ``taken`` is {cell: region of its tile}."""
    free = [cell for cell in area if cell not in taken]
    if not free:
        return None
    nearest = min(math.dist(cell, point) for cell in free)

    def neighbours(cell):
        return sum(taken.get((cell[0] + dx, cell[1] + dy)) == region for dx, dy in SIDES)

    return min((cell for cell in free if math.dist(cell, point) <= nearest + SLACK),
               key=lambda cell: (-neighbours(cell), math.dist(cell, point), cell[1], cell[0]))


def layout_tiles(positions, regions):
    """The tiles' cells for the units in both ``positions`` ({name: (lat,
    lon)}) and ``regions`` ({name: region name}). The unit with the most
    others within CROWD_RADIUS chooses first (then the one nearest to its
    cell's centre, then by name), so the crowded Ruhr cities keep their
    places and the spacious Kreise around them give way."""
    points = project(positions) if positions else {}
    homes = {name: home_cell(point) for name, point in points.items()}
    columns = [column for column, _ in homes.values()] or [0]
    rows = [row for _, row in homes.values()] or [0]
    area = tuple((column, row) for row in range(min(rows) - MARGIN, max(rows) + MARGIN + 1)
                 for column in range(min(columns) - MARGIN, max(columns) + MARGIN + 1))

    def crowd(name):
        return sum(1 for other in points.values() if math.dist(other, points[name]) < CROWD_RADIUS) - 1

    cells, taken = {}, {}
    for name in sorted((name for name in points if name in regions),
                       key=lambda name: (-crowd(name), math.dist(points[name], homes[name]), name)):
        cell = nearest_free(points[name], area, taken, regions[name])
        if cell is not None:
            cells[name], taken[cell] = cell, regions[name]
    return Layout(points, cells, area)


def place_units(units, positions):
    """{unit id: cell} for ``units`` (each with .id, .name, .region.name):
    the layout's cell for a unit with a position; any other unit (by name,
    then id) gets a free cell near the centre of its region's tiles, or
    none when its region has no tile or the area is full."""
    regions = {unit.name: unit.region.name for unit in units}
    layout = layout_tiles(positions, regions)
    placed = {unit.id: layout.cells[unit.name] for unit in units if unit.name in layout.cells}
    taken = {cell: regions[name] for name, cell in layout.cells.items()}
    for unit in sorted((unit for unit in units if unit.id not in placed), key=lambda unit: (unit.name, unit.id)):
        cells = [cell for cell, region in taken.items() if region == unit.region.name]
        if not cells:
            continue
        centre = sum(column for column, _ in cells) / len(cells), sum(row for _, row in cells) / len(cells)
        cell = nearest_free(centre, layout.area, taken, unit.region.name)
        if cell is not None:
            placed[unit.id], taken[cell] = cell, unit.region.name
    return placed


def region_edges(regions):
    """The cell edges to draw thick, from {cell: region name}: every edge
    between two regions, or between a region and an empty cell, once, as
    ((column, row), (column, row)) corner pairs, sorted."""
    edges = set()
    for (column, row), region in regions.items():
        sides = {(-1, 0): ((column, row), (column, row + 1)), (1, 0): ((column + 1, row), (column + 1, row + 1)),
                 (0, -1): ((column, row), (column + 1, row)), (0, 1): ((column, row + 1), (column + 1, row + 1))}
        edges.update(edge for (dx, dy), edge in sides.items() if regions.get((column + dx, row + dy)) != region)
    return sorted(edges)


# --- colours ---------------------------------------------------------------------------


def luminance(colour):
    """Relative luminance of "#rrggbb" (WCAG 2)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    red, green, blue = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one, other):
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def label_colour(fill):
    """Dark text on a light fill, white on a dark one: whichever contrasts more."""
    return max((DARK_TEXT, LIGHT_TEXT), key=lambda text: contrast(text, fill))


# --- drawing ---------------------------------------------------------------------------


def unit_map(rows, placed, plates, link):
    """The map for these coverage rows as SVG: a tile per unit that has a
    cell in ``placed`` ({unit id: cell}), linked to ``link(unit id)``.
    Returns (SVG or None, names of the units without a tile)."""
    tiles = [(row, placed[row.unit.id]) for row in rows if row.unit.id in placed]
    missing = [row.unit.name for row in rows if row.unit.id not in placed]
    if not tiles:
        return None, missing
    left = min(column for _, (column, _) in tiles)
    top = min(row for _, (_, row) in tiles)
    width = (max(column for _, (column, _) in tiles) - left + 1) * TILE + 2 * PAD
    height = (max(row for _, (_, row) in tiles) - top + 1) * TILE + 2 * PAD

    def corner(cell):
        return PAD + (cell[0] - left) * TILE, PAD + (cell[1] - top) * TILE

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart unit-map" '
             f'role="group" aria-labelledby="map-title map-desc">',
             '<title id="map-title">Karte: Status der Gliederungen in NRW</title>',
             '<desc id="map-desc">Schematische Karte, ein Feld pro Gliederung mit ihrem Autokennzeichen, in der Farbe '
             'ihres Status; dicke Linien trennen die Regionen. Die gleichen Angaben stehen in der Tabelle der '
             'Gliederungen.</desc>']
    for row, cell in tiles:
        x, y = corner(cell)
        fill = STATUS_COLOURS[row.status]
        label = tile_label(row.unit.name, plates)
        label_class = "map-label map-label-long" if len(label) > 3 else "map-label"
        # The accessible name starts with the visible label (WCAG 2.5.3, "label in name").
        name = f"{label} – {row.unit.display_name}: {STATUS_LABELS[row.status]}"
        # A group, not an image: each tile is a link with its own name, reachable by keyboard.
        parts.append(f'<a href="{escape(link(row.unit.id))}" aria-label="{escape(name)}">'
                     f'<title>{escape(name)}</title>'
                     f'<rect x="{x + GAP / 2}" y="{y + GAP / 2}" width="{TILE - GAP}" height="{TILE - GAP}" rx="3" '
                     f'fill="{fill}" class="map-tile"/>'
                     f'<text x="{x + TILE / 2}" y="{y + TILE / 2}" text-anchor="middle" dominant-baseline="central" '
                     f'fill="{label_colour(fill)}" class="{label_class}">{escape(label)}</text>'
                     '</a>')
    edges = region_edges({cell: row.unit.region.name for row, cell in tiles})
    path = " ".join("M{} {}L{} {}".format(*corner(start), *corner(end)) for start, end in edges)
    parts.append(f'<path d="{path}" '
                 f'fill="none" stroke="{REGION_LINE}" stroke-width="{REGION_LINE_WIDTH}" stroke-linecap="square" '
                 'class="map-regions"/>')
    parts.append("</svg>")
    return Markup("".join(parts)), missing

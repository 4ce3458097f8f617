"""The dashboard's tile map: layout from the shipped positions, plate labels,
region lines, colours, and the tiles on the overview."""
import csv
import math
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from lms.dashboard.charts import STATUS_COLOURS
from lms.dashboard.tilemap import (contrast, home_cell, label_colour, layout_tiles, load_plates, load_positions,
                                   place_units, region_edges, tile_label)
from lms.models import Membership, Unit

from .helpers import make_user
from .test_dashboard import unit_id

DATA = Path(__file__).parent.parent / "lms" / "data"
POSITIONS = load_positions(str(DATA / "unit-positions.csv"))
PLATES = load_plates(str(DATA / "unit-plates.csv"))
with open(DATA / "units-nrw.csv", encoding="utf-8") as handle:
    REGIONS = {row["name"]: row["region"] for row in csv.DictReader(handle)}
SHIPPED_UNITS = list(REGIONS)
LAYOUT = layout_tiles(POSITIONS, REGIONS)


def cell(name):
    return LAYOUT.cells[name]


def fake_unit(id, name, region):
    return SimpleNamespace(id=id, name=name, region=SimpleNamespace(name=region))


def test_every_shipped_unit_has_its_own_cell():
    assert sorted(LAYOUT.cells) == sorted(SHIPPED_UNITS)
    assert len(set(LAYOUT.cells.values())) == len(SHIPPED_UNITS)  # no two tiles on one cell


def test_every_tile_lies_within_two_cells_of_its_projected_place():
    for name, (column, row) in LAYOUT.cells.items():
        home_column, home_row = home_cell(LAYOUT.points[name])
        assert abs(column - home_column) <= 2 and abs(row - home_row) <= 2, name


def test_known_neighbours_keep_their_relation():
    def west_of(a, b):
        return cell(a)[0] < cell(b)[0]

    def north_of(a, b):
        return cell(a)[1] < cell(b)[1]

    assert west_of("Aachen (Stadt)", "Köln") and west_of("Städteregion Aachen", "Köln")
    assert north_of("Münster", "Dortmund")
    assert north_of("Bielefeld", "Dortmund") and west_of("Dortmund", "Bielefeld")
    assert north_of("Kleve", "Duisburg") and west_of("Kleve", "Duisburg")
    assert north_of("Köln", "Bonn") and west_of("Düsseldorf", "Wuppertal")


def test_each_region_is_one_group_of_tiles():
    for region in set(REGIONS.values()):
        cells = {cell(name) for name in SHIPPED_UNITS if REGIONS[name] == region}
        reached, todo = set(), [min(cells)]
        while todo:
            column, row = todo.pop()
            if (column, row) in cells - reached:
                reached.add((column, row))
                todo += [(column + 1, row), (column - 1, row), (column, row + 1), (column, row - 1)]
        assert reached == cells, region


def test_the_layout_is_deterministic():
    assert layout_tiles(dict(POSITIONS), dict(REGIONS)) == LAYOUT
    # The order of the CSVs does not matter.
    assert layout_tiles(dict(reversed(POSITIONS.items())), dict(reversed(REGIONS.items()))).cells == LAYOUT.cells


def test_every_shipped_unit_has_a_plate_and_the_two_aachens_differ():
    labels = {name: tile_label(name, PLATES) for name in SHIPPED_UNITS}
    assert all(PLATES.get(name) for name in SHIPPED_UNITS)
    assert labels["Köln"] == "K" and labels["Bonn"] == "BN"
    assert labels["Aachen (Stadt)"] == "AC" and labels["Städteregion Aachen"] == "AC-L"
    assert len(set(labels.values())) == len(labels)


def test_a_unit_without_plate_or_position_goes_near_its_region():
    units = [fake_unit(i, name, "West" if name in ("A", "B") else "East") for i, name in enumerate("ABCD", 1)]
    positions = {"A": (51.0, 6.0), "B": (51.0, 6.35), "C": (51.0, 7.5), "D": (51.0, 7.85)}
    placed = place_units(units + [fake_unit(5, "Neustadt", "West"), fake_unit(6, "Anderswo", "Nirgends")], positions)
    assert placed[5] not in {placed[i] for i in (1, 2, 3, 4)}
    assert abs(placed[5][0] - placed[1][0]) <= 1 and 6 not in placed  # a region without tiles: no place
    assert any(math.dist(placed[5], placed[i]) == 1 for i in (1, 2))  # next to a tile of its region
    assert tile_label("Neustadt", PLATES) == "NEU"


def test_region_edges_run_between_regions_and_around_the_map():
    edges = region_edges({(0, 0): "West", (1, 0): "West", (2, 0): "East"})
    assert ((1, 0), (1, 1)) not in edges  # between two tiles of a region: only the thin gap
    assert ((2, 0), (2, 1)) in edges  # between West and East
    assert ((0, 0), (0, 1)) in edges and ((0, 0), (1, 0)) in edges  # the outline
    assert len(edges) == 2 * 3 + 2 + 1  # top and bottom, both ends, the border between the regions


@pytest.mark.parametrize("status", STATUS_COLOURS)
def test_the_label_is_readable_on_every_status_colour(status):
    fill = STATUS_COLOURS[status]
    assert contrast(label_colour(fill), fill) >= 4.5


def test_the_overview_draws_a_labelled_linked_tile_per_unit(as_executive, scenario):
    html = as_executive.text("/dashboard/")[1]
    tiles = re.findall(r'<a href="(/dashboard/units/\d+)" aria-label="([^"]+)"><title>([^<]+)</title><rect [^>]+/>'
                       r'<text [^>]+>([^<]+)</text></a>', html)
    assert len(tiles) == 54
    assert all(label == title for _, label, title, _ in tiles)
    koeln = f"/dashboard/units/{unit_id('Köln')}"
    assert (koeln, "K – UB Köln: Geschult", "K – UB Köln: Geschult", "K") in tiles
    assert {plate for *_, plate in tiles} >= {"AC", "AC-L", "BI", "MS", "DO"}
    assert f'fill="{STATUS_COLOURS["trained"]}"' in html
    assert "Ohne Ort auf der Karte" not in html


def test_the_tiles_keep_the_date_of_the_overview(as_executive, scenario):
    Unit.update(created_at=datetime(2026, 1, 1)).execute()
    Membership.update(started_at=datetime(2026, 1, 1), confirmed_at=datetime(2026, 1, 1)).execute()
    html = as_executive.text("/dashboard/?at=2026-07-15")[1]
    assert f'href="/dashboard/units/{unit_id("Köln")}?at=2026-07-15" aria-label="K – UB Köln: Registriert"' in html
    assert html.count('?at=2026-07-15" aria-label=') == 54
    assert as_executive.get(f"/dashboard/units/{unit_id('Köln')}?at=2026-07-15").status_code == 200
    today = as_executive.text("/dashboard/")[1]
    assert "?at=" not in re.search(r'<svg[^>]*unit-map.*?</svg>', today, re.S).group()


def test_a_unit_added_in_the_app_gets_a_tile_near_its_region(as_executive, scenario):
    as_executive.submit("/dashboard/units/manage", {"name": "Neustadt", "kind": "UB", "region": "Niederrhein"})
    html = as_executive.text("/dashboard/")[1]
    name = "NEU – UB Neustadt: Offen"
    assert re.search(rf'href="/dashboard/units/{unit_id("Neustadt")}" aria-label="{re.escape(name)}">'
                     rf'<title>{re.escape(name)}</title><rect [^>]+/><text [^>]+>NEU</text>', html)
    assert "Ohne Ort auf der Karte" not in html


def test_the_map_is_drawn_again_only_when_a_status_changes(as_executive, scenario, monkeypatch):
    from lms.dashboard import routes

    calls = {"draw": 0, "place": 0}

    def counting(name, function):
        def wrapper(*args):
            calls[name] += 1
            return function(*args)
        return wrapper

    monkeypatch.setattr(routes, "unit_map", counting("draw", routes.unit_map))
    monkeypatch.setattr(routes, "place_units", counting("place", routes.place_units))
    for _ in range(3):
        as_executive.text("/dashboard/")
    assert calls == {"draw": 1, "place": 1}
    make_user("hagen@example.org", "Hanna Hagen", unit_name="Hagen")  # Hagen: open -> registered
    assert 'aria-label="HA – UB Hagen: Registriert"' in as_executive.text("/dashboard/")[1]
    assert calls == {"draw": 2, "place": 1}  # the units did not change: the tiles stay where they were

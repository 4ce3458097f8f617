"""The list of units: shipped, imported idempotently, bad rows rejected."""
import pytest

from lms.models import Region, Unit
from lms.units import UnitImportError, import_units

from .conftest import UNITS_CSV

HEADER = "name,kind,region,area_type,regierungsbezirk\n"


def test_the_54_nrw_units_in_four_regions_ship_with_the_app(app):
    assert Unit.select().count() == 54
    assert sorted(r.name for r in Region.select()) == [
        "Mittelrhein", "Niederrhein", "Ostwestfalen-Lippe", "Westliches Westfalen"]
    assert Unit.get(Unit.name == "Warendorf").kind == "KV"
    assert Unit.get(Unit.name == "Köln").region.name == "Mittelrhein"


def test_reimporting_the_same_file_changes_nothing(runner):
    result = runner.invoke(args=["lms", "import-units", str(UNITS_CSV)])
    assert result.exit_code == 0, result.output
    assert "0 neu, 0 geändert, 54 unverändert." in result.output
    assert Unit.select().count() == 54


def test_import_adds_and_updates_and_reports_what_changed(runner, tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text(HEADER + "Köln,KV,Mittelrhein,kreisfreie Stadt,Köln\n"
                            "Neu-Gliederung,UB,Niederrhein,Kreis,Düsseldorf\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-units", str(csv)])
    assert result.exit_code == 0, result.output
    assert "1 neu, 1 geändert, 0 unverändert." in result.output
    assert "geändert: Köln (kind)" in result.output
    assert "neu: Neu-Gliederung" in result.output
    assert Unit.get(Unit.name == "Köln").kind == "KV"
    assert Unit.select().count() == 55


def test_a_malformed_row_rejects_the_file_with_its_line_and_writes_nothing(runner, tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text(HEADER + "Neu-A,UB,Niederrhein,Kreis,Düsseldorf\n"
                            "Neu-B,Bezirk,Niederrhein,Kreis,Düsseldorf\n"
                            ",UB,Niederrhein,Kreis,Düsseldorf\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-units", str(csv)])
    assert result.exit_code == 1
    assert "Zeile 3: Art muss UB oder KV sein, nicht 'Bezirk'." in result.output
    assert "Zeile 4: Der Name fehlt." in result.output
    assert "nichts importiert" in result.output
    assert not Unit.select().where(Unit.name == "Neu-A").exists()


def test_missing_columns_and_wrong_column_counts_are_reported(runner, tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text("name,region\nKöln,Mittelrhein\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-units", str(csv)])
    assert "Spalte(n) fehlen in der Kopfzeile: kind" in result.output
    csv.write_text(HEADER + "Köln,UB,Mittelrhein,Stadt,Köln,zu viel\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-units", str(csv)])
    assert "Zeile 2: Zu viele Spalten" in result.output


def test_duplicate_names_in_one_file_are_rejected(runner, tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text(HEADER + "Neu,UB,Niederrhein,,\nNeu,KV,Niederrhein,,\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-units", str(csv)])
    assert "Zeile 3: 'Neu' steht schon in Zeile 2." in result.output


def test_semicolon_separated_spreadsheet_exports_are_read(runner, tmp_path):
    csv = tmp_path / "units.csv"
    csv.write_text("\ufeffname;kind;region\nNeu;UB;Niederrhein\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-units", str(csv)])
    assert result.exit_code == 0, result.output
    assert Unit.get(Unit.name == "Neu").region.name == "Niederrhein"


def test_a_unit_name_with_control_characters_is_refused_with_its_line(app_context):
    with pytest.raises(UnitImportError) as raised:
        import_units("name,kind,region\nKöln,UB,Mittelrhein\nBo\x01nn,UB,Mittelrhein\n")
    assert "Zeile 3: Die Zeile enthält unsichtbare Steuerzeichen." in str(raised.value)

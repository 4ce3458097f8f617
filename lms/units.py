"""Importing the list of units (UBs and KVs) from CSV.

The file has a header line and the columns ``name, kind, region`` and
optionally ``area_type, regierungsbezirk`` (see lms/data/units-nrw.csv).
Units are matched by name: a new name adds a unit, a known name updates its
kind, region and area. Every row is checked before anything is written;
one bad row rejects the whole file.
"""
import csv
import io
from dataclasses import dataclass, field

from flask import has_app_context

from . import settings
from .audit import record
from .forms import has_control_characters
from .models import Membership, Region, Unit, db
from .timeutil import utcnow

UNITS_REVISION = "units_revision"

REQUIRED_COLUMNS = ("name", "kind", "region")
OPTIONAL_COLUMNS = ("area_type", "regierungsbezirk")
MAX_NAME_LENGTH = 120


class UnitImportError(Exception):
    """The file was rejected; ``problems`` lists (line, message)."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(f"Zeile {line}: {message}" if line else message for line, message in problems))


@dataclass
class UnitImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)  # (name, [changed fields])
    unchanged: int = 0

    def lines(self, list_new=True):
        result = [f"{len(self.created)} neu, {len(self.updated)} geändert, {self.unchanged} unverändert."]
        if list_new:
            result += [f"  neu: {name}" for name in self.created]
        result += [f"  geändert: {name} ({', '.join(fields)})" for name, fields in self.updated]
        return result


def parse_units_csv(text):
    """Validate the CSV text; return a list of dicts or raise UnitImportError."""
    if text.startswith("\ufeff"):  # BOM from spreadsheet exports
        text = text[1:]
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise UnitImportError([(1, f"Spalte(n) fehlen in der Kopfzeile: {', '.join(missing)} "
                                   f"(erwartet: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}).")])
    reader.fieldnames = header
    rows, problems, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append((line, f"Zu viele Spalten ({len(header) + len(row[None])} statt {len(header)})."))
            continue
        if any(value is None for value in row.values()):
            problems.append((line, "Zu wenige Spalten."))
            continue
        values = {key: (row.get(key) or "").strip() for key in REQUIRED_COLUMNS + OPTIONAL_COLUMNS}
        if not any(values.values()):
            continue  # blank line
        if any(has_control_characters(value) for value in values.values()):
            problems.append((line, "Die Zeile enthält unsichtbare Steuerzeichen."))
        if not values["name"]:
            problems.append((line, "Der Name fehlt."))
        elif len(values["name"]) > MAX_NAME_LENGTH:
            problems.append((line, f"Der Name ist länger als {MAX_NAME_LENGTH} Zeichen."))
        elif values["name"] in seen:
            problems.append((line, f"'{values['name']}' steht schon in Zeile {seen[values['name']]}."))
        else:
            seen[values["name"]] = line
        if values["kind"] not in Unit.KINDS:
            problems.append((line, f"Art muss UB oder KV sein, nicht '{values['kind']}'."))
        if not values["region"]:
            problems.append((line, "Die Region fehlt."))
        rows.append(values)
    if problems:
        raise UnitImportError(problems)
    if not rows:
        raise UnitImportError([(None, "Die Datei enthält keine Einheiten.")])
    return rows


# --- all units, kept in memory ---------------------------------------------------------


def units_changed():
    """Call in the transaction that adds, renames, merges or retires units."""
    settings.new_revision(UNITS_REVISION)


def all_units():
    """Every unit, retired ones too, with its region, by name: kept per
    process and read again only when the units revision changed (the
    dashboard lists them on every page). Read-only: never change or save
    these rows."""
    if not has_app_context():
        return _load_units()
    return settings.per_revision(UNITS_REVISION, "lms_units", lambda revision: _load_units())


def _load_units():
    return list(Unit.select(Unit, Region).join(Region).order_by(Unit.name))


def import_units(text):
    """Add and update units from CSV text in one transaction; return a report."""
    rows = parse_units_csv(text)
    report = UnitImportReport()
    with db.atomic():
        regions = {r.name: r for r in Region.select()}
        units = {u.name: u for u in Unit.select()}
        for row in rows:
            region = regions.get(row["region"])
            if region is None:
                region = regions[row["region"]] = Region.create(name=row["region"])
            values = {"kind": row["kind"], "region_id": region.id, "area_type": row["area_type"],
                      "administrative_district": row["regierungsbezirk"]}
            unit = units.get(row["name"])
            if unit is None:
                Unit.create(name=row["name"], **values)
                report.created.append(row["name"])
                continue
            changed = [key.removesuffix("_id") for key, value in values.items() if getattr(unit, key) != value]
            if changed:
                Unit.update(**values).where(Unit.id == unit.id).execute()
                report.updated.append((row["name"], changed))
            else:
                report.unchanged += 1
        if report.created or report.updated:
            units_changed()
    return report


# --- managing units in the app ----------------------------------------------


class UnitChangeError(Exception):
    """A unit change that cannot be made (German message)."""


def save_unit(actor, name, kind, region_name, unit=None):
    """Add a unit, or rename / re-classify an existing one."""
    name, region_name = name.strip(), region_name.strip()
    if not name or not region_name or kind not in Unit.KINDS:
        raise UnitChangeError("Name, Art (UB/KV) und Region sind nötig.")
    with db.atomic():
        clash = Unit.select().where((Unit.name == name) & (Unit.id != (unit.id if unit else 0))).exists()
        if clash:
            raise UnitChangeError(f"Es gibt schon eine Gliederung namens „{name}“.")
        region, _ = Region.get_or_create(name=region_name)
        units_changed()
        if unit is None:
            unit = Unit.create(name=name, kind=kind, region=region)
            record(actor, "unit.create", unit, f"{unit.display_name} angelegt ({region_name}).")
            return unit
        before = {"name": unit.name, "kind": unit.kind, "region": unit.region.name}
        Unit.update(name=name, kind=kind, region=region).where(Unit.id == unit.id).execute()
        record(actor, "unit.update", unit, f"{before['kind']} {before['name']} heißt jetzt {kind} {name} ({region_name}).",
               before=before, after={"name": name, "kind": kind, "region": region_name})
    return Unit.get_by_id(unit.id)


def set_board_confirms(actor, unit, allowed):
    """Let the unit's confirmed board members confirm function requests for
    the unit and create invitation links for it (or stop letting them)."""
    with db.atomic():
        updated = Unit.update(board_confirms=allowed).where((Unit.id == unit.id)
                                                           & (Unit.board_confirms != allowed)).execute()
        if updated:
            units_changed()
            record(actor, "unit.board_confirms", unit,
                   f"Der Vorstand von {unit.display_name} bestätigt Anfragen {'jetzt selbst' if allowed else 'nicht mehr'}.",
                   allowed=allowed)


def retire_unit(actor, unit):
    """Retire a unit that has nobody in it any more (no function, no open request)."""
    with db.atomic():
        if Membership.select().where((Membership.unit == unit) & Membership.ended_at.is_null()).exists():
            raise UnitChangeError(f"In {unit.display_name} sind noch Personen eingetragen oder Anfragen offen. "
                                  "Verschiebe sie zuerst oder führe die Gliederung mit einer anderen zusammen.")
        Unit.update(retired_at=utcnow()).where((Unit.id == unit.id) & Unit.retired_at.is_null()).execute()
        units_changed()
        record(actor, "unit.retire", unit, f"{unit.display_name} stillgelegt.")


def merge_units(actor, unit, into):
    """Move everybody from ``unit`` into ``into`` (same functions, confirmed
    or pending as they were), then retire ``unit``. Each new membership
    continues the old one, so the history shows both, with the original
    dates. A person who already holds the same function in ``into`` keeps
    that one: merging never makes two identical running memberships."""
    if unit.id == into.id or not into.is_active:
        raise UnitChangeError("Bitte wähle eine andere, aktive Gliederung als Ziel.")
    with db.atomic():
        now = utcnow()
        running = list(Membership.select().where((Membership.unit == unit) & Membership.ended_at.is_null()))
        held = {(m.user_id, m.function): m for m in
                Membership.select().where((Membership.unit == into) & Membership.ended_at.is_null())}
        Membership.update(ended_at=now).where(Membership.id.in_([m.id for m in running])).execute()
        new_rows = []
        for membership in running:
            already = held.get((membership.user_id, membership.function))
            if already is None:
                new_rows.append({
                    "user": membership.user_id, "unit": into.id, "function": membership.function,
                    "started_at": membership.started_at if membership.pending else now,
                    "confirmed_at": None if membership.pending else now, "confirmed_via": membership.confirmed_via,
                    "invitation": membership.invitation_id, "succeeds": membership.succeeds_id,
                    "continues": membership.id})
            elif already.pending and not membership.pending:
                Membership.update(confirmed_at=now, confirmed_via=membership.confirmed_via,
                                  continues=membership.id).where(Membership.id == already.id).execute()
        if new_rows:
            Membership.insert_many(new_rows).execute()
        Unit.update(retired_at=now, merged_into=into).where(Unit.id == unit.id).execute()
        units_changed()
        coalesced = len(running) - len(new_rows)
        record(actor, "unit.merge", unit, f"{unit.display_name} in {into.display_name} aufgegangen "
                                          f"({len(running)} Person(en) übernommen"
                                          + (f", davon {coalesced} dort schon eingetragen" if coalesced else "") + ").",
               into=into.id, moved=len(running), coalesced=coalesced)

"""Live dates on the dashboard: the overview's coming dates by region, who
from a unit attended which date (also as of a past day), and the attendee
export: formula-safe, named by Berlin's date, closed to learners."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from lms.dashboard.tables import upcoming_trainings_by_region
from lms.models import Attendance, Membership, Region, TrainingRegistration, Unit, User
from lms.privacy import set_dashboard_shows_names
from lms.timeutil import utcnow

from .helpers import gen_training, make_user
from .test_dashboard import unit_id
from .test_hardening import FORMULA_NAME, raw_sheet, xlsx_cells


def register(training, user, status="registered", **fields):
    return TrainingRegistration.create(training=training, user=user, status=status, **fields)


def attend(training, user, recorded_at=None, via="trainer", **fields):
    """An attendance written directly, as the trainer's list would record it."""
    return Attendance.create(training=training, user=user, recorded_at=recorded_at or utcnow(), recorded_via=via,
                             **fields)


def people(count, unit_name=None, prefix="p"):
    return [make_user(f"{prefix}{n}@example.org", f"Person {prefix}{n}", unit_name=unit_name) for n in range(count)]


def section(html, heading_id):
    """The HTML of the <section> whose heading has ``heading_id``."""
    start = html.index(f'id="{heading_id}"')
    return html[start:html.index("</section>", start)]


def region(name):
    return Region.get(Region.name == name)


# --- the overview ---------------------------------------------------------------------------


def test_the_overview_lists_coming_dates_by_region_with_places_and_waiting_list(as_executive, scenario):
    nrw = gen_training("Landesweiter Abend", starts_in=timedelta(days=3), capacity=2)
    first, second, third, gone = people(4)
    register(nrw, first)
    register(nrw, second)
    register(nrw, third, status="waiting")
    register(nrw, gone, status="cancelled", cancelled_at=utcnow())
    rhein = gen_training("Seminar Mittelrhein", starts_in=timedelta(days=10), capacity=12,
                         region=region("Mittelrhein"))
    register(rhein, first)
    running = gen_training("Läuft gerade", starts_in=timedelta(hours=-1), region=region("Niederrhein"))
    gen_training("Schon vorbei", starts_in=timedelta(days=-3))
    gen_training("Abgesagt", starts_in=timedelta(days=5), cancelled_at=utcnow())

    html = section(as_executive.text("/dashboard/")[1], "trainings-heading")
    groups = re.findall(r'<th scope="rowgroup" colspan="4">([^<]+)</th>', html)
    assert groups == ["ganz NRW", "Mittelrhein", "Niederrhein"]
    assert "Schon vorbei" not in html and "Abgesagt" not in html
    rows = {title: cells for title, cells in
            re.findall(r'<a href="/trainings/manage/\d+">([^<]+)</a></td>(.*?)</tr>', html, re.S)}
    assert list(rows) == ["Landesweiter Abend", "Seminar Mittelrhein", "Läuft gerade"]
    assert "2 von 2" in rows["Landesweiter Abend"] and "ausgebucht" in rows["Landesweiter Abend"]
    assert rows["Landesweiter Abend"].rstrip().endswith("<td>1</td>")  # waiting
    assert "1 von 12" in rows["Seminar Mittelrhein"] and "ausgebucht" not in rows["Seminar Mittelrhein"]
    assert f'href="/trainings/manage/{running.id}"' in html


def test_the_overview_says_when_no_dates_are_planned(as_executive, scenario):
    html = section(as_executive.text("/dashboard/")[1], "trainings-heading")
    assert "Gerade sind keine Termine geplant." in html and "<table" not in html


def test_the_coming_dates_are_one_query_however_many(app_context, count_queries):
    for n, name in enumerate(["Mittelrhein", "Niederrhein", None, "Ostwestfalen-Lippe"]):
        training = gen_training(f"Termin {n}", starts_in=timedelta(days=n + 1), region=region(name) if name else None)
        register(training, make_user(f"t{n}@example.org"))
    with count_queries() as queries:
        groups = upcoming_trainings_by_region()
        counted = [(t.title, t.registered, t.waiting) for _, dates in groups for t in dates]
    assert len(queries) == 1
    assert [name for name, _ in groups] == ["ganz NRW", "Mittelrhein", "Niederrhein", "Ostwestfalen-Lippe"]
    assert sorted(counted) == [(f"Termin {n}", 1, 0) for n in range(4)]


def test_the_overview_runs_as_many_queries_with_many_dates(as_executive, scenario, count_queries):
    gen_training("Erster Termin")
    as_executive.get("/dashboard/")
    with count_queries() as queries:
        as_executive.get("/dashboard/")
    before = len(queries)
    for n, name in enumerate(["Mittelrhein", "Niederrhein", "Westliches Westfalen"]):
        training = gen_training(f"Termin {n}", region=region(name))
        register(training, make_user(f"mehr{n}@example.org"))
    with count_queries() as queries:
        html = as_executive.text("/dashboard/")[1]
    assert "Westliches Westfalen" in html and len(queries) == before


def test_the_dashboard_navigation_leads_to_the_dates(as_executive, scenario):
    nav = as_executive.text("/dashboard/units")[1]
    assert '<a href="/trainings/manage/">Termine</a>' in nav


# --- a unit's page ------------------------------------------------------------------------------


@pytest.fixture
def koeln_attended(scenario):
    """Kim (officer) and Vera (board) of Köln since 01.01.2026; Kim attended
    a date in August and one in October, Vera one in September, a tick for
    Vera taken back; Bo from Bielefeld attended too."""
    Unit.update(created_at=datetime(2026, 1, 1)).execute()
    Membership.update(started_at=datetime(2026, 1, 1), confirmed_at=datetime(2026, 1, 1)).execute()
    kim, vera, bo = (User.get(User.email == email) for email in
                     ("koeln@example.org", "vorstand-koeln@example.org", "bielefeld@example.org"))
    august = gen_training("Abend im August", starts_at=datetime(2026, 8, 10, 16), ends_at=datetime(2026, 8, 10, 19),
                          registration_deadline=datetime(2026, 8, 10, 16))
    september = gen_training("Seminar im September", starts_at=datetime(2026, 9, 20, 8),
                             ends_at=datetime(2026, 9, 20, 15), registration_deadline=datetime(2026, 9, 20, 8))
    october = gen_training("Videokonferenz im Oktober", starts_at=datetime(2026, 10, 5, 17),
                           ends_at=datetime(2026, 10, 5, 19), registration_deadline=datetime(2026, 10, 5, 17))
    attend(august, kim, datetime(2026, 8, 10, 18), via="code")
    attend(october, kim, datetime(2026, 10, 5, 18))
    attend(september, vera, datetime(2026, 9, 20, 9))
    attend(august, vera, datetime(2026, 8, 10, 18), withdrawn_at=datetime(2026, 8, 11))
    attend(september, bo, datetime(2026, 9, 20, 9))
    return kim, vera


def attendance_rows(html):
    """[(date title, person)] of the unit page's attendance table, in order."""
    part = section(html, "attendance-heading")
    return re.findall(r'<a href="[^"]+">([^<]+)</a></td>\s*<td>[^<]+</td>\s*<td>([^<]+)</td>', part)


def test_the_unit_page_lists_who_attended_which_date_newest_first(as_executive, koeln_attended):
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}")[1]
    assert attendance_rows(html) == [("Videokonferenz im Oktober", "Kim Köln"),
                                     ("Seminar im September", "Vera Vorstand"),
                                     ("Abend im August", "Kim Köln")]
    part = section(html, "attendance-heading")
    assert "Bo Bielefeld" not in part  # another unit
    assert "10.08.2026, mit dem Anwesenheitscode" in part and "05.10.2026, von der Leitung" in part
    assert "10.08.2026, 18:00–21:00 Uhr" in part  # Berlin time


def test_the_unit_page_of_a_past_day_shows_only_attendance_recorded_by_then(as_executive, koeln_attended):
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}?at=2026-09-01")[1]
    assert attendance_rows(html) == [("Abend im August", "Kim Köln")]
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}?at=2026-07-01")[1]
    assert "Bis zu diesem Tag hat niemand von ihnen an einem Termin teilgenommen." in html


def test_the_unit_page_names_attendees_only_while_the_dashboard_shows_names(app, as_executive, koeln_attended):
    set_dashboard_shows_names(False, None)
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}")[1]
    assert [person for _, person in attendance_rows(html)] == ["Person 1", "Person 2", "Person 1"]
    assert "Kim Köln" not in html


def test_a_board_member_sees_the_attendance_linked_to_the_officers_page(app, client, koeln_attended):
    client.login("vorstand-koeln@example.org")
    part = section(client.text(f"/dashboard/units/{unit_id('Köln')}")[1], "attendance-heading")
    assert "Abend im August" in part and "/trainings/manage/" not in part
    assert re.search(r'href="/trainings/\d+"', part)


# --- the attendee export ------------------------------------------------------------------------


@pytest.fixture
def booked(app):
    """A date in March 2026 with someone named like a spreadsheet formula."""
    training = gen_training("Frühjahrsseminar", starts_at=datetime(2026, 3, 1, 17), ends_at=datetime(2026, 3, 1, 20),
                            registration_deadline=datetime(2026, 3, 1, 17))
    register(training, make_user("formel@example.org", FORMULA_NAME, unit_name="Köln"))
    register(training, make_user("plain@example.org", "Paul Plain", unit_name="Bonn"), status="waiting")
    return training


def test_the_csv_attendee_export_writes_formula_like_names_as_text(as_executive, booked):
    response = as_executive.get(f"/trainings/manage/{booked.id}/attendees.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Name", "E-Mail", "Gliederung", "Anmeldung", "Anwesend"]
    assert rows[1] == ["'" + FORMULA_NAME, "formel@example.org", "UB Köln", "angemeldet", "nein"]
    assert rows[2][0] == "Paul Plain" and rows[2][3] == "auf der Warteliste"
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@"))]


def test_the_xlsx_attendee_export_writes_formula_like_names_as_text(as_executive, booked):
    response = as_executive.get(f"/trainings/manage/{booked.id}/attendees.xlsx")
    assert response.status_code == 200
    assert "<f>" not in raw_sheet(response.data)
    cells = xlsx_cells(response.data)
    assert (FORMULA_NAME, "s") in cells[1]
    assert not [value for row in cells for value, kind in row if kind == "f"]


def test_the_attendee_export_is_named_by_berlins_date(client, executive, booked):
    # 23:30 UTC on 1 March is already 2 March in Berlin.
    with freeze_time("2026-03-01 23:30:00"):
        client.login(executive.email)
        for file_format in ("csv", "xlsx"):
            response = client.get(f"/trainings/manage/{booked.id}/attendees.{file_format}")
            assert response.headers["Content-Disposition"] == (
                f'attachment; filename="teilnehmende-{booked.id}-2026-03-02.{file_format}"')


def test_the_attendee_export_names_the_unit_of_the_officer_function_first(as_executive, booked):
    both = make_user("beides@example.org", "Bea Beides", unit_name="Bonn", function="board")
    Membership.create(user=both, unit=Unit.get(Unit.name == "Köln"), function="officer",
                      started_at=utcnow() - timedelta(days=30), confirmed_at=utcnow() - timedelta(days=30))
    register(booked, both)
    register(booked, make_user("ohne@example.org", "Otto Ohne"))
    rows = list(csv.reader(io.StringIO(as_executive.get(f"/trainings/manage/{booked.id}/attendees.csv")
                                       .data.decode("utf-8-sig")), delimiter=";"))
    units = {row[1]: row[2] for row in rows[1:]}
    assert units["beides@example.org"] == "UB Köln" and units["ohne@example.org"] == ""


def test_the_attendee_export_runs_as_many_queries_with_more_attendees(as_executive, booked, count_queries):
    url = f"/trainings/manage/{booked.id}/attendees.csv"
    as_executive.get(url)
    with count_queries() as few:
        as_executive.get(url)
    for person in people(4, unit_name="Köln"):
        register(booked, person)
    with count_queries() as many:
        as_executive.get(url)
    assert len(many) == len(few)


def test_a_learner_may_neither_manage_dates_nor_export_attendees(logged_in, booked):
    for url in ("/trainings/manage/", "/trainings/manage/new", f"/trainings/manage/{booked.id}",
                f"/trainings/manage/{booked.id}/attendees.csv", f"/trainings/manage/{booked.id}/attendees.xlsx"):
        assert logged_in.get(url).status_code == 403, url

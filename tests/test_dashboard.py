"""The state executive's dashboard: access, coverage views, drill-down,
people over time, exports."""
import csv
import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook

from lms.models import AuditLog, Lesson, LessonProgress, Membership, Unit, User
from lms.progress import refresh_enrollments

from .helpers import Browser, gen_certificate, make_user


def unit_id(name):
    return Unit.get(Unit.name == name).id


def dashboard_urls():
    """Every dashboard and admin URL a GET can reach, with ids filled in."""
    return ["/dashboard/", "/dashboard/units", "/dashboard/units.csv", "/dashboard/units.xlsx",
            f"/dashboard/units/{unit_id('Köln')}", "/dashboard/people", "/dashboard/people.csv",
            "/dashboard/people.xlsx", "/dashboard/reminders", "/dashboard/audit", "/dashboard/units/manage",
            f"/dashboard/units/{unit_id('Köln')}/edit", "/admin/users"]


def test_a_learner_gets_403_on_every_dashboard_and_export_url(logged_in, scenario):
    for url in dashboard_urls():
        assert logged_in.get(url).status_code == 403, url


def test_learners_cannot_post_dashboard_actions_either(logged_in, scenario):
    membership = Membership.get(Membership.user == make_user("x@example.org", unit_name="Hagen"))
    for url in (f"/dashboard/memberships/{membership.id}/end", "/dashboard/reminders/send",
                f"/dashboard/units/{unit_id('Hagen')}/retire"):
        assert logged_in.submit(url, page="/").status_code == 403, url
    assert Membership.get_by_id(membership.id).ended_at is None


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_overview_shows_totals_regions_and_trend(as_executive, scenario):
    status, html = as_executive.text("/dashboard/")
    assert status == 200
    assert "1 von 54 Gliederungen (2&nbsp;%)" in html
    assert re.search(r'stat-number">51<', html)  # open
    assert "<svg" in html and "Abdeckung nach Region" in html and "Geschulte Gliederungen pro Monat" in html
    assert "<script" not in html


def test_the_unit_table_filters_by_region_status_and_search(as_executive, scenario):
    html = as_executive.text("/dashboard/units?status=trained")[1]
    assert "UB Köln" in html and "UB Bielefeld" not in html
    html = as_executive.text("/dashboard/units?region=Ostwestfalen-Lippe")[1]
    assert "UB Bielefeld" in html and "UB Köln" not in html
    html = as_executive.text("/dashboard/units?q=kim")[1]
    assert "UB Köln" in html and "1 Gliederung(en)." in html


def test_the_unit_table_sorts(as_executive, scenario):
    html = as_executive.text("/dashboard/units?sort=status")[1]
    assert html.index("UB Köln") < html.index("UB Bielefeld") < html.index("UB Düren") < html.index("UB Bonn")
    html = as_executive.text("/dashboard/units?sort=name&order=desc")[1]
    assert html.index("UB Wuppertal") < html.index("UB Aachen (Stadt)")


def test_csv_export_has_german_headers_dates_and_the_filters(as_executive, scenario):
    response = as_executive.get("/dashboard/units.csv?region=Mittelrhein&status=trained")
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["Gliederung", "Art", "Region", "Status"]
    assert len(rows) == 2
    assert rows[1][:5] == ["Köln", "UB", "Mittelrhein", "Geschult", "Kim Köln"]
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4}", rows[1][6])  # German date


def test_xlsx_export_has_the_same_rows_with_real_dates(as_executive, scenario):
    response = as_executive.get("/dashboard/units.xlsx?status=in_training")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Gliederung" and rows[0][6] == "Zertifikat gültig bis"
    assert [r[0] for r in rows[1:]] == ["Bielefeld"]
    assert rows[1][3] == "In Schulung"
    assert sheet.cell(row=2, column=8).number_format == "DD.MM.YYYY"


def test_people_list_and_exports(as_executive, scenario):
    html = as_executive.text("/dashboard/people?function=officer")[1]
    assert "Kim Köln" in html and "Dana Düren" in html and "Bo Bielefeld" not in html
    html = as_executive.text("/dashboard/people?certificate=valid")[1]
    assert "Kim Köln" in html and "Dana Düren" not in html
    sheet = load_workbook(io.BytesIO(as_executive.get("/dashboard/people.xlsx?q=koeln").data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Name", "E-Mail", "Gliederung")
    assert sorted(r[0] for r in rows[1:]) == ["Kim Köln", "Vera Vorstand"]
    text = as_executive.get("/dashboard/people.csv?unit=%d" % unit_id("Bielefeld")).data.decode("utf-8-sig")
    assert "Bo Bielefeld;bielefeld@example.org;UB Bielefeld;Ostwestfalen-Lippe;Team Mitgliederbetreuung" in text


def test_the_unit_page_shows_progress_quiz_results_certificates_but_no_answers(as_executive, scenario):
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}")[1]
    assert "Kim Köln" in html and "Geschult" in html
    assert "Quiz-Ergebnisse von Kim Köln" in html
    assert re.search(r"Quiz: Vertiefung</td><td>ja</td><td>02\.08\.2026</td><td>2</td>", html)
    assert "Vera Vorstand" in html  # board member listed among all people
    assert "geheime-antwort" not in html  # no answers


def test_a_board_member_sees_only_their_own_unit(app, scenario):
    board = Browser(app.test_client())
    board.login("vorstand-koeln@example.org")
    status, html = board.text(f"/dashboard/units/{unit_id('Köln')}")
    assert status == 200 and "Kim Köln" in html
    assert "Nicht mehr im Amt" not in html and "Einladungslink" not in html
    assert board.get(f"/dashboard/units/{unit_id('Bielefeld')}").status_code == 403
    assert board.get("/dashboard/").status_code == 403
    assert board.get("/dashboard/units.csv").status_code == 403


def test_an_officer_leaving_office_is_recorded_and_the_unit_falls_back_to_open(as_executive, scenario, executive):
    membership = Membership.get((Membership.user == User.get(User.email == "koeln@example.org")))
    asked = as_executive.submit(f"/dashboard/memberships/{membership.id}/end", page=f"/dashboard/units/{unit_id('Köln')}")
    assert "Nicht mehr im Amt?" in asked.get_data(as_text=True)
    assert Membership.get_by_id(membership.id).ended_at is None  # only asked, nothing changed
    response = as_executive.submit(f"/dashboard/memberships/{membership.id}/end", {"confirmed": "yes"},
                                   page=f"/dashboard/units/{unit_id('Köln')}", follow_redirects=True)
    assert "nicht mehr im Amt" in response.get_data(as_text=True)
    assert Membership.get_by_id(membership.id).ended_at is not None
    assert "UB Köln" in as_executive.text("/dashboard/units?status=open")[1]
    entry = AuditLog.get(AuditLog.action == "membership.end")
    assert entry.actor_id == executive.id and "Kim Köln" in entry.summary
    assert "Kim Köln ist nicht mehr" in as_executive.text("/dashboard/audit")[1]


def test_moving_an_officer_to_another_unit_keeps_the_history(as_executive, scenario):
    membership = Membership.get(Membership.user == User.get(User.email == "dueren@example.org"))
    as_executive.submit(f"/dashboard/memberships/{membership.id}/move",
                        {"unit": str(unit_id("Euskirchen")), "function": "team"},
                        page=f"/dashboard/units/{unit_id('Düren')}")
    running = Membership.get((Membership.user == membership.user_id) & Membership.ended_at.is_null())
    assert (running.unit.name, running.function) == ("Euskirchen", "team")
    html = as_executive.text(f"/dashboard/units/{unit_id('Düren')}")[1]
    assert "Dana Düren" in html and "Verlauf" in html
    assert AuditLog.get(AuditLog.action == "membership.move")


def test_adding_an_existing_account_to_a_unit_and_two_officers(as_executive, scenario):
    make_user("zweite@example.org", "Zoe Zweite")
    as_executive.submit(f"/dashboard/units/{unit_id('Köln')}/people", {"add-email": "zweite@example.org",
                                                                      "add-function": "officer"},
                        page=f"/dashboard/units/{unit_id('Köln')}")
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}")[1]
    assert "Quiz-Ergebnisse von Zoe Zweite" in html and "Quiz-Ergebnisse von Kim Köln" in html
    response = as_executive.submit(f"/dashboard/units/{unit_id('Köln')}/people", {"add-email": "niemand@example.org",
                                                                                 "add-function": "officer"},
                                   page=f"/dashboard/units/{unit_id('Köln')}", follow_redirects=True)
    assert "Zu dieser Adresse gibt es kein Konto" in response.get_data(as_text=True)


def test_the_status_of_a_past_date_is_reconstructed(as_executive, scenario):
    Unit.update(created_at=datetime(2026, 1, 1)).execute()
    Membership.update(started_at=datetime(2026, 1, 1), confirmed_at=datetime(2026, 1, 1)).execute()
    html = as_executive.text("/dashboard/?at=2026-07-15")[1]
    assert "Stand am 15.07.2026" in html
    assert "0 von 54 Gliederungen" in html  # Köln's certificate came on 01.09.2026
    past = as_executive.text("/dashboard/units?at=2026-07-15&q=k%C3%B6ln")[1]
    assert "status-registered" in past and "status-trained" not in past
    assert "1 von 54 Gliederungen" in as_executive.text("/dashboard/")[1]


def test_managing_units_rename_merge_retire(as_executive, scenario):
    koeln = unit_id("Köln")
    as_executive.submit(f"/dashboard/units/{koeln}/edit", {"name": "Köln-Stadt", "kind": "KV", "region": "Mittelrhein"})
    assert Unit.get_by_id(koeln).display_name == "KV Köln-Stadt"
    asked = as_executive.submit(f"/dashboard/units/{koeln}/retire", page=f"/dashboard/units/{koeln}/edit")
    assert "stilllegen?" in asked.get_data(as_text=True)
    response = as_executive.submit(f"/dashboard/units/{koeln}/retire", {"confirmed": "yes"},
                                   page=f"/dashboard/units/{koeln}/edit", follow_redirects=True)
    assert "sind noch Personen eingetragen" in response.get_data(as_text=True)
    asked = as_executive.submit(f"/dashboard/units/{koeln}/merge", {"merge-into": str(unit_id("Leverkusen"))},
                                page=f"/dashboard/units/{koeln}/edit")
    assert "zusammenführen?" in asked.get_data(as_text=True) and Unit.get_by_id(koeln).retired_at is None
    as_executive.submit(f"/dashboard/units/{koeln}/merge", {"merge-into": str(unit_id("Leverkusen")),
                                                            "confirmed": "yes"}, page=f"/dashboard/units/{koeln}/edit")
    assert Unit.get_by_id(koeln).retired_at is not None
    moved = Membership.get((Membership.unit == unit_id("Leverkusen")) & Membership.ended_at.is_null()
                           & (Membership.function == "officer"))
    assert moved.user.email == "koeln@example.org"
    assert "UB Leverkusen" in as_executive.text("/dashboard/units?status=trained")[1]
    as_executive.submit("/dashboard/units/manage", {"name": "Neuland", "kind": "UB", "region": "Niederrhein"})
    assert Unit.get(Unit.name == "Neuland").region.name == "Niederrhein"
    assert AuditLog.select().where(AuditLog.action.in_(["unit.update", "unit.merge", "unit.create"])).count() == 3


def test_admins_grant_roles_and_cannot_demote_themselves(app, client, learner):
    admin = make_user("admin@example.org", "Ada Admin", is_admin=True)
    client.login(admin.email)
    client.submit(f"/admin/users/{learner.id}/roles", {"executive": "on"}, page="/admin/users")
    assert learner.__class__.get_by_id(learner.id).is_executive
    response = client.submit(f"/admin/users/{admin.id}/roles", {}, page="/admin/users", follow_redirects=True)
    assert "nicht selbst entziehen" in response.get_data(as_text=True)
    assert AuditLog.get(AuditLog.action == "user.roles").target_id == learner.id


def test_executives_are_not_admins(as_executive):
    assert as_executive.get("/admin/users").status_code == 403


def test_grant_role_command(runner, learner):
    result = runner.invoke(args=["lms", "grant-role", learner.email, "executive"])
    assert result.exit_code == 0, result.output
    assert learner.__class__.get_by_id(learner.id).is_executive


def test_dashboard_pages_run_a_fixed_number_of_queries(as_executive, scenario, count_queries):
    """The number of SQL queries must not grow with the number of units or people."""
    urls = ["/dashboard/", "/dashboard/units?region=Mittelrhein&sort=status", "/dashboard/units.xlsx",
            "/dashboard/units.csv?status=open"]
    before = {}
    for url in urls:
        as_executive.get(url)  # the first request of a process also reads the catalog and the units
        with count_queries() as queries:
            assert as_executive.get(url).status_code == 200
        before[url] = len(queries)
    for n, unit in enumerate(list(Unit.select().limit(30))):
        user = make_user(f"more{n}@example.org", f"Mehr {n}")
        Membership.create(user=user, unit=unit, function="officer" if n % 2 else "team",
                          confirmed_at=datetime(2026, 7, 1))
        gen_certificate(user, scenario, datetime(2026, 8, 1) + timedelta(days=n))
        LessonProgress.create(user=user, lesson=Lesson.get(Lesson.slug == "erste-schritte"),
                              completed_at=datetime(2026, 8, 1))
    refresh_enrollments(scenario)
    for url in urls:
        with count_queries() as queries:
            as_executive.get(url)
        assert len(queries) == before[url], url


def test_the_map_shows_every_nrw_unit_in_its_status_colour(as_executive, scenario):
    html = as_executive.text("/dashboard/")[1]
    assert html.count('class="map-tile"') == 54
    koeln = "K – UB Köln: Geschult"  # plate code, full name, status
    assert f'href="/dashboard/units/{unit_id("Köln")}" aria-label="{koeln}"><title>{koeln}</title><rect ' in html
    assert re.search(r'aria-label="BI – UB Bielefeld: In Schulung"><title>[^<]+</title><rect [^>]*fill="#0b5394"',
                     html)
    assert "Ohne Ort auf der Karte" not in html

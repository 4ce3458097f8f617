"""Data protection: privacy notice and consent, own data export, deletion by
anonymisation, retention of inactive accounts, dashboard without names."""
import io
import re
import json
import zipfile
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from lms.coverage import unit_coverage
from lms.models import (Attendance, AuditLog, Certificate, Course, LessonProgress, Membership, QuizAttempt, SiteText,
                        TrainingRegistration, Unit, User)
from lms.privacy import set_dashboard_shows_names
from lms.timeutil import utcnow

from .helpers import PASSWORD, Browser, gen_training, make_user
from .test_auth import register
from .test_certificates import issue_for


@pytest.fixture
def admin(app):
    return make_user("admin@example.org", "Ada Admin", is_admin=True)


@pytest.fixture
def certified(app, learner):
    with app.app_context():
        return issue_for(learner)


def browser_for(app, email):
    browser = Browser(app.test_client())
    browser.login(email)
    return browser


# --- notice and consent ----------------------------------------------------------------


def test_the_privacy_notice_is_public_and_linked_from_every_page(client):
    status, html = client.text("/privacy")
    assert status == 200 and "Art. 9" in html and "Version 0" in html
    assert 'href="/privacy"' in client.text("/")[1]


def test_registration_needs_consent_and_records_its_date_and_version(client, app, admin):
    browser_for(app, admin.email).submit("/admin/privacy", {"body": "## Neu\n\nGeänderte Hinweise."})
    response = register(client, email="ohne@example.org", consent="")
    assert response.status_code == 200
    assert "Ohne deine Einwilligung" in response.get_data(as_text=True)
    with app.app_context():
        assert not User.select().where(User.email == "ohne@example.org").exists()
    assert register(client, email="mit@example.org").status_code == 302
    with app.app_context():
        user = User.get(User.email == "mit@example.org")
        assert user.privacy_consent_version == 1
        assert utcnow() - user.privacy_consent_at < timedelta(minutes=1)
    assert "Geänderte Hinweise" in client.text("/privacy")[1]


def test_admins_edit_the_notice_as_new_versions(app, admin):
    browser = browser_for(app, admin.email)
    for text in ("Erste Fassung <script>alert(1)</script>", "Zweite Fassung"):
        assert browser.submit("/admin/privacy", {"body": text}).status_code == 302
    with app.app_context():
        versions = [(t.version, t.body_html) for t in SiteText.select().order_by(SiteText.version)]
        assert [v for v, _ in versions] == [1, 2]
        assert "<script" not in versions[0][1]
        assert AuditLog.select().where(AuditLog.action == "privacy.text").count() == 2


# --- export -------------------------------------------------------------------------------


def test_a_user_downloads_all_own_data_with_certificates(app, learner, certified):
    browser = browser_for(app, learner.email)
    response = browser.get("/account/data.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("daten.json"))
    assert data["account"]["email"] == learner.email and data["account"]["name"] == learner.name
    assert data["memberships"][0]["unit"].endswith("Köln")
    assert len(data["lessons"]) == 3 and len(data["quiz_attempts"]) == 2
    assert data["certificates"][0]["code"] == certified.code
    pdf = archive.read(f"zertifikate/{certified.code}.pdf")
    assert learner.name in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_export_contains_only_the_own_data(app, learner, certified):
    with app.app_context():
        other = make_user("other@example.org", "Otto Anders", unit_name="Bonn")
        training = gen_training("Nur Lenas Termin")
        TrainingRegistration.create(training=training, user=learner, status="registered")
        Attendance.create(training=training, user=learner, recorded_via="code")
    data = browser_for(app, other.email).get("/account/data.zip").data
    text = zipfile.ZipFile(io.BytesIO(data)).read("daten.json").decode()
    assert "Otto Anders" in text and learner.email not in text and certified.code not in text
    assert "Nur Lenas Termin" not in text


def test_the_export_contains_registrations_and_attendance_at_live_dates(app, learner):
    march = datetime(2027, 3, 12, 17)  # 18:00 in Berlin
    with app.app_context():
        signed_up = gen_training("Grundlagenseminar Köln", starts_at=march, ends_at=march + timedelta(hours=3),
                                 registration_deadline=march)
        given_up = gen_training("Wochenende Ruhr")
        attended = gen_training("Videokonferenz Datenschutz", starts_in=timedelta(days=-30))
        taken_back = gen_training("Abend in Bonn", starts_in=timedelta(days=-20))
        TrainingRegistration.create(training=signed_up, user=learner, status="registered",
                                    created_at=datetime(2027, 2, 1, 9))
        TrainingRegistration.create(training=given_up, user=learner, status="cancelled", cancelled_at=utcnow())
        Attendance.create(training=attended, user=learner, recorded_via="code", recorded_at=datetime(2026, 9, 1, 18))
        Attendance.create(training=taken_back, user=learner, recorded_via="trainer", withdrawn_at=utcnow())
    data = browser_for(app, learner.email).get("/account/data.zip").data
    exported = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("daten.json"))

    registrations = {r["training"]: r for r in exported["training_registrations"]}
    assert set(registrations) == {"Grundlagenseminar Köln", "Wochenende Ruhr"}
    assert registrations["Grundlagenseminar Köln"] | {"queued_at": None} == {
        "training": "Grundlagenseminar Köln", "when": "Fr., 12.03.2027, 18:00–21:00 Uhr", "status": "angemeldet",
        "created_at": "2027-02-01T09:00:00", "queued_at": None, "promoted_at": None, "cancelled_at": None}
    assert registrations["Wochenende Ruhr"]["status"] == "abgemeldet"
    assert registrations["Wochenende Ruhr"]["cancelled_at"] is not None

    attendance = {a["training"]: a for a in exported["training_attendance"]}
    assert set(attendance) == {"Videokonferenz Datenschutz", "Abend in Bonn"}
    assert attendance["Videokonferenz Datenschutz"]["recorded_at"] == "2026-09-01T18:00:00"
    assert attendance["Videokonferenz Datenschutz"]["recorded_how"] == "mit dem Anwesenheitscode"
    assert attendance["Videokonferenz Datenschutz"]["withdrawn_at"] is None
    assert attendance["Abend in Bonn"]["recorded_how"] == "von der Leitung des Termins eingetragen"
    assert attendance["Abend in Bonn"]["withdrawn_at"] is not None


# --- deletion ------------------------------------------------------------------------------


def test_deleting_the_account_anonymises_and_keeps_the_statistics(app, learner, certified):
    browser = browser_for(app, learner.email)
    with app.app_context():
        course = Course.get(Course.slug == "demo")
        koeln = Unit.get(Unit.name == "Köln")
        assert next(r for r in unit_coverage(course) if r.unit.id == koeln.id).status == "trained"
        lessons_before = LessonProgress.select().count()
        attempts_before = QuizAttempt.select().count()

    response = browser.submit("/account/delete", {"password": "falsch"})
    assert response.status_code == 400 and "Das Passwort stimmt nicht" in response.get_data(as_text=True)
    before_deletion = utcnow()
    assert browser.submit("/account/delete", {"password": PASSWORD}).status_code == 302
    assert browser.get("/account").status_code == 302  # logged out

    with app.app_context():
        user = User.get_by_id(learner.id)
        assert user.deleted_at is not None and user.name == "Gelöschtes Konto"
        assert learner.email not in user.email and user.password_hash == "!"
        assert LessonProgress.select().count() == lessons_before
        assert QuizAttempt.select().count() == attempts_before
        assert not Membership.select().where((Membership.user == user.id) & Membership.ended_at.is_null()).exists()
        certificate = Certificate.get_by_id(certified.id)
        assert certificate.holder_name == "" and certificate.anonymized_at is not None
        row = next(r for r in unit_coverage(course) if r.unit.id == koeln.id)
        assert row.status == "open"  # nobody holds the office on the platform any more
        past = next(r for r in unit_coverage(course, at=before_deletion) if r.unit.id == koeln.id)
        assert past.status == "trained"  # the past stays as it was

    status, html = Browser(app.test_client()).text(f"/verify/{certified.code}")
    assert status == 200 and "Gültig" in html and "Konto gelöscht" in html
    assert learner.name not in html
    fresh = Browser(app.test_client())
    assert fresh.submit("/login", {"email": learner.email, "password": PASSWORD}).status_code == 200


# --- retention -------------------------------------------------------------------------------


def test_inactive_accounts_are_warned_then_deleted(app, runner, mail_sink):
    app.config.update(RETENTION_MONTHS=12, RETENTION_WARNING_DAYS=30)
    long_ago = utcnow() - timedelta(days=400)
    with app.app_context():
        sleeper = make_user("schlaf@example.org", "Sina Schlaf")
        returner = make_user("zurueck@example.org", "Rui Zurück")
        active = make_user("aktiv@example.org", "Aki Aktiv")
        admin = make_user("admin-alt@example.org", "Alte Admin", is_admin=True)
        User.update(created_at=long_ago, last_login_at=long_ago).where(
            User.id.in_([sleeper.id, returner.id, admin.id])).execute()

    result = runner.invoke(args=["lms", "retention", "--dry-run"])
    assert "2 gewarnt, 0 gelöscht (Probelauf)" in result.output
    assert mail_sink.to(sleeper.email) == []

    result = runner.invoke(args=["lms", "retention"])
    assert "2 gewarnt, 0 gelöscht" in result.output, result.output
    assert len(mail_sink.to(sleeper.email)) == 1 and mail_sink.to(active.email) == []
    assert runner.invoke(args=["lms", "retention"]).output.strip().endswith("0 gewarnt, 0 gelöscht.")

    browser_for(app, returner.email)  # logging in again keeps the account
    with app.app_context():
        User.update(retention_warned_at=utcnow() - timedelta(days=31)).where(
            User.retention_warned_at.is_null(False)).execute()
    result = runner.invoke(args=["lms", "retention"])
    assert "0 gewarnt, 1 gelöscht" in result.output, result.output
    with app.app_context():
        assert User.get_by_id(sleeper.id).deleted_at is not None
        assert User.get_by_id(returner.id).deleted_at is None
        assert User.get_by_id(admin.id).deleted_at is None


def test_retention_is_off_by_default(runner):
    assert "Aufbewahrungsfrist ist aus" in runner.invoke(args=["lms", "retention"]).output


# --- dashboard without names ---------------------------------------------------------------------


def test_with_names_hidden_a_person_has_one_number_in_every_table_of_the_unit_page(app, admin, learner):
    """Köln: the officer since January, a board member since today. The
    lists show the newest first, the officer's card comes first: the officer
    is Person 1 in the card, in the list of people and in the history alike."""
    with app.app_context():
        koeln = Unit.get(Unit.name == "Köln")
        board = make_user("vorstand@example.org", "Vera Vorstand", unit_name="Köln", function="board")
        earlier = datetime(2026, 1, 5)
        Membership.update(started_at=earlier, confirmed_at=earlier).where(Membership.user == learner.id).execute()
        set_dashboard_shows_names(False, admin)
    html = browser_for(app, admin.email).text(f"/dashboard/units/{koeln.id}")[1]
    assert "Vera Vorstand" not in html and learner.name not in html
    assert re.search(r"<h3>Person 1 <span", html)  # the officer's card
    # Everywhere the officer's function is named, it is Person 1; the board member is Person 2.
    assert re.findall(r"Person (\d)</td>\s*<td>Mitgliederbeauftragte", html) and \
        set(re.findall(r"Person (\d)</td>\s*<td>Mitgliederbeauftragte", html)) == {"1"}
    assert set(re.findall(r"Person (\d)</td>\s*<td>Vorstand", html)) == {"2"}


def test_the_dashboard_can_hide_officers_names(app, admin, learner):
    browser = browser_for(app, admin.email)
    with app.app_context():
        koeln = Unit.get(Unit.name == "Köln").id
    assert learner.name in browser.text("/dashboard/units")[1]
    assert browser.submit("/admin/privacy/dashboard-names", {"show": "0"}, page="/admin/privacy").status_code == 302

    html = browser.text("/dashboard/units")[1]
    assert learner.name not in html and "1 Person(en)" in html
    assert learner.name not in browser.text("/dashboard/units?q=Lena")[1]
    html = browser.text(f"/dashboard/units/{koeln}")[1]
    assert learner.name not in html and "Person 1" in html
    status, html = browser.text("/dashboard/people")
    assert status == 403 and "Namen ausgeblendet" in html
    assert browser.get("/dashboard/people.csv").status_code == 403
    csv = browser.get("/dashboard/units.csv").get_data(as_text=True)
    assert learner.name not in csv and "1 Person(en)" in csv

    browser.submit("/admin/privacy/dashboard-names", {"show": "1"}, page="/admin/privacy")
    assert learner.name in browser.text("/dashboard/units")[1]

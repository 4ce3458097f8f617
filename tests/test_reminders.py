"""Reminder e-mails: who gets which, preview, dry run, log, no repeats."""
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from lms.models import Course, Lesson, LessonProgress, Membership, ReminderLog, Unit, User
from lms.reminders import plan_reminders, send_reminders

from .helpers import gen_certificate, make_user

NOW = datetime(2026, 6, 15, 9, 0)


@pytest.fixture
def course(app):
    return Course.get(Course.slug == "demo")


@pytest.fixture
def people(app, course):
    """A stalled officer, an active one, a certificate about to expire, an executive."""
    stalled = make_user("stalled@example.org", "Sam Stillstand", unit_name="Köln")
    LessonProgress.create(user=stalled, lesson=Lesson.get(), first_seen_at=datetime(2026, 5, 1),
                          completed_at=datetime(2026, 5, 1))
    active = make_user("active@example.org", "Alex Aktiv", unit_name="Bonn")
    LessonProgress.create(user=active, lesson=Lesson.get(), first_seen_at=NOW - timedelta(days=2))
    expiring = make_user("expiring@example.org", "Eva Ablauf", unit_name="Hagen")
    gen_certificate(expiring, course, datetime(2025, 7, 1), months=12)
    make_user("lavo@example.org", "Lea Vorstand", is_executive=True)
    User.update(created_at=datetime(2026, 1, 1)).execute()
    Membership.update(started_at=datetime(2026, 1, 1), confirmed_at=datetime(2026, 1, 1)).execute()
    Unit.update(created_at=datetime(2020, 1, 1)).execute()
    return {"stalled": stalled, "active": active, "expiring": expiring}


def planned(course, now=NOW):
    return sorted((r.kind, r.user.email) for r in plan_reminders(course, now))


def test_the_plan_names_stalled_officers_expiring_certificates_and_the_executive(app_context, course, people):
    assert planned(course) == [("expiring", "expiring@example.org"), ("stalled", "stalled@example.org"),
                               ("summary", "lavo@example.org")]


def test_reminders_go_out_over_smtp_and_are_logged(app_context, course, people, mail_sink):
    with freeze_time(NOW):
        result = send_reminders(course)
    assert (result.sent, result.failed) == (3, 0)
    [stalled_mail] = mail_sink.to("stalled@example.org")
    assert stalled_mail["Subject"] == "Deine Schulung zur Mitgliederbetreuung wartet auf dich"
    assert "http://localhost/learn/demo" in stalled_mail.get_content()
    summary = mail_sink.to("lavo@example.org")[0].get_content()
    assert "Offen: " in summary and "UB Bielefeld" in summary
    assert "bis zum 26.06.2026" in mail_sink.to("expiring@example.org")[0].get_content()
    assert ReminderLog.select().where(ReminderLog.status == "sent").count() == 3


def test_nobody_gets_the_same_reminder_twice_in_a_period(app_context, course, people, mail_sink):
    with freeze_time(NOW):
        send_reminders(course)
    with freeze_time(NOW + timedelta(days=1)):
        assert send_reminders(course).planned == []
    assert len(mail_sink.to("stalled@example.org")) == 1
    # The next period reminds the stalled officer again; the certificate reminder stays one per certificate.
    with freeze_time(NOW + timedelta(days=15)):
        result = send_reminders(course)
    # (by then the certificate has expired, so its holder counts as a stalled officer too)
    assert sorted((r.kind, r.user.email) for r in result.planned) == [
        ("stalled", "active@example.org"), ("stalled", "expiring@example.org"), ("stalled", "stalled@example.org"),
        ("summary", "lavo@example.org")]


def test_a_dry_run_sends_and_logs_nothing(app, runner, course, people, mail_sink):
    with freeze_time(NOW):
        result = runner.invoke(args=["lms", "send-reminders", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "(Probelauf) Erinnerung: Schulung fortsetzen: stalled@example.org" in result.output
    assert "3 Erinnerung(en) fällig; nichts verschickt." in result.output
    assert mail_sink.messages == [] and not ReminderLog.select().exists()


def test_the_command_sends(app, runner, course, people, mail_sink):
    with freeze_time(NOW):
        result = runner.invoke(args=["lms", "send-reminders"])
    assert "3 verschickt, 0 fehlgeschlagen" in result.output
    assert len(mail_sink.messages) == 3


def test_a_failed_delivery_is_logged_and_retried_next_time(app, course, people, mail_sink):
    app.config["MAIL_PORT"] = 1
    with app.app_context(), freeze_time(NOW):
        result = send_reminders(course)
    assert result.failed == 3
    assert ReminderLog.select().where(ReminderLog.status == "failed").count() == 3
    app.config["MAIL_PORT"] = mail_sink.port
    with app.app_context(), freeze_time(NOW + timedelta(hours=1)):
        assert send_reminders(course).sent == 3
    assert ReminderLog.select().count() == 3


@freeze_time(NOW)
def test_the_reminder_page_previews_and_sends(client, course, people, mail_sink):
    client.login("lavo@example.org")
    status, html = client.text("/dashboard/reminders")
    assert "Jetzt fällig (3)" in html and "Beispiel: Erinnerung: Schulung fortsetzen" in html
    response = client.submit("/dashboard/reminders/send", page="/dashboard/reminders", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "3 Erinnerung(en) verschickt" in html
    assert "verschickt</td>" in html and "stalled@example.org" in html
    assert len(mail_sink.messages) == 3
    assert ReminderLog.get(ReminderLog.kind == "summary").triggered_by.email == "lavo@example.org"


def test_officers_who_left_office_get_no_reminder(app_context, course, people):
    Membership.update(ended_at=datetime(2026, 6, 1)).where(Membership.user == people["stalled"]).execute()
    assert ("stalled", "stalled@example.org") not in planned(course)

"""The suite passes at any hour: at 23:30 UTC in winter (22:30 in summer)
it is already the next day in Berlin, and every date the app shows is
Berlin's. These tests freeze the clock at exactly that hour around the
places that show dates: certificates, reminders and the dashboard."""
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from lms.models import Course, Lesson, LessonProgress, Unit
from lms.progress import refresh_enrollments
from lms.reminders import send_reminders
from lms.timeutil import format_date, utcnow

from .helpers import gen_certificate, make_user
from .test_certificates import issue_for, pdf_text

# (UTC moment, the Berlin date it already is)
LATE = [("2026-03-01 23:30:00", "02.03.2026"), ("2026-07-01 22:30:00", "02.07.2026")]


@pytest.mark.parametrize("moment,berlin", LATE)
def test_a_certificate_issued_late_in_the_evening_carries_berlins_date(app, client, learner, moment, berlin):
    with freeze_time(moment):
        certificate = issue_for(learner)
        client.login(learner.email)
        text = pdf_text(client.get(f"/certificates/{certificate.code}.pdf").data)
        detail = client.text(f"/certificates/{certificate.code}")[1]
        public = client.text(f"/verify/{certificate.code}")[1]
    assert format_date(certificate.issued_at) == berlin
    assert f"Ausgestellt am {berlin}" in text
    assert f"Gültig bis {format_date(certificate.expires_at)}" in text
    assert berlin in detail and berlin in public


@pytest.mark.parametrize("moment,berlin", LATE)
def test_an_expiry_reminder_sent_late_names_berlins_date(app_context, mail_sink, moment, berlin):
    course = Course.get(Course.slug == "demo")
    expires = datetime.fromisoformat(moment)
    Unit.update(created_at=datetime(2020, 1, 1)).execute()
    with freeze_time(expires - timedelta(days=10)):  # as late in the evening, ten days before
        expiring = make_user("expiring@example.org", "Eva Ablauf", unit_name="Hagen")
        gen_certificate(expiring, course, expires - timedelta(days=360), months=12)
        send_reminders(course)
    [mail] = mail_sink.to("expiring@example.org")
    assert f"bis zum {berlin}" in mail.get_content()


@pytest.mark.parametrize("moment,berlin", LATE)
def test_the_dashboard_shows_late_activity_on_berlins_day(client, moment, berlin):
    make_user("lavo@example.org", "Lea Vorstand", is_executive=True)
    Unit.update(created_at=datetime(2020, 1, 1)).execute()
    with freeze_time(moment):
        officer = make_user("spaet@example.org", "Sina Spät", unit_name="Köln")
        LessonProgress.create(user=officer, lesson=Lesson.get(), first_seen_at=utcnow(), completed_at=utcnow())
        refresh_enrollments(Course.get(Course.slug == "demo"))  # written directly, not through the app
        client.login("lavo@example.org")
        unit_page = client.text(f"/dashboard/units/{Unit.get(Unit.name == 'Köln').id}")[1]
        people = client.text("/dashboard/people?q=sina")[1]
        overview = client.text(f"/dashboard/?at={datetime.fromisoformat(moment):%Y-%m-%d}")[1]
    assert f"zuletzt aktiv am {berlin}" in unit_page
    assert berlin in people
    # ?at= names a Berlin day; the overview says which one it shows.
    assert f"Stand am {datetime.fromisoformat(moment):%d.%m.%Y}" in overview

"""Dates in people's calendars: one date as an .ics file, the private feed
of a person's own dates, and its address in "Mein Konto"."""
import secrets
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from lms.models import TrainingDate, User
from lms.privacy import anonymise
from lms.timeutil import utcnow
from lms.trainings.calendar import new_calendar_token
from lms.trainings.dates import cancel_registration, sign_up

from .helpers import Browser, gen_training, make_user

BERLIN = ZoneInfo("Europe/Berlin")
VIDEO_LINK = "https://meet.example.org/jusos-geheim"


def dated_training(starts_at, ends_at, **fields):
    """A date at fixed times (naive UTC, as stored)."""
    return gen_training(starts_at=starts_at, ends_at=ends_at, registration_deadline=starts_at, **fields)


def events(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data).walk("VEVENT")


def the_event(response):
    (event,) = events(response)
    return event


def unfolded(response):
    """The file's text with folded long lines joined again."""
    return response.get_data(as_text=True).replace("\r\n ", "")


def feed_url(token):
    return f"/trainings/calendar/{token}.ics"


def uids(response):
    return {str(event["uid"]) for event in events(response)}


def uid(training):
    return f"training-{training.id}@localhost"


@pytest.mark.parametrize("starts_at, ends_at, local_start, local_end", [
    # winter (CET, UTC+1)
    (datetime(2026, 1, 15, 17, 0), datetime(2026, 1, 15, 20, 30), datetime(2026, 1, 15, 18, 0),
     datetime(2026, 1, 15, 21, 30)),
    # summer (CEST, UTC+2)
    (datetime(2026, 7, 15, 16, 0), datetime(2026, 7, 15, 19, 30), datetime(2026, 7, 15, 18, 0),
     datetime(2026, 7, 15, 21, 30)),
    # a night across the end of daylight saving (25 October 2026, 03:00 CEST -> 02:00 CET): 13 hours
    (datetime(2026, 10, 24, 20, 0), datetime(2026, 10, 25, 9, 0), datetime(2026, 10, 24, 22, 0),
     datetime(2026, 10, 25, 10, 0)),
], ids=["winter", "summer", "across-the-change-to-winter-time"])
def test_a_dates_ics_has_its_berlin_wall_clock_and_utc_instants(logged_in, starts_at, ends_at, local_start,
                                                               local_end):
    training = dated_training(starts_at, ends_at)
    response = logged_in.get(f"/trainings/{training.id}.ics")
    event = the_event(response)
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert event["dtstart"].params["TZID"] == event["dtend"].params["TZID"] == "Europe/Berlin"
    assert start.astimezone(BERLIN).replace(tzinfo=None) == local_start
    assert end.astimezone(BERLIN).replace(tzinfo=None) == local_end
    assert start.astimezone(timezone.utc).replace(tzinfo=None) == starts_at
    assert end.astimezone(timezone.utc).replace(tzinfo=None) == ends_at
    assert f"DTSTART;TZID=Europe/Berlin:{local_start:%Y%m%dT%H%M%S}" in unfolded(response)
    (vtimezone,) = Calendar.from_ical(response.data).walk("VTIMEZONE")
    assert str(vtimezone["tzid"]) == "Europe/Berlin"


def test_a_dates_ics_names_the_date_its_page_and_place(logged_in):
    training = gen_training(title="Grundlagenseminar Köln", description_markdown="Bring **Fragen** mit.")
    response = logged_in.get(f"/trainings/{training.id}.ics")
    event = the_event(response)
    assert str(event["uid"]) == uid(training)
    assert str(event["summary"]) == "Grundlagenseminar Köln"
    assert str(event["location"]) == "Haus der Jugend, Raum 2"
    assert str(event["url"]) == f"http://localhost/trainings/{training.id}"
    assert str(event["status"]) == "CONFIRMED"
    assert "Bring **Fragen** mit." in str(event["description"])
    assert f"http://localhost/trainings/{training.id}" in str(event["description"])
    assert event.decoded("dtstamp").tzinfo is not None
    assert response.headers["Content-Disposition"] == f'attachment; filename="termin-{training.id}.ics"'


def test_a_video_date_is_located_in_the_video_call(logged_in):
    training = gen_training(place="", video_url=VIDEO_LINK)
    assert str(the_event(logged_in.get(f"/trainings/{training.id}.ics"))["location"]) == "Videokonferenz"


def test_a_cancelled_dates_ics_says_cancelled(logged_in):
    training = gen_training(title="Wochenendseminar", cancelled_at=utcnow())
    event = the_event(logged_in.get(f"/trainings/{training.id}.ics"))
    assert str(event["status"]) == "CANCELLED"
    assert str(event["summary"]) == "Abgesagt: Wochenendseminar"


def test_a_dates_ics_needs_a_login(client):
    training = gen_training()
    response = client.get(f"/trainings/{training.id}.ics")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_date_page_links_to_its_ics(logged_in):
    training = gen_training()
    assert f'href="/trainings/{training.id}.ics"' in logged_in.text(f"/trainings/{training.id}")[1]


def test_the_feed_lists_exactly_the_persons_dates(app, learner):
    other = make_user("olaf@example.org", "Olaf Anders", unit_name="Bonn")
    with app.app_context():
        registered = gen_training("Abend A")
        sign_up(learner, registered)
        full = gen_training("Abend B", capacity=1)
        sign_up(other, full)
        sign_up(learner, full)  # waiting
        left = gen_training("Abend C")
        sign_up(learner, left)
        cancel_registration(learner, left)
        called_off = gen_training("Abend D")
        sign_up(learner, called_off)
        TrainingDate.update(cancelled_at=utcnow()).where(TrainingDate.id == called_off.id).execute()
        not_mine = gen_training("Abend E")
        sign_up(other, not_mine)
        gen_training("Abend F")  # nobody signed up
    response = Browser(app.test_client()).get(feed_url(new_calendar_token(learner)))
    assert uids(response) == {uid(registered), uid(full), uid(called_off)}
    status = {str(event["uid"]): str(event["status"]) for event in events(response)}
    assert status[uid(called_off)] == "CANCELLED"
    assert status[uid(registered)] == status[uid(full)] == "CONFIRMED"
    summaries = {str(event["summary"]) for event in events(response)}
    assert "Abend B (Warteliste)" in summaries
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_feed_of_someone_without_dates_is_an_empty_calendar(client, learner):
    response = client.get(feed_url(new_calendar_token(learner)))
    assert events(response) == []
    assert "Meine Schulungstermine" in unfolded(response)


def test_the_video_link_goes_only_to_people_with_a_place(app, logged_in, learner):
    other = make_user("olaf@example.org", "Olaf Anders", unit_name="Bonn")
    with app.app_context():
        training = gen_training(place="", video_url=VIDEO_LINK, capacity=1)
        sign_up(other, training)
        sign_up(learner, training)  # waiting
    assert VIDEO_LINK not in unfolded(logged_in.get(feed_url(new_calendar_token(learner))))
    assert VIDEO_LINK not in unfolded(logged_in.get(f"/trainings/{training.id}.ics"))
    assert VIDEO_LINK in unfolded(logged_in.get(feed_url(new_calendar_token(other))))


def test_a_wrong_token_is_not_found(client, learner):
    token = new_calendar_token(learner)
    assert client.get(feed_url(secrets.token_urlsafe(24))).status_code == 404
    assert client.get(feed_url(token.swapcase())).status_code == 404
    assert client.get(feed_url(token)).status_code == 200


def test_the_account_page_makes_shows_and_ends_the_address(logged_in, learner):
    html = logged_in.text("/account")[1]
    assert "Kalender-Abo" in html and "/trainings/calendar/" not in html
    response = logged_in.submit("/account/calendar", page="/account")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account#kalender")
    token = User.get_by_id(learner.id).calendar_token
    assert token
    html = logged_in.text("/account")[1]
    assert f'value="http://localhost/trainings/calendar/{token}.ics" readonly' in html
    assert "Neue Adresse erzeugen" in html and "Abo beenden" in html
    assert logged_in.get(feed_url(token)).status_code == 200

    logged_in.submit("/account/calendar/end", page="/account")
    assert User.get_by_id(learner.id).calendar_token is None
    assert logged_in.get(feed_url(token)).status_code == 404
    assert "/trainings/calendar/" not in logged_in.text("/account")[1]


def test_a_new_address_makes_the_old_one_stop_working(logged_in, learner):
    logged_in.submit("/account/calendar", page="/account")
    old = User.get_by_id(learner.id).calendar_token
    response = logged_in.submit("/account/calendar", page="/account", follow_redirects=True)
    assert "Die alte funktioniert nicht mehr" in response.get_data(as_text=True)
    new = User.get_by_id(learner.id).calendar_token
    assert new != old
    assert logged_in.get(feed_url(old)).status_code == 404
    assert logged_in.get(feed_url(new)).status_code == 200


def test_deleting_the_account_ends_the_feed(app, client, learner):
    token = new_calendar_token(learner)
    with app.app_context():
        anonymise(User.get_by_id(learner.id))
    assert User.get_by_id(learner.id).calendar_token is None
    assert client.get(feed_url(token)).status_code == 404


"""Dates in people's calendars: one date as an ``.ics`` file, and a private
feed of a person's own dates that phone and desktop calendars subscribe to.

The feed's address holds a random token (``User.calendar_token``); the
token is the only credential, so the feed needs no login. A new token makes
the old address stop working; ending the subscription clears it.

Events carry their times in Europe/Berlin (the app's TIMEZONE) with the
VTIMEZONE that describes it, so a date across a daylight-saving change
keeps its wall-clock times. A cancelled date stays in the feed with
STATUS:CANCELLED: calendars remove or strike it out instead of keeping a
stale entry. The video link goes only to people with a place, as on the
date's page.
"""
import hmac
import secrets
from datetime import date, timezone
from urllib.parse import urlsplit

from flask import Response, abort, current_app, url_for
from flask_login import current_user
from icalendar import Calendar, Event

from ..models import TrainingDate, TrainingRegistration, User
from ..timeutil import to_local, utcnow
from ..urls import external_url
from . import bp
from .dates import registration_of
from .routes import training_or_404

PRODUCT_ID = "-//NRW Jusos//Lernplattform//DE"
FEED_NAME = "Meine Schulungstermine (Jusos NRW)"


# --- the feed's address -------------------------------------------------------------


def new_calendar_token(user):
    """Give ``user`` a new feed address; the previous one stops working."""
    user.calendar_token = secrets.token_urlsafe(24)
    user.save(only=[User.calendar_token])
    return user.calendar_token


def end_calendar_feed(user):
    user.calendar_token = None
    user.save(only=[User.calendar_token])


def calendar_feed_url(user):
    """The absolute address of the user's feed, or None without one."""
    if not user.calendar_token:
        return None
    return external_url("trainings.calendar_feed", token=user.calendar_token)


def user_for_calendar_token(token):
    """The (not deleted) user whose feed ``token`` opens, or None. The
    lookup uses the index; the exact comparison afterwards keeps a database
    collation that ignores case or trailing blanks from widening the match."""
    user = User.get_or_none((User.calendar_token == token) & User.deleted_at.is_null())
    if user is None or not hmac.compare_digest(user.calendar_token.encode(), token.encode()):
        return None
    return user


# --- building calendars -------------------------------------------------------------


def _new_calendar(name=None):
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def training_event(training, status=None, now=None):
    """The VEVENT for ``training``, seen by someone whose registration has
    ``status`` ("registered", "waiting" or None)."""
    tz = current_app.config["TIMEZONE"]
    base_url = current_app.config["BASE_URL"]
    page = base_url + url_for("trainings.detail", training_id=training.id)
    summary = training.title
    if training.is_cancelled:
        summary = f"Abgesagt: {summary}"
    elif status == "waiting":
        summary = f"{summary} (Warteliste)"
    description = [training.description_markdown.strip()] if training.description_markdown.strip() else []
    if training.video_url and status == "registered":
        description.append(f"Videokonferenz: {training.video_url}")
    description.append(f"Alles zum Termin: {page}")

    event = Event()
    event.add("uid", f"training-{training.id}@{urlsplit(base_url).hostname}")
    event.add("dtstamp", (now or utcnow()).replace(tzinfo=timezone.utc))
    event.add("summary", summary)
    event.add("dtstart", to_local(training.starts_at, tz))
    event.add("dtend", to_local(training.ends_at, tz))
    event.add("location", training.place or "Videokonferenz")
    event.add("url", page)
    event.add("description", "\n\n".join(description))
    event.add("status", "CANCELLED" if training.is_cancelled else "CONFIRMED")
    return event


def _add_timezone(calendar, trainings):
    """The VTIMEZONE for the events' zone, with the rules of the years they
    fall in (icalendar's default covers 1970 to 2037 in every file)."""
    if trainings:
        first = min(t.starts_at for t in trainings).year - 1
        last = max(t.ends_at for t in trainings).year + 2
        calendar.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last, 1, 1))


def training_calendar(training, user):
    """The calendar with the one date, as ``user`` sees it."""
    registration = registration_of(user, training)
    calendar = _new_calendar()
    calendar.add_component(training_event(training, registration.status if registration else None))
    _add_timezone(calendar, [training])
    return calendar


def personal_calendar(user):
    """The user's feed: every date they are registered for or waiting on,
    cancelled dates included (as cancelled)."""
    registrations = list(TrainingRegistration.select(TrainingRegistration, TrainingDate).join(TrainingDate)
                         .where((TrainingRegistration.user == user.id) & (TrainingRegistration.status != "cancelled"))
                         .order_by(TrainingDate.starts_at, TrainingDate.id))
    calendar = _new_calendar(FEED_NAME)
    now = utcnow()
    for registration in registrations:
        calendar.add_component(training_event(registration.training, registration.status, now))
    _add_timezone(calendar, [r.training for r in registrations])
    return calendar


def _ics_response(calendar, filename=None):
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- views --------------------------------------------------------------------------


@bp.route("/<id:training_id>.ics")
def ics(training_id):
    training = training_or_404(training_id)
    return _ics_response(training_calendar(training, current_user), filename=f"termin-{training.id}.ics")


@bp.route("/calendar/<token>.ics")
def calendar_feed(token):
    """Public: the token in the address is the credential."""
    user = user_for_calendar_token(token) or abort(404)
    return _ics_response(personal_calendar(user))

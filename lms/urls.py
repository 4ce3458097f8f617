"""URLs, read and built.

Reading: safe redirect targets, ids in paths, numbers and dates in query
strings. Every integer and date a request carries is parsed here, with
bounds, so odd input ("²", "-1", "99999999999999999999", "0001-01-01")
answers 404 or 400 with a German page, never a 500.

Building: ``build_content_url`` for links inside lesson text (the same with
or without a request, so a preview links where the published page will),
``step_url`` for a learner's next step.
"""
import re
from datetime import date, datetime
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, ValidationError

# Ids are PostgreSQL INTEGERs: 1 to 2**31 - 1.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
# Dates people can mean: no year 1 (end of day overflows), no year 9999.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)
ASCII_NUMBER = re.compile(r"^[0-9]{1,10}$")


class BadArgument(BadRequest):
    """A query argument that cannot be read; ``description`` is German."""


def safe_next_url(target):
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def parse_id(text):
    """A positive id from ASCII digits within bounds, else None."""
    if not isinstance(text, str) or not ASCII_NUMBER.match(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


class IdConverter(BaseConverter):
    """``<id:name>`` in a route: a database id (1 to 2**31-1, ASCII digits
    only). Anything else does not match the route, so it answers 404."""

    regex = r"[0-9]{1,10}"

    def to_python(self, value):
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value):
        return str(int(value))


def int_arg(name, default=None, minimum=1, maximum=MAX_ID):
    """The query argument ``name`` as an int within bounds; ``default`` when
    it is missing or empty; 400 with a German message when it is no such
    number."""
    text = request.args.get(name, "")
    if text == "":
        return default
    value = int(text) if ASCII_NUMBER.match(text) else None
    if value is None or not minimum <= value <= maximum:
        raise BadArgument(f"„{name}“ muss eine Zahl von {minimum} bis {maximum} sein.")
    return value


def page_arg():
    return int_arg("page", default=1, maximum=MAX_PAGE)


def parse_day(text):
    """'2026-06-30' -> date, or None for anything else or outside the bounds."""
    try:
        day = datetime.strptime(text or "", "%Y-%m-%d").date()
    except ValueError:
        return None
    return day if FIRST_DATE <= day <= LAST_DATE else None


def date_arg(name):
    """The query argument ``name`` as a date (YYYY-MM-DD); None when missing;
    400 with a German message when it is no date between 2000 and 2100."""
    text = request.args.get(name, "")
    if text == "":
        return None
    day = parse_day(text)
    if day is None:
        raise BadArgument(f"„{name}“ muss ein Datum zwischen {FIRST_DATE:%d.%m.%Y} und {LAST_DATE:%d.%m.%Y} "
                          "im Format JJJJ-MM-TT sein.")
    return day


def build_content_url(endpoint, **values):
    """The URL of a content link (``lesson:…``, ``template:…``), built from
    the app's configuration (``APPLICATION_ROOT``), never from a request: a
    lesson rendered by ``load-content``, by a publish or in the editor's
    preview gets the same links."""
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build(endpoint, values)


def external_url(endpoint, **values):
    """The full address of a page (``LMS_BASE_URL`` and the path), for
    e-mails, QR codes and calendars: the same from a request and from a
    command such as ``send-reminders``."""
    return current_app.config["BASE_URL"] + build_content_url(endpoint, **values)


def step_url(step, course):
    """The URL of a step of the course (``CourseOutline.next_step()`` and
    the like: ("lesson", Lesson) or ("quiz", Quiz)); None for None."""
    if step is None:
        return None
    kind, item = step
    if kind == "lesson":
        return url_for("learn.lesson", course_slug=course.slug, module_slug=item.module.slug, lesson_slug=item.slug)
    return url_for("quiz.overview", course_slug=course.slug, quiz_slug=item.slug)

"""Test helpers that make each test read like a story."""
import http.cookiejar
import re
import secrets
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

from aiosmtpd.controller import Controller

from lms.accounts import hash_password
from lms.catalog import new_revision
from lms.content.source import Fields
from lms.models import Certificate, Course, Membership, Module, Quiz, QuizAttempt, TrainingDate, Unit, User
from lms.question_types import QUESTION_TYPES
from lms.timeutil import utcnow

PASSWORD = "richtig-gutes-passwort"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://\S+")

_PASSWORD_HASH = hash_password(PASSWORD)  # hashing is slow on purpose: do it once


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.messages = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def start(self):
        self._controller.start()

    def stop(self):
        self._controller.stop()

    def clear(self):
        with self._lock:
            self.messages.clear()

    def to(self, address):
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    def last_link_to(self, address):
        """The first link in the newest mail to ``address``."""
        messages = self.to(address)
        assert messages, f"no mail to {address}"
        body = messages[-1].get_content()
        match = LINK.search(body)
        assert match, f"no link in mail: {body}"
        return match.group(0).replace("http://localhost", "")


def make_user(email, name="Test Person", unit_name=None, function="officer", verified=True,
              password_hash=_PASSWORD_HASH, confirmed=True, **roles):
    """An account; with ``unit_name`` also a function there, confirmed (as
    if an executive had entered it) unless ``confirmed`` is False."""
    user = User.create(email=email, name=name, password_hash=password_hash,
                       email_verified_at=utcnow() if verified else None, **roles)
    if unit_name:
        now = utcnow()
        Membership.create(user=user, unit=Unit.get(Unit.name == unit_name), function=function, started_at=now,
                          confirmed_at=now if confirmed else None, confirmed_via="executive" if confirmed else None)
    return user


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpUser:
    """One browser talking real HTTP to a live server (``live_server``):
    its own cookies, redirects not followed."""

    def __init__(self, base, email):
        self.base = base
        self.email = email
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect)

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:  # 3xx (not followed) and errors
            return error.code, error.headers, error.read().decode()

    def token(self, path):
        return CSRF_INPUT.search(self.request(path)[2]).group(1)

    def post(self, path, data, page):
        return self.request(path, {**data, "csrf_token": self.token(page)})


class Browser:
    """The Flask test client plus form handling: every POST carries the CSRF
    token from the page, as a real browser's would."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf_token(self, page="/"):
        html = self.client.get(page).get_data(as_text=True)
        match = CSRF_INPUT.search(html)
        if match is None:
            html = self.client.get("/login").get_data(as_text=True)
            match = CSRF_INPUT.search(html)
        assert match, f"no CSRF token on {page}"
        return match.group(1)

    def submit(self, url, data=None, page=None, follow_redirects=False):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token(page or url))
        return self.client.post(url, data=data, follow_redirects=follow_redirects)

    def login(self, email, password=PASSWORD, remember=False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        response = self.submit("/login", data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def text(self, url):
        response = self.client.get(url)
        return response.status_code, response.get_data(as_text=True)


def gen_question(question_id, type="single_choice", **fields):
    """A question definition as the loader stores it, parsed from the same
    fields a quiz file has (``prompt``, ``choices``, ``topic``, ...).
    Sensible defaults make a valid question of each type."""
    defaults = {
        "single_choice": {"choices": [{"text": "Richtig", "correct": True, "feedback": "Ja."},
                                      {"text": "Falsch", "feedback": "Nein."}]},
        "multiple_choice": {"choices": [{"text": "Eins", "correct": True, "feedback": "Ja."},
                                        {"text": "Zwei", "feedback": "Nein."}]},
        "true_false": {"answer": True, "feedback_true": "Ja.", "feedback_false": "Nein."},
        "short_text": {"accepted": ["Antwort"], "feedback_correct": "Ja.", "feedback_wrong": "Nein."},
        "ordering": {"items": ["Erstens", "Zweitens"]},
        "matching": {"pairs": [{"left": "UB", "right": "Unterbezirk"}, {"left": "KV", "right": "Kreisverband"}]},
    }[type]
    mapping = {"id": question_id, "type": type, "prompt": f"Frage {question_id}?", "explanation": "Weil.",
               **defaults, **fields}
    errors = []
    definition = QUESTION_TYPES[type].parse(Fields(mapping, "test", errors))
    assert not errors, errors
    if fields.get("lesson") and "/" not in fields["lesson"]:
        definition["lesson"] = f"grundlagen/{fields['lesson']}"
    return definition


def gen_quiz(slug="pool", questions=None, course_slug="demo", title=None, **settings):
    """A quiz of the fixture course (no module), with ``questions``
    (definitions from ``gen_question``) and settings such as
    ``questions_per_attempt`` or ``review``."""
    course = Course.get(Course.slug == course_slug)
    questions = questions if questions is not None else [gen_question(f"q{n}") for n in range(4)]
    quiz = Quiz.create(course=course, slug=slug, title=title or f"Quiz {slug}", questions=questions, content_hash=slug,
                       **settings)
    new_revision()  # as publishing does: learners' pages read the catalog
    return quiz


def gen_attempt(user, quiz=None, passed=True, submitted_at=None, submitted=True, questions=(), responses=None,
                score=None, started_at=None):
    """A quiz attempt of ``user`` (on ``quiz``, by default a new one from
    ``gen_quiz``): submitted now (or at ``submitted_at``) and passed, unless
    told otherwise; ``questions`` is the attempt's snapshot (presented
    questions), ``responses`` the answers by question id."""
    quiz = quiz or gen_quiz(slug=f"quiz-{secrets.token_hex(3)}")
    if submitted and submitted_at is None:
        submitted_at = utcnow()
    max_score = len(questions) or 1
    return QuizAttempt.create(
        user=user, quiz=quiz, token=secrets.token_urlsafe(12), questions=list(questions), max_score=max_score,
        score=score if score is not None else (max_score if passed and submitted else 0),
        passed=bool(passed and submitted), submitted_at=submitted_at if submitted else None,
        started_at=started_at or submitted_at or utcnow(), responses=responses)


def gen_certificate(user, course=None, issued_at=None, months=12, revoked_at=None):
    """A certificate of ``user`` for ``course`` (default: the fixture
    course), issued at ``issued_at`` (default now), valid for ``months``
    months of 30 days."""
    course = course or Course.get(Course.slug == "demo")
    issued_at = issued_at or utcnow()
    return Certificate.create(user=user, course=course, code=f"C{user.id}-{secrets.token_hex(3).upper()}",
                              issued_at=issued_at, expires_at=issued_at + timedelta(days=30 * months),
                              revoked_at=revoked_at, holder_name=user.name, course_title=course.title,
                              course_version=course.version)


def gen_training(title="Grundlagenseminar", starts_in=timedelta(days=7), hours=3, capacity=10, modules=None,
                 course_slug="demo", **fields):
    """A live date of the fixture course starting ``starts_in`` from now
    (negative: in the past), covering ``modules`` (slugs; default: the
    course's first module)."""
    course = Course.get(Course.slug == course_slug)
    starts_at = utcnow() + starts_in
    modules = modules if modules is not None else [course.modules.order_by(Module.position).first().slug]
    values = dict(course=course, title=title, module_slugs=modules, starts_at=starts_at,
                  ends_at=starts_at + timedelta(hours=hours), place="Haus der Jugend, Raum 2", capacity=capacity,
                  registration_deadline=starts_at, attendance_code=secrets.token_hex(3).upper())
    values.update(fields)
    return TrainingDate.create(**values)

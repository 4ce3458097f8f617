"""Fixtures: an app on a fresh database with the fixture course and the NRW
units loaded, a test client, a CLI runner, and a real SMTP server on loopback
that receives every mail the app sends.

The database is a SQLite file per test, copied from a template built once.
With ``LMS_TEST_POSTGRES_URL=postgresql://user@host:port/dbname`` set (see
``scripts/test-postgres.sh``) the same suite runs on PostgreSQL instead: the
template is a PostgreSQL database built once per session and every test gets
its own ``CREATE DATABASE ... TEMPLATE`` copy, dropped afterwards. The
database named in the URL is only used to create and drop those.

Tests that need a database of their own call ``app_config(path, ...)`` with a
file path, after ``shutil.copy(template_database, path)`` when they want the
template's content. That works on both: on PostgreSQL ``template_database``
is a small marker file, and ``app_config`` turns a path into a new database
(a copy of the template when the marker was copied there, else empty).
"""
import os
import shutil
import threading
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from werkzeug.serving import make_server

from lms import create_app
from lms.urls import build_content_url
from lms.content.loader import load_content
from lms.database import counting_queries, migrate
from lms.models import Course, Lesson, LessonProgress, db
from lms.progress import refresh_enrollments
from lms.units import import_units

from .helpers import Browser, MailSink, free_port, gen_attempt, gen_certificate, gen_question, gen_quiz, make_user

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_COURSE = FIXTURES / "content" / "course"
FIXTURE_QUIZZES = FIXTURES / "content" / "quizzes"
UNITS_CSV = Path(__file__).parent.parent / "lms" / "data" / "units-nrw.csv"

POSTGRES_URL = os.environ.get("LMS_TEST_POSTGRES_URL") or None
ON_POSTGRES = POSTGRES_URL is not None


def sqlite_only(reason):
    """Marks a test (or, as ``pytestmark``, a module) that only makes sense
    on SQLite: skipped when the suite runs on PostgreSQL."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"SQLite only: {reason}")


class PostgresDatabases:
    """Creates and drops the per-test PostgreSQL databases through a
    maintenance connection to the database named in LMS_TEST_POSTGRES_URL."""

    MARKER = "lms-test-postgres-template:"

    def __init__(self, url):
        import psycopg2

        self.url = url
        self.prefix = f"lms_test_{uuid.uuid4().hex[:8]}"
        self.template = f"{self.prefix}_template"
        self._connection = psycopg2.connect(url)
        self._connection.autocommit = True  # CREATE/DROP DATABASE refuse to run in a transaction
        self._counter = 0
        self._by_path = {}  # app_config path -> url, so a second create_app reuses the database
        self.created = []  # databases created since the last drop_created()

    def url_for(self, name):
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))

    def _execute(self, sql):
        with self._connection.cursor() as cursor:
            cursor.execute(sql)

    def create(self, template=None):
        """A new database (a copy of ``template`` if given); its url."""
        self._counter += 1
        name = f"{self.prefix}_{self._counter}"
        self._execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(name)
        return self.url_for(name)

    def drop(self, name):
        # FORCE ends connections left open (a server thread, a killed child).
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_created(self):
        while self.created:
            self.drop(self.created.pop())
        self._by_path.clear()

    def for_path(self, path):
        """The database standing for the file ``path`` in ``app_config``."""
        path = Path(path).resolve()
        if path not in self._by_path:
            template = None
            if path.exists() and path.read_text(errors="replace").startswith(self.MARKER):
                template = path.read_text().removeprefix(self.MARKER).strip()
            self._by_path[path] = self.create(template)
        return self._by_path[path]

    def close(self):
        self.drop_created()
        self.drop(self.template)
        self._connection.close()


_postgres = None


def postgres():
    global _postgres
    if _postgres is None:
        _postgres = PostgresDatabases(POSTGRES_URL)
    return _postgres


def database_url(database_path):
    if ON_POSTGRES:
        return postgres().for_path(database_path)
    return f"sqlite:///{database_path}"


def app_config(database_path, mail_sink, **overrides):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(database_path.parent / "instance"),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": overrides.get("DATABASE_URL") or database_url(database_path),
        "COURSE_DIR": str(FIXTURE_COURSE),
        "QUIZ_DIR": str(FIXTURE_QUIZZES),
        "MAIL_SERVER": mail_sink.host,
        "MAIL_PORT": mail_sink.port,
        "BASE_URL": "http://localhost",
        "MAIL_IN_BACKGROUND": False,  # tests read the mail right after the request
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def mail_sink():
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


def _build_template(config):
    app = create_app(config)
    with app.app_context():
        migrate()
        import_units(UNITS_CSV.read_text(encoding="utf-8"))
        load_content(FIXTURE_COURSE, FIXTURE_QUIZZES, build_content_url)
        if not ON_POSTGRES:
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    # Connections are pooled: close them for real, or PostgreSQL refuses to
    # copy the template while a connection to it is open.
    app.extensions["lms_database"].close_all()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory, mail_sink):
    """A database with schema, units and fixture course, built once and
    copied for every test (much faster than migrating each time).

    SQLite: the template file. PostgreSQL: a marker file naming the template
    database (see the module docstring)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    if not ON_POSTGRES:
        _build_template(app_config(path, mail_sink))
        yield path
        return
    databases = postgres()
    databases._execute(f'CREATE DATABASE "{databases.template}"')
    try:
        _build_template(app_config(path, mail_sink, DATABASE_URL=databases.url_for(databases.template)))
        path.write_text(databases.MARKER + databases.template)
        yield path
    finally:
        db.close()
        databases.close()


@pytest.fixture(autouse=True)
def _drop_test_databases():
    """PostgreSQL: drop the databases a test created once it is done."""
    yield
    if ON_POSTGRES and _postgres is not None:
        db.close()
        _postgres.drop_created()


@pytest.fixture
def app(tmp_path, template_database, mail_sink):
    database_path = tmp_path / "lms.sqlite3"
    shutil.copy(template_database, database_path)
    app = create_app(app_config(database_path, mail_sink))
    mail_sink.clear()
    # No app context is held here: a request pushed inside one would share
    # its ``g`` (and so the logged-in user) with every other request.
    yield app
    db.close()
    app.extensions["lms_database"].close_all()


@pytest.fixture
def fresh_database_url(tmp_path):
    """The URL of a new, empty database (no schema) of the kind under test."""
    if ON_POSTGRES:
        return postgres().create()
    return f"sqlite:///{tmp_path / 'fresh.sqlite3'}"


@pytest.fixture
def app_context(app):
    """For tests that call code using ``current_app`` outside a request."""
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return Browser(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def learner(app):
    return make_user("lena@example.org", "Lena Lernende", unit_name="Köln", function="officer")


@pytest.fixture
def logged_in(client, learner):
    client.login(learner.email)
    return client


@pytest.fixture
def trainer(app):
    return make_user("tina@example.org", "Tina Trainerin", is_trainer=True)


@pytest.fixture
def as_trainer(client, trainer):
    client.login(trainer.email)
    return client


@pytest.fixture
def executive(app):
    return make_user("lavo@example.org", "Lea Vorstand", is_executive=True)


@pytest.fixture
def as_executive(client, executive):
    client.login(executive.email)
    return client


@pytest.fixture
def scenario(app):
    """For the dashboard: Köln trained (certificate of 01.09.2026, a quiz
    failed on 01.08. and passed on 02.08.), Bielefeld in training, Düren
    registered (plus a board member in Köln), the rest open."""
    course = Course.get(Course.slug == "demo")
    koeln = make_user("koeln@example.org", "Kim Köln", unit_name="Köln")
    gen_certificate(koeln, course, datetime(2026, 9, 1))
    quiz = gen_quiz("vertiefung", questions=[gen_question("geheime-antwort")], title="Quiz: Vertiefung")
    gen_attempt(koeln, quiz, passed=False, submitted_at=datetime(2026, 8, 1), responses={"geheime-antwort": [1]})
    gen_attempt(koeln, quiz, submitted_at=datetime(2026, 8, 2))
    bielefeld = make_user("bielefeld@example.org", "Bo Bielefeld", unit_name="Bielefeld", function="team")
    LessonProgress.create(user=bielefeld, lesson=Lesson.select().order_by(Lesson.id).first(),
                          completed_at=datetime(2026, 10, 1))
    make_user("dueren@example.org", "Dana Düren", unit_name="Düren")
    make_user("vorstand-koeln@example.org", "Vera Vorstand", unit_name="Köln", function="board")
    refresh_enrollments(course)  # the records above were written directly, not through the app
    return course


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on loopback (threaded); its base URL.
    Talk to it with ``helpers.HttpUser``."""
    port = free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()


@pytest.fixture
def count_queries():
    """``with count_queries() as queries:`` collects the SQL run inside."""
    return counting_queries

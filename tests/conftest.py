"""Fixtures: an app on a fresh SQLite file with the fixture course and the NRW
units loaded, a test client, a CLI runner, and a real SMTP server on loopback
that receives every mail the app sends."""
import shutil
from pathlib import Path

import pytest

from lms import create_app
from lms.cli import build_url
from lms.content.loader import load_content
from lms.database import counting_queries, migrate
from lms.models import db
from lms.units import import_units

from .helpers import Browser, MailSink, make_user

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_COURSE = FIXTURES / "content" / "course"
FIXTURE_QUIZZES = FIXTURES / "content" / "quizzes"
UNITS_CSV = Path(__file__).parent.parent / "lms" / "data" / "units-nrw.csv"


@pytest.fixture(scope="session")
def mail_sink():
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


def app_config(database_path, mail_sink, **overrides):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(database_path.parent / "instance"),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "DATABASE_URL": f"sqlite:///{database_path}",
        "COURSE_DIR": str(FIXTURE_COURSE),
        "QUIZ_DIR": str(FIXTURE_QUIZZES),
        "MAIL_SERVER": mail_sink.host,
        "MAIL_PORT": mail_sink.port,
        "BASE_URL": "http://localhost",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def template_database(tmp_path_factory, mail_sink):
    """A database with schema, units and fixture course, built once and
    copied for every test (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = create_app(app_config(path, mail_sink))
    with app.app_context():
        migrate()
        import_units(UNITS_CSV.read_text(encoding="utf-8"))
        load_content(FIXTURE_COURSE, FIXTURE_QUIZZES, build_url)
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
    return path


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
def count_queries():
    """``with count_queries() as queries:`` collects the SQL run inside."""
    return counting_queries

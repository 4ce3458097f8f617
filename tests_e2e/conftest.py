"""End-to-end tests in a real browser (headless Chromium through Playwright).

One real server for the whole session: ``flask lms setup`` with the shipped
course on a temporary instance folder, then ``flask run`` on a free loopback
port in a subprocess. Mail goes to an SMTP server on loopback (aiosmtpd, see
``tests.helpers.MailSink``). The tests create accounts directly through the
app's models in the same SQLite file.

Needs Debian's chromium and poppler-utils (pdftoppm), axe-core and the playwright package:
``tests_e2e/setup_browser.sh`` installs them (``make test-e2e`` runs it).
Screenshots, the accessibility report and every PDF rendered to PNG go to tests_e2e/artifacts/.
"""
import itertools
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
PROJECT = E2E_DIR.parent
if str(PROJECT) not in sys.path:  # for tests.helpers and tests.quiz_helpers
    sys.path.insert(0, str(PROJECT))

from tests.helpers import PASSWORD, MailSink, free_port, make_user  # noqa: E402

ARTIFACTS = E2E_DIR / "artifacts"
AXE_JS = E2E_DIR / ".cache" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("LMS_E2E_CHROMIUM", "/usr/bin/chromium")
COURSE = "mitgliederbetreuung"  # the shipped course
SETUP_HINT = "Run tests_e2e/setup_browser.sh (or `make test-e2e`) first."

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # reported by the browser fixture, so the message is clear
    sync_playwright = None


def pytest_configure(config):
    ARTIFACTS.mkdir(exist_ok=True)
    gitignore = ARTIFACTS / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n!.gitignore\n")


@pytest.fixture(scope="session")
def mail_sink():
    sink = MailSink()
    sink.start()
    yield sink
    sink.stop()


class Server:
    """The app served by ``flask run`` in a subprocess."""

    def __init__(self, url, instance_path, log_path, process):
        self.url = url
        self.instance_path = instance_path
        self.log_path = log_path
        self.process = process

    def output(self):
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def assert_alive(self):
        assert self.process.poll() is None, f"the server has exited; its output:\n{self.output()}"


def _server_env(instance_path, url, mail_sink):
    env = dict(os.environ)
    for name in ("DATABASE_URL", "SECRET_KEY", "LMS_ENV", "FLASK_DEBUG", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_USE_TLS", "MAIL_USE_SSL", "LMS_COURSE_DIR", "LMS_QUIZ_DIR", "LMS_REQUIRED_COURSE"):
        env.pop(name, None)
    env.update({
        "LMS_INSTANCE_PATH": str(instance_path),
        "LMS_BASE_URL": url,
        "MAIL_SERVER": mail_sink.host,
        "MAIL_PORT": str(mail_sink.port),
        "PYTHONUNBUFFERED": "1",
    })
    return env


@pytest.fixture(scope="session")
def server(tmp_path_factory, mail_sink):
    root = tmp_path_factory.mktemp("e2e")
    instance_path = root / "instance"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _server_env(instance_path, url, mail_sink)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]

    setup = subprocess.run([*flask, "lms", "setup"], cwd=PROJECT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert setup.returncode == 0, f"flask lms setup failed:\n{setup.stdout}\n{setup.stderr}"

    log_path = root / "server.log"
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen([*flask, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload",
                                    "--no-debugger", "--with-threads"],
                                   cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = Server(url, instance_path, log_path, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            running.assert_alive()
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"the server did not answer; its output:\n{running.output()}"
            time.sleep(0.2)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def app(server, mail_sink):
    """The app's models, bound to the server's SQLite file, in this process
    (an app context stays pushed for the session)."""
    from lms import create_app
    from lms.models import db

    flask_app = create_app({
        "INSTANCE_PATH": str(server.instance_path),
        "DATABASE_URL": f"sqlite:///{server.instance_path / 'lms.sqlite3'}",
        "BASE_URL": server.url,
        "MAIL_SERVER": mail_sink.host,
        "MAIL_PORT": mail_sink.port,
        "COURSE_DIR": str(PROJECT / "course"),
        "QUIZ_DIR": str(PROJECT / "quizzes"),
    })
    context = flask_app.app_context()
    context.push()
    db.connect(reuse_if_open=True)
    yield flask_app
    db.close()
    context.pop()


_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def create_user(app):
    """``create_user("Name", unit_name="Köln", function="officer", is_trainer=True)``:
    a verified account with the test password and a unique e-mail address."""

    def create(name, unit_name=None, function="officer", **roles):
        email = f"e2e-{next(_numbers)}-{time.time_ns()}@example.org"
        return make_user(email, name, unit_name=unit_name, function=function, **roles)

    return create


@pytest.fixture(scope="session")
def browser():
    if sync_playwright is None:
        pytest.fail(f"The playwright package is missing. {SETUP_HINT}")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"No Chromium at {CHROMIUM}. {SETUP_HINT}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_js():
    if not AXE_JS.is_file():
        pytest.fail(f"axe-core is missing at {AXE_JS}. {SETUP_HINT}")
    return AXE_JS


VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


@pytest.fixture
def new_page(browser, server):
    """``new_page(width="desktop", storage_state=None, bypass_csp=False,
    expected_statuses=())``: a page in a fresh browser context on the
    server; closed after the test. Every page fails the test on a JavaScript
    error or a failed request, except responses with one of
    ``expected_statuses`` (a form sent back with its errors answers 400)."""
    contexts = []
    problems = []

    def make(width="desktop", storage_state=None, bypass_csp=False, expected_statuses=()):
        expected = tuple(f"status of {status} " for status in expected_statuses)

        def on_console(message):
            if message.type == "error" and not (expected and any(e in message.text for e in expected)):
                problems.append(f"console {message.type} on {page.url}: {message.text}")

        context = browser.new_context(base_url=server.url, locale="de-DE", timezone_id="Europe/Berlin",
                                      accept_downloads=True, storage_state=storage_state, bypass_csp=bypass_csp,
                                      **VIEWPORTS[width])
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))
        page.on("console", on_console)
        return page

    yield make
    for context in contexts:
        context.close()
    server.assert_alive()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="session")
def login_state(browser, server, tmp_path_factory):
    """``login_state(user)``: the path of a storage state (cookies) of ``user``
    logged in through the login form; one login per user and session."""
    states = {}
    folder = tmp_path_factory.mktemp("states")

    def state(user):
        if user.id not in states:
            context = browser.new_context(base_url=server.url)
            page = context.new_page()
            log_in(page, user.email)
            path = folder / f"user-{user.id}.json"
            context.storage_state(path=str(path))
            context.close()
            states[user.id] = str(path)
        return states[user.id]

    return state


@pytest.fixture(scope="session")
def login():
    """``login(page, email)``: log in through the form."""
    return log_in


def log_in(page, email, password=PASSWORD):
    """Log in through the form; ends on the start page."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.locator("main").get_by_role("button", name="Anmelden").click()
    page.wait_for_url(lambda url: not url.split("?")[0].endswith("/login"))
    assert page.get_by_role("button", name="Abmelden").is_visible(), page.content()

"""Throughput and latency of the real app under gunicorn, driven by wrk.

    .venv/bin/python benchmarks/load_wrk.py [--duration 10] [--threads 2] [--connections 8]
                                            [--workers 2] [--worker-threads 1] [--pool-size 4000]

Needs the ``wrk`` load generator (Debian/Ubuntu: ``apt-get install wrk``).

The app runs under gunicorn (2 sync workers by default, as
``gunicorn --workers N wsgi:app`` in the README) on 127.0.0.1 with a
temporary instance folder (``LMS_INSTANCE_PATH``), its SQLite database in
there, ``SECRET_KEY`` set and ``LMS_ENV`` unset. Before the server starts the
database gets the NRW units, the shipped course and a small federation
(an officer per unit plus some team members; a third finished the course
with a certificate, a third is half way), so the dashboard has something to
count. Each measurement is a ``wrk --latency`` run of ``--duration`` seconds
with ``--threads`` threads and ``--connections`` connections:

bare        GET /page of a bare Flask app, served by gunicorn with the same
            worker settings: a Jinja template of the lesson page's size
            (about 12 KB of HTML built in a loop: a header, navigation, a
            few dozen paragraphs and a footer). The floor every ratio refers
            to: what any Flask page of that size costs on this machine.
bare-tiny   GET / of the same app: a constant string, Flask's empty overhead
            (an extra line, not a floor).
lesson      GET /learn/<course>/<module>/<lesson> as a logged-in learner who
            has opened that lesson before (steady state).
course      GET /learn/<course>, the course page of the same learner.
verify      GET /verify/<code> of a valid certificate, no login.
quiz-resub  POST /quiz/attempt/<token> with a complete, correct answer form
            (and CSRF token) for an attempt that is already submitted. The
            app validates the CSRF token, loads the user and the attempt,
            sees it is submitted and answers 302 to .../result without
            grading or writing anything: this measures the idempotent
            "double click / resent form" path, not grading.
quiz-submit POST /quiz/attempt/<token> of a *first* submission: a Lua script
            walks through a pool of open attempts prepared beforehand (several
            learners, each with open attempts on every quiz of the course), so
            every request grades an attempt and writes it (conditional
            UPDATE, one AttemptAnswer row per question, Enrollment refresh)
            until the pool runs out. The script reports how many requests were
            first submissions; the rest (if any) fall back to the idempotent path.
dashboard   GET /dashboard/ as an executive (User.is_executive).

Every request's status (and for redirects, where they point) is tallied by a
Lua response() hook, so a run that silently got 302 -> /login or 400 (CSRF)
is reported instead of counted as throughput; any such response, socket
error or a changed re-submitted attempt makes the script exit 1. The table
shows requests/s, p50 and p99 latency and each as a ratio to the bare page.

Reading the figures: with sync workers only ``--workers`` requests run at a
time, the other connections wait in the listen queue, so at 16 connections
p50 is mostly queueing (about connections / requests-per-second); requests/s
is the figure to compare. wrk runs on the same machine and takes CPU from
the workers; the script prints the load average and warns when the machine
is busy with other work, which makes all figures noisy.
"""
import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "benchmark-passwort-123"

BARE_APP = '''\
from flask import Flask, render_template_string

app = Flask(__name__)

# About the size of a lesson page: a layout, a navigation and 40 paragraphs.
PAGE = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><header><nav><ul>{% for item in nav %}<li><a href="/{{ item }}">{{ item }}</a></li>{% endfor %}</ul></nav></header>
<main><h1>{{ title }}</h1>
{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}</main><footer><p>Fuß der Seite</p></footer></body></html>"""
PARAGRAPHS = [f"Absatz {n}: " + "Genoss*innen begleiten neue Mitglieder in die Strukturen. " * 4 for n in range(40)]


@app.get("/")
def index():
    return "<!doctype html><html lang=de><title>bare</title><p>Hallo, Welt.</p></html>"


@app.get("/page")
def page():
    return render_template_string(PAGE, title="Eine Lektion", nav=["Start", "Kurs", "Zertifikate", "Konto"],
                                  paragraphs=PARAGRAPHS)
'''


# --- processes and temporary folders ----------------------------------------------------------


def _raise_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)


def install_signal_handlers():
    """Ctrl-C (SIGINT -> KeyboardInterrupt, even when started with SIGINT
    ignored, as background jobs are), SIGTERM and SIGHUP all unwind the stack,
    so every ``with`` below stops the servers and removes the temp dir."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    signal.signal(signal.SIGHUP, _raise_on_sigterm)


CLEANUP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


class signals_deferred:
    """Hold back Ctrl-C and friends while cleaning up, so a second Ctrl-C
    cannot leave a server running or a temp dir behind."""

    def __enter__(self):
        self.previous = signal.pthread_sigmask(signal.SIG_BLOCK, CLEANUP_SIGNALS)

    def __exit__(self, *exc):
        signal.pthread_sigmask(signal.SIG_SETMASK, self.previous)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TempDir:
    """A temporary folder removed on exit, also after errors and Ctrl-C."""

    def __init__(self, prefix):
        self.path = Path(tempfile.mkdtemp(prefix=prefix))

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        with signals_deferred():
            shutil.rmtree(self.path, ignore_errors=True)


def server_env(instance, secret_key):
    """The environment for the app's gunicorn: temp instance, SQLite in it,
    SECRET_KEY set, LMS_ENV unset, no real mail server."""
    env = dict(os.environ)
    for name in ("LMS_ENV", "DATABASE_URL", "MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD"):
        env.pop(name, None)
    env.update(LMS_INSTANCE_PATH=str(instance), SECRET_KEY=secret_key, PYTHONUNBUFFERED="1")
    return env


class Gunicorn:
    """gunicorn in its own process group; stopped (the whole group) on exit."""

    def __init__(self, app_spec, log_path, env, workers=2, threads=1, cwd=ROOT, pythonpath=None,
                 ready_path="/", extra_args=()):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path)
        self.ready_path = ready_path
        self.workers, self.threads = workers, threads
        self.args = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                     "--graceful-timeout", "5"]
        if threads > 1:
            self.args += ["--threads", str(threads)]  # gunicorn then uses the gthread worker
        if pythonpath:
            self.args += ["--pythonpath", str(pythonpath)]
        self.args += [*extra_args, app_spec]
        self.env, self.cwd = env, cwd
        self.process = None

    @property
    def description(self):
        kind = f"gthread, {self.threads} threads each" if self.threads > 1 else "sync"
        return f"gunicorn {self.workers} workers ({kind})"

    def __enter__(self):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.args, cwd=self.cwd, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base + self.ready_path, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        with signals_deferred():
            self._stop()

    def _stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)  # master and its workers: our own process group
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait()
        else:  # master gone: make sure no orphaned worker of its group is left
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._log.close()
        self.process = None

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        if exc_type is not None and not issubclass(exc_type, (KeyboardInterrupt, SystemExit)):
            print(f"--- last lines of {self.log_path.name} ---\n{self.log_tail()}", file=sys.stderr)


# --- the app's database -----------------------------------------------------------------------


def setup_app(instance, secret_key):
    """An app object on the same database the server will use, with schema,
    NRW units and the shipped course loaded. Returns (app, course)."""
    from lms import create_app
    from lms.urls import build_content_url
    from lms.content.loader import load_content
    from lms.database import migrate
    from lms.models import Course
    from lms.units import import_units

    app = create_app({"INSTANCE_PATH": str(instance), "SECRET_KEY": secret_key, "LMS_ENV": "development",
                      "DATABASE_URL": f"sqlite:///{Path(instance).resolve() / 'lms.sqlite3'}", "MAIL_SERVER": None})
    with app.app_context():
        migrate()
        import_units(Path(app.config["UNITS_CSV"]).read_text(encoding="utf-8"))
        load_content(app.config["COURSE_DIR"], app.config["QUIZ_DIR"], build_content_url)
        course = Course.select().order_by(Course.id).first()
    return app, course


def password_hash():
    from lms.accounts import hash_password

    return hash_password(PASSWORD)  # scrypt is slow on purpose: hash once, share it


def create_users(prefix, count, pw_hash, **fields):
    """``count`` verified accounts, inserted in one transaction. Needs an app context."""
    from lms.models import User, db
    from lms.timeutil import utcnow

    now = utcnow()
    rows = [{"email": f"{prefix}{n}@example.org", "name": f"{prefix.capitalize()} {n:04d}", "password_hash": pw_hash,
             "email_verified_at": now, "created_at": now, **fields}
            for n in range(count)]
    with db.atomic():
        for start in range(0, len(rows), 500):
            User.insert_many(rows[start:start + 500]).execute()
    return list(User.select().where(User.email.startswith(prefix)).order_by(User.id))


def correct_responses(attempt):
    """The graded responses of an all-correct answer (as the form would give)."""
    from werkzeug.datastructures import MultiDict

    from lms.quiz.attempts import read_responses
    from tests.quiz_helpers import correct_form

    responses, problems = read_responses(attempt, MultiDict(_form_items(correct_form(attempt))))
    assert not problems, problems
    return responses


def _form_items(form):
    for key, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            yield key, item


def present_attempt(quiz, rng):
    """An attempt's question snapshot, as start_attempt makes it."""
    from lms.question_types import QUESTION_TYPES

    definitions = list(quiz.questions)
    if quiz.shuffle_questions:
        rng.shuffle(definitions)
    return [QUESTION_TYPES[d["type"]].present(d, rng, quiz.shuffle_choices) for d in definitions]


def insert_rows(model, rows, batch=500):
    from lms.models import db

    with db.atomic():
        for start in range(0, len(rows), batch):
            model.insert_many(rows[start:start + batch]).execute()


def populate_federation(course, pw_hash, rng):
    """An officer per unit and a team member in every other unit; a third of
    them finished the course (all lessons, all quizzes passed, certificate),
    a third is half way, the rest has not started. Raw records are inserted
    in bulk; the Enrollment totals and certificates are then written by the
    app's own refresh_enrollments and issue_certificate_if_complete."""
    from datetime import timedelta

    from lms.certificates.issuing import issue_certificate_if_complete
    from lms.models import Lesson, LessonProgress, Membership, Module, Quiz, QuizAttempt, Unit
    from lms.progress import refresh_enrollments
    from lms.timeutil import utcnow

    units = list(Unit.select().order_by(Unit.id))
    people = create_users("officer", len(units) + len(units) // 2, pw_hash)
    confirmed = utcnow() - timedelta(days=400)
    insert_rows(Membership, [{"user": user.id, "unit": units[index % len(units)].id,
                              "function": "officer" if index < len(units) else "team",
                              "started_at": confirmed, "confirmed_at": confirmed, "confirmed_via": "executive"}
                             for index, user in enumerate(people)])
    lessons = list(Lesson.select(Lesson.id).join(Module).where(Module.course == course)
                   .order_by(Module.position, Lesson.position))
    quizzes = list(Quiz.select().where(Quiz.course == course).order_by(Quiz.id))
    progress, attempts = [], []
    for index, user in enumerate(people):
        share = index % 3
        if share == 2:
            continue
        when = utcnow() - timedelta(days=rng.randint(2, 300))
        for lesson in lessons if share == 0 else lessons[:len(lessons) // 2]:
            progress.append({"user": user.id, "lesson": lesson.id, "first_seen_at": when, "completed_at": when})
        for quiz in quizzes if share == 0 else quizzes[:len(quizzes) // 2]:
            questions = present_attempt(quiz, rng)
            attempts.append({"user": user.id, "quiz": quiz.id, "token": secrets.token_urlsafe(16), "started_at": when,
                             "submitted_at": when, "questions": questions, "responses": {},
                             "score": len(questions), "max_score": len(questions), "passed": True})
    insert_rows(LessonProgress, progress)
    insert_rows(QuizAttempt, attempts, batch=100)
    refresh_enrollments(course)
    for index, user in enumerate(people):
        if index % 3 == 0:
            assert issue_certificate_if_complete(user, course) is not None
    return people


# --- HTTP clients -----------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor with its own cookies; redirects are returned, not followed."""

    def __init__(self, base, timeout=120):
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path, data=None):
        """(status, headers, body text). ``data``: a dict (lists for repeated fields)."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=self.timeout) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:  # 3xx (not followed) and 4xx/5xx
            with error:
                return error.code, error.headers, error.read().decode(errors="replace")

    def csrf_token(self, path):
        status, _, body = self.request(path)
        match = CSRF.search(body)
        if match is None:
            raise RuntimeError(f"no csrf_token on {path} (status {status})")
        return match.group(1)

    def login(self, email, password=PASSWORD):
        status, headers, body = self.request("/login", {"email": email, "password": password,
                                                        "csrf_token": self.csrf_token("/login")})
        if status != 302:
            raise RuntimeError(f"login of {email} failed: status {status}")
        return self

    def cookie_header(self):
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


# --- wrk --------------------------------------------------------------------------------------

LUA_TALLY = r"""
-- Tally every response: status, and for redirects where they point.
statuses = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function response(status, headers, body)
  local key = tostring(status)
  if status >= 300 and status < 400 then
    local location = headers["Location"] or headers["location"] or ""
    if string.find(location, "/result", 1, true) then key = key .. "->result"
    elseif string.find(location, "/login", 1, true) then key = key .. "->login"
    else key = key .. "->other" end
  end
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do total[key] = (total[key] or 0) + count end
  end
  local parts = {}
  for key, count in pairs(total) do table.insert(parts, key .. "=" .. count) end
  table.sort(parts)
  io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
end
"""


def lua_quote(text):
    assert "]==]" not in text
    return f"[==[{text}]==]"


def lua_fixed_request(method="GET", cookie=None, body=None):
    lines = [f"wrk.method = {lua_quote(method)}"]
    if cookie:
        lines.append(f'wrk.headers["Cookie"] = {lua_quote(cookie)}')
    if body is not None:
        lines.append(f"wrk.body = {lua_quote(body)}")
        lines.append('wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"')
    return "\n".join(lines) + "\n" + LUA_TALLY


def lua_pool_requests(pool_file, threads):
    """Each wrk thread walks its own share of the lines "path<TAB>cookie<TAB>body"
    in ``pool_file``, one POST per line, wrapping around at the end."""
    return LUA_TALLY + f"""
local pool = {{}}
local next_index = 1

function init(args)
  local index = 0
  for line in io.lines({lua_quote(str(pool_file))}) do
    if index % {threads} == id - 1 then
      local path, cookie, body = line:match("^([^\\t]*)\\t([^\\t]*)\\t(.*)$")
      table.insert(pool, {{path = path, cookie = cookie, body = body}})
    end
    index = index + 1
  end
end

function request()
  local item = pool[next_index]
  next_index = next_index % #pool + 1
  return wrk.format("POST", item.path, {{
    ["Cookie"] = item.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }}, item.body)
end
"""


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
DURATION = re.compile(r"([\d.]+)(us|ms|s|m)$")


def to_ms(text):
    match = DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"unparsable wrk duration {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(output):
    """requests/s, p50/p99 in ms, request count, error counts and statuses from wrk --latency output."""
    result = {"non_2xx_3xx": 0, "socket_errors": {}, "statuses": {}}
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(line.split()[1])
        elif line.startswith("50%"):
            result["p50"] = to_ms(line.split()[1])
        elif line.startswith("99%"):
            result["p99"] = to_ms(line.split()[1])
        elif re.match(r"\d+ requests in", line):
            result["requests"] = int(line.split()[0])
        elif line.startswith("Non-2xx or 3xx responses:"):
            result["non_2xx_3xx"] = int(line.split(":")[1])
        elif line.startswith("Socket errors:"):
            result["socket_errors"] = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", line.split(":", 1)[1])}
        elif line.startswith("STATUSES"):
            result["statuses"] = dict(part.split("=") for part in line.split()[1:])
            result["statuses"] = {key: int(value) for key, value in result["statuses"].items()}
    missing = {"rps", "p50", "p99", "requests"} - result.keys()
    if missing:
        raise RuntimeError(f"could not read {sorted(missing)} from wrk output:\n{output}")
    return result


def run_wrk(url, script_text, workdir, name, args):
    script = Path(workdir) / f"{name}.lua"
    script.write_text(script_text)
    command = ["wrk", "--latency", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s",
               "--timeout", "30s", "-s", str(script), url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 120)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    return parse_wrk(completed.stdout)


# --- the benchmark ----------------------------------------------------------------------------


def check(condition, message):
    if not condition:
        raise RuntimeError(message)


def measure_bare(tmp, args):
    (tmp / "bare_app.py").write_text(BARE_APP)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with Gunicorn("bare_app:app", tmp / "gunicorn-bare.log", env, workers=args.workers, threads=args.worker_threads,
                  cwd=tmp, pythonpath=tmp) as server:
        for path in ("/", "/page"):
            status, _, body = Browser(server.base).request(path)
            check(status == 200, f"bare page {path} answered {status}")
        page = run_wrk(server.base + "/page", lua_fixed_request(), tmp, "bare", args)
        page["bytes"] = len(Browser(server.base).request("/page")[2].encode())
        tiny = run_wrk(server.base + "/", lua_fixed_request(), tmp, "bare-tiny", args)
        return server.description, page, tiny


def prepare(app, course, args):
    """Accounts and attempts for the scenarios; returns what the requests need."""
    import random

    from lms.models import Lesson, Module, Quiz, QuizAttempt
    from lms.progress import refresh_enrollments
    from lms.quiz.attempts import start_attempt, submit_attempt
    from tests.quiz_helpers import correct_form

    rng = random.Random(1)
    pw_hash = password_hash()
    with app.app_context():
        started = time.perf_counter()
        people = populate_federation(course, pw_hash, rng)
        learner = create_users("learner", 1, pw_hash)[0]
        create_users("executive", 1, pw_hash, is_executive=True)
        submitters = create_users("submitter", args.pool_users, pw_hash)
        lesson = (Lesson.select(Lesson, Module).join(Module).where(Module.course == course)
                  .order_by(Module.position, Lesson.position).first())
        quizzes = list(Quiz.select().where(Quiz.course == course).order_by(Quiz.id))
        # The learner's already-submitted attempt for quiz-resub.
        resub = start_attempt(learner, quizzes[0], rng=rng)
        submit_attempt(resub, correct_responses(resub))
        resub_form = correct_form(resub)
        # Open attempts for quiz-submit: every submitter holds ``copies`` open
        # attempts on every quiz (start_attempt would resume a single one; the
        # submission path does not care), inserted in bulk.
        copies = max(1, -(-args.pool_size // (len(submitters) * len(quizzes))))
        pool, rows = [], []
        for user in submitters:
            for quiz in quizzes:
                for _ in range(copies):
                    questions = present_attempt(quiz, rng)
                    row = {"user": user.id, "quiz": quiz.id, "token": secrets.token_urlsafe(16),
                           "questions": questions, "max_score": len(questions)}
                    rows.append(row)
                    pool.append((user.email, row["token"], correct_form(QuizAttempt(**row))))
        insert_rows(QuizAttempt, rows, batch=100)
        refresh_enrollments(course, [user.id for user in submitters])
        rng.shuffle(pool)
        lesson_path = f"/learn/{course.slug}/{lesson.module.slug}/{lesson.slug}"
        from lms.models import Certificate

        certificate = Certificate.select().where(Certificate.user == people[0].id).get()
        print(f"prepared data in {time.perf_counter() - started:.1f} s: "
              f"{len(pool)} open attempts for quiz-submit ({len(submitters)} learners x {len(quizzes)} quizzes "
              f"x {copies})", flush=True)
        return {"learner": learner.email, "lesson_path": lesson_path, "course_path": f"/learn/{course.slug}",
                "verify_path": f"/verify/{certificate.code}", "resub_token": resub.token,
                "resub_form": resub_form, "pool": pool, "pool_tokens": [token for _, token, _ in pool]}


def settled_counts(app, tokens):
    """(submitted, passed) among the attempts with these tokens, once requests
    that were still in the server when wrk stopped have finished."""
    from peewee import fn

    from lms.models import QuizAttempt

    previous = None
    with app.app_context():
        while True:
            counts = (QuizAttempt.select(fn.COUNT(QuizAttempt.submitted_at),
                                         fn.SUM(QuizAttempt.passed.cast("int")))
                      .where(QuizAttempt.token.in_(tokens)).tuples().get())
            counts = (counts[0], counts[1] or 0)
            if counts == previous:
                return counts
            previous = counts
            time.sleep(1.0)


def encode(form):
    return urllib.parse.urlencode(form, doseq=True)


def measure_app(tmp, app, course, data, secret_key, args):
    from lms.models import QuizAttempt

    results = {}
    env = server_env(tmp / "instance", secret_key)
    with Gunicorn("wsgi:app", tmp / "gunicorn-app.log", env, workers=args.workers, threads=args.worker_threads,
                  ready_path="/login") as server:
        print(f"app: {server.description} at {server.base}", flush=True)

        # Sessions: log in over HTTP, then open a page so the session holds its CSRF secret.
        learner = Browser(server.base).login(data["learner"])
        learner_csrf = learner.csrf_token(data["lesson_path"])
        executive = Browser(server.base).login("executive0@example.org")
        submitters = {}
        for email in sorted({email for email, _, _ in data["pool"]}):
            browser = Browser(server.base).login(email)
            submitters[email] = (browser.csrf_token("/"), browser.cookie_header())

        # (b) lesson page
        for _ in range(4):
            status, _, body = learner.request(data["lesson_path"])
            check(status == 200, f"lesson page answered {status}")
        results["lesson"] = run_wrk(server.base + data["lesson_path"],
                                    lua_fixed_request(cookie=learner.cookie_header()), tmp, "lesson", args)
        results["lesson"]["bytes"] = len(body.encode())

        # (b') course page, (b'') public verify page
        status, _, body = learner.request(data["course_path"])
        check(status == 200, f"course page answered {status}")
        results["course"] = run_wrk(server.base + data["course_path"],
                                    lua_fixed_request(cookie=learner.cookie_header()), tmp, "course", args)
        status, _, body = Browser(server.base).request(data["verify_path"])
        check(status == 200 and "Gültig" in body, f"verify page answered {status}")
        results["verify"] = run_wrk(server.base + data["verify_path"], lua_fixed_request(), tmp, "verify", args)

        # (c) re-submission of a submitted attempt
        resub_path = f"/quiz/attempt/{data['resub_token']}"
        resub_body = encode({**data["resub_form"], "csrf_token": learner_csrf})
        status, headers, _ = learner.request(resub_path, {**data["resub_form"], "csrf_token": learner_csrf})
        check(status == 302 and headers["Location"].endswith(f"{resub_path}/result"),
              f"re-submission answered {status} -> {headers.get('Location')}")
        with app.app_context():
            before = QuizAttempt.get(QuizAttempt.token == data["resub_token"])
        results["quiz-resub"] = run_wrk(server.base + resub_path,
                                        lua_fixed_request("POST", learner.cookie_header(), resub_body),
                                        tmp, "quiz-resub", args)
        with app.app_context():
            after = QuizAttempt.get(QuizAttempt.token == data["resub_token"])
        check((after.submitted_at, after.score) == (before.submitted_at, before.score),
              "re-submissions changed the submitted attempt")

        # (c') first submissions from the pool
        pool_file = tmp / "pool.tsv"
        with open(pool_file, "w") as out:
            for email, token, form in data["pool"]:
                csrf, cookie = submitters[email]
                out.write(f"/quiz/attempt/{token}\t{cookie}\t{encode({**form, 'csrf_token': csrf})}\n")
        result = run_wrk(server.base + "/", lua_pool_requests(pool_file, args.threads), tmp, "quiz-submit", args)
        fresh, passed = settled_counts(app, data["pool_tokens"])
        check(passed == fresh, f"{fresh - passed} first submissions with all answers correct did not pass")
        result["fresh"] = fresh
        result["pool"] = len(data["pool"])
        results["quiz-submit"] = result

        # (d) executive dashboard
        status, _, body = executive.request("/dashboard/")
        check(status == 200 and "Gliederungen" in body, f"dashboard answered {status}")
        for _ in range(3):
            executive.request("/dashboard/")
        results["dashboard"] = run_wrk(server.base + "/dashboard/", lua_fixed_request(cookie=executive.cookie_header()),
                                       tmp, "dashboard", args)
        return server.description, results


EXPECTED = {"bare": {"200"}, "bare-tiny": {"200"}, "lesson": {"200"}, "course": {"200"}, "verify": {"200"},
            "quiz-resub": {"302->result"}, "quiz-submit": {"302->result"}, "dashboard": {"200"}}
LABELS = {
    "bare": "(a) bare page, lesson-sized  GET",
    "bare-tiny": "    bare constant string     GET",
    "lesson": "(b) lesson page (learner)    GET",
    "course": "    course page (learner)    GET",
    "verify": "    verify page (public)     GET",
    "quiz-resub": "(c) quiz re-submission       POST",
    "quiz-submit": "(c') quiz first submission  POST",
    "dashboard": "(d) executive dashboard      GET",
}
# Issue 13's targets: requests/s as a share of the lesson-sized bare page,
# and the p99 of the lesson and course page at 8 connections.
TARGETS = {"lesson": 0.5, "course": 0.5, "verify": 0.8, "dashboard": 0.3}
P99_TARGET_MS = {"lesson": 20, "course": 20}


def load_average():
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (OSError, AttributeError):
        return "load average unknown"


def machine_busy():
    try:
        return os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1)
    except (OSError, AttributeError):
        return False


def report(results, descriptions, args):
    bare = results["bare"]
    print()
    print(f"wrk --latency -t{args.threads} -c{args.connections} -d{args.duration}s; "
          f"{os.cpu_count()} CPUs, {load_average()} (before: {args.load_before}); wrk runs on the same machine")
    print(f"bare: {descriptions[0]}; app: {descriptions[1]}; SQLite (WAL) in a temp instance folder")
    print(f"page sizes: bare {bare['bytes']:,} bytes, lesson {results['lesson']['bytes']:,} bytes")
    print(f"{'':<36}{'req/s':>9} {'p50 ms':>9} {'p99 ms':>9}   {'req/s':>7} {'p50':>7} {'p99':>7}  (x bare)  target")
    problems, missed = [], []
    for name, label in LABELS.items():
        r = results[name]
        ratio = r["rps"] / bare["rps"]
        target = ""
        if name in TARGETS:
            ok = ratio >= TARGETS[name] and r["p99"] < P99_TARGET_MS.get(name, float("inf"))
            target = f">= {TARGETS[name]}x" + (f", p99 < {P99_TARGET_MS[name]} ms" if name in P99_TARGET_MS else "")
            target += "  ok" if ok else "  MISSED"
            if not ok:
                missed.append(name)
        print(f"{label:<36}{r['rps']:>9.1f} {r['p50']:>9.2f} {r['p99']:>9.2f}   "
              f"{ratio:>7.3f} {r['p50'] / bare['p50']:>7.1f} {r['p99'] / bare['p99']:>7.1f}  {target}")
        unexpected = {k: v for k, v in r["statuses"].items() if k not in EXPECTED[name]}
        errors = {k: v for k, v in r["socket_errors"].items() if v}
        if unexpected or errors or r["non_2xx_3xx"]:
            problems.append(f"{name}: unexpected responses {unexpected}, socket errors {errors}, "
                            f"non-2xx/3xx {r['non_2xx_3xx']}")
    sub = results["quiz-submit"]
    print()
    if sub["fresh"] >= sub["pool"]:
        print(f"(c') the pool of {sub['fresh']} open attempts ran out: of {sub['requests']} requests the rest were "
              "idempotent re-submissions; raise --pool-size.")
    else:
        print(f"(c') every request was a first submission (graded and written): {sub['fresh']} attempts "
              f"submitted ({sub['requests']} completed within the run, the rest while wrk stopped).")
    print("responses: " + "; ".join(f"{name} {results[name]['statuses']}" for name in LABELS))
    for problem in problems:
        print(f"PROBLEM {problem}")
    print("targets: " + ("all met" if not missed else "missed for " + ", ".join(missed)))
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-threads", type=int, default=1,
                        help="gunicorn --threads per worker (default 1: sync workers)")
    parser.add_argument("--pool-users", type=int, default=40, help="learners holding the open attempts for (c')")
    parser.add_argument("--pool-size", type=int, default=4000, help="open attempts for (c') (default 4000)")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("load_wrk.py needs the HTTP load generator 'wrk', which is not on PATH.\n"
              "Install it with:  apt-get install wrk   (Debian/Ubuntu; as root or with sudo)", file=sys.stderr)
        return 2

    install_signal_handlers()
    args.load_before = load_average()
    if machine_busy():
        print(f"note: the machine is busy ({args.load_before}); figures will be noisy.", flush=True)
    secret_key = secrets.token_hex(32)
    try:
        with TempDir("lms-load-wrk-") as tmp:
            print(f"measuring the bare Flask page ({args.duration} s) ...", flush=True)
            bare_description, bare, tiny = measure_bare(tmp, args)
            app, course = setup_app(tmp / "instance", secret_key)
            data = prepare(app, course, args)
            app_description, results = measure_app(tmp, app, course, data, secret_key, args)
            results["bare"], results["bare-tiny"] = bare, tiny
            ok = report(results, (bare_description, app_description), args)
            return 0 if ok else 1
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped, temporary files removed.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

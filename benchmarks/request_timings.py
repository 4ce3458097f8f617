"""Median time of a lesson page and of a quiz submission through the Flask
test client, on a fresh SQLite database with the shipped course.

    .venv/bin/python benchmarks/request_timings.py [--repeat 300]
"""
import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms import create_app  # noqa: E402
from tests.quiz_helpers import correct_form as answer_correctly  # noqa: E402
from lms.accounts import hash_password  # noqa: E402
from lms.urls import build_content_url  # noqa: E402
from lms.content.loader import load_content  # noqa: E402
from lms.database import migrate  # noqa: E402
from lms.models import Lesson, Module, Quiz, User  # noqa: E402
from lms.quiz.attempts import start_attempt  # noqa: E402
from lms.timeutil import utcnow  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def correct_form(attempt, token):
    return {**answer_correctly(attempt), "csrf_token": token}


def measure(label, runs, action):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(f"{label:<28} median {statistics.median(timings):6.2f} ms   "
          f"p90 {timings[int(len(timings) * 0.9)]:6.2f} ms   (n={runs})")
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SECRET_KEY": "bench" * 10, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                          "MAIL_SERVER": None})
        with app.app_context():
            migrate()
            load_content(app.config["COURSE_DIR"], app.config["QUIZ_DIR"], build_content_url)
            user = User.create(email="bench@example.org", name="Bench", password_hash=hash_password("x" * 12),
                               email_verified_at=utcnow())
            lesson = Lesson.select(Lesson, Module).join(Module).order_by(Module.position, Lesson.position).first()
            quiz = Quiz.select().first()
        client = app.test_client()
        login_page = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"csrf_token": CSRF.search(login_page).group(1),
                                    "email": user.email, "password": "x" * 12})
        lesson_url = f"/learn/{lesson.module.course.slug}/{lesson.module.slug}/{lesson.slug}"
        page = client.get(lesson_url)
        assert page.status_code == 200, page.status_code
        token = CSRF.search(page.get_data(as_text=True)).group(1)

        measure("GET lesson page", args.repeat, lambda: client.get(lesson_url))

        attempts = []
        with app.app_context():
            for _ in range(args.repeat):
                attempt = start_attempt(user, quiz)
                # Park it (as passed, so no waiting time applies) so the next start creates a new one.
                attempt.submitted_at, attempt.passed = utcnow(), True
                attempt.save()
                attempts.append(attempt)
            for attempt in attempts:
                attempt.submitted_at, attempt.passed = None, None
                attempt.save()
        forms = iter((a.token, correct_form(a, token)) for a in attempts)

        def submit():
            attempt_token, form = next(forms)
            response = client.post(f"/quiz/attempt/{attempt_token}", data=form)
            assert response.status_code == 302, response.status_code

        measure(f"POST quiz submission ({len(attempts[0].questions)} q)", args.repeat, submit)


if __name__ == "__main__":
    main()

"""Dashboard at scale: a synthetic federation of 500 units, 20,000 users and
1,000,000 lesson-progress and quiz-attempt rows in a fresh SQLite database,
then the median time and query count of the dashboard page, the filtered
unit table and the XLSX export.

    .venv/bin/python benchmarks/dashboard_scale.py [--units 500] [--users 20000] [--rows 1000000] [--repeat 15]

Target on a 2-core machine: each median under 150 ms; the query counts must
not depend on the number of units or users (compare with --units 50).
"""
import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lms import create_app  # noqa: E402
from lms.accounts import hash_password  # noqa: E402
from lms.database import counting_queries, migrate  # noqa: E402
from lms.progress import refresh_enrollments  # noqa: E402
from lms.models import (Certificate, Course, Lesson, LessonProgress, Membership, Module, Quiz, QuizAttempt,  # noqa: E402
                        Region, Unit, User, db)

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REGIONS = ["Niederrhein", "Mittelrhein", "Westliches Westfalen", "Ostwestfalen-Lippe"]
NOW = datetime.utcnow().replace(microsecond=0)
BATCH = 2000


def insert(model, rows):
    with db.atomic():
        for start in range(0, len(rows), BATCH):
            model.insert_many(rows[start:start + BATCH]).execute()


def make_course():
    """A course shaped like the shipped one: 8 modules, 25 lessons, 8 quizzes."""
    course = Course.create(slug="benchmark", title="Benchmark-Kurs", version="1.0", certificate_valid_months=24,
                           completion={"lessons": "all", "module_quizzes": "passed", "final_quiz": "none"})
    for m in range(8):
        module = Module.create(course=course, slug=f"modul-{m}", position=m, title=f"Modul {m}")
        for n in range(4 if m < 1 else 3):
            Lesson.create(module=module, slug=f"lektion-{n}", position=n, title=f"Lektion {m}.{n}", minutes=10,
                          goals=["Ziel"], body_markdown="Text", body_html="<p>Text</p>", content_hash=f"{m}-{n}")
        Quiz.create(course=course, module=module, slug=module.slug, title=f"Quiz {m}", questions=[],
                    content_hash=str(m))
    return course


def generate(units, users, rows, rng):
    course_id = make_course().id
    course_lessons = [l.id for l in Lesson.select(Lesson.id).join(Module).order_by(Module.position, Lesson.position)]
    quizzes = [q.id for q in Quiz.select(Quiz.id)]
    regions = [Region.create(name=name).id for name in REGIONS]
    insert(Unit, [{"name": f"Gliederung {n:03d}", "kind": "UB" if n % 7 else "KV", "region": regions[n % 4],
                   "created_at": NOW - timedelta(days=900)} for n in range(units)])
    unit_ids = [u.id for u in Unit.select(Unit.id)]
    password = hash_password("benchmark-passwort")
    insert(User, [{"email": f"person{n}@example.org", "name": f"Person {n:05d}", "password_hash": password,
                   "email_verified_at": NOW, "created_at": NOW - timedelta(days=rng.randint(1, 800)),
                   "is_executive": n == 0} for n in range(users)])
    user_ids = [u.id for u in User.select(User.id).order_by(User.id)]
    memberships = []
    for index, user_id in enumerate(user_ids[1:]):
        unit_id = unit_ids[index % len(unit_ids)]
        function = "officer" if index % 13 == 0 else ("team" if index % 13 == 1 else rng.choice(["board", "other", "other"]))
        started = NOW - timedelta(days=rng.randint(30, 800))
        ended = started + timedelta(days=rng.randint(20, 400)) if rng.random() < 0.15 else None
        memberships.append({"user": user_id, "unit": unit_id, "function": function, "started_at": started,
                            "confirmed_at": started, "confirmed_via": "executive",
                            "ended_at": ended if ended and ended < NOW else None})
    insert(Membership, memberships)

    # Half the rows lesson progress, half quiz attempts, spread over all users.
    progress_rows, attempt_rows = [], []
    per_user_lessons = max(1, min(len(course_lessons), rows // 2 // len(user_ids)))
    for user_id in user_ids:
        for lesson_id in course_lessons[:per_user_lessons]:
            seen = NOW - timedelta(days=rng.randint(1, 700))
            progress_rows.append({"user": user_id, "lesson": lesson_id, "first_seen_at": seen,
                                  "completed_at": seen + timedelta(hours=1) if rng.random() < 0.8 else None})
    attempts_per_user = max(1, rows // 2 // len(user_ids))
    token = 0
    for user_id in user_ids:
        for n in range(attempts_per_user):
            token += 1
            started = NOW - timedelta(days=rng.randint(1, 700))
            passed = rng.random() < 0.6
            attempt_rows.append({"user": user_id, "quiz": quizzes[n % len(quizzes)], "token": f"a{token}",
                                 "started_at": started, "submitted_at": started + timedelta(minutes=8),
                                 "questions": [], "max_score": 8, "score": 7 if passed else 3, "passed": passed})
    insert(LessonProgress, progress_rows)
    insert(QuizAttempt, attempt_rows)

    certificates = []
    for n, user_id in enumerate(user_ids[1::3]):
        issued = NOW - timedelta(days=rng.randint(1, 900))
        certificates.append({"user": user_id, "course": course_id, "code": f"BENCH-{n:06d}", "issued_at": issued,
                             "expires_at": issued + timedelta(days=730), "holder_name": f"Person {n}",
                             "course_title": "Benchmark", "course_version": "1.0"})
    insert(Certificate, certificates)
    refresh_enrollments(Course.get_by_id(course_id))
    return len(progress_rows) + len(attempt_rows)


def measure(client, url, repeat):
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), max(timings)


def count_queries(client, url):
    with counting_queries() as executed:
        client.get(url)
    return len(executed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database", help="keep the generated database in this file and reuse it next time")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.database) if args.database else Path(tmp) / "scale.sqlite3"
        exists = path.exists()
        app = create_app({"SECRET_KEY": "bench" * 10, "DATABASE_URL": f"sqlite:///{path}",
                          "MAIL_SERVER": None, "INSTANCE_PATH": tmp, "REQUIRED_COURSE": "benchmark"})
        with app.app_context():
            migrate()
            if exists:
                print(f"reusing {path}")
            else:
                started = time.perf_counter()
                total = generate(args.units, args.users, args.rows, rng)
                db.execute_sql("ANALYZE")
                print(f"generated {args.units} units, {args.users} users, {total} progress+attempt rows "
                      f"in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"csrf_token": CSRF.search(login).group(1), "email": "person0@example.org",
                                    "password": "benchmark-passwort"})
        urls = {
            "dashboard page": "/dashboard/",
            "unit table, filtered": "/dashboard/units?region=Niederrhein&status=trained&sort=status&q=Gliederung",
            "unit table, all units": "/dashboard/units?sort=progress&order=desc",
            "XLSX export, filtered": "/dashboard/units.xlsx?region=Mittelrhein",
            "XLSX export, all units": "/dashboard/units.xlsx",
        }
        for label, url in urls.items():
            client.get(url)  # warm up
            median, worst = measure(client, url, args.repeat)
            queries = count_queries(client, url)
            verdict = "ok" if median < 150 else "OVER TARGET"
            print(f"{label:<26} median {median:7.1f} ms   max {worst:7.1f} ms   {queries:3d} queries   {verdict}")


if __name__ == "__main__":
    main()

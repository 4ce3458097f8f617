"""A seminar tells 250 officers: "start the quiz now". Does every attempt
count exactly once, and how long does each of them wait?

    .venv/bin/python benchmarks/quiz_crowd.py [--users 250] [--workers 2] [--threads 1]

``--threads 8`` runs gunicorn's gthread worker with 8 threads per worker
(the default, 1, is the sync worker the README deploys).

The real app runs under gunicorn on 127.0.0.1 with a temporary instance
folder (``LMS_INSTANCE_PATH``), SQLite in it, ``SECRET_KEY`` set and
``LMS_ENV`` unset; the NRW units and the shipped course are loaded and
``--users`` verified learner accounts (officers of the units) are created
directly in the database. Each learner is one client thread with its own
cookies (urllib, a new connection per request, redirects not followed):

1. log in (POST /login) and open the quiz page (CSRF token); not timed
   as part of the crowd, only reported in total;
2. all learners at once (released by a barrier): POST /quiz/<course>/<quiz>/start
   ("start"), then, as a browser follows the redirect, GET /quiz/attempt/<token>
   ("quiz page");
3. the answers: the benchmark reads each attempt's question snapshot from the
   database and fills in the correct answers (tests/quiz_helpers.correct_form);
4. all learners at once again: POST /quiz/attempt/<token> ("submit"), then GET
   the result page it redirects to ("result page");
5. the database must hold exactly one attempt per learner for that quiz,
   all submitted and passed with full score, one AttemptAnswer row per
   question, and Enrollment.steps_done == 1 for each learner;
6. all learners at once re-submit the same form ("re-submit"): each must be
   answered with the redirect to the result, and attempts, answers and
   Enrollment totals must be unchanged.

Latencies are measured by the client thread, from sending the request to
having read the whole response (a new TCP connection each time), so they
include the wait in gunicorn's listen queue: with sync workers only
``--workers`` requests are served at a time. "wall" is the time from the
barrier until the last learner of the crowd had finished that step. The
client threads run on the same machine as the server.

Prints the checks, the counts and p50/p95/p99/max latency per step and exits
1 when a count or a response is wrong (or the run fails). Server process,
temporary folder and database are removed at the end, also on Ctrl-C.
The process and HTTP helpers are shared with load_wrk.py in this folder.
"""
import argparse
import os
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_wrk import (Browser, Gunicorn, TempDir, create_users, install_signal_handlers, insert_rows,  # noqa: E402
                      load_average, password_hash, server_env, setup_app)


def percentile(sorted_values, share):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * share // 100))
    return sorted_values[int(rank) - 1]


def parallel(function, items, workers, together=False):
    """``function(item)`` for every item on ``workers`` threads; results in
    item order. ``together``: one thread per item, all released at the same
    moment by a barrier. On Ctrl-C (or an error) the waiting threads are
    released and queued items dropped, so the caller can stop the server."""
    barrier = threading.Barrier(len(items)) if together else None

    def run(item):
        if barrier is not None:
            barrier.wait()
        return function(item)

    pool = ThreadPoolExecutor(len(items) if together else workers)
    try:
        futures = [pool.submit(run, item) for item in items]
        results = [future.result() for future in futures]
    except BaseException:
        if barrier is not None:
            barrier.abort()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results


class Learner:
    def __init__(self, base, email):
        self.email = email
        self.browser = Browser(base, timeout=300)
        self.csrf = None
        self.token = None
        self.form = None
        self.timings = {}
        self.problems = []

    def timed(self, name, path, data=None):
        """(status, headers, body) and the latency under ``name``; a network
        error (refused, reset, timeout) is a problem with status None."""
        started = time.perf_counter()
        try:
            status, headers, body = self.browser.request(path, data)
        except OSError as error:  # URLError, ConnectionError, socket.timeout
            status, headers, body = None, {}, f"{type(error).__name__}: {error}"
        self.timings[name] = (time.perf_counter() - started) * 1000
        return status, headers, body

    def expect(self, name, condition, detail):
        if not condition:
            self.problems.append(f"{name}: {detail}")
        return condition


def run(args):
    from peewee import fn

    from lms.models import AttemptAnswer, Enrollment, Membership, Quiz, QuizAttempt, Unit
    from lms.timeutil import utcnow
    from tests.quiz_helpers import correct_form

    secret_key = secrets.token_hex(32)
    failures = []

    def check(condition, message):
        print(f"  {'ok  ' if condition else 'FAIL'} {message}")
        if not condition:
            failures.append(message)

    with TempDir("lms-quiz-crowd-") as tmp:
        started = time.perf_counter()
        app, course = setup_app(tmp / "instance", secret_key)
        with app.app_context():
            users = create_users("crowd", args.users, password_hash())
            units = list(Unit.select().order_by(Unit.id))
            insert_rows(Membership, [{"user": u.id, "unit": units[i % len(units)].id, "function": "officer",
                                      "confirmed_at": utcnow(), "confirmed_via": "executive"}
                                     for i, u in enumerate(users)])
            quiz = (Quiz.select().where((Quiz.course == course) & ~Quiz.is_retired).order_by(Quiz.id).first())
            user_ids = {u.email: u.id for u in users}
        quiz_page = f"/quiz/{course.slug}/{quiz.slug}"
        print(f"{args.users} learners created, course and units loaded in {time.perf_counter() - started:.1f} s; "
              f"quiz {quiz.slug!r} ({len(quiz.questions)} questions)", flush=True)

        env = server_env(tmp / "instance", secret_key)
        with Gunicorn("wsgi:app", tmp / "gunicorn.log", env, workers=args.workers, threads=args.threads,
                      ready_path="/login", extra_args=["--backlog", str(max(2048, 4 * args.users))]) as server:
            print(f"app: {server.description} at {server.base}; {os.cpu_count()} CPUs, {load_average()}",
                  flush=True)
            learners = [Learner(server.base, u.email) for u in users]

            # 1. log in and open the quiz page
            started = time.perf_counter()

            def login(learner):
                learner.browser.login(learner.email)
                learner.csrf = learner.browser.csrf_token(quiz_page)

            parallel(login, learners, workers=32)
            print(f"{len(learners)} logins (+ quiz page) in {time.perf_counter() - started:.1f} s", flush=True)

            # 2. all start at once, then open the attempt
            def start(learner):
                status, headers, _ = learner.timed("start", f"{quiz_page}/start", {"csrf_token": learner.csrf})
                location = headers.get("Location", "") if headers else ""
                if learner.expect("start", status == 302 and "/quiz/attempt/" in location,
                                  f"status {status} -> {location!r}"):
                    learner.token = location.rstrip("/").split("/")[-1]
                    status, _, body = learner.timed("quiz page", f"/quiz/attempt/{learner.token}")
                    learner.expect("quiz page", status == 200 and 'name="csrf_token"' in body, f"status {status}")

            started = time.perf_counter()
            parallel(start, learners, workers=None, together=True)
            start_wall = time.perf_counter() - started

            # 3. the right answers, from the attempts' snapshots
            with app.app_context():
                tokens = [learner.token for learner in learners if learner.token]
                attempts = {a.token: a for a in QuizAttempt.select().where(QuizAttempt.token.in_(tokens))}
            for learner in learners:
                attempt = attempts.get(learner.token)
                if learner.expect("start", attempt is not None and attempt.user_id == user_ids[learner.email],
                                  f"attempt {learner.token} not in the database or not this learner's"):
                    learner.form = {**correct_form(attempt), "csrf_token": learner.csrf}

            # 4. all submit at once, then open the result
            def submit(learner, name="submit"):
                if learner.form is None:
                    return
                path = f"/quiz/attempt/{learner.token}"
                status, headers, _ = learner.timed(name, path, learner.form)
                location = headers.get("Location", "") if headers else ""
                if learner.expect(name, status == 302 and location.endswith(f"{path}/result"),
                                  f"status {status} -> {location!r}") and name == "submit":
                    status, _, body = learner.timed("result page", f"{path}/result")
                    learner.expect("result page", status == 200, f"status {status}")

            started = time.perf_counter()
            parallel(submit, learners, workers=None, together=True)
            submit_wall = time.perf_counter() - started

            # 5. the database
            def snapshot():
                with app.app_context():
                    rows = list(QuizAttempt.select().where((QuizAttempt.quiz == quiz)
                                                           & QuizAttempt.user.in_(list(user_ids.values()))))
                    answers = dict(AttemptAnswer.select(AttemptAnswer.attempt, fn.COUNT(AttemptAnswer.id))
                                   .where(AttemptAnswer.attempt.in_([r.id for r in rows] or [0]))
                                   .group_by(AttemptAnswer.attempt).tuples())
                    enrollments = {e.user_id: (e.steps_done, e.started_at, e.last_activity_at)
                                   for e in Enrollment.select().where((Enrollment.course == course)
                                                                      & Enrollment.user.in_(list(user_ids.values())))}
                attempts_state = {r.id: (r.user_id, r.token, r.submitted_at, r.score, r.max_score, r.passed,
                                         len(r.questions)) for r in rows}
                return attempts_state, answers, enrollments

            state, answers, enrollments = snapshot()
            submitted = [a for a in state.values() if a[2] is not None]
            per_user = {}
            for a in state.values():
                per_user[a[0]] = per_user.get(a[0], 0) + 1
            started_tokens = {learner.token for learner in learners if learner.token}
            print()
            print("checks after the crowd:")
            check(len(started_tokens) == args.users, f"{len(started_tokens)} of {args.users} starts answered "
                                                     "with an attempt")
            check(len(state) == args.users, f"{len(state)} attempts in the database (expected {args.users})")
            check(len(submitted) == args.users, f"{len(submitted)} submitted attempts (expected {args.users})")
            check(len(per_user) == args.users and set(per_user.values()) == {1},
                  f"{len(per_user)} learners with an attempt, attempts per learner: "
                  f"{sorted(set(per_user.values())) or '-'} (expected exactly 1 each)")
            check({a[1] for a in state.values()} == started_tokens,
                  "the attempts in the database are exactly those the starts returned (none lost, none extra)")
            check(all(a[5] and a[3] == a[4] for a in submitted),
                  f"{sum(1 for a in submitted if a[5] and a[3] == a[4])} passed with full score "
                  f"(expected {args.users})")
            expected_answers = sum(a[6] for a in submitted)
            check(sum(answers.values()) == expected_answers
                  and all(answers.get(attempt_id, 0) == a[6] for attempt_id, a in state.items()),
                  f"{sum(answers.values())} AttemptAnswer rows (expected {expected_answers}, "
                  "one per question of each attempt)")
            steps = sorted({value[0] for value in enrollments.values()})
            check(len(enrollments) == args.users and steps == [1],
                  f"{len(enrollments)} Enrollment rows, steps_done values {steps} (expected {args.users} x [1])")

            # 6. everybody re-submits at once: nothing may change
            started = time.perf_counter()
            parallel(lambda learner: submit(learner, "re-submit"), learners, workers=None, together=True)
            resubmit_wall = time.perf_counter() - started
            after = snapshot()
            print("checks after everybody re-submitted the same form at once:")
            check(after[0] == state, f"attempts unchanged ({len(after[0])} attempts, "
                                     f"{sum(1 for a in after[0].values() if a[2] is not None)} submitted)")
            check(after[1] == answers, f"AttemptAnswer rows unchanged ({sum(after[1].values())})")
            check(after[2] == enrollments, "Enrollment totals unchanged")

            problems = [(learner.email, problem) for learner in learners for problem in learner.problems]
            check(not problems, f"{len(problems)} unexpected responses")
            for email, problem in problems[:20]:
                print(f"       {email}: {problem}")
            if failures:
                print(f"--- last lines of gunicorn.log ---\n{server.log_tail(40)}")

        print()
        print(f"{args.users} learners at once, {server.description}, {os.cpu_count()} CPUs, {load_average()}")
        print(f"{'step':<14}{'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9}"
              "   wall for the whole crowd")
        walls = {"start": f"{start_wall:.1f} s (start + quiz page)",
                 "submit": f"{submit_wall:.1f} s (submit + result page)",
                 "re-submit": f"{resubmit_wall:.1f} s"}
        for name in ("start", "quiz page", "submit", "result page", "re-submit"):
            values = sorted(learner.timings[name] for learner in learners if name in learner.timings)
            print(f"{name:<14}{len(values):>5} {percentile(values, 50):>9.1f} {percentile(values, 95):>9.1f} "
                  f"{percentile(values, 99):>9.1f} {max(values, default=float('nan')):>9.1f}   {walls.get(name, '')}")
        print()
        print("RESULT: " + ("all counts correct" if not failures else f"{len(failures)} check(s) failed"))
        return 0 if not failures else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=250, help="learners in the crowd (default 250)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="gunicorn threads per worker (default 1: sync worker; try 8)")
    args = parser.parse_args()
    install_signal_handlers()
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; server stopped, temporary files removed.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

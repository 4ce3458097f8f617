"""Many learners at the same moment, against a real live_server on loopback:
every quiz submission and every lesson completion is recorded exactly once,
even when each is sent twice at the same time."""
import threading
from concurrent.futures import ThreadPoolExecutor


from lms.models import AttemptAnswer, Lesson, LessonProgress, Module, QuizAttempt

from .helpers import PASSWORD, HttpUser, make_user
from .quiz_helpers import correct_form

LEARNERS = 50


def logged_in_learners(app, live_server):
    with app.app_context():
        users = [make_user(f"crowd{i}@example.org", f"Person {i}") for i in range(LEARNERS)]
    learners = [HttpUser(live_server, u.email) for u in users]
    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda l: l.post("/login", {"email": l.email, "password": PASSWORD}, "/login")[0],
                                 learners))
    assert statuses == [302] * LEARNERS
    return learners


def all_at_once(function, items, copies=2):
    """Call ``function(item)`` for every item, ``copies`` times each, all
    released together by a barrier."""
    jobs = [item for item in items for _ in range(copies)]
    barrier = threading.Barrier(len(jobs))

    def run(item):
        barrier.wait()
        return function(item)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_concurrent_quiz_submissions_count_once(app, live_server):
    learners = logged_in_learners(app, live_server)
    forms = {}
    for learner in learners:
        status, headers, _ = learner.post("/quiz/demo/grundlagen/start", {}, "/quiz/demo/grundlagen")
        assert status == 302
        token = headers["Location"].rstrip("/").split("/")[-1]
        with app.app_context():
            attempt = QuizAttempt.get(QuizAttempt.token == token)
        csrf = learner.token(f"/quiz/attempt/{token}")
        forms[learner.email] = (token, {**correct_form(attempt), "csrf_token": csrf})

    def submit(learner):
        token, form = forms[learner.email]
        return learner.request(f"/quiz/attempt/{token}", form)[0]

    statuses = all_at_once(submit, learners)
    assert set(statuses) == {302}, statuses
    with app.app_context():
        attempts = list(QuizAttempt.select().where(QuizAttempt.token.in_([t for t, _ in forms.values()])))
        assert len(attempts) == LEARNERS
        assert all(a.submitted_at is not None and a.passed for a in attempts)
        assert len({a.user_id for a in attempts}) == LEARNERS
        answers = AttemptAnswer.select().where(AttemptAnswer.attempt.in_([a.id for a in attempts])).count()
        assert answers == sum(len(a.questions) for a in attempts)  # one answer row per question, not two


def test_concurrent_lesson_completions_count_once(app, live_server):
    learners = logged_in_learners(app, live_server)
    url = "/learn/demo/grundlagen/erste-schritte"
    tokens = {learner.email: learner.token(url) for learner in learners}
    statuses = all_at_once(lambda l: l.request(f"{url}/done", {"csrf_token": tokens[l.email]})[0], learners)
    assert set(statuses) == {302}, statuses
    with app.app_context():
        lesson = Lesson.select().join(Module).where(Lesson.slug == "erste-schritte").get()
        rows = list(LessonProgress.select().where(LessonProgress.lesson == lesson))
        assert len(rows) == LEARNERS
        assert all(row.completed_at is not None for row in rows)
        assert len({row.user_id for row in rows}) == LEARNERS


def test_a_double_click_on_start_opens_one_attempt(app, live_server):
    learners = logged_in_learners(app, live_server)
    tokens = {learner.email: learner.token("/quiz/demo/praxis") for learner in learners}
    statuses = all_at_once(lambda l: l.request("/quiz/demo/praxis/start", {"csrf_token": tokens[l.email]})[0],
                           learners)
    assert set(statuses) == {302}, statuses
    with app.app_context():
        from lms.models import Quiz
        quiz = Quiz.get(Quiz.slug == "praxis")
        per_user = [a.user_id for a in QuizAttempt.select().where(QuizAttempt.quiz == quiz)]
        assert len(per_user) == LEARNERS and len(set(per_user)) == LEARNERS

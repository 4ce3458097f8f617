"""Starting, answering, grading and reviewing quiz attempts.

An attempt draws its questions from the quiz's pool (``draw_questions``:
``questions_per_attempt`` of them, balanced across topics) and snapshots
them (in the order shown, with the choice order of that attempt) when it
starts. Submitting is a single conditional
UPDATE on an unsubmitted attempt: a second submission of the same attempt
(double click, resent form, two tabs) changes nothing and counts once.
"""
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from ..catalog import published_course
from ..database import lock_rows
from ..models import AttemptAnswer, Attendance, QuizAttempt, TrainingDate, User, db
from ..progress import latest_certificate, refresh_enrollments
from ..question_types import get_question_type
from ..timeutil import format_datetime, utcnow


class AttemptNotAllowed(Exception):
    """The learner may not start another attempt now (German message)."""


@dataclass
class Allowance:
    allowed: bool
    reason: str = ""
    attempts_used: int = 0
    attempts_left: int | None = None  # None = unlimited
    retry_at: object = None  # naive UTC datetime


def submitted_attempts(user, quiz, since=None):
    """The attempts the learner answered (not a pass counted for attending a
    date), newest first."""
    query = (QuizAttempt.select()
             .where((QuizAttempt.user == user) & (QuizAttempt.quiz == quiz) & QuizAttempt.submitted_at.is_null(False)
                    & QuizAttempt.attendance.is_null())
             .order_by(QuizAttempt.submitted_at.desc()))
    return query.where(QuizAttempt.started_at > since) if since is not None else query


def counted_for_attendance(user, quiz):
    """The pass counted because the user attended a date covering the
    quiz's module (with its attendance and date), or None."""
    return (QuizAttempt.select(QuizAttempt, Attendance, TrainingDate).join(Attendance).join(TrainingDate)
            .where((QuizAttempt.user == user) & (QuizAttempt.quiz == quiz) & (QuizAttempt.passed == True)  # noqa: E712
                   & Attendance.withdrawn_at.is_null())
            .order_by(QuizAttempt.submitted_at.desc()).first())


def open_attempt(user, quiz):
    return (QuizAttempt.select()
            .where((QuizAttempt.user == user) & (QuizAttempt.quiz == quiz) & QuizAttempt.submitted_at.is_null())
            .order_by(QuizAttempt.started_at.desc())
            .first())


def attempt_allowance(user, quiz, now=None):
    """May the user start a new attempt now? Applies the attempt limit and,
    after a failed attempt, the cooldown. A renewal of the certificate starts
    with fresh attempts: only those after the latest certificate count."""
    now = now or utcnow()
    certificate = latest_certificate(user, quiz.course)
    attempts = list(submitted_attempts(user, quiz, since=certificate.issued_at if certificate else None))
    used = len(attempts)
    left = max(quiz.max_attempts - used, 0) if quiz.max_attempts else None
    if quiz.max_attempts and used >= quiz.max_attempts:
        return Allowance(False, f"Du hast alle {quiz.max_attempts} Versuche genutzt.", used, 0)
    if quiz.cooldown_minutes and attempts and not attempts[0].passed:
        retry_at = attempts[0].submitted_at + timedelta(minutes=quiz.cooldown_minutes)
        if now < retry_at:
            when = format_datetime(retry_at, current_app.config["TIMEZONE"])
            return Allowance(False, f"Nach einem nicht bestandenen Versuch gibt es {quiz.cooldown_minutes} Minuten "
                                    f"Pause. Der nächste Versuch ist ab {when} möglich.", used, left, retry_at)
    return Allowance(True, "", used, left)


def start_attempt(user, quiz, rng=None):
    """Resume the user's open attempt or start a new one."""
    rng = rng or random.SystemRandom()
    with db.atomic():
        # Two clicks on "start" at once must not open two attempts: on
        # PostgreSQL the user's row is locked for the check (SQLite's write
        # transactions are exclusive already).
        lock_rows(User.select(User.id).where(User.id == user.id)).execute()
        existing = open_attempt(user, quiz)
        if existing is not None:
            return existing
        allowance = attempt_allowance(user, quiz)
        if not allowance.allowed:
            raise AttemptNotAllowed(allowance.reason)
        definitions = draw_questions(quiz.questions, quiz.questions_per_attempt, rng, quiz.shuffle_questions)
        presented = [get_question_type(d["type"]).present(d, rng, quiz.shuffle_choices) for d in definitions]
        attempt = QuizAttempt.create(user=user, quiz=quiz, token=secrets.token_urlsafe(16),
                                     questions=presented, max_score=len(presented))
        refresh_enrollments(quiz.course, [user.id])
        return attempt


def topic_of(definition):
    """What a question is about, for a balanced draw: its ``topic``, else
    its lesson, else nothing (one shared group)."""
    return definition.get("topic") or definition.get("lesson") or ""


def draw_questions(pool, count, rng, shuffle=True):
    """``count`` different questions from ``pool`` (all for 0), balanced
    across topics: topics take turns in a random order, each giving a random
    question of its own, until ``count`` are drawn. With ``shuffle`` the
    drawn questions come in random order, else in the pool's order."""
    if not count or count >= len(pool):
        drawn = list(pool)
    else:
        groups = {}
        for index, definition in enumerate(pool):
            groups.setdefault(topic_of(definition), []).append(index)
        queues = list(groups.values())
        for queue in queues:
            rng.shuffle(queue)
        rng.shuffle(queues)
        chosen = []
        while len(chosen) < count:
            for queue in queues:
                if queue and len(chosen) < count:
                    chosen.append(queue.pop())
        drawn = [pool[index] for index in sorted(chosen)]
    if shuffle:
        drawn = list(drawn)
        rng.shuffle(drawn)
    return drawn


def shows_answers(attempt):
    """Whether the result page may reveal correct options, order and
    feedback (the quiz's ``review`` setting; see docs/content-format.md)."""
    review = attempt.quiz.review
    if review == "always":
        return True
    if review == "never":
        return False
    return bool(attempt.passed)


def lessons_to_reread(course, results):
    """The lessons that teach the questions answered wrongly, in course
    order, each once: [(Lesson with its Module, [question numbers])]. The
    lessons are the published ones (``catalog``): no query."""
    wanted = {}
    for number, (question, _, grading) in enumerate(results, start=1):
        if not grading.correct and question.get("lesson"):
            wanted.setdefault(question["lesson"], []).append(number)
    published = published_course(course.slug) if wanted else None
    if published is None:
        return []
    return [(lesson, wanted[f"{lesson.module.slug}/{lesson.slug}"]) for lesson in published.lessons
            if f"{lesson.module.slug}/{lesson.slug}" in wanted]


def read_responses(attempt, form):
    """The answers in a submitted form: (responses by question id, problems
    by question id). A form with problems must not be graded."""
    responses, problems = {}, {}
    for presented in attempt.questions:
        response, problem = get_question_type(presented["type"]).read_response(presented, form)
        if problem:
            problems[presented["id"]] = problem
        else:
            responses[presented["id"]] = response
    return responses, problems


def grade(attempt, responses):
    """[(presented question, response, Grading)] in the order shown."""
    return [(q, responses.get(q["id"]), get_question_type(q["type"]).grade(q, responses.get(q["id"])))
            for q in attempt.questions]


def passes(score, max_score, pass_mark):
    """Whether score/max_score reaches pass_mark percent (exact, no rounding)."""
    return max_score > 0 and score * 100 >= pass_mark * max_score


def submit_attempt(attempt, responses):
    """Grade and record the attempt once. Returns (attempt as stored, whether
    this call submitted it)."""
    results = grade(attempt, responses)
    score = sum(1 for _, _, grading in results if grading.correct)
    passed = passes(score, attempt.max_score, attempt.quiz.pass_mark)
    with db.atomic():
        updated = (QuizAttempt
                   .update(submitted_at=utcnow(), responses=responses, score=score, passed=passed)
                   .where((QuizAttempt.id == attempt.id) & QuizAttempt.submitted_at.is_null())
                   .execute())
        if updated:
            AttemptAnswer.insert_many([
                {"attempt": attempt.id, "question_key": q["id"], "is_correct": g.correct, "response": r}
                for q, r, g in results
            ]).execute()
            refresh_enrollments(attempt.quiz.course, [attempt.user_id])
    return QuizAttempt.get_by_id(attempt.id), bool(updated)

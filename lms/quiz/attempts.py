"""Starting, answering, grading and reviewing quiz attempts.

An attempt snapshots its questions (in the order shown, with the choice
order of that attempt) when it starts. Submitting is a single conditional
UPDATE on an unsubmitted attempt: a second submission of the same attempt
(double click, resent form, two tabs) changes nothing and counts once.
"""
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ..database import lock_rows
from ..models import AttemptAnswer, QuizAttempt, User, db
from ..progress import latest_certificate, refresh_enrollments
from ..question_types import QUESTION_TYPES
from ..timeutil import utcnow


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
    query = (QuizAttempt.select()
             .where((QuizAttempt.user == user) & (QuizAttempt.quiz == quiz) & QuizAttempt.submitted_at.is_null(False))
             .order_by(QuizAttempt.submitted_at.desc()))
    return query.where(QuizAttempt.started_at > since) if since is not None else query


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
            return Allowance(False, "Nach einem nicht bestandenen Versuch gibt es eine Pause vor dem nächsten.",
                             used, left, retry_at)
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
        definitions = list(quiz.questions)
        if quiz.shuffle_questions:
            rng.shuffle(definitions)
        presented = [QUESTION_TYPES[d["type"]].present(d, rng, quiz.shuffle_choices) for d in definitions]
        attempt = QuizAttempt.create(user=user, quiz=quiz, token=secrets.token_urlsafe(16),
                                     questions=presented, max_score=len(presented))
        refresh_enrollments(quiz.course, [user.id])
        return attempt


def read_responses(attempt, form):
    """The answers in a submitted form: (responses by question id, problems
    by question id). A form with problems must not be graded."""
    responses, problems = {}, {}
    for presented in attempt.questions:
        response, problem = QUESTION_TYPES[presented["type"]].read_response(presented, form)
        if problem:
            problems[presented["id"]] = problem
        else:
            responses[presented["id"]] = response
    return responses, problems


def grade(attempt, responses):
    """[(presented question, response, Grading)] in the order shown."""
    return [(q, responses.get(q["id"]), QUESTION_TYPES[q["type"]].grade(q, responses.get(q["id"])))
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

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from flask_login import current_user

from ..certificates.issuing import issue_certificate_if_complete
from ..lookups import learner_course_or_404, learner_quiz_or_404
from ..models import Quiz, QuizAttempt
from ..progress import learner_view
from ..question_types import QUESTION_TYPES
from ..urls import step_url
from . import bp
from .attempts import (AttemptNotAllowed, attempt_allowance, counted_for_attendance, grade, lessons_to_reread,
                       open_attempt, read_responses, shows_answers, start_attempt, submit_attempt, submitted_attempts)


def get_own_attempt_or_404(token):
    """The attempt with this token, if it belongs to the current user.
    Someone else's attempt is answered with 404, as if it did not exist."""
    attempt = (QuizAttempt.select(QuizAttempt, Quiz).join(Quiz)
               .where(QuizAttempt.token == token).first())
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.route("/<course_slug>/<quiz_slug>")
def overview(course_slug, quiz_slug):
    course = learner_course_or_404(course_slug)
    quiz = learner_quiz_or_404(course, quiz_slug)
    view = learner_view(course, current_user)
    attempts = list(submitted_attempts(current_user, quiz))
    allowance = attempt_allowance(current_user, quiz)
    reread = _reread_before_retry(course, attempts[0]) if attempts and allowance.retry_at else []
    passed = view.outline.quiz_passed(quiz)
    # The page names the date that counted only for a passed quiz.
    return render_template("quiz/overview.html", course=course, quiz=quiz, attempts=attempts, allowance=allowance,
                           open_attempt=open_attempt(current_user, quiz), reread=reread,
                           passed=passed, renewing=view.renewing,
                           counted=counted_for_attendance(current_user, quiz) if passed else None)


def _reread_before_retry(course, attempt):
    return lessons_to_reread(course, grade(attempt, attempt.responses or {}))


@bp.route("/<course_slug>/<quiz_slug>/start", methods=["POST"])
def start(course_slug, quiz_slug):
    course = learner_course_or_404(course_slug)
    quiz = learner_quiz_or_404(course, quiz_slug)
    try:
        attempt = start_attempt(current_user, quiz)
    except AttemptNotAllowed as error:
        flash(str(error), "error")
        return redirect(url_for("quiz.overview", course_slug=course.slug, quiz_slug=quiz.slug))
    return redirect(url_for("quiz.take", token=attempt.token))


@bp.route("/attempt/<token>", methods=["GET", "POST"])
def take(token):
    attempt = get_own_attempt_or_404(token)
    if attempt.submitted_at is not None:
        return redirect(url_for("quiz.result", token=token))
    problems, answers = {}, MultiDict()
    if request.method == "POST":
        responses, problems = read_responses(attempt, request.form)
        if not problems:
            attempt, submitted_now = submit_attempt(attempt, responses)
            if submitted_now and attempt.passed:
                certificate = issue_certificate_if_complete(current_user, attempt.quiz.course)
                if certificate is not None:
                    flash("Bestanden – und damit hast du den ganzen Kurs abgeschlossen. "
                          "Dein Zertifikat ist fertig!", "success")
            return redirect(url_for("quiz.result", token=token))
        answers = request.form
    return render_template("quiz/take.html", attempt=attempt, quiz=attempt.quiz, course=attempt.quiz.course,
                           question_types=QUESTION_TYPES, problems=problems, answers=answers), 400 if problems else 200


@bp.route("/attempt/<token>/result")
def result(token):
    attempt = get_own_attempt_or_404(token)
    if attempt.submitted_at is None:
        return redirect(url_for("quiz.take", token=token))
    quiz = attempt.quiz
    results = grade(attempt, attempt.responses or {})
    view = learner_view(quiz.course, current_user)
    certificate = view.certificate if attempt.passed and view.certificate and not view.renewing else None
    next_step = view.outline.step_after_quiz(quiz) if attempt.passed and certificate is None else None
    # The lessons to read again are shown after a failed attempt only.
    reread = [] if attempt.passed else lessons_to_reread(quiz.course, results)
    return render_template("quiz/result.html", attempt=attempt, quiz=quiz, course=quiz.course, results=results,
                           question_types=QUESTION_TYPES, allowance=attempt_allowance(current_user, quiz),
                           full_review=shows_answers(attempt), reread=reread,
                           certificate=certificate, next_step=next_step, next_url=step_url(next_step, quiz.course))

"""Quizzes: question types, shuffling, grading, review, limits, double submission."""
import random

import pytest
from freezegun import freeze_time
from werkzeug.datastructures import MultiDict

from lms.models import AttemptAnswer, Quiz, QuizAttempt
from lms.question_types import QUESTION_TYPES, normalize_text_answer
from lms.quiz.attempts import grade, passes, start_attempt

from .helpers import Browser, gen_question, gen_quiz, make_user
from .quiz_helpers import correct_form, start_quiz, wrong_form


def quiz(slug="grundlagen"):
    return Quiz.get(Quiz.slug == slug)


def question(attempt, question_id):
    return next(q for q in attempt.questions if q["id"] == question_id)


def test_every_question_type_renders(logged_in):
    gen_quiz("alle-typen", questions=[gen_question(f"frage-{name}", name) for name in QUESTION_TYPES])
    attempt = start_quiz(logged_in, "demo", "alle-typen")
    status, html = logged_in.text(f"/quiz/attempt/{attempt.token}")
    assert status == 200
    for question_type in QUESTION_TYPES.values():
        assert question_type.label in html, question_type.name
    assert 'type="radio"' in html and 'type="checkbox"' in html and "<select" in html


@pytest.mark.parametrize("question_id, answer, correct", [
    ("einzel", ["Richtig"], True),
    ("einzel", ["Falsch"], False),
    ("mehrfach", ["Eins", "Zwei"], True),
    ("mehrfach", ["Eins"], False),
    ("mehrfach", ["Eins", "Zwei", "Drei"], False),
])
def test_choice_questions_are_graded(app, learner, question_id, answer, correct):
    attempt = start_attempt(learner, quiz())
    q = question(attempt, question_id)
    by_text = {c["html"]: c["key"] for c in q["choices"]}
    form = MultiDict([(f"q-{question_id}", str(by_text[text])) for text in answer])
    response, problem = QUESTION_TYPES[q["type"]].read_response(q, form)
    assert problem is None
    assert QUESTION_TYPES[q["type"]].grade(q, response).correct is correct


@pytest.mark.parametrize("typed, correct", [
    ("Kompetenzanalyse", True), ("  kompetenzanalyse. ", True), ("KOMPETENZ-ANALYSE", True),
    ("Kompetenz analyse", False), ("Analyse", False),
])
def test_short_text_answers_are_normalised(app, learner, typed, correct):
    attempt = start_attempt(learner, quiz())
    q = question(attempt, "text")
    assert QUESTION_TYPES["short_text"].grade(q, typed).correct is correct


def test_umlaut_spellings_count_as_the_same():
    assert normalize_text_answer("Übergabe-Gespräch") == normalize_text_answer("uebergabe-gespraech")
    assert normalize_text_answer("Straße") == normalize_text_answer("STRASSE")


def test_true_false_and_ordering_are_graded(app, learner):
    attempt = start_attempt(learner, quiz())
    tf, order = question(attempt, "wahr"), question(attempt, "reihe")
    assert QUESTION_TYPES["true_false"].grade(tf, "true").correct
    assert not QUESTION_TYPES["true_false"].grade(tf, "false").correct
    assert QUESTION_TYPES["ordering"].grade(order, [0, 1, 2]).correct
    assert not QUESTION_TYPES["ordering"].grade(order, [1, 0, 2]).correct


def test_ordering_positions_must_be_complete_and_distinct(app, learner):
    attempt = start_attempt(learner, quiz())
    q = question(attempt, "reihe")
    read = QUESTION_TYPES["ordering"].read_response
    assert read(q, MultiDict({"q-reihe-0": "1", "q-reihe-1": "1", "q-reihe-2": "2"}))[1] == \
        "Jede Position darf nur einmal vorkommen."
    assert read(q, MultiDict({"q-reihe-0": "1"}))[1] == "Bitte gib jedem Eintrag eine Position."


def test_order_is_shuffled_per_attempt_and_stored(app):
    orders = set()
    for n in range(8):
        user = make_user(f"shuffle{n}@example.org")
        attempt = start_attempt(user, quiz(), rng=random.Random(n))
        orders.add(tuple(q["id"] for q in attempt.questions))
        stored = QuizAttempt.get_by_id(attempt.id).questions
        assert stored == attempt.questions
    assert len(orders) > 1


def test_ordering_items_are_never_shown_in_the_correct_order(app):
    for n in range(20):
        attempt = start_attempt(make_user(f"o{n}@example.org"), quiz(), rng=random.Random(n))
        q = question(attempt, "reihe")
        assert [i["key"] for i in q["items"]] != q["correct_order"]


def test_review_shows_what_the_learner_saw_even_after_the_quiz_changes(logged_in):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    logged_in.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt))
    q = quiz()
    q.questions = [dict(d, prompt_html="<p>Ganz neue Frage</p>") for d in q.questions]
    q.save()
    html = logged_in.text(f"/quiz/attempt/{attempt.token}/result")[1]
    assert "Welche Antwort ist richtig?" in html
    assert "Ganz neue Frage" not in html


def test_a_pass_shows_score_verdict_feedback_and_explanations(logged_in):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    form = correct_form(attempt)
    form["q-text"] = "falsch getippt"  # 4 of 5 still passes (60 %)
    response = logged_in.submit(f"/quiz/attempt/{attempt.token}", form, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "4 von 5 richtig (80&nbsp;%)" in html
    assert "Bestanden!" in html
    assert "Genau." in html  # feedback of the chosen choice
    assert "Gemeint ist die Kompetenzanalyse." in html
    assert "Nur eine ist richtig." in html  # explanation
    assert "Richtige Reihenfolge" in html


def test_pass_mark_is_applied_exactly():
    assert passes(3, 5, 60)
    assert not passes(2, 5, 60)
    assert passes(7, 10, 70)
    assert not passes(6, 9, 70)  # 66.7 % is not 70 %


def test_unanswered_questions_are_not_graded_and_answers_are_kept(logged_in):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    form = correct_form(attempt)
    del form["q-text"]
    response = logged_in.submit(f"/quiz/attempt/{attempt.token}", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Bitte gib eine Antwort ein." in html
    assert "checked" in html
    assert QuizAttempt.get_by_id(attempt.id).submitted_at is None


def test_submitting_the_same_attempt_twice_counts_once(logged_in):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    first = logged_in.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt))
    second = logged_in.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt),
                              page="/quiz/demo/grundlagen")
    assert first.headers["Location"] == second.headers["Location"]
    stored = QuizAttempt.get_by_id(attempt.id)
    assert stored.passed and stored.score == 5
    assert AttemptAnswer.select().where(AttemptAnswer.attempt == attempt.id).count() == 5


def test_every_attempt_is_recorded_and_a_retry_is_allowed(logged_in, learner):
    for form in (wrong_form, correct_form):
        attempt = start_quiz(logged_in, "demo", "grundlagen")
        logged_in.submit(f"/quiz/attempt/{attempt.token}", form(attempt))
    attempts = list(QuizAttempt.select().where(QuizAttempt.user == learner).order_by(QuizAttempt.id))
    assert [a.passed for a in attempts] == [False, True]
    assert "Deine Versuche" in logged_in.text("/quiz/demo/grundlagen")[1]


def test_starting_again_resumes_the_open_attempt(logged_in):
    first = start_quiz(logged_in, "demo", "grundlagen")
    assert start_quiz(logged_in, "demo", "grundlagen").id == first.id


# Sessions are signed with a timestamp: with freeze_time, log in at the earliest frozen time.

def test_cooldown_after_a_failed_attempt(client, learner):
    logged_in = client
    with freeze_time("2026-03-01 10:00"):
        client.login(learner.email)
        attempt = start_quiz(logged_in, "demo", "praxis")
        logged_in.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt))
        response = logged_in.submit("/quiz/demo/praxis/start", page="/quiz/demo/praxis", follow_redirects=True)
        assert "10 Minuten Pause" in response.get_data(as_text=True)
    with freeze_time("2026-03-01 10:11"):
        assert start_quiz(logged_in, "demo", "praxis").id != attempt.id


def test_attempt_limit(client, learner):
    logged_in = client
    with freeze_time("2026-03-01 09:00"):
        client.login(learner.email)
    for n in range(3):
        with freeze_time(f"2026-03-0{n + 1} 10:00"):
            attempt = start_quiz(logged_in, "demo", "praxis")
            logged_in.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt))
    with freeze_time("2026-03-09 10:00"):
        response = logged_in.submit("/quiz/demo/praxis/start", page="/quiz/demo/praxis", follow_redirects=True)
    assert "Du hast alle 3 Versuche genutzt." in response.get_data(as_text=True)
    assert QuizAttempt.select().where(QuizAttempt.user == learner).count() == 3


def test_a_learner_cannot_see_or_submit_another_learners_attempt(app, logged_in):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    logged_in.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt))
    other = make_user("other@example.org", "Otto Anders")
    intruder = Browser(app.test_client())
    intruder.login(other.email)
    for url in (f"/quiz/attempt/{attempt.token}", f"/quiz/attempt/{attempt.token}/result"):
        assert intruder.get(url).status_code == 404
    response = intruder.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt), page="/")
    assert response.status_code == 404
    assert QuizAttempt.get_by_id(attempt.id).passed


def test_grade_reports_per_question_results(app, learner):
    attempt = start_attempt(learner, quiz())
    results = grade(attempt, {})
    assert len(results) == 5
    assert not any(g.correct for _, _, g in results)

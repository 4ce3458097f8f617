"""Quizzes that certify competence: question pools drawn per attempt,
balanced across topics; an honest review after a failed attempt; the
waiting time before the next one; lenient short-text answers."""
import random
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from lms.item_statistics import quiz_statistics
from lms.models import QuizAttempt
from lms.question_types import normalize_text_answer
from lms.quiz.attempts import draw_questions, start_attempt
from lms.timeutil import format_datetime

from .helpers import gen_question, gen_quiz
from .quiz_helpers import correct_form, start_quiz, wrong_form

CORRECT_MARKERS = ("mark-correct", "is-correct-choice", "Richtige Reihenfolge", "richtig</span>")


def pool(topics=4, per_topic=5):
    return [gen_question(f"{topic}-{n}", topic=topic) for topic in "abcdefgh"[:topics] for n in range(per_topic)]


def test_a_draw_has_n_different_questions_balanced_across_topics():
    drawn = draw_questions(pool(), 8, random.Random(1))
    assert len(drawn) == 8 and len({q["id"] for q in drawn}) == 8
    assert Counter(q["topic"] for q in drawn) == {"a": 2, "b": 2, "c": 2, "d": 2}


def test_an_uneven_pool_still_gives_n_questions_as_evenly_as_it_can():
    questions = [gen_question(f"a-{n}", topic="a") for n in range(10)] + [gen_question("b-0", topic="b")]
    drawn = draw_questions(questions, 6, random.Random(3))
    assert len({q["id"] for q in drawn}) == 6
    assert Counter(q["topic"] for q in drawn) == {"a": 5, "b": 1}


def test_questions_without_a_topic_are_balanced_by_their_lesson():
    questions = ([gen_question(f"x{n}", lesson="erste-schritte") for n in range(6)]
                 + [gen_question(f"y{n}", lesson="zweiter-schritt") for n in range(6)])
    drawn = draw_questions(questions, 4, random.Random(7))
    assert Counter(q["lesson"] for q in drawn) == {"grundlagen/erste-schritte": 2, "grundlagen/zweiter-schritt": 2}


def test_attempts_draw_different_questions_with_a_seeded_generator():
    rng = random.Random(42)
    draws = [frozenset(q["id"] for q in draw_questions(pool(), 8, rng)) for _ in range(5)]
    assert len(set(draws)) == 5
    again = random.Random(42)
    assert frozenset(q["id"] for q in draw_questions(pool(), 8, again)) == draws[0]  # reproducible


def test_without_shuffling_the_drawn_questions_keep_the_pools_order():
    drawn = draw_questions(pool(), 8, random.Random(5), shuffle=False)
    order = [q["id"] for q in pool()]
    assert [q["id"] for q in drawn] == sorted((q["id"] for q in drawn), key=order.index)


def test_an_attempt_shows_and_stores_the_drawn_questions(app, logged_in, learner):
    gen_quiz("pool", pool(), questions_per_attempt=8)
    attempt = start_quiz(logged_in, "demo", "pool")
    assert len(attempt.questions) == 8 and attempt.max_score == 8
    html = logged_in.text(f"/quiz/attempt/{attempt.token}")[1]
    assert html.count("<fieldset class=\"question") == 8 and "Frage 8 von 8" in html
    assert "8 Fragen je Versuch, ausgewählt aus 20" in logged_in.text("/quiz/demo/pool")[1]


def test_item_statistics_show_how_often_each_question_was_drawn(app, learner):
    quiz = gen_quiz("pool", pool(), questions_per_attempt=8)
    rng = random.Random(11)
    for _ in range(6):
        attempt = start_attempt(learner, quiz, rng=rng)
        QuizAttempt.update(submitted_at=datetime(2026, 5, 1), passed=False, score=0, responses={}).where(
            QuizAttempt.id == attempt.id).execute()
    stats = quiz_statistics(quiz)
    drawn = {item.question_id: item.drawn for item in stats.items}
    shown = Counter(q["id"] for a in QuizAttempt.select() for q in a.questions)
    assert drawn == {q["id"]: shown[q["id"]] for q in quiz.questions}
    assert sum(drawn.values()) == 48


# --- review ---------------------------------------------------------------------------------


def test_a_failed_attempt_shows_which_questions_were_wrong_and_what_to_reread_but_no_answers(logged_in):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    html = logged_in.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt),
                            follow_redirects=True).get_data(as_text=True)
    assert "0 von 5 richtig (0&nbsp;%)" in html and "Noch nicht bestanden" in html
    assert html.count(">Falsch</span>") == 5
    for marker in CORRECT_MARKERS:
        assert marker not in html, marker
    for text in ("Genau.", "Leider nein.", "Nur eine ist richtig.", "Gemeint ist die Kompetenzanalyse",
                 "Kompetenz-Analyse", "Eins und zwei."):
        assert text not in html, text  # feedback, explanations and accepted answers stay hidden
    reread = re.search(r'<section class="card reread".*?</section>', html, re.S).group(0)
    assert "/learn/demo/grundlagen/erste-schritte" in reread and "/learn/demo/praxis/anwenden" in reread


def test_review_always_reveals_everything_and_never_reveals_nothing(app, logged_in):
    gen_quiz("offen", [gen_question("q1")], review="always")
    gen_quiz("streng", [gen_question("q1")], review="never")
    attempt = start_quiz(logged_in, "demo", "offen")
    html = logged_in.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt),
                            follow_redirects=True).get_data(as_text=True)
    assert "mark-correct" in html and "Weil." in html
    attempt = start_quiz(logged_in, "demo", "streng")
    html = logged_in.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt),
                            follow_redirects=True).get_data(as_text=True)
    assert "Bestanden!" in html and "mark-correct" not in html and "Weil." not in html


def test_new_attempt_on_the_result_page_is_one_click(logged_in):
    gen_quiz("wieder", [gen_question("q1")])
    attempt = start_quiz(logged_in, "demo", "wieder")
    logged_in.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt))
    page = f"/quiz/attempt/{attempt.token}/result"
    assert 'action="/quiz/demo/wieder/start"' in logged_in.text(page)[1]
    response = logged_in.submit("/quiz/demo/wieder/start", page=page)
    assert response.headers["Location"].startswith("/quiz/attempt/")


# --- waiting time ----------------------------------------------------------------------------


@pytest.mark.parametrize("moment", ["2026-03-01 10:00", "2026-03-01 23:30", "2026-07-01 22:30"])
def test_after_a_failed_attempt_the_page_says_when_the_next_opens_and_what_to_reread(app, client, learner, moment):
    with freeze_time(moment):
        client.login(learner.email)
        attempt = start_quiz(client, "demo", "praxis")
        client.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt))
        html = client.text("/quiz/demo/praxis")[1]
        opens = format_datetime(datetime.fromisoformat(moment) + timedelta(minutes=10), "Europe/Berlin")
        assert f"10 Minuten Pause. Der nächste Versuch ist ab {opens} möglich." in html
        assert "Lies bis dahin noch einmal" in html and "/learn/demo/praxis/anwenden" in html
        response = client.submit("/quiz/demo/praxis/start", page="/quiz/demo/praxis", follow_redirects=True)
        assert f"ab {opens} möglich" in response.get_data(as_text=True)
    with freeze_time(datetime.fromisoformat(moment) + timedelta(minutes=10, seconds=1)):
        assert start_quiz(client, "demo", "praxis").id != attempt.id


def test_the_shipped_quizzes_wait_a_few_minutes_after_a_failed_attempt():
    from lms.content.loader import read_content

    from .test_shipped_course import PROJECT

    [course] = read_content(PROJECT / "course", PROJECT / "quizzes")
    for quiz in course.quizzes:
        assert 1 <= quiz.cooldown_minutes <= 30, quiz.path
        assert quiz.review == "after_pass", quiz.path


# --- short-text answers -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Pat*innenschaft", "Pat:innenschaft", "Pat_innenschaft", "Pat/innenschaft",
                                   "patinnenschaft", "PAT*INNENSCHAFT", " Pat*innenschaft. "])
def test_short_text_answers_ignore_gender_marks_and_case(typed):
    assert normalize_text_answer(typed) == normalize_text_answer("Pat*innenschaft")


def test_a_gender_marked_answer_counts_in_a_quiz(app, logged_in):
    gen_quiz("text", [gen_question("wort", "short_text", accepted=["Pat*innenschaft"])])
    attempt = start_quiz(logged_in, "demo", "text")
    logged_in.submit(f"/quiz/attempt/{attempt.token}", {"q-wort": "Pat:innenschaft"})
    assert QuizAttempt.get_by_id(attempt.id).passed


def test_the_lessons_to_reread_come_from_the_published_course_in_its_order_without_a_query(app, count_queries):
    from types import SimpleNamespace

    from lms.catalog import published_course
    from lms.quiz.attempts import lessons_to_reread

    def answered(lesson, correct):
        return {"id": lesson or "ohne", "lesson": lesson}, None, SimpleNamespace(correct=correct)

    results = [answered("praxis/anwenden", False), answered("grundlagen/erste-schritte", False),
               answered("praxis/anwenden", False), answered("grundlagen/zweiter-schritt", True),
               answered(None, False), answered("praxis/stillgelegt", False)]
    with app.test_request_context():
        course = published_course("demo").course  # the catalog, read once per request
        with count_queries() as queries:
            reread = lessons_to_reread(course, results)
        assert queries == []
        assert [(f"{lesson.module.slug}/{lesson.slug}", numbers) for lesson, numbers in reread] == [
            ("grundlagen/erste-schritte", [2]), ("praxis/anwenden", [1, 3])]
        assert lessons_to_reread(course, [answered("praxis/anwenden", True)]) == []

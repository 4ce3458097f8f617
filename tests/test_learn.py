"""Course overview, lessons, progress and "continue where I left off"."""
from lms.catalog import new_revision
from lms.models import Course, Lesson, LessonProgress
from lms.progress import course_outline

from .quiz_helpers import pass_quiz


def complete(client, path):
    return client.submit(f"/learn/demo/{path}/done", page=f"/learn/demo/{path}")


def test_course_overview_lists_modules_lessons_minutes_and_progress(logged_in):
    status, html = logged_in.text("/learn/demo")
    assert status == 200
    for text in ("Grundlagen", "Praxis", "Erste Schritte", "Zweiter Schritt", "Anwenden", "5 Min.", "7 Min.",
                 "Quiz: Grundlagen", 'value="0"', "Kursversion 1.0", "Checkliste"):
        assert text in html, text


def test_lesson_page_shows_goals_content_and_neighbours(logged_in):
    status, html = logged_in.text("/learn/demo/grundlagen/zweiter-schritt")
    assert status == 200
    assert "Du gehst weiter." in html
    assert 'rel="prev" href="/learn/demo/grundlagen/erste-schritte"' in html
    assert 'rel="next" href="/learn/demo/praxis/anwenden"' in html


def test_unknown_and_retired_lessons_are_404(logged_in):
    assert logged_in.get("/learn/demo/grundlagen/gibt-es-nicht").status_code == 404
    Lesson.update(is_retired=True).where(Lesson.slug == "anwenden").execute()
    new_revision()  # as apply_content does: learners' pages read the catalog
    assert logged_in.get("/learn/demo/praxis/anwenden").status_code == 404
    assert logged_in.get("/learn/nirgendwo").status_code == 404


def test_viewing_records_the_visit_and_done_completes_the_lesson(logged_in, learner):
    logged_in.get("/learn/demo/grundlagen/erste-schritte")
    progress = LessonProgress.get(LessonProgress.user == learner)
    assert progress.completed_at is None
    response = complete(logged_in, "grundlagen/erste-schritte")
    assert response.headers["Location"] == "/learn/demo/grundlagen/zweiter-schritt"
    assert LessonProgress.get_by_id(progress.id).completed_at is not None


def test_completing_twice_keeps_one_record(logged_in, learner):
    complete(logged_in, "grundlagen/erste-schritte")
    complete(logged_in, "grundlagen/erste-schritte")
    assert LessonProgress.select().where(LessonProgress.user == learner).count() == 1


def test_after_the_last_lesson_of_a_module_comes_its_quiz(logged_in):
    complete(logged_in, "grundlagen/erste-schritte")
    response = complete(logged_in, "grundlagen/zweiter-schritt")
    assert response.headers["Location"] == "/quiz/demo/grundlagen"


def test_progress_counts_lessons_and_required_quizzes(logged_in, learner):
    complete(logged_in, "grundlagen/erste-schritte")
    complete(logged_in, "grundlagen/zweiter-schritt")
    pass_quiz(logged_in, "demo", "grundlagen")
    outline = course_outline(Course.get(Course.slug == "demo"), learner)
    assert (outline.steps_done, outline.steps_total, outline.percent) == (3, 5, 60)
    assert 'value="60"' in logged_in.text("/learn/demo")[1]


def test_start_page_continues_where_the_learner_left_off(logged_in):
    assert 'href="/learn/demo/grundlagen/erste-schritte"' in logged_in.text("/")[1]
    complete(logged_in, "grundlagen/erste-schritte")
    complete(logged_in, "grundlagen/zweiter-schritt")
    html = logged_in.text("/")[1]
    assert "Weiter, wo du aufgehört hast" in html
    assert 'href="/quiz/demo/grundlagen"' in html
    pass_quiz(logged_in, "demo", "grundlagen")
    assert 'href="/learn/demo/praxis/anwenden"' in logged_in.text("/")[1]


def test_the_landing_page_invites_anonymous_visitors(client):
    status, html = client.text("/")
    assert "Jetzt registrieren" in html
    assert "Demo-Kurs" in html


def test_handout_page(logged_in):
    status, html = logged_in.text("/learn/demo/templates/checkliste")
    assert status == 200
    assert "☐ Anrufen" in html


def test_learning_through_the_app_keeps_the_running_totals(logged_in, learner):
    from lms.models import Enrollment

    from .quiz_helpers import pass_quiz

    logged_in.get("/learn/demo/grundlagen/erste-schritte")
    enrollment = Enrollment.get(Enrollment.user == learner)
    assert (enrollment.steps_done, enrollment.started_at is not None) == (0, True)
    complete(logged_in, "grundlagen/erste-schritte")
    pass_quiz(logged_in, "demo", "grundlagen")
    enrollment = Enrollment.get(Enrollment.user == learner)
    assert enrollment.steps_done == 2
    assert enrollment.last_activity_at >= enrollment.started_at

"""The course that ships in course/ and quizzes/: it loads, it is complete,
and a learner who answers everything correctly gets a certificate."""
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from lms import create_app
from lms.urls import build_content_url
from lms.content.loader import load_content, read_content
from lms.database import migrate
from lms.models import Certificate, Course, Lesson, Module, Quiz, db

from .conftest import UNITS_CSV, app_config
from .helpers import Browser, make_user
from .quiz_helpers import correct_form, start_quiz

PROJECT = Path(__file__).parent.parent
COURSE_SLUG = "mitgliederbetreuung"
REQUIRED_MODULES = ["warum-mitgliederbetreuung", "strukturen", "neue-mitglieder", "kompetenzanalyse",
                    "grundlagenseminare", "aktive-mitglieder", "organisation", "datenschutz"]
REQUIRED_TEMPLATES = ["begruessungsanruf", "checkliste-1-3-6", "kompetenzanalyse-leitfaden",
                      "kompetenzanalyse-bogen", "grundlagenseminar-ablaufplan", "jahresplan", "uebergabebogen",
                      "erste-woche", "foerderplan-kandidatur"]
PLACEHOLDERS = re.compile(r"lorem ipsum|\bTODO\b|platzhalter|placeholder|\bXXX\b", re.I)


@pytest.fixture(scope="module")
def shipped():
    [course] = read_content(PROJECT / "course", PROJECT / "quizzes")
    return course


@pytest.fixture
def shipped_app(tmp_path, mail_sink):
    database = tmp_path / "shipped.sqlite3"
    app = create_app(app_config(database, mail_sink, COURSE_DIR=str(PROJECT / "course"),
                                QUIZ_DIR=str(PROJECT / "quizzes")))
    with app.app_context():
        migrate()
        from lms.units import import_units

        import_units(UNITS_CSV.read_text(encoding="utf-8"))
        load_content(PROJECT / "course", PROJECT / "quizzes", build_content_url)
    yield app
    db.close()


def test_all_modules_the_brief_names_are_there_with_two_to_five_lessons(shipped):
    assert [m.slug for m in shipped.modules] == REQUIRED_MODULES
    for module in shipped.modules:
        assert 2 <= len(module.lessons) <= 5, module.slug
        for lesson in module.lessons:
            assert 5 <= lesson.minutes <= 15, lesson.path
            assert lesson.goals, lesson.path
            assert "## Kurz gesagt" in lesson.body, f"{lesson.path} has no summary section"


def test_every_module_has_a_quiz_drawing_from_a_pool_twice_an_attempt(shipped):
    quizzes = {q.slug: q for q in shipped.quizzes}
    assert sorted(quizzes) == sorted(REQUIRED_MODULES)
    lessons = {m.slug: {lesson.slug for lesson in m.lessons} for m in shipped.modules}
    for quiz in quizzes.values():
        assert 6 <= quiz.questions_per_attempt and len(quiz.questions) >= 2 * quiz.questions_per_attempt, quiz.path
        assert len({q["type"] for q in quiz.questions}) >= 3, f"{quiz.path} mixes too few question types"
        taught = {q["lesson"] for q in quiz.questions}
        assert "" not in taught, f"{quiz.path}: a question names no lesson"
        assert {t.split("/")[1] for t in taught if t.startswith(quiz.slug + "/")} == lessons[quiz.slug], \
            f"{quiz.path}: not every lesson of the module is asked"


def test_the_quality_check_finds_no_length_cue_and_balanced_true_false_in_the_shipped_quizzes(shipped):
    quality = shipped.quiz_quality
    assert [q.slug for q in quality.quizzes if q.length_cues] == []
    assert 0.35 <= quality.true_share <= 0.65
    for quiz in quality.quizzes:
        assert quiz.longest_correct_share <= 0.35, quiz.slug  # no better than picking at random
    assert quality.all_hints() == []


def test_all_templates_ship(shipped):
    assert [h.slug for h in shipped.handouts] == REQUIRED_TEMPLATES
    assert shipped.guide_summary_body.strip()


def test_no_placeholder_text(shipped):
    documents = [l for m in shipped.modules for l in m.lessons] + shipped.handouts
    for document in documents:
        assert not PLACEHOLDERS.search(document.body), document.path
    for quiz_file in (PROJECT / "quizzes").rglob("*.yaml"):
        assert not PLACEHOLDERS.search(quiz_file.read_text(encoding="utf-8")), quiz_file


def test_check_command_passes_on_the_shipped_content(shipped_app):
    result = shipped_app.test_cli_runner().invoke(args=["lms", "load-content", "--check"])
    assert result.exit_code == 0, result.output
    assert "Inhalte in Ordnung" in result.output
    assert "Quiz-Qualität" in result.output
    assert "Hinweis:" not in result.output


def test_a_learner_who_answers_everything_correctly_gets_a_certificate(shipped_app):
    officer = make_user("officer@example.org", "Mira Mustermann", unit_name="Bielefeld")
    browser = Browser(shipped_app.test_client())
    browser.login(officer.email)
    course = Course.get(Course.slug == COURSE_SLUG)
    lessons = list(Lesson.select(Lesson, Module).join(Module).where(Module.course == course)
                   .order_by(Module.position, Lesson.position))
    for lesson in lessons:
        url = f"/learn/{COURSE_SLUG}/{lesson.module.slug}/{lesson.slug}"
        assert browser.get(url).status_code == 200
        browser.submit(f"{url}/done", page=url)
    for quiz in list(Quiz.select().where(Quiz.course == course)):
        attempt = start_quiz(browser, COURSE_SLUG, quiz.slug)
        response = browser.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt), follow_redirects=True)
        assert "Bestanden!" in response.get_data(as_text=True), quiz.slug
    certificate = Certificate.get(Certificate.user == officer)
    assert certificate.course_title == "Mitgliederbetreuung im UB und KV"
    pdf = browser.get(f"/certificates/{certificate.code}.pdf").data
    assert "Mira Mustermann" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_the_guide_pdf_contains_every_module_title(shipped_app):
    officer = make_user("reader@example.org", "Leser*in")
    browser = Browser(shipped_app.test_client())
    browser.login(officer.email)
    response = browser.get(f"/learn/{COURSE_SLUG}/guide.pdf")
    assert response.status_code == 200
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages]
    text = "\n".join(pages)
    for module in list(Module.select()):
        assert module.title in text, module.title
    # The contents fill more than one page, and every page number in them is right.
    contents = [line for page in pages[1:4] for line in page.splitlines() if re.search(r"\.{5,} \d+$", line)]
    assert len(contents) > 45
    for line in contents:
        title, number = re.fullmatch(r"(.*?) ?\.{5,} (\d+)", line).groups()
        assert title in pages[int(number) - 1].replace("\n", " "), line
    for handout_slug in REQUIRED_TEMPLATES:
        assert browser.get(f"/learn/{COURSE_SLUG}/templates/{handout_slug}.pdf").status_code == 200

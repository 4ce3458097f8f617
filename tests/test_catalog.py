"""The published courses kept in memory per content revision (lms.catalog):
few queries per learner page, and a publish or content load in one app
instance (one gunicorn worker) is seen at once by every other one."""
import shutil

import pytest

from lms import create_app
from lms.catalog import new_revision
from lms.urls import build_content_url
from lms.content.loader import load_content
from lms.models import Lesson, LessonProgress, Module, db

from .conftest import FIXTURE_COURSE, FIXTURE_QUIZZES, app_config
from .helpers import Browser, make_user

LESSON = "/learn/demo/grundlagen/erste-schritte"
COURSE = "/learn/demo"


def queries_for(client, count_queries, url):
    client.get(url)  # the first request of a process reads the catalog
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return queries


@pytest.mark.parametrize("url", [LESSON, COURSE])
def test_a_learner_page_runs_at_most_four_queries_and_writes_nothing(logged_in, count_queries, url):
    queries = queries_for(logged_in, count_queries, url)
    assert len(queries) <= 4, queries
    assert not [q for q in queries if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "BEGIN"))]


@pytest.mark.parametrize("url", [LESSON, COURSE])
def test_the_query_count_does_not_grow_with_the_course(app, logged_in, count_queries, url):
    before = len(queries_for(logged_in, count_queries, url))
    module = Module.get(Module.slug == "grundlagen")
    for number in range(40):
        Lesson.create(module=module, slug=f"mehr-{number}", position=10 + number, title=f"Mehr {number}", minutes=5,
                      goals=["Ziel"], body_markdown="Text", body_html="<p>Text</p>", content_hash=f"h{number}")
    new_revision()
    assert len(queries_for(logged_in, count_queries, url)) == before


def test_only_the_first_view_of_a_lesson_writes(logged_in, learner, count_queries):
    with count_queries() as first:
        logged_in.get(LESSON)
    assert any(q.lstrip().upper().startswith("INSERT") for q in first)
    assert LessonProgress.select().where(LessonProgress.user == learner.id).count() == 1


def test_progress_shows_at_once_after_a_lesson_is_marked_done(logged_in):
    assert "erledigt</strong>" not in logged_in.text(LESSON)[1]
    logged_in.submit(f"{LESSON}/done", page=LESSON)
    assert "erledigt</strong>" in logged_in.text(LESSON)[1]
    assert "1 von 2 Lektionen erledigt" in logged_in.text(COURSE)[1]


@pytest.fixture
def two_workers(tmp_path, template_database, mail_sink):
    """Two app instances on one database, as two gunicorn workers are."""
    path = tmp_path / "shared.sqlite3"
    shutil.copy(template_database, path)
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_COURSE, content / "course")
    shutil.copytree(FIXTURE_QUIZZES, content / "quizzes")
    config = app_config(path, mail_sink, COURSE_DIR=str(content / "course"), QUIZ_DIR=str(content / "quizzes"))
    first, second = create_app(config), create_app(config)
    with first.app_context():
        learner = make_user("zwei@example.org", "Zoe Zwei", unit_name="Köln")
    browsers = []
    for app in (first, second):
        browser = Browser(app.test_client())
        browser.login(learner.email)
        browsers.append(browser)
    yield first, second, browsers, content
    db.close()


def test_a_publish_in_one_worker_is_seen_by_the_other(two_workers):
    first, second, (in_first, in_second), _ = two_workers
    assert "Worum es geht" in in_second.text(LESSON)[1]  # the second worker's catalog is warm
    with first.app_context():
        trainer = make_user("trainer@example.org", is_trainer=True)
    author = Browser(first.test_client())
    author.login(trainer.email)
    response = author.submit("/author/demo/lessons/grundlagen/erste-schritte",
                             {"title": "Erste Schritte, neu", "minutes": "7", "goals": "Ein neues Ziel",
                              "body": "## Ganz neu\n\nDer neue Text."},
                             page="/author/demo/lessons/grundlagen/erste-schritte")
    assert response.status_code == 302
    assert author.submit("/author/demo/publish", {"note": "neu"}, page="/author/demo/publish").status_code == 302
    html = in_second.text(LESSON)[1]
    assert "Der neue Text." in html and "Erste Schritte, neu" in html
    assert "Erste Schritte, neu" in in_second.text(COURSE)[1]


def test_a_content_load_in_one_process_is_seen_by_a_running_worker(two_workers):
    first, second, (_, in_second), content = two_workers
    assert "Erste Schritte" in in_second.text(COURSE)[1]
    lesson = content / "course" / "demo" / "01-grundlagen" / "01-erste-schritte.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("title: Erste Schritte", "title: Aus der Datei"),
                      encoding="utf-8")
    with first.app_context():
        load_content(content / "course", content / "quizzes", build_content_url)
    assert "Aus der Datei" in in_second.text(COURSE)[1]


def test_a_restarted_worker_starts_from_the_database(two_workers, tmp_path, mail_sink):
    first, _, _, content = two_workers
    lesson = content / "course" / "demo" / "01-grundlagen" / "01-erste-schritte.md"
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("title: Erste Schritte", "title: Nach dem Neustart"),
                      encoding="utf-8")
    with first.app_context():
        load_content(content / "course", content / "quizzes", build_content_url)
    restarted = create_app(first.config)
    browser = Browser(restarted.test_client())
    browser.login("zwei@example.org")
    assert "Nach dem Neustart" in browser.text(COURSE)[1]


def test_progress_in_one_worker_is_seen_by_the_other(two_workers):
    _, _, (in_first, in_second), _ = two_workers
    in_second.text(COURSE)
    in_first.submit(f"{LESSON}/done", page=LESSON)
    assert "1 von 2 Lektionen erledigt" in in_second.text(COURSE)[1]

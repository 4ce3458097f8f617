"""A content load killed halfway (the process dies mid-transaction) leaves
the previous content intact."""
import shutil
import subprocess
import sys
import textwrap

from lms.models import Lesson, Quiz

from .conftest import FIXTURE_COURSE, FIXTURE_QUIZZES

KILLER = textwrap.dedent("""
    import os, signal, sys
    from lms import create_app
    from lms.urls import build_content_url
    from lms.content import loader

    calls = 0
    original = loader._apply_document

    def apply_then_die(*args, **kwargs):
        global calls
        original(*args, **kwargs)
        calls += 1
        if calls == 2:  # some lessons are written, the transaction is open
            os.kill(os.getpid(), signal.SIGKILL)

    loader._apply_document = apply_then_die
    app = create_app({"DATABASE_URL": sys.argv[1], "INSTANCE_PATH": sys.argv[2], "SECRET_KEY": "x" * 40})
    with app.app_context():
        loader.load_content(sys.argv[3], sys.argv[4], build_content_url)
""")


def test_a_load_killed_halfway_changes_nothing(app, tmp_path):
    course = tmp_path / "course"
    quizzes = tmp_path / "quizzes"
    shutil.copytree(FIXTURE_COURSE, course)
    shutil.copytree(FIXTURE_QUIZZES, quizzes)
    for lesson in (course / "demo").glob("0*/*.md"):
        lesson.write_text(lesson.read_text(encoding="utf-8").replace("## ", "## Neu: ", 1), encoding="utf-8")
    with app.app_context():
        before = sorted((l.slug, l.body_html) for l in Lesson.select())
        quizzes_before = sorted((q.slug, q.title) for q in Quiz.select())

    process = subprocess.run([sys.executable, "-c", KILLER, app.config["DATABASE_URL"], str(tmp_path / "instance"),
                              str(course), str(quizzes)], capture_output=True, text=True, timeout=60)
    assert process.returncode == -9, process.stderr

    with app.app_context():
        assert sorted((l.slug, l.body_html) for l in Lesson.select()) == before
        assert sorted((q.slug, q.title) for q in Quiz.select()) == quizzes_before
        assert all("Neu:" not in body for _, body in before)

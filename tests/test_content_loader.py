"""Loading course/ and quizzes/: validation with file and line, upsert by slug."""
import shutil
from pathlib import Path

import pytest

from lms.urls import build_content_url
from lms.content.loader import load_content, read_content
from lms.content.source import MAX_FILE_BYTES, ContentErrors
from lms.content.tree import read_tree
from lms.models import Course, Handout, Lesson, LessonProgress, Module, Quiz

from .conftest import FIXTURE_COURSE, FIXTURE_QUIZZES

PROJECT = Path(__file__).parent.parent


@pytest.fixture
def content(tmp_path):
    """A writable copy of the fixture content: (course root, quiz root)."""
    shutil.copytree(FIXTURE_COURSE, tmp_path / "course")
    shutil.copytree(FIXTURE_QUIZZES, tmp_path / "quizzes")
    return tmp_path / "course", tmp_path / "quizzes"


def errors_of(content):
    with pytest.raises(ContentErrors) as caught:
        read_content(*content)
    return caught.value.errors


def replace_in(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_fixture_content_is_valid(content):
    courses = read_content(*content)
    assert [c.slug for c in courses] == ["demo"]
    assert [m.slug for m in courses[0].modules] == ["grundlagen", "praxis"]
    assert len(courses[0].quizzes) == 2


def test_shipped_course_passes_the_check(app):
    courses = read_content(PROJECT / "course", PROJECT / "quizzes")
    assert courses


def test_invalid_yaml_names_file_and_line(content):
    quiz = content[1] / "demo" / "grundlagen.yaml"
    replace_in(quiz, "pass_mark: 60", "pass_mark: [60")
    [error] = errors_of(content)
    assert error.path == str(quiz)
    assert error.line is not None and error.line >= line_of(quiz, "pass_mark: [60")
    assert "Ungültiges YAML" in error.message


def test_invalid_yaml_in_front_matter_counts_lines_from_the_file_start(content):
    lesson = content[0] / "demo" / "01-grundlagen" / "02-zweiter-schritt.md"
    replace_in(lesson, "minutes: 7", "minutes: : 7")
    [error] = errors_of(content)
    assert (error.path, error.line) == (str(lesson), line_of(lesson, "minutes: : 7"))


def test_missing_front_matter_field_is_reported(content):
    lesson = content[0] / "demo" / "01-grundlagen" / "02-zweiter-schritt.md"
    replace_in(lesson, "minutes: 7\n", "")
    [error] = errors_of(content)
    assert error.path == str(lesson)
    assert error.line == 1
    assert "'minutes' fehlt" in error.message


def test_a_title_longer_than_the_database_allows_is_reported(content):
    lesson = content[0] / "demo" / "01-grundlagen" / "02-zweiter-schritt.md"
    title_line = next(line for line in lesson.read_text(encoding="utf-8").splitlines() if line.startswith("title:"))
    replace_in(lesson, title_line, "title: " + "Sehr lang " * 30)
    [error] = errors_of(content)
    assert (error.path, error.line) == (str(lesson), line_of(lesson, "title: Sehr lang"))
    assert "höchstens 200" in error.message


def test_missing_front_matter_is_reported(content):
    lesson = content[0] / "demo" / "02-praxis" / "01-anwenden.md"
    lesson.write_text("## Nur Text\n", encoding="utf-8")
    [error] = errors_of(content)
    assert (error.path, error.line) == (str(lesson), 1)
    assert "Front Matter fehlt" in error.message


def test_unknown_question_type_is_reported_at_its_line(content):
    quiz = content[1] / "demo" / "grundlagen.yaml"
    replace_in(quiz, "type: true_false", "type: wahr_falsch")
    [error] = errors_of(content)
    assert (error.path, error.line) == (str(quiz), line_of(quiz, "type: wahr_falsch"))
    assert "Unbekannter Fragetyp 'wahr_falsch'" in error.message


@pytest.mark.parametrize("change, count", [
    (("      - text: Falsch\n", "      - text: Falsch\n        correct: true\n"), 2),
    (("        correct: true\n        feedback: Genau.", "        feedback: Genau."), 0),
])
def test_single_choice_needs_exactly_one_correct_answer(content, change, count):
    quiz = content[1] / "demo" / "grundlagen.yaml"
    replace_in(quiz, *change)
    [error] = errors_of(content)
    assert (error.path, error.line) == (str(quiz), line_of(quiz, "    choices:"))
    assert f"genau eine richtige Antwort, hat aber {count}" in error.message


def test_quiz_for_unknown_module_is_reported(content):
    shutil.copy(content[1] / "demo" / "praxis.yaml", content[1] / "demo" / "theorie.yaml")
    [error] = errors_of(content)
    assert error.path.endswith("theorie.yaml")
    assert "unbekanntes Modul 'theorie'" in error.message


def test_duplicate_module_slug_is_reported(content):
    course_yaml = content[0] / "demo" / "course.yaml"
    replace_in(course_yaml, "  - slug: praxis", "  - slug: grundlagen")
    errors = errors_of(content)
    duplicate = [e for e in errors if "Doppelter Modul-Slug" in e.message]
    assert duplicate and duplicate[0].line == line_of(course_yaml, "Anwenden.") - 2


def test_duplicate_lesson_slug_is_reported(content):
    module = content[0] / "demo" / "01-grundlagen"
    shutil.copy(module / "02-zweiter-schritt.md", module / "03-zweiter-schritt.md")
    [error] = errors_of(content)
    assert error.path == str(module / "03-zweiter-schritt.md")
    assert "Doppelter Slug 'zweiter-schritt'" in error.message


def test_duplicate_question_id_is_reported(content):
    quiz = content[1] / "demo" / "grundlagen.yaml"
    replace_in(quiz, "id: mehrfach", "id: einzel")
    [error] = errors_of(content)
    second_occurrence = [n for n, line in enumerate(quiz.read_text().splitlines(), 1) if "id: einzel" in line][1]
    assert (error.path, error.line) == (str(quiz), second_occurrence)
    assert "Doppelte Frage-ID 'einzel'" in error.message


def test_broken_link_between_lessons_is_reported(content):
    lesson = content[0] / "demo" / "01-grundlagen" / "01-erste-schritte.md"
    replace_in(lesson, "lesson:grundlagen/zweiter-schritt", "lesson:grundlagen/gibt-es-nicht")
    [error] = errors_of(content)
    assert (error.path, error.line) == (str(lesson), line_of(lesson, "gibt-es-nicht"))
    assert "unbekannte Lektion" in error.message


def test_module_folder_missing_from_course_yaml_is_reported(content):
    (content[0] / "demo" / "03-extra").mkdir()
    [error] = errors_of(content)
    assert "gehört zu keinem Modul" in error.message


def test_all_errors_are_reported_at_once(content):
    replace_in(content[1] / "demo" / "grundlagen.yaml", "type: true_false", "type: unbekannt")
    replace_in(content[0] / "demo" / "02-praxis" / "01-anwenden.md", "minutes: 10\n", "")
    assert len(errors_of(content)) == 2


def test_a_broken_file_changes_nothing_in_the_database(app, content):
    lesson_before = Lesson.get(Lesson.slug == "anwenden")
    replace_in(content[0] / "demo" / "02-praxis" / "01-anwenden.md", "title: Anwenden", "title: Neu")
    replace_in(content[1] / "demo" / "grundlagen.yaml", "type: ordering", "type: kaputt")
    with pytest.raises(ContentErrors):
        load_content(*content, build_content_url)
    assert Lesson.get_by_id(lesson_before.id).title == "Anwenden"


def test_check_only_writes_nothing(app, content):
    replace_in(content[0] / "demo" / "02-praxis" / "01-anwenden.md", "title: Anwenden", "title: Neu")
    load_content(*content, build_content_url, check_only=True)
    assert Lesson.get(Lesson.slug == "anwenden").title == "Anwenden"


def test_reload_upserts_by_slug_and_keeps_progress(app, content, learner):
    lesson = Lesson.get(Lesson.slug == "anwenden")
    LessonProgress.create(user=learner, lesson=lesson)
    replace_in(content[0] / "demo" / "02-praxis" / "01-anwenden.md", "title: Anwenden", "title: Anwenden, neu")
    _, report = load_content(*content, build_content_url)
    reloaded = Lesson.get(Lesson.slug == "anwenden")
    assert reloaded.id == lesson.id
    assert reloaded.title == "Anwenden, neu"
    assert report.counts["lesson"]["updated"] == 1
    assert report.counts["lesson"]["unchanged"] == 2
    assert LessonProgress.select().where(LessonProgress.lesson == lesson).count() == 1


def test_unchanged_lessons_are_not_rendered_again(app, content, monkeypatch):
    calls = []
    import lms.content.loader as loader

    original = loader.render_markdown
    monkeypatch.setattr(loader, "render_markdown", lambda *a, **k: calls.append(a) or original(*a, **k))
    load_content(*content, build_content_url)
    assert len(calls) == 1  # only the course summary; lessons and handouts are unchanged


def test_removed_content_is_retired_not_deleted(app, content):
    shutil.rmtree(content[0] / "demo" / "02-praxis")
    replace_in(content[0] / "demo" / "course.yaml", "  - slug: praxis\n    title: Praxis\n    summary: Anwenden.\n", "")
    (content[1] / "demo" / "praxis.yaml").unlink()
    _, report = load_content(*content, build_content_url)
    assert Module.get(Module.slug == "praxis").is_retired
    assert Lesson.get(Lesson.slug == "anwenden").is_retired
    assert Quiz.get(Quiz.slug == "praxis").is_retired
    assert report.counts["module"]["retired"] == 1


def test_loaded_lesson_html_is_rendered_with_resolved_links(app):
    lesson = Lesson.get(Lesson.slug == "erste-schritte")
    assert 'href="/learn/demo/grundlagen/zweiter-schritt"' in lesson.body_html
    assert 'href="/learn/demo/templates/checkliste"' in lesson.body_html
    assert '<div class="admonition tip">' in lesson.body_html
    assert "<table>" in lesson.body_html
    assert Handout.get(Handout.slug == "checkliste").module.slug == "grundlagen"
    assert Course.get(Course.slug == "demo").guide_summary_title == "Der Demo-Kurs auf einen Blick"


def test_load_content_command_reports_counts(runner):
    result = runner.invoke(args=["lms", "load-content"])
    assert result.exit_code == 0, result.output
    assert "Lektionen: 3 (0 neu, 0 geändert, 3 unverändert, 0 stillgelegt)" in result.output


def test_load_content_check_command_prints_errors_with_file_and_line(app, runner, content):
    replace_in(content[1] / "demo" / "grundlagen.yaml", "type: true_false", "type: wahr_falsch")
    app.config.update(COURSE_DIR=str(content[0]), QUIZ_DIR=str(content[1]))
    result = runner.invoke(args=["lms", "load-content", "--check"])
    assert result.exit_code == 1
    assert "grundlagen.yaml:" in result.output
    assert "Unbekannter Fragetyp" in result.output
    assert "nichts wurde geändert" in result.output


def test_empty_section_is_reported(content):
    lesson = content[0] / "demo" / "02-praxis" / "01-anwenden.md"
    replace_in(lesson, "## Praxis\n", "## Leer\n\n## Praxis\n")
    [error] = errors_of(content)
    assert (error.path, error.line) == (str(lesson), line_of(lesson, "## Leer"))
    assert "Leerer Abschnitt '## Leer'" in error.message


def test_heading_at_the_end_of_a_file_is_an_empty_section(content):
    lesson = content[0] / "demo" / "02-praxis" / "01-anwenden.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n## Kurz gesagt\n", encoding="utf-8")
    [error] = errors_of(content)
    assert "Leerer Abschnitt '## Kurz gesagt'" in error.message


def test_subsections_and_code_fences_do_not_count_as_empty(content):
    lesson = content[0] / "demo" / "02-praxis" / "01-anwenden.md"
    replace_in(lesson, "## Praxis\n", "## Oben\n### Unten\nText.\n\n```\n## kein Titel\n```\n\n## Praxis\n")
    [course] = read_content(*content)  # raises ContentErrors on an empty section
    lesson_source = next(l for m in course.modules for l in m.lessons if l.slug == "anwenden")
    assert "## Oben\n### Unten" in lesson_source.body
    assert not any("Leerer Abschnitt" in str(w) for w in course.warnings)


def test_a_level_one_heading_in_a_lesson_is_reported(content):
    lesson = content[0] / "demo" / "02-praxis" / "01-anwenden.md"
    replace_in(lesson, "## Praxis", "# Praxis")
    [error] = errors_of(content)
    assert "Überschriften beginnen bei '##'" in error.message


def test_answers_that_contradict_the_question_type_are_reported(content):
    quiz = content[1] / "demo" / "grundlagen.yaml"
    replace_in(quiz, "    answer: true", "    answer: ja")
    replace_in(quiz, "    items: [Erstens, Zweitens, Drittens]", "    items: [Erstens, Erstens, Drittens]")
    replace_in(quiz, "      - {text: Eins, correct: true, feedback: Ja.}", "      - {text: Eins, correct: vielleicht, feedback: Ja.}")
    messages = [e.message for e in errors_of(content)]
    assert "'answer' muss true oder false sein, nicht 'ja'." in messages
    assert any("Zwei Einträge in 'items' sind gleich" in m for m in messages)
    assert "'correct' muss true oder false sein, nicht 'vielleicht'." in messages


def test_missing_feedback_and_explanations_are_warnings(content):
    quiz = content[1] / "demo" / "grundlagen.yaml"
    replace_in(quiz, "        feedback: Leider nein.\n", "")
    replace_in(quiz, "    explanation: Eins und zwei.\n", "")
    [course] = read_content(*content)
    quality_hints = course.quiz_quality.all_hints()
    warnings = [w for w in course.warnings if w not in quality_hints]
    assert [w.message for w in warnings] == [
        "Die Antwort hat kein 'feedback', das erklärt, warum sie richtig oder falsch ist.",
        "Die Frage hat keine Erklärung ('explanation'), die nach der Abgabe erscheint.",
    ]
    assert all(w.line for w in warnings)


def test_shipped_content_has_no_warnings():
    for course in read_content(PROJECT / "course", PROJECT / "quizzes"):
        assert course.warnings == []


# --- reading the files: byte-order mark -----------------------------------------------

BYTE_ORDER_MARK = b"\xef\xbb\xbf"
EVERY_KIND_OF_FILE = ["course/demo/01-grundlagen/01-erste-schritte.md", "course/demo/templates/01-checkliste.md",
                      "course/demo/summary.md", "course/demo/course.yaml", "quizzes/demo/grundlagen.yaml"]


@pytest.mark.parametrize("relative", EVERY_KIND_OF_FILE)
def test_a_file_with_a_byte_order_mark_loads_like_one_without(app, content, relative):
    path = content[0].parent / relative
    tree_before = read_tree(content[0] / "demo", content[1] / "demo")
    path.write_bytes(BYTE_ORDER_MARK + path.read_bytes())  # as Windows editors save UTF-8
    _, report = load_content(*content, build_content_url)
    assert not report.changed  # same text, same hash: the mark is not part of the content
    assert read_tree(content[0] / "demo", content[1] / "demo") == tree_before


# --- reading the files: symlinks ------------------------------------------------------------

OUTSIDE_LESSON = "---\ntitle: Von draußen\nminutes: 3\ngoals:\n  - Geheim.\n---\n\n## Geheim\n\nGEHEIMER TEXT\n"


@pytest.fixture
def outside(tmp_path):
    """A folder beside the content, with a valid lesson, quiz and module folder in it."""
    folder = tmp_path / "outside"
    (folder / "01-modul").mkdir(parents=True)
    (folder / "lesson.md").write_text(OUTSIDE_LESSON, encoding="utf-8")
    (folder / "01-modul" / "01-erste-schritte.md").write_text(OUTSIDE_LESSON, encoding="utf-8")
    shutil.copy(FIXTURE_QUIZZES / "demo" / "grundlagen.yaml", folder / "quiz.yaml")
    shutil.copy(FIXTURE_COURSE / "demo" / "course.yaml", folder / "course.yaml")
    return folder


def replace_by_link(path, target):
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    path.symlink_to(target)
    return path


@pytest.fixture
def reads(monkeypatch):
    """Every file opened through pathlib (as the loader does), resolved."""
    read = []
    original = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: read.append(self.resolve()) or original(self, *a, **k))
    return read


@pytest.mark.parametrize("relative, target", [
    ("course/demo/02-praxis/01-anwenden.md", "lesson.md"),
    ("course/demo/02-praxis/01-anwenden.md", "/etc/passwd"),
    ("course/demo/01-grundlagen", "01-modul"),
    ("course/demo/course.yaml", "course.yaml"),
    ("course/demo/summary.md", "lesson.md"),
    ("course/demo/templates", "01-modul"),
    ("course/demo", "."),
    ("quizzes/demo/grundlagen.yaml", "quiz.yaml"),
    ("quizzes/demo", "."),
])
def test_a_symlink_out_of_the_content_folder_is_refused_unread(content, outside, reads, relative, target):
    link = replace_by_link(content[0].parent / relative, outside / target)
    errors = errors_of(content)
    assert any(e.path == str(link) and "zeigt außerhalb des Inhaltsordners (Symlink) und wird nicht gelesen" in e.message
               for e in errors), errors
    assert not [path for path in reads if path.is_relative_to(outside.resolve()) or path == Path("/etc/passwd")]
    assert "GEHEIM" not in str(errors)


def test_a_symlink_within_the_content_folder_is_refused_too(content):
    lesson = content[0] / "demo" / "02-praxis" / "01-anwenden.md"
    replace_by_link(lesson, content[0] / "demo" / "01-grundlagen" / "01-erste-schritte.md")
    errors = errors_of(content)
    assert [(e.path, e.message) for e in errors] == [
        (str(lesson), "Die Datei ist ein Symlink und wird nicht gelesen. Ersetze den Link durch eine Kopie.")]


def test_the_content_folders_themselves_may_be_symlinks(content, tmp_path):
    (tmp_path / "links").mkdir()
    course_link, quiz_link = tmp_path / "links" / "course", tmp_path / "links" / "quizzes"
    course_link.symlink_to(content[0])
    quiz_link.symlink_to(content[1])
    assert [c.slug for c in read_content(course_link, quiz_link)] == ["demo"]


def test_the_tree_reader_refuses_symlinks_unread(content, outside, reads):
    replace_by_link(content[0] / "demo" / "02-praxis" / "01-anwenden.md", outside / "lesson.md")
    with pytest.raises(ContentErrors) as caught:
        read_tree(content[0] / "demo", content[1] / "demo")
    assert "zeigt außerhalb des Inhaltsordners (Symlink)" in str(caught.value)
    assert outside.resolve() / "lesson.md" not in reads


# --- reading the files: size ----------------------------------------------------------------


@pytest.mark.parametrize("relative", EVERY_KIND_OF_FILE)
def test_a_file_over_the_size_limit_is_refused_before_it_is_parsed(content, relative):
    path = content[0].parent / relative
    path.write_text("kein: [yaml, kein Front Matter\n" + "x" * 5 * 1024 * 1024, encoding="utf-8")  # 5 MB
    errors = errors_of(content)
    assert [(e.path, e.message) for e in errors if e.path == str(path)] == [
        (str(path), "Der Text ist größer als 200 KB. Kürze ihn oder teile ihn auf.")]


def test_a_file_at_the_size_limit_loads(content):
    # Markdown has a lower limit of its own (rendering.MAX_MARKDOWN_CHARS), so a quiz file shows this one.
    quiz = content[1] / "demo" / "praxis.yaml"
    text = quiz.read_text(encoding="utf-8")
    quiz.write_text(text + "\n# " + "x" * (MAX_FILE_BYTES - len(text.encode()) - 4) + "\n", encoding="utf-8")
    assert quiz.stat().st_size == MAX_FILE_BYTES
    read_content(*content)


def test_a_lesson_over_the_markdown_limit_is_refused_before_rendering(content):
    lesson = content[0] / "demo" / "02-praxis" / "01-anwenden.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n" + "Text. " * 10_000, encoding="utf-8")
    [error] = errors_of(content)
    assert error.path.endswith("01-anwenden.md") and "erlaubt sind höchstens 50.000" in error.message

"""Loading course content from ``course/`` and ``quizzes/`` into the database.

Two phases:

1. ``read_content`` reads and validates every file and collects *all*
   problems, each with file and line. Nothing is written.
2. ``apply_content`` upserts courses, modules, lessons, handouts and quizzes
   by slug inside one transaction. Rows whose files disappeared are marked
   retired (never deleted), so learners' progress and certificates survive
   every edit. Markdown is rendered only for new or changed files.

See docs/content-format.md for the format.
"""
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import new_revision
from ..models import Attendance, ContentRevision, Course, Handout, Lesson, Module, Quiz, db
from ..progress import refresh_enrollments
from ..question_types import QUESTION_TYPES
from ..timeutil import utcnow
from .quiz_data import QUIZ_KEYS
from .quiz_quality import assess_course
from .rendering import markdown_problem, render_markdown
from .revisions import NOTE_FILES, former_link_targets, has_unexported_browser_edits, published_tree, record_tree
from .tree import read_tree
from .source import (MAX_TITLE, SLUG, ContentError, ContentErrors, Fields, markdown_structure_errors, ordered_name, parse_yaml,
                     link_error, read_content_file, split_front_matter)

HANDOUT_DIR = "templates"
SUMMARY_FILE = "summary.md"
FINAL_QUIZ = "final"
RESERVED_MODULE_SLUGS = {HANDOUT_DIR, "guide", "quiz", "handouts"}
COMPLETION_DEFAULTS = {"lessons": "all", "module_quizzes": "passed", "final_quiz": "none", "attendance": "none"}
# [text](lesson:module/lesson) or [text](template:slug), possibly with a title.
CONTENT_LINK = re.compile(r"\]\(\s*<?(lesson|template):([^)\s>]*)>?")


@dataclass
class LessonSource:
    slug: str
    position: int
    path: str
    title: str
    minutes: int
    goals: list
    body: str
    body_line: int
    content_hash: str


@dataclass
class ModuleSource:
    slug: str
    position: int
    title: str
    summary: str
    lessons: list = field(default_factory=list)


@dataclass
class HandoutSource:
    slug: str
    position: int
    path: str
    title: str
    summary: str
    module_slug: str | None
    module_line: int
    body: str
    body_line: int
    content_hash: str


@dataclass
class QuizSource:
    slug: str
    path: str
    module_slug: str | None
    is_final: bool
    title: str
    pass_mark: int
    shuffle_questions: bool
    shuffle_choices: bool
    max_attempts: int
    cooldown_minutes: int
    questions_per_attempt: int  # 0: every question, every attempt
    review: str
    questions: list
    content_hash: str
    question_lines: list = field(default_factory=list)  # line of each question, for hints


@dataclass
class CourseSource:
    slug: str
    path: str
    title: str
    version: str
    summary: str
    certificate_valid_months: int
    completion: dict
    modules: list = field(default_factory=list)
    handouts: list = field(default_factory=list)
    quizzes: list = field(default_factory=list)
    completion_line: int = 1
    # "lesson:<module>/<lesson>" and "template:<slug>" of every file found,
    # parsed or not: a broken file must not make links to it look broken too.
    link_targets: set = field(default_factory=set)
    # The targets of lessons and templates the course once had (see
    # ``revisions.former_link_targets``): a link to one of them is a link to
    # retired content.
    former_targets: set = field(default_factory=set)
    # Problems that do not stop a load (e.g. a choice without feedback).
    warnings: list = field(default_factory=list)
    guide_summary_title: str = ""
    guide_summary_body: str = ""
    quiz_quality: object = None  # quiz_quality.CourseQuality, once the quizzes are read


def _hash(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_text(path, root, errors):
    try:
        return read_content_file(path, root)
    except ContentError as error:
        errors.append(error)
    return None


def _read_markdown_file(path, root, errors, required_keys, optional_keys):
    """Parse front matter and body; return (Fields, body, body_line, text)."""
    text = _read_text(path, root, errors)
    if text is None:
        return None
    try:
        front_text, body, body_line = split_front_matter(text, str(path))
        front = parse_yaml(front_text, str(path), first_line=2) or {}
    except ContentError as error:
        errors.append(error)
        return None
    fields = Fields(front, str(path), errors, first_line=2, line=1, what="Front Matter")
    fields.unknown_keys(required_keys | optional_keys)
    if not body.strip():
        errors.append(ContentError(str(path), body_line, "Der Text nach dem Front Matter ist leer."))
    problem = markdown_problem(body)
    if problem:
        line, message = problem
        errors.append(ContentError(str(path), body_line + line - 1 if line else body_line, message))
    errors.extend(markdown_structure_errors(body, str(path), body_line))
    return fields, body, body_line, text


def _ordered_entries(directory, errors, suffix=None, want_dirs=False, skip=()):
    """Numbered entries of a folder as (position, slug, path), in order.

    Reports badly named entries and slugs that occur twice."""
    entries = []
    seen = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.name in skip:
            continue
        if want_dirs != path.is_dir() or (suffix and not path.name.endswith(suffix)):
            continue
        parsed = ordered_name(path.name)
        if parsed is None or not SLUG.match(parsed[1]):
            expected = "NN-slug" + (suffix or "")
            errors.append(ContentError(str(path), None, f"Der Name muss die Form '{expected}' haben (z. B. 01-erster-kontakt{suffix or ''})."))
            continue
        position, slug = parsed
        if slug in seen:
            errors.append(ContentError(str(path), None, f"Doppelter Slug '{slug}': schon vergeben an {seen[slug].name}."))
            continue
        seen[slug] = path
        entries.append((position, slug, path))
    return entries


def _refuse_link(path, root, errors):
    """Report ``path`` and return True when it is a symlink (see ``link_error``)."""
    error = link_error(path, root)
    if error is not None:
        errors.append(error)
    return error is not None


def _read_lesson(position, slug, path, root, errors):
    parsed = _read_markdown_file(path, root, errors, {"title", "minutes", "goals"}, set())
    if parsed is None:
        return None
    fields, body, body_line, text = parsed
    title = fields.text("title", max_length=MAX_TITLE)
    minutes = fields.integer("minutes", 1, 60)
    goals = fields.text_list("goals")
    return LessonSource(slug, position, str(path), title or "", minutes or 0, goals, body, body_line, _hash(text))


def _read_handout(position, slug, path, root, errors):
    parsed = _read_markdown_file(path, root, errors, {"title", "summary"}, {"module"})
    if parsed is None:
        return None
    fields, body, body_line, text = parsed
    module_slug = fields.slug("module") if fields.has("module") else None
    return HandoutSource(
        slug, position, str(path), fields.text("title", max_length=MAX_TITLE) or "", fields.text("summary") or "",
        module_slug, fields.line("module"), body, body_line, _hash(text),
    )


def _read_course_yaml(path, root, errors):
    text = _read_text(path, root, errors)
    if text is None:
        return None, None
    try:
        data = parse_yaml(text, str(path))
    except ContentError as error:
        errors.append(error)
        return None, None
    fields = Fields(data, str(path), errors)
    fields.unknown_keys({"title", "version", "summary", "certificate_valid_months", "completion", "modules"})
    return fields, text


def _read_completion(fields):
    completion = dict(COMPLETION_DEFAULTS)
    if not fields.has("completion"):
        return completion
    rule = Fields(fields.mapping["completion"], fields.path, fields.errors, fields.first_line, fields.line("completion"), "'completion'")
    rule.unknown_keys(set(COMPLETION_DEFAULTS))
    completion["lessons"] = rule.choice("lessons", ("all", "none"), "all")
    completion["module_quizzes"] = rule.choice("module_quizzes", ("passed", "none"), "passed")
    completion["final_quiz"] = rule.choice("final_quiz", ("passed", "none"), "none")
    # Attending a live date that covers a module completes its lessons
    # ("lessons") or the whole module, quiz included ("module"); see lms.trainings.
    completion["attendance"] = rule.choice("attendance", Attendance.COMPLETION_RULES, "none")
    return completion


def _read_lessons(module, folder, root, course, errors):
    for position, lesson_slug, lesson_path in _ordered_entries(folder, errors, suffix=".md"):
        course.link_targets.add(f"lesson:{module.slug}/{lesson_slug}")
        lesson = _read_lesson(position, lesson_slug, lesson_path, root, errors)
        if lesson is not None:
            module.lessons.append(lesson)


def _read_course(course_dir, root, errors):
    """The CourseSource of one course folder: course.yaml, then the modules'
    lessons, the templates and the guide's summary page."""
    fields, _ = _read_course_yaml(course_dir / "course.yaml", root, errors)
    if fields is None:
        return None
    course = CourseSource(
        slug=course_dir.name,
        path=str(course_dir),
        title=fields.text("title", max_length=MAX_TITLE) or "",
        version=fields.text("version") or "",
        summary=fields.text("summary", required=False),
        certificate_valid_months=fields.integer("certificate_valid_months", 1, 120, required=False, default=24),
        completion=_read_completion(fields),
        completion_line=fields.line("completion"),
    )
    listed = _listed_modules(fields, course_dir, errors)
    _read_module_folders(course, listed, course_dir, root, errors)
    _read_handouts(course, set(listed), course_dir / HANDOUT_DIR, root, errors)
    _read_guide_summary(course, course_dir / SUMMARY_FILE, root, errors)
    return course


def _listed_modules(fields, course_dir, errors):
    """{slug: (ModuleSource, line)} of the modules course.yaml lists, in order."""
    listed = {}
    for position, module_fields in enumerate(fields.mapping_list("modules"), start=1):
        module_fields.unknown_keys({"slug", "title", "summary"})
        slug = module_fields.slug("slug")
        title = module_fields.text("title", max_length=MAX_TITLE)
        summary = module_fields.text("summary", required=False)
        if slug is None:
            continue
        if slug in RESERVED_MODULE_SLUGS:
            module_fields.error(f"Der Slug '{slug}' ist reserviert; bitte wähle einen anderen.", "slug")
            continue
        if slug in listed:
            module_fields.error(f"Doppelter Modul-Slug '{slug}'.", "slug")
            continue
        listed[slug] = (ModuleSource(slug, position, title or "", summary), module_fields.line("slug"))
    if fields.has("modules") and not listed and not any(e.path == str(course_dir / "course.yaml") for e in errors):
        fields.error("Der Kurs braucht mindestens ein Modul.", "modules")
    return listed


def _read_module_folders(course, listed, course_dir, root, errors):
    """Match the module folders (NN-slug/) to the listed modules and read
    their lessons; a folder without a module, or a module without a folder or
    lessons, is an error."""
    folders = {slug: path for _, slug, path in _ordered_entries(course_dir, errors, want_dirs=True, skip={HANDOUT_DIR})}
    for slug, path in folders.items():
        if slug not in listed:
            errors.append(ContentError(str(path), None, f"Der Ordner gehört zu keinem Modul in course.yaml (Slug '{slug}')."))
    for slug, (module, line) in listed.items():
        folder = folders.get(slug)
        if folder is None:
            errors.append(ContentError(str(course_dir / "course.yaml"), line, f"Zum Modul '{slug}' fehlt der Ordner NN-{slug}/."))
            continue
        if not _refuse_link(folder, root, errors):
            _read_lessons(module, folder, root, course, errors)
        if not module.lessons and not any(e.path.startswith(str(folder)) for e in errors):
            errors.append(ContentError(str(folder), None, "Das Modul enthält keine Lektion (Dateien NN-slug.md)."))
        course.modules.append(module)


def _read_handouts(course, module_slugs, handout_dir, root, errors):
    """The templates in ``templates/`` (each may name one of ``module_slugs``)."""
    if not handout_dir.is_dir() or _refuse_link(handout_dir, root, errors):
        return
    for position, slug, path in _ordered_entries(handout_dir, errors, suffix=".md"):
        course.link_targets.add(f"template:{slug}")
        handout = _read_handout(position, slug, path, root, errors)
        if handout is None:
            continue
        if handout.module_slug and handout.module_slug not in module_slugs:
            errors.append(ContentError(str(path), handout.module_line, f"Unbekanntes Modul '{handout.module_slug}'."))
        course.handouts.append(handout)


def _read_guide_summary(course, summary_path, root, errors):
    """summary.md: the one-page summary at the front of the guide (optional)."""
    if not summary_path.exists():
        return
    parsed = _read_markdown_file(summary_path, root, errors, {"title"}, set())
    if parsed is not None:
        course.guide_summary_title = parsed[0].text("title") or ""
        course.guide_summary_body = parsed[1]


def _read_quiz(path, root, course, errors):
    text = _read_text(path, root, errors)
    if text is None:
        return None
    try:
        data = parse_yaml(text, str(path))
    except ContentError as error:
        errors.append(error)
        return None
    fields = Fields(data, str(path), errors, warnings=course.warnings)
    fields.unknown_keys(set(QUIZ_KEYS))
    slug = path.stem
    is_final = fields.boolean("final")
    module_slugs = {m.slug for m in course.modules}
    if is_final and slug != FINAL_QUIZ:
        fields.error(f"Ein Abschlusstest muss {FINAL_QUIZ}.yaml heißen.", "final")
    if not is_final and slug not in module_slugs:
        errors.append(ContentError(str(path), 1, f"Quiz für unbekanntes Modul '{slug}': der Dateiname muss ein Modul-Slug aus course.yaml sein "
                                               f"(oder {FINAL_QUIZ}.yaml mit 'final: true')."))
    questions, question_lines = [], []
    seen_ids = {}
    for question in fields.mapping_list("questions"):
        question_id = question.slug("id")
        if question_id is not None:
            if question_id in seen_ids:
                question.error(f"Doppelte Frage-ID '{question_id}' (schon in Zeile {seen_ids[question_id]}).", "id")
            else:
                seen_ids[question_id] = question.line("id")
        type_name = question.text("type")
        if type_name is None:
            continue
        question_type = QUESTION_TYPES.get(type_name)
        if question_type is None:
            question.error(f"Unbekannter Fragetyp '{type_name}' (erlaubt: {', '.join(QUESTION_TYPES)}).", "type")
            continue
        definition = question_type.parse(question)
        definition["lesson"] = _lesson_reference(question, definition["lesson"], slug, course)
        questions.append(definition)
        question_lines.append(question.line())
    if fields.has("questions") and not questions and not any(e.path == str(path) for e in errors):
        fields.error("Das Quiz enthält keine Frage.", "questions")
    per_attempt = fields.integer("questions_per_attempt", 0, 1000, required=False, default=0)
    if per_attempt > len(questions) and questions:
        fields.error(f"'questions_per_attempt' ist {per_attempt}, das Quiz hat aber nur {len(questions)} Fragen.",
                     "questions_per_attempt")
    return QuizSource(
        slug=slug,
        path=str(path),
        module_slug=None if is_final else slug,
        is_final=is_final,
        title=fields.text("title", max_length=MAX_TITLE) or "",
        pass_mark=fields.integer("pass_mark", 1, 100, required=False, default=70),
        shuffle_questions=fields.boolean("shuffle_questions", default=True),
        shuffle_choices=fields.boolean("shuffle_choices", default=True),
        max_attempts=fields.integer("max_attempts", 0, 1000, required=False, default=0),
        cooldown_minutes=fields.integer("cooldown_minutes", 0, 60 * 24 * 30, required=False, default=0),
        questions_per_attempt=per_attempt,
        review=fields.choice("review", tuple(Quiz.REVIEW_MODES), Quiz.DEFAULT_REVIEW),
        questions=questions,
        content_hash=_hash(text),
        question_lines=question_lines,
    )


def _lesson_reference(question, reference, quiz_slug, course):
    """A question's ``lesson`` as "module/lesson": a bare lesson slug means
    a lesson of the quiz's own module. An unknown (or retired) lesson is a
    hint, not an error, so retiring a lesson never blocks a publish; the
    question then links to no lesson."""
    if not reference:
        return ""
    target = reference if "/" in reference else f"{quiz_slug}/{reference}"
    if f"lesson:{target}" not in course.link_targets:
        if f"lesson:{target}" in course.former_targets:
            question.warn(f"Die Lektion '{reference}' in 'lesson' ist stillgelegt: Nach einem Fehlversuch fehlt der "
                          "Verweis auf sie. Nenne eine Lektion, die es noch gibt.", "lesson")
        else:
            question.warn(f"Die Lektion '{reference}' in 'lesson' gibt es nicht: Nach einem Fehlversuch fehlt "
                          "der Verweis auf sie (Form: lektion-slug aus diesem Modul oder modul-slug/lektion-slug).",
                          "lesson")
        return ""
    return target


def _check_links(course, errors):
    """Every lesson:/template: link must point at content of this course."""
    documents = [lesson for m in course.modules for lesson in m.lessons] + course.handouts
    for document in documents:
        for number, line in enumerate(document.body.splitlines(), start=document.body_line):
            for kind, target in CONTENT_LINK.findall(line):
                if f"{kind}:{target}" in course.link_targets:
                    continue
                what = "Lektion" if kind == "lesson" else "Vorlage"
                if f"{kind}:{target}" in course.former_targets:
                    message = (f"Link auf die stillgelegte {what} '{kind}:{target}': verweise auf eine andere "
                               f"{what} oder nimm den Link heraus.")
                else:
                    hint = "modul-slug/lektion-slug" if kind == "lesson" else "vorlagen-slug"
                    message = f"Link auf unbekannte {what} '{kind}:{target}' (Form: {kind}:{hint})."
                errors.append(ContentError(document.path, number, message))


def read_content(course_root, quiz_root, former_targets=None):
    """Read and validate all content. Returns a list of CourseSource;
    raises ContentErrors listing every problem found. ``former_targets``:
    a function course slug -> CourseSource.former_targets (optional; with
    it, links to retired content are called retired, not unknown)."""
    course_root, quiz_root = Path(course_root), Path(quiz_root)
    errors = []
    courses = []
    if not course_root.is_dir():
        raise ContentErrors([ContentError(str(course_root), None, "Der Kursordner existiert nicht.")])
    for course_dir in sorted(p for p in course_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if _refuse_link(course_dir, course_root, errors):
            continue
        if not SLUG.match(course_dir.name):
            errors.append(ContentError(str(course_dir), None, "Der Ordnername eines Kurses muss ein Slug sein (z. B. mitgliederbetreuung)."))
            continue
        if not (course_dir / "course.yaml").exists():
            errors.append(ContentError(str(course_dir), None, "course.yaml fehlt."))
            continue
        course = _read_course(course_dir, course_root, errors)
        if course is None:
            continue
        if former_targets is not None:
            course.former_targets = former_targets(course.slug)
        _check_links(course, errors)
        courses.append(course)

    by_slug = {c.slug: c for c in courses}
    if quiz_root.is_dir():
        for quiz_dir in sorted(p for p in quiz_root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if _refuse_link(quiz_dir, quiz_root, errors):
                continue
            course = by_slug.get(quiz_dir.name)
            if course is None:
                errors.append(ContentError(str(quiz_dir), None, f"Quiz-Ordner für unbekannten Kurs '{quiz_dir.name}'."))
                continue
            for path in sorted(quiz_dir.iterdir()):
                if path.suffix not in {".yaml", ".yml"}:
                    if not path.name.startswith("."):
                        errors.append(ContentError(str(path), None, "Quiz-Dateien müssen auf .yaml enden."))
                    continue
                quiz = _read_quiz(path, quiz_root, course, errors)
                if quiz is not None:
                    course.quizzes.append(quiz)
    for course in courses:
        course.quiz_quality = assess_course(course.quizzes)
        course.warnings.extend(course.quiz_quality.all_hints())
        if course.completion["final_quiz"] == "passed" and not any(q.is_final for q in course.quizzes):
            errors.append(ContentError(str(Path(course.path) / "course.yaml"), course.completion_line,
                                       f"completion.final_quiz ist 'passed', aber quizzes/{course.slug}/{FINAL_QUIZ}.yaml fehlt."))
    if errors:
        raise ContentErrors(errors)
    return courses


# --- applying ---------------------------------------------------------------


class LoadReport:
    """Counts per kind of content: created, updated, unchanged, retired."""

    def __init__(self):
        self.counts = defaultdict(Counter)

    def add(self, kind, outcome):
        self.counts[kind][outcome] += 1

    @property
    def changed(self):
        return any(c["created"] or c["updated"] or c["retired"] for c in self.counts.values())

    def lines(self):
        labels = {"course": "Kurse", "module": "Module", "lesson": "Lektionen", "handout": "Vorlagen", "quiz": "Quizze"}
        result = []
        for kind, label in labels.items():
            c = self.counts.get(kind, Counter())
            total = c["created"] + c["updated"] + c["unchanged"]
            result.append(f"{label}: {total} ({c['created']} neu, {c['updated']} geändert, "
                          f"{c['unchanged']} unverändert, {c['retired']} stillgelegt)")
        return result


def _sync(row, values):
    """Set changed values on ``row``; return True when anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


def _upsert(model, existing, key, create_values, update_values, report, kind):
    row = existing.pop(key, None)
    if row is None:
        row = model.create(**create_values, **update_values)
        report.add(kind, "created")
        return row
    if _sync(row, {**update_values, "is_retired": False}):
        row.save()
        report.add(kind, "updated")
    else:
        report.add(kind, "unchanged")
    return row


def _retire(rows, report, kind):
    for row in rows:
        if not row.is_retired:
            row.is_retired = True
            row.save()
            report.add(kind, "retired")


def apply_content(courses, build_url, retire_missing_courses=True):
    """Upsert validated content inside one transaction; return a LoadReport.

    ``build_url(endpoint, **values)`` turns content links into URLs."""
    report = LoadReport()
    with db.atomic():
        existing_courses = {c.slug: c for c in Course.select()}
        for source in courses:
            _apply_course(source, existing_courses, build_url, report)
        if retire_missing_courses:
            _retire(existing_courses.values(), report, "course")
        if report.changed:
            new_revision()  # every worker's catalog reloads on its next request
    return report


def link_resolver(course_slug, build_url):
    """Map ``lesson:``/``template:`` hrefs of a course to URLs."""
    def resolve(href):
        if href.startswith("lesson:"):
            module_slug, _, lesson_slug = href[len("lesson:"):].partition("/")
            return build_url("learn.lesson", course_slug=course_slug, module_slug=module_slug, lesson_slug=lesson_slug)
        if href.startswith("template:"):
            return build_url("learn.handout", course_slug=course_slug, handout_slug=href[len("template:"):])
        return None

    return resolve


def _apply_course(source, existing_courses, build_url, report):
    """Bring one course's rows in line with its CourseSource: the course,
    its modules and lessons, templates and quizzes. Rows are updated by slug;
    what the source no longer has is retired, never deleted."""
    resolve = link_resolver(source.slug, build_url)
    course = _apply_course_row(source, existing_courses.pop(source.slug, None), resolve, report)
    module_rows = _apply_modules(course, source.modules, resolve, report)
    _apply_handouts(course, source.handouts, module_rows, resolve, report)
    _apply_quizzes(course, source.quizzes, module_rows, report)


def _apply_course_row(source, course, resolve, report):
    summary_html = render_markdown(source.guide_summary_body, resolve) if source.guide_summary_body else ""
    values = dict(
        title=source.title, version=source.version, summary=source.summary,
        certificate_valid_months=source.certificate_valid_months, completion=source.completion,
        guide_summary_title=source.guide_summary_title, guide_summary_html=summary_html,
    )
    if course is None:
        course = Course.create(slug=source.slug, loaded_at=utcnow(), **values)
        report.add("course", "created")
    elif _sync(course, {**values, "is_retired": False}):
        course.loaded_at = utcnow()
        course.save()
        report.add("course", "updated")
    else:
        report.add("course", "unchanged")
    return course


def _apply_modules(course, module_sources, resolve, report):
    """Modules and their lessons; returns {slug: Module row} of the current ones."""
    modules = {m.slug: m for m in Module.select().where(Module.course == course)}
    lessons = {(l.module_id, l.slug): l for l in Lesson.select().join(Module).where(Module.course == course)}
    module_rows = {}
    for module_source in module_sources:
        module = _upsert(
            Module, modules, module_source.slug,
            {"course": course, "slug": module_source.slug},
            {"position": module_source.position, "title": module_source.title, "summary": module_source.summary},
            report, "module",
        )
        module_rows[module.slug] = module
        for lesson_source in module_source.lessons:
            _apply_document(
                Lesson, lessons, (module.id, lesson_source.slug), {"module": module, "slug": lesson_source.slug},
                {"position": lesson_source.position, "title": lesson_source.title, "minutes": lesson_source.minutes,
                 "goals": lesson_source.goals},
                lesson_source, resolve, report, "lesson",
            )
    _retire(modules.values(), report, "module")
    _retire(lessons.values(), report, "lesson")
    return module_rows


def _apply_handouts(course, handout_sources, module_rows, resolve, report):
    handouts = {h.slug: h for h in Handout.select().where(Handout.course == course)}
    for handout_source in handout_sources:
        _apply_document(
            Handout, handouts, handout_source.slug, {"course": course, "slug": handout_source.slug},
            {"position": handout_source.position, "title": handout_source.title, "summary": handout_source.summary,
             "module": module_rows.get(handout_source.module_slug)},
            handout_source, resolve, report, "handout",
        )
    _retire(handouts.values(), report, "handout")


def _apply_quizzes(course, quiz_sources, module_rows, report):
    quizzes = {q.slug: q for q in Quiz.select().where(Quiz.course == course)}
    for quiz_source in quiz_sources:
        _upsert(
            Quiz, quizzes, quiz_source.slug, {"course": course, "slug": quiz_source.slug},
            {"module": module_rows.get(quiz_source.module_slug), "title": quiz_source.title,
             "is_final": quiz_source.is_final, "pass_mark": quiz_source.pass_mark,
             "shuffle_questions": quiz_source.shuffle_questions, "shuffle_choices": quiz_source.shuffle_choices,
             "max_attempts": quiz_source.max_attempts, "cooldown_minutes": quiz_source.cooldown_minutes,
             "questions_per_attempt": quiz_source.questions_per_attempt, "review": quiz_source.review,
             "questions": quiz_source.questions, "content_hash": quiz_source.content_hash},
            report, "quiz",
        )
    _retire(quizzes.values(), report, "quiz")


def _apply_document(model, existing, key, identity, values, source, resolve, report, kind):
    """Upsert a lesson or handout, rendering its Markdown only when the file changed."""
    row = existing.get(key)
    if row is None or row.content_hash != source.content_hash:
        values = {**values, "body_markdown": source.body, "body_html": render_markdown(source.body, resolve),
                  "content_hash": source.content_hash}
    _upsert(model, existing, key, identity, values, report, kind)


class BrowserEditsConflict(Exception):
    """Loading the files would overwrite what trainers changed in the browser."""

    def __init__(self, course_slugs):
        self.course_slugs = course_slugs
        super().__init__(
            f"Der Kurs {', '.join(course_slugs)} wurde im Browser bearbeitet, und die Dateien weichen davon ab. "
            "Lade ihn über den Export aus der App herunter, bevor du Dateien lädst, oder erzwinge das Laden "
            "mit --force (die Änderungen aus dem Browser bleiben in der Versionsgeschichte).")


def load_content(course_root, quiz_root, build_url, check_only=False, keep_browser_edits=False):
    """Validate, then (unless ``check_only``) apply and record the files as
    the published revision of each course. Returns (courses, report or None).

    With ``keep_browser_edits`` nothing is written when a course was edited
    in the browser since the last load and the files differ from what is
    published: ``BrowserEditsConflict``."""
    known = former_link_targets if db.table_exists(ContentRevision._meta.table_name) else None
    courses = read_content(course_root, quiz_root, former_targets=known)
    if check_only:
        return courses, None
    trees = {c.slug: read_tree(Path(c.path), Path(quiz_root) / c.slug) for c in courses}
    with db.atomic():
        if keep_browser_edits:
            conflicts = [slug for slug, tree in trees.items()
                         if has_unexported_browser_edits(slug) and published_tree(slug) != tree]
            if conflicts:
                raise BrowserEditsConflict(conflicts)
        report = apply_content(courses, build_url)
        for slug, tree in trees.items():
            record_tree(slug, tree, author=None, note=NOTE_FILES, published=True)
    if report.changed:
        # Lessons or quizzes may have come or gone: learners' totals change with them.
        for course in Course.select().where(Course.slug.in_([c.slug for c in courses])):
            refresh_enrollments(course)
    return courses, report

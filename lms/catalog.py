"""The published courses as learners see them, kept in memory per revision.

Learners' pages show the same content again and again, and it changes only
when a trainer publishes, a zip is imported or the files are loaded. So each
worker process keeps a snapshot of the published courses: modules, lessons
with their rendered HTML, quizzes and templates, in course order. Once per
request it reads the content revision (one row) and rebuilds the snapshot
only when the revision changed. ``apply_content`` writes a new revision in
the same transaction that changes the content, so a publish in one worker is
seen by every other worker on its next request, and a restart starts from
the database.

The snapshot's rows are shared by all requests of the process: read them,
never change or save them. Authors and the dashboard read the database.
"""
from dataclasses import dataclass, field

from flask import has_app_context, url_for

from . import settings
from .models import Course, Handout, Lesson, Module, Quiz

REVISION_KEY = "content_revision"


@dataclass
class PublishedCourse:
    """One course as learners see it (nothing retired), in course order."""

    course: Course
    modules: list  # [Module]
    lessons_by_module: dict  # module id -> [Lesson] (each with .module set)
    quizzes: list  # [Quiz]
    handouts: list  # [Handout]
    lesson_index: dict = field(default_factory=dict)  # (module slug, lesson slug) -> Lesson
    quiz_index: dict = field(default_factory=dict)  # slug -> Quiz
    _paths: dict = None

    def __post_init__(self):
        for lessons in self.lessons_by_module.values():
            for lesson in lessons:
                self.lesson_index[(lesson.module.slug, lesson.slug)] = lesson
        self.quiz_index = {quiz.slug: quiz for quiz in self.quizzes}

    @property
    def lessons(self):
        return [lesson for module in self.modules for lesson in self.lessons_by_module[module.id]]

    @property
    def minutes(self):
        """The estimated learning time: the sum of the lessons' estimates."""
        return sum(lesson.minutes for lesson in self.lessons)

    def lesson(self, module_slug, lesson_slug):
        return self.lesson_index.get((module_slug, lesson_slug))

    def quiz(self, slug):
        return self.quiz_index.get(slug)

    def paths(self):
        """{"lesson"|"quiz"|"handout": {id: path}}: the links of the course
        page, built once per snapshot (url_for for every lesson costs more
        than the rest of the page). Call within a request."""
        if self._paths is None:
            slug = self.course.slug
            self._paths = {
                "lesson": {lesson.id: url_for("learn.lesson", course_slug=slug, module_slug=lesson.module.slug,
                                              lesson_slug=lesson.slug) for lesson in self.lessons},
                "quiz": {quiz.id: url_for("quiz.overview", course_slug=slug, quiz_slug=quiz.slug)
                         for quiz in self.quizzes},
                "handout": {handout.id: url_for("learn.handout", course_slug=slug, handout_slug=handout.slug)
                            for handout in self.handouts},
            }
        return self._paths


@dataclass
class Catalog:
    revision: str
    courses: dict  # slug -> PublishedCourse, by title


def new_revision():
    """Mark the published content as changed (call inside the transaction
    that changes it)."""
    return settings.new_revision(REVISION_KEY)


def catalog():
    """The snapshot for the current content revision (read once per request).
    Outside an app (a script, a test calling domain code) it is read afresh."""
    if not has_app_context():
        return Catalog("", _load_courses())
    return settings.per_revision(REVISION_KEY, "lms_catalog", lambda revision: Catalog(revision, _load_courses()))


def published_course(slug):
    """The published course ``slug``, or None."""
    return catalog().courses.get(slug)


def published_courses():
    return list(catalog().courses.values())


def _load_courses():
    """Every published course, in five queries whatever its size."""
    courses = list(Course.select().where(~Course.is_retired).order_by(Course.title))
    modules = list(Module.select().join(Course).where(~Course.is_retired & ~Module.is_retired)
                   .order_by(Module.position))
    lessons = list(Lesson.select().join(Module).join(Course)  # each gets its module below
                   .where(~Course.is_retired & ~Module.is_retired & ~Lesson.is_retired)
                   .order_by(Module.position, Lesson.position))
    quizzes = list(Quiz.select().join(Course).where(~Course.is_retired & ~Quiz.is_retired).order_by(Quiz.id))
    handouts = list(Handout.select().join(Course).where(~Course.is_retired & ~Handout.is_retired)
                    .order_by(Handout.position))
    module_by_id = {module.id: module for module in modules}
    result = {}
    for course in courses:
        own_modules = [m for m in modules if m.course_id == course.id]
        by_module = {m.id: [] for m in own_modules}
        for lesson in lessons:
            if lesson.module_id in by_module:
                lesson.module = module_by_id[lesson.module_id]
                by_module[lesson.module_id].append(lesson)
        own_quizzes = []
        for quiz in quizzes:
            if quiz.course_id != course.id or (quiz.module_id is not None and quiz.module_id not in by_module):
                continue  # a quiz of a retired module is not shown
            quiz.course = course
            if quiz.module_id is not None:
                quiz.module = module_by_id[quiz.module_id]
            own_quizzes.append(quiz)
        for module in own_modules:
            module.course = course
        result[course.slug] = PublishedCourse(course, own_modules, by_module, own_quizzes,
                                              [h for h in handouts if h.course_id == course.id])
    return result

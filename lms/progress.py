"""A learner's progress through a course, and the course's completion rule.

``course_outline`` gathers everything a course page or the completion check
needs in a fixed handful of queries, whatever the size of the course.
"""
from dataclasses import dataclass, field

from .models import Course, Lesson, LessonProgress, Module, Quiz, QuizAttempt
from .timeutil import utcnow


@dataclass
class ModuleOutline:
    module: Module
    lessons: list  # [(Lesson, done: bool)]
    quiz: Quiz | None = None
    quiz_passed: bool = False

    @property
    def minutes(self):
        return sum(lesson.minutes for lesson, _ in self.lessons)

    @property
    def lessons_done(self):
        return sum(1 for _, done in self.lessons if done)


@dataclass
class CourseOutline:
    course: Course
    modules: list = field(default_factory=list)
    final_quiz: Quiz | None = None
    final_quiz_passed: bool = False

    @property
    def rule(self):
        return self.course.completion or {}

    @property
    def lessons_total(self):
        return sum(len(m.lessons) for m in self.modules)

    @property
    def lessons_done(self):
        return sum(m.lessons_done for m in self.modules)

    @property
    def total_minutes(self):
        return sum(m.minutes for m in self.modules)

    def required_quizzes(self):
        """[(quiz, passed)] the completion rule asks for."""
        required = []
        if self.rule.get("module_quizzes", "passed") == "passed":
            required += [(m.quiz, m.quiz_passed) for m in self.modules if m.quiz is not None]
        if self.rule.get("final_quiz") == "passed" and self.final_quiz is not None:
            required.append((self.final_quiz, self.final_quiz_passed))
        return required

    def _steps(self):
        """(done, kind, item) for everything the rule requires, in course order."""
        lessons_count = self.rule.get("lessons", "all") == "all"
        quizzes = {quiz.id for quiz, _ in self.required_quizzes()}
        steps = []
        for module in self.modules:
            if lessons_count:
                steps += [(done, "lesson", lesson) for lesson, done in module.lessons]
            if module.quiz is not None and module.quiz.id in quizzes:
                steps.append((module.quiz_passed, "quiz", module.quiz))
        if self.final_quiz is not None and self.final_quiz.id in quizzes:
            steps.append((self.final_quiz_passed, "quiz", self.final_quiz))
        return steps

    @property
    def steps_total(self):
        return len(self._steps())

    @property
    def steps_done(self):
        return sum(1 for done, _, _ in self._steps() if done)

    @property
    def percent(self):
        total = self.steps_total
        return round(100 * self.steps_done / total) if total else 0

    @property
    def is_complete(self):
        steps = self._steps()
        return bool(steps) and all(done for done, _, _ in steps)

    @property
    def has_started(self):
        return self.steps_done > 0

    def next_step(self):
        """("lesson", Lesson) or ("quiz", Quiz) to continue with, or None when done."""
        for done, kind, item in self._steps():
            if not done:
                return kind, item
        return None

    def neighbours(self, lesson):
        """(previous lesson, next lesson) in course order."""
        ordered = [l for m in self.modules for l, _ in m.lessons]
        index = next((i for i, l in enumerate(ordered) if l.id == lesson.id), None)
        if index is None:
            return None, None
        return (ordered[index - 1] if index > 0 else None,
                ordered[index + 1] if index + 1 < len(ordered) else None)

    def module_of(self, lesson):
        return next((m for m in self.modules if m.module.id == lesson.module_id), None)


def published_modules(course):
    return Module.select().where((Module.course == course) & ~Module.is_retired).order_by(Module.position)


def course_outline(course, user, since=None):
    """The course's modules, lessons and quizzes with this user's progress.

    ``since``: count only lessons completed and quizzes passed after this
    moment (used for recertification); None counts everything."""
    modules = list(published_modules(course))
    lessons = list(
        Lesson.select(Lesson, Module)
        .join(Module)
        .where((Module.course == course) & ~Module.is_retired & ~Lesson.is_retired)
        .order_by(Module.position, Lesson.position)
    )
    done_condition = (LessonProgress.user == user) & LessonProgress.completed_at.is_null(False)
    passed_condition = (QuizAttempt.user == user) & (QuizAttempt.passed == True)  # noqa: E712
    if since is not None:
        done_condition &= LessonProgress.completed_at > since
        passed_condition &= QuizAttempt.submitted_at > since
    done = set()
    if user is not None and lessons:
        done = {
            row.lesson_id
            for row in LessonProgress.select(LessonProgress.lesson).where(
                done_condition & LessonProgress.lesson.in_([l.id for l in lessons])
            )
        }
    quizzes = list(Quiz.select().where((Quiz.course == course) & ~Quiz.is_retired))
    passed = set()
    if user is not None and quizzes:
        passed = {
            row.quiz_id
            for row in QuizAttempt.select(QuizAttempt.quiz).distinct().where(
                passed_condition & QuizAttempt.quiz.in_([q.id for q in quizzes])
            )
        }
    by_module = {m.id: ModuleOutline(m, []) for m in modules}
    for lesson in lessons:
        by_module[lesson.module_id].lessons.append((lesson, lesson.id in done))
    outline = CourseOutline(course, [by_module[m.id] for m in modules])
    for quiz in quizzes:
        if quiz.is_final:
            outline.final_quiz, outline.final_quiz_passed = quiz, quiz.id in passed
        elif quiz.module_id in by_module:
            by_module[quiz.module_id].quiz = quiz
            by_module[quiz.module_id].quiz_passed = quiz.id in passed
    return outline


def record_lesson_view(user, lesson):
    """Remember that the user opened the lesson (first time only)."""
    LessonProgress.insert(user=user, lesson=lesson, first_seen_at=utcnow()).on_conflict_ignore().execute()


def complete_lesson(user, lesson):
    """Mark the lesson done (again: the latest completion counts)."""
    now = utcnow()
    (LessonProgress.insert(user=user, lesson=lesson, first_seen_at=now, completed_at=now)
     .on_conflict(conflict_target=[LessonProgress.user, LessonProgress.lesson],
                  update={LessonProgress.completed_at: now})
     .execute())


"""A learner's progress through a course, and the course's completion rule.

A course page or the completion check needs the course's structure and the
learner's records. The structure comes from the in-memory catalog
(``lms.catalog``); the records from one query (``learner_records``);
``build_outline`` puts them together in Python.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from peewee import EXCLUDED, Case, fn

from .catalog import published_course
from .database import parse_timestamp
from .models import Certificate, Course, Enrollment, Lesson, LessonProgress, Module, Quiz, QuizAttempt, db
from .timeutil import utcnow

# A certificate this close to its expiry invites the holder to renew it.
RENEWAL_WINDOW = timedelta(days=60)


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

    def quiz_passed(self, quiz):
        if self.final_quiz is not None and self.final_quiz.id == quiz.id:
            return self.final_quiz_passed
        return any(m.quiz_passed for m in self.modules if m.quiz is not None and m.quiz.id == quiz.id)

    def is_done(self, lesson):
        module = self.module_of(lesson)
        return module is not None and any(done for item, done in module.lessons if item.id == lesson.id)

    def step_after(self, lesson):
        """Where to go after finishing ``lesson``: the module's quiz when this
        was the module's last lesson and the quiz is not passed yet, else the
        next lesson, else the next open step (None when all is done)."""
        module = self.module_of(lesson)
        _, following = self.neighbours(lesson)
        last_of_module = following is None or following.module_id != lesson.module_id
        if last_of_module and module.quiz is not None and not module.quiz_passed:
            return "quiz", module.quiz
        if following is not None:
            return "lesson", following
        return self.next_step()

    def step_after_quiz(self, quiz):
        """Where to go after passing ``quiz``: the first open lesson or quiz
        of the modules that follow its module, else the next open step
        anywhere (the final quiz, or something skipped earlier)."""
        index = next((i for i, m in enumerate(self.modules) if m.quiz is not None and m.quiz.id == quiz.id), None)
        for module in self.modules[index + 1:] if index is not None else []:
            open_lesson = next((lesson for lesson, done in module.lessons if not done), None)
            if open_lesson is not None:
                return "lesson", open_lesson
            if module.quiz is not None and not module.quiz_passed:
                return "quiz", module.quiz
        return self.next_step()


@dataclass
class LearnerRecords:
    """What one learner did in one course, read in one query (see
    ``learner_records``)."""

    lessons: dict = field(default_factory=dict)  # lesson id (seen) -> completed at, or None
    passed: dict = field(default_factory=dict)  # quiz id -> latest passed submission
    certificates: list = field(default_factory=list)  # [Certificate], newest first

    def completed_since(self, lesson_id, since):
        completed = self.lessons.get(lesson_id)
        return completed is not None and (since is None or completed > since)

    def passed_since(self, quiz_id, since):
        submitted = self.passed.get(quiz_id)
        return submitted is not None and (since is None or submitted > since)


def _records_sql(database):
    """The union behind ``learner_records``, built once per database kind
    (building SQL text is a large part of a small query's cost)."""
    p = database.param
    return (
        # The first branch names the column types: PostgreSQL resolves a
        # UNION's types branch by branch and would take a bare NULL as text.
        f"SELECT 1, lesson_id, first_seen_at, completed_at, CAST(NULL AS TIMESTAMP), CAST(NULL AS INTEGER), "
        f"CAST(NULL AS TEXT) FROM lesson_progress "
        f"WHERE user_id = {p} "
        f"UNION ALL SELECT 2, quiz_id, MAX(submitted_at), NULL, NULL, NULL, NULL FROM quiz_attempt "
        f"WHERE user_id = {p} AND passed = {p} GROUP BY quiz_id "
        f"UNION ALL SELECT 3, id, issued_at, expires_at, revoked_at, superseded_by_id, code FROM certificate "
        f"WHERE user_id = {p} AND course_id = {p}")


_RECORDS_SQL = {}


def learner_records(user, course):
    """LearnerRecords of ``user`` in ``course``: lessons seen and completed,
    quizzes passed, certificates. One query, however big the course."""
    records = LearnerRecords()
    if user is None or not getattr(user, "id", None):
        return records
    database = db.obj
    sql = _RECORDS_SQL.get(type(database))
    if sql is None:
        sql = _RECORDS_SQL[type(database)] = _records_sql(database)
    rows = db.execute_sql(sql, (user.id, user.id, True, user.id, course.id)).fetchall()
    for kind, item_id, first, second, third, fourth, code in rows:
        if kind == 1:
            records.lessons[item_id] = parse_timestamp(second)
        elif kind == 2:
            records.passed[item_id] = parse_timestamp(first)
        else:
            records.certificates.append(Certificate(
                id=item_id, user=user.id, course=course.id, code=code, issued_at=parse_timestamp(first),
                expires_at=parse_timestamp(second), revoked_at=parse_timestamp(third), superseded_by=fourth))
    records.certificates.sort(key=lambda c: c.issued_at, reverse=True)
    return records


def build_outline(published, records, since=None):
    """The CourseOutline of a published course (``catalog.PublishedCourse``)
    for a learner's records. ``since``: count only lessons completed and
    quizzes passed after this moment (recertification); None counts all."""
    outline = CourseOutline(published.course)
    by_module = {}
    for module in published.modules:
        lessons = [(lesson, records.completed_since(lesson.id, since)) for lesson in published.lessons_by_module[module.id]]
        by_module[module.id] = ModuleOutline(module, lessons)
        outline.modules.append(by_module[module.id])
    for quiz in published.quizzes:
        passed = records.passed_since(quiz.id, since)
        if quiz.is_final:
            outline.final_quiz, outline.final_quiz_passed = quiz, passed
        elif quiz.module_id in by_module:
            by_module[quiz.module_id].quiz, by_module[quiz.module_id].quiz_passed = quiz, passed
    return outline


def course_outline(course, user, since=None, records=None):
    """The course's published modules, lessons and quizzes with this user's
    progress (pages use ``learner_view``). ``records``: the user's
    ``learner_records`` when already read."""
    published = published_course(course.slug)
    if published is None:  # retired: nothing left to complete
        return CourseOutline(course)
    return build_outline(published, records if records is not None else learner_records(user, course), since)


def record_lesson_view(user, lesson, course, records):
    """Remember that the user opened the lesson (first time only).

    Most views are repeat views: the learner's records (``learner_records``,
    read anyway for the page) decide, so they neither query again nor wait
    for the (single, on SQLite) write lock."""
    if lesson.id in records.lessons:
        return
    with db.atomic():
        inserted = (LessonProgress.insert(user=user, lesson=lesson, first_seen_at=utcnow())
                    .on_conflict_ignore().as_rowcount().execute())
        if inserted:
            refresh_enrollments(course, [user.id])


def complete_lesson(user, lesson, course):
    """Mark the lesson done (again: the latest completion counts)."""
    now = utcnow()
    with db.atomic():
        (LessonProgress.insert(user=user, lesson=lesson, first_seen_at=now, completed_at=now)
         .on_conflict(conflict_target=[LessonProgress.user, LessonProgress.lesson],
                      update={LessonProgress.completed_at: now})
         .execute())
        refresh_enrollments(course, [user.id])


# Aggregates over expressions (COALESCE, CASE) come back from SQLite as text;
# this turns them into datetimes like the plain columns.
as_datetime = LessonProgress.completed_at.python_value


def required_steps(course):
    """(ids of the lessons, ids of the quizzes) the completion rule counts,
    from the catalog (nothing retired counts)."""
    published = published_course(course.slug)
    if published is None:
        return [], []
    rule = published.course.completion or {}
    lesson_ids = [lesson.id for lesson in published.lessons] if rule.get("lessons", "all") == "all" else []
    quiz_ids = [q.id for q in published.quizzes
                if (q.is_final and rule.get("final_quiz") == "passed")
                or (not q.is_final and rule.get("module_quizzes", "passed") == "passed")]
    return lesson_ids, quiz_ids


def refresh_enrollments(course, user_ids=None):
    """Recompute the Enrollment totals from the raw records, for the given
    users or (None) for everybody who has learned in the course. Two
    aggregate queries and one bulk upsert."""
    lesson_ids, quiz_ids = required_steps(course)
    course_lessons = Lesson.select(Lesson.id).join(Module).where(Module.course == course)
    course_quizzes = Quiz.select(Quiz.id).where(Quiz.course == course)
    lessons = (LessonProgress
               .select(LessonProgress.user,
                       fn.SUM(Case(None, [(LessonProgress.completed_at.is_null(False)
                                           & LessonProgress.lesson.in_(lesson_ids or [0]), 1)], 0)),
                       fn.MIN(LessonProgress.first_seen_at),
                       fn.MAX(fn.COALESCE(LessonProgress.completed_at, LessonProgress.first_seen_at))
                       .python_value(as_datetime))
               .where(LessonProgress.lesson.in_(course_lessons))
               .group_by(LessonProgress.user))
    attempts = (QuizAttempt
                .select(QuizAttempt.user,
                        fn.COUNT(fn.DISTINCT(Case(None, [((QuizAttempt.passed == True)  # noqa: E712
                                                          & QuizAttempt.quiz.in_(quiz_ids or [0]), QuizAttempt.quiz)]))),
                        fn.MIN(QuizAttempt.started_at),
                        fn.MAX(fn.COALESCE(QuizAttempt.submitted_at, QuizAttempt.started_at))
                        .python_value(as_datetime))
                .where(QuizAttempt.quiz.in_(course_quizzes))
                .group_by(QuizAttempt.user))
    if user_ids is not None:
        lessons = lessons.where(LessonProgress.user.in_(user_ids))
        attempts = attempts.where(QuizAttempt.user.in_(user_ids))
    totals = defaultdict(lambda: {"steps_done": 0, "started_at": None, "last_activity_at": None})
    for rows in (lessons.tuples(), attempts.tuples()):
        for user_id, done, first, last in rows:
            total = totals[user_id]
            total["steps_done"] += int(done or 0)
            total["started_at"] = min(filter(None, (total["started_at"], first)), default=None)
            total["last_activity_at"] = max(filter(None, (total["last_activity_at"], last)), default=None)
    for user_id in user_ids or ():
        totals[user_id]  # users with no records left get zeros
    rows = [{"user": user_id, "course": course.id, **values} for user_id, values in totals.items()]
    with db.atomic():
        if user_ids is None:
            Enrollment.delete().where(Enrollment.course == course).execute()
        for start in range(0, len(rows), 1000):
            (Enrollment.insert_many(rows[start:start + 1000])
             .on_conflict(conflict_target=[Enrollment.user, Enrollment.course],
                          update={Enrollment.steps_done: EXCLUDED.steps_done,
                                  Enrollment.started_at: EXCLUDED.started_at,
                                  Enrollment.last_activity_at: EXCLUDED.last_activity_at})
             .execute())



def latest_certificate(user, course):
    """The user's newest certificate of the course, whatever its status."""
    return (Certificate.select().where((Certificate.user == user) & (Certificate.course == course))
            .order_by(Certificate.issued_at.desc()).first())


@dataclass
class LearnerView:
    """What a learner sees of a course: the outline, their latest
    certificate, and whether they are renewing it.

    Renewing (recertification) means going through the course again: only
    lessons completed and quizzes passed after the latest certificate count.
    A holder is renewing once the certificate is expired, revoked or close
    to expiry, or as soon as they start over on their own."""

    outline: CourseOutline
    certificate: Certificate | None = None
    renewing: bool = False


def learner_view(course, user, now=None, records=None):
    """The course as ``user`` sees it now: outline, latest certificate and
    whether they are renewing. One query for the user's records; the course
    itself comes from the in-memory catalog."""
    now = now or utcnow()
    published = published_course(course.slug)
    records = records if records is not None else learner_records(user, course)
    certificate = records.certificates[0] if records.certificates else None
    if certificate is None:
        return LearnerView(build_outline(published, records))
    since = build_outline(published, records, since=certificate.issued_at)
    renewing = (certificate.status(now) != "valid" or since.has_started
                or (certificate.expires_at is not None and certificate.expires_at - now <= RENEWAL_WINDOW))
    return LearnerView(since if renewing else build_outline(published, records), certificate, renewing)

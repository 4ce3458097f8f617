"""Coverage: which units have a trained member officer, at any date.

A unit's status comes from its officers at that moment: people whose
membership with function "officer" or "team" was confirmed by then and not
yet ended. A pending request counts for nothing; a confirmed function counts
from the day of its confirmation.

- trained: at least one of them held a valid certificate of the course,
- expiring: trained, but the last of those certificates runs out within
  ``expiring_days``,
- in_training: none trained, but at least one had started the course,
- registered: officers with accounts, none started,
- open: nobody.

Because memberships, certificates and learning records all carry dates and
are never deleted, ``unit_coverage(course, at=some_past_moment)`` shows the
picture of that day. Every function here runs a fixed number of queries,
whatever the number of units or people.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from peewee import Case, fn

from .catalog import published_courses
from .models import Certificate, Lesson, LessonProgress, Membership, Module, Quiz, QuizAttempt, Unit, db
from .database import parse_timestamp, raw_rows
from .progress import as_datetime, required_steps
from .timeutil import utcnow
from .units import all_units

OFFICER_FUNCTIONS = Membership.OFFICER_FUNCTIONS
STATUS_LABELS = {
    "trained": "Geschult",
    "expiring": "Zertifikat läuft bald ab",
    "in_training": "In Schulung",
    "registered": "Registriert",
    "open": "Offen",
}
STATUSES = tuple(STATUS_LABELS)
DEFAULT_EXPIRING_DAYS = 60


def required_course():
    """The course whose certificate counts as 'trained' (REQUIRED_COURSE, or
    the first course when that is not set), from the catalog."""
    slug = current_app.config.get("REQUIRED_COURSE")
    courses = [published.course for published in published_courses()]
    if slug:
        return next((course for course in courses if course.slug == slug), None)
    return min(courses, key=lambda course: course.id, default=None)


def membership_running(at):
    """The function held at ``at``: confirmed by then, not ended by then."""
    return (Membership.confirmed_at <= at) & (Membership.ended_at.is_null() | (Membership.ended_at > at))


def certificate_valid(certificate, at):
    return (certificate.issued_at <= at
            and (certificate.expires_at is None or certificate.expires_at > at)
            and (certificate.revoked_at is None or certificate.revoked_at > at))


@dataclass
class PersonProgress:
    """One person's standing in the course at a moment."""

    steps_done: int = 0
    steps_total: int = 0
    started: bool = False
    last_activity: datetime | None = None
    certificates: list = field(default_factory=list)  # newest first
    valid_certificate: Certificate | None = None

    @property
    def percent(self):
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 0

    @property
    def latest_certificate(self):
        return self.certificates[0] if self.certificates else None


@dataclass
class OfficerStatus:
    """A current officer of a unit: who, since when, how far."""

    membership_id: int
    user_id: int
    name: str
    email: str
    function: str
    since: datetime  # confirmed on
    progress: PersonProgress

    @property
    def function_label(self):
        return Membership.FUNCTIONS.get(self.function, self.function)


@dataclass
class UnitStatus:
    unit: Unit
    status: str
    officers: list = field(default_factory=list)
    valid_until: datetime | None = None  # latest expiry among officers' valid certificates

    @property
    def label(self):
        return STATUS_LABELS[self.status]

    @property
    def best_percent(self):
        return max((o.progress.percent for o in self.officers), default=0)


def people_progress(course, user_ids_query, at=None):
    """PersonProgress per user id for the users the subquery selects.

    For the present (``at`` None) the totals come from the Enrollment table,
    read the same way as ``unit_coverage`` reads them; for a past moment they
    are computed from the raw learning records."""
    if at is None:
        user_ids_sql, params = user_ids_query.sql()
        return _present_progress(course, user_ids_sql, params, utcnow())
    lesson_ids, quiz_ids = required_steps(course)
    result = defaultdict(lambda: PersonProgress(steps_total=len(lesson_ids) + len(quiz_ids)))
    _progress_at(course, user_ids_query, at, lesson_ids, quiz_ids, result)
    _add_certificates(course, user_ids_query, at, result)
    return result


def _progress_at(course, user_ids_query, at, lesson_ids, quiz_ids, result):
    """The same totals ``progress.refresh_enrollments`` keeps, as they were at ``at``."""
    lesson_rows = (LessonProgress
                   .select(LessonProgress.user,
                           fn.SUM(Case(None, [((LessonProgress.completed_at <= at)
                                               & LessonProgress.lesson.in_(lesson_ids or [0]), 1)], 0)),
                           fn.MAX(LessonProgress.first_seen_at),
                           fn.MAX(Case(None, [(LessonProgress.completed_at <= at, LessonProgress.completed_at)]))
                           .python_value(as_datetime))
                   .where(LessonProgress.lesson.in_(Lesson.select(Lesson.id).join(Module).where(Module.course == course))
                          & (LessonProgress.first_seen_at <= at) & LessonProgress.user.in_(user_ids_query))
                   .group_by(LessonProgress.user)
                   .tuples())
    attempt_rows = (QuizAttempt
                    .select(QuizAttempt.user,
                            fn.COUNT(fn.DISTINCT(Case(None, [((QuizAttempt.passed == True)  # noqa: E712
                                                              & (QuizAttempt.submitted_at <= at)
                                                              & QuizAttempt.quiz.in_(quiz_ids or [0]), QuizAttempt.quiz)]))),
                            fn.MAX(QuizAttempt.started_at),
                            fn.MAX(Case(None, [(QuizAttempt.submitted_at <= at, QuizAttempt.submitted_at)]))
                            .python_value(as_datetime))
                    .where(QuizAttempt.quiz.in_(Quiz.select(Quiz.id).where(Quiz.course == course))
                           & (QuizAttempt.started_at <= at) & QuizAttempt.user.in_(user_ids_query))
                    .group_by(QuizAttempt.user)
                    .tuples())
    for rows in (lesson_rows, attempt_rows):
        for user_id, done, first, last in rows:
            person = result[user_id]
            person.started = True
            person.steps_done += int(done or 0)
            person.last_activity = _latest(person.last_activity, first, last)


CERTIFICATE_COLUMNS = (Certificate.id, Certificate.user, Certificate.code, Certificate.issued_at,
                       Certificate.expires_at, Certificate.revoked_at, Certificate.superseded_by)


def _add_certificates(course, user_ids_query, at, result):
    rows = raw_rows(Certificate.select(*CERTIFICATE_COLUMNS)
                    .where((Certificate.course == course) & (Certificate.issued_at <= at)
                           & Certificate.user.in_(user_ids_query))
                    .order_by(Certificate.issued_at.desc()))
    _collect_certificates(rows, at, result)


def _collect_certificates(rows, at, result):
    """Add certificate rows (newest first) to each person's progress."""
    for id_, user_id, code, issued, expires, revoked, superseded_by in rows:
        certificate = Certificate(id=id_, user=user_id, code=code, issued_at=parse_timestamp(issued),
                                  expires_at=parse_timestamp(expires), revoked_at=parse_timestamp(revoked),
                                  superseded_by=superseded_by)
        person = result[user_id]
        person.certificates.append(certificate)
        if person.valid_certificate is None and certificate_valid(certificate, at):
            person.valid_certificate = certificate


def _latest(*moments):
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def unit_coverage(course, at=None, expiring_days=DEFAULT_EXPIRING_DAYS, unit_ids=None, region=None):
    """UnitStatus for every unit that existed at ``at`` (default: now),
    optionally only the given units or the units of one region."""
    moment = at or utcnow()
    units = [unit for unit in all_units() if unit.created_at <= moment
             and (unit.retired_at is None or unit.retired_at > moment)]
    if unit_ids is not None:
        wanted = set(unit_ids)
        units = [unit for unit in units if unit.id in wanted]
    if region:
        units = [unit for unit in units if unit.region.name == region]
    only = [unit.id for unit in units] if unit_ids is not None or region else None
    officers = _Officers(moment, only)
    memberships = officers.rows()
    if at is None:
        progress = _present_progress(course, officers.user_ids_sql(), officers.params, moment)
    else:
        progress = people_progress(course, officers.user_ids_query(), at)

    officers_by_unit = defaultdict(list)
    for membership_id, unit_id, user_id, name, email, function, confirmed_at in memberships:
        officers_by_unit[unit_id].append(OfficerStatus(membership_id, user_id, name, email, function,
                                                       parse_timestamp(confirmed_at), progress[user_id]))
    soon = moment + timedelta(days=expiring_days)
    return [_unit_status(unit, officers_by_unit[unit.id], soon) for unit in units]


class _Officers:
    """The officers (officer and team functions) holding office at a moment,
    optionally only in some units, as raw SQL: the dashboard asks for them on
    every page, and building the same peewee queries each time cost more than
    running them."""

    def __init__(self, moment, unit_ids=None):
        p = db.obj.param
        self.where = (f"m.function IN ({p}, {p}) AND m.confirmed_at IS NOT NULL AND m.confirmed_at <= {p} "
                      f"AND (m.ended_at IS NULL OR m.ended_at > {p})")
        stamp = Membership.confirmed_at.db_value(moment)
        self.params = [*OFFICER_FUNCTIONS, stamp, stamp]
        if unit_ids is not None:
            self.where += f" AND m.unit_id IN ({', '.join([p] * len(unit_ids)) or 'NULL'})"
            self.params += unit_ids
        self.moment = moment
        self.unit_ids = unit_ids

    def rows(self):
        return db.execute_sql(
            'SELECT m.id, m.unit_id, m.user_id, u.name, u.email, m.function, m.confirmed_at FROM membership AS m '
            f'JOIN "user" AS u ON u.id = m.user_id WHERE {self.where} ORDER BY m.confirmed_at',
            self.params).fetchall()

    def user_ids_sql(self):
        return f"SELECT m.user_id FROM membership AS m WHERE {self.where}"

    def user_ids_query(self):
        """The same officers as a peewee subquery (for the past-date path)."""
        condition = Membership.function.in_(OFFICER_FUNCTIONS) & membership_running(self.moment)
        if self.unit_ids is not None:
            condition &= Membership.unit.in_(self.unit_ids or [0])
        return Membership.select(Membership.user).where(condition)


def _present_progress(course, user_ids_sql, params, now):
    """``people_progress`` for now, from the Enrollment totals, in two raw
    queries (see _Officers). ``user_ids_sql`` selects the user ids, with
    ``params`` for its placeholders."""
    p = db.obj.param
    lesson_ids, quiz_ids = required_steps(course)
    total = len(lesson_ids) + len(quiz_ids)
    result = defaultdict(lambda: PersonProgress(steps_total=total))
    rows = db.execute_sql(
        "SELECT e.user_id, e.steps_done, e.started_at, e.last_activity_at FROM enrollment AS e "
        f"WHERE e.course_id = {p} AND e.user_id IN ({user_ids_sql})",
        [course.id, *params]).fetchall()
    for user_id, steps_done, started_at, last_activity in rows:
        person = result[user_id]
        person.steps_done, person.started = steps_done, started_at is not None
        person.last_activity = parse_timestamp(last_activity)
    certificates = db.execute_sql(
        "SELECT c.id, c.user_id, c.code, c.issued_at, c.expires_at, c.revoked_at, c.superseded_by_id "
        f"FROM certificate AS c WHERE c.course_id = {p} AND c.issued_at <= {p} "
        f"AND c.user_id IN ({user_ids_sql}) ORDER BY c.issued_at DESC",
        [course.id, Certificate.issued_at.db_value(now), *params]).fetchall()
    _collect_certificates(certificates, now, result)
    return result


def _unit_status(unit, officers, soon):
    if not officers:
        return UnitStatus(unit, "open")
    valid = [o.progress.valid_certificate for o in officers if o.progress.valid_certificate]
    if valid:
        valid_until = max((c.expires_at for c in valid if c.expires_at), default=None)
        expiring = valid_until is not None and valid_until <= soon
        return UnitStatus(unit, "expiring" if expiring else "trained", officers, valid_until)
    if any(o.progress.started for o in officers):
        return UnitStatus(unit, "in_training", officers)
    return UnitStatus(unit, "registered", officers)


@dataclass
class CoverageSummary:
    total: int
    counts: Counter
    by_region: dict  # region name -> Counter

    def percent(self, status):
        return round(100 * self.counts[status] / self.total) if self.total else 0

    @property
    def covered(self):
        """Units with a trained officer, expiring or not."""
        return self.counts["trained"] + self.counts["expiring"]

    @property
    def covered_percent(self):
        return round(100 * self.covered / self.total) if self.total else 0


def summarize(statuses):
    by_region = defaultdict(Counter)
    for row in statuses:
        by_region[row.unit.region.name][row.status] += 1
    return CoverageSummary(len(statuses), Counter(row.status for row in statuses), dict(sorted(by_region.items())))


def month_ends(months, now=None):
    """The last moment of each of the last ``months`` months, the current
    month ending now."""
    now = now or utcnow()
    ends = [now]
    first_of_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months - 1):
        ends.append(first_of_month - timedelta(microseconds=1))
        first_of_month = (first_of_month - timedelta(days=1)).replace(day=1)
    return list(reversed(ends))


def trained_units_over_time(course, months=12, now=None):
    """[(moment, number of trained units)] at the end of each month.

    One query pairs every officer membership with the holder's certificates;
    each pair gives a span of time in which its unit was trained (membership
    running and certificate valid). The months are then counted in memory."""
    moments = month_ends(months, now)
    far_future = datetime.max
    units = {unit.id: (unit.created_at, unit.retired_at) for unit in all_units()}
    spans = defaultdict(list)
    p = db.obj.param  # raw SQL: the overview asks for this on every view
    pairs = db.execute_sql(
        "SELECT m.unit_id, m.confirmed_at, m.ended_at, c.issued_at, c.expires_at, c.revoked_at "
        "FROM membership AS m JOIN certificate AS c ON c.user_id = m.user_id "
        f"WHERE m.function IN ({p}, {p}) AND m.confirmed_at IS NOT NULL AND c.course_id = {p}",
        [*OFFICER_FUNCTIONS, course.id]).fetchall()
    for unit_id, started, ended, issued, expires, revoked in pairs:
        start = max(parse_timestamp(started), parse_timestamp(issued))
        end = min(parse_timestamp(ended) or far_future, parse_timestamp(expires) or far_future,
                  parse_timestamp(revoked) or far_future)
        if start < end:
            spans[unit_id].append((start, end))
    series = []
    for at in moments:
        trained = 0
        for unit_id, unit_spans in spans.items():
            created, retired = units.get(unit_id, (far_future, None))
            if created <= at and (retired is None or retired > at) and any(s <= at < e for s, e in unit_spans):
                trained += 1
        series.append((at, trained))
    return series

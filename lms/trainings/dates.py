"""Live training dates (Schulungstermine): creating and cancelling them,
signing up with a waiting list, attendance, and completing modules by
attending.

Places are taken in one transaction that first locks the date's row (on
PostgreSQL; SQLite's write transactions are exclusive anyway), so two people
taking the last place at once end as one registered and one waiting. A place
that comes free goes to the first person waiting, who is told by mail.

Attending a date is a learning record. When the course's completion rule
allows it (``completion.attendance`` in course.yaml: ``lessons`` or
``module``), attending completes the lessons of the modules the date
covers, and with ``module`` their quizzes too. Those records point at the
attendance, so the certificate can say how the course was completed and a
tick taken back withdraws exactly what it completed. Nothing is deleted.
"""
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from peewee import IntegrityError, fn

from ..audit import record
from ..catalog import published_course
from ..certificates.issuing import issue_certificate_if_complete
from ..content.rendering import MarkdownTooComplex, render_markdown
from ..database import lock_rows
from ..mail import send_mail_later
from ..models import (Attendance, LessonProgress, Membership, QuizAttempt, Region, TrainingDate, TrainingRegistration,
                      User, db)
from ..progress import learner_records, refresh_enrollments
from ..timeutil import end_of_local_day, format_datetime, local_date, utcnow
from ..urls import external_url

# Like certificate codes: no 0/O, 1/I/L, read off a slide and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_DESCRIPTION = 10_000


class TrainingError(ValueError):
    """Something about a date that cannot be done (German message)."""


# --- dates ------------------------------------------------------------------------


@dataclass
class TrainingFields:
    """What an executive or trainer enters for a date (times naive UTC)."""

    title: str
    module_slugs: list
    starts_at: object
    ends_at: object
    place: str
    video_url: str
    capacity: int
    registration_deadline: object
    region: object  # Region or None
    description: str
    walk_ins_allowed: bool = False


def new_attendance_code():
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _check(course, fields):
    problems = []
    if fields.ends_at <= fields.starts_at:
        problems.append("Das Ende muss nach dem Beginn liegen.")
    if fields.registration_deadline > fields.starts_at:
        problems.append("Der Anmeldeschluss darf nicht nach dem Beginn liegen.")
    if not fields.place.strip() and not fields.video_url.strip():
        problems.append("Gib einen Ort oder einen Link zur Videokonferenz an.")
    published = published_course(course.slug)
    known = [m.slug for m in published.modules] if published else []
    unknown = [slug for slug in fields.module_slugs if slug not in known]
    if unknown:
        problems.append(f"Diese Module gibt es im Kurs nicht: {', '.join(unknown)}.")
    if problems:
        raise TrainingError(" ".join(problems))
    try:
        return render_markdown(fields.description) if fields.description.strip() else ""
    except MarkdownTooComplex as problem:
        raise TrainingError(f"Beschreibung: {problem}") from None


def _ordered_modules(course, slugs):
    published = published_course(course.slug)
    return [m.slug for m in published.modules if m.slug in set(slugs)] if published else list(slugs)


def create_training(course, fields, author):
    description_html = _check(course, fields)
    for _ in range(5):
        try:
            with db.atomic():
                training = TrainingDate.create(
                    course=course, title=fields.title.strip(), module_slugs=_ordered_modules(course, fields.module_slugs),
                    starts_at=fields.starts_at, ends_at=fields.ends_at, place=fields.place.strip(),
                    video_url=fields.video_url.strip(), capacity=fields.capacity,
                    registration_deadline=fields.registration_deadline, region=fields.region,
                    description_markdown=fields.description, description_html=description_html,
                    walk_ins_allowed=fields.walk_ins_allowed, attendance_code=new_attendance_code(),
                    created_by=author)
                record(author, "training.create", training, f"Termin „{training.title}“ angelegt.")
                return training
        except IntegrityError:
            continue  # the code was taken: draw another
    raise RuntimeError("Could not generate a unique attendance code")


def update_training(training, fields, author):
    """Change a date. More places move people up from the waiting list;
    fewer places never push anyone out who already has one."""
    if training.is_cancelled:
        raise TrainingError("Dieser Termin ist abgesagt und kann nicht mehr geändert werden.")
    description_html = _check(training.course, fields)
    with db.atomic():
        training.title = fields.title.strip()
        training.module_slugs = _ordered_modules(training.course, fields.module_slugs)
        training.starts_at, training.ends_at = fields.starts_at, fields.ends_at
        training.place, training.video_url = fields.place.strip(), fields.video_url.strip()
        training.capacity = fields.capacity
        training.registration_deadline = fields.registration_deadline
        training.region = fields.region
        training.description_markdown, training.description_html = fields.description, description_html
        training.walk_ins_allowed = fields.walk_ins_allowed
        training.save()
        record(author, "training.update", training, f"Termin „{training.title}“ geändert.")
        promoted = _fill_free_places(training)
    return promoted


def cancel_training(training, author):
    """Cancel a date and tell everyone registered or waiting. Returns how
    many were told."""
    with db.atomic():
        updated = (TrainingDate.update(cancelled_at=utcnow())
                   .where((TrainingDate.id == training.id) & TrainingDate.cancelled_at.is_null()).execute())
        if not updated:
            raise TrainingError("Dieser Termin ist schon abgesagt.")
        training = TrainingDate.get_by_id(training.id)
        people = list(_active_registrations(training))
        record(author, "training.cancel", training,
               f"Termin „{training.title}“ abgesagt; {len(people)} Person(en) benachrichtigt.")
    for registration in people:
        _mail(registration.user, f"Abgesagt: {training.title}", "training_cancelled", training=training,
              registration=registration)
    return len(people)


# --- places -----------------------------------------------------------------------


def _active_registrations(training):
    return (TrainingRegistration.select(TrainingRegistration, User).join(User)
            .where((TrainingRegistration.training == training) & (TrainingRegistration.status != "cancelled"))
            .order_by(TrainingRegistration.queued_at, TrainingRegistration.id))


def counts(training_ids):
    """{training id: {"registered": n, "waiting": n, "attended": n}}."""
    result = {training_id: {"registered": 0, "waiting": 0, "attended": 0} for training_id in training_ids}
    if not training_ids:
        return result
    rows = (TrainingRegistration.select(TrainingRegistration.training, TrainingRegistration.status, fn.COUNT(1))
            .where(TrainingRegistration.training.in_(training_ids) & (TrainingRegistration.status != "cancelled"))
            .group_by(TrainingRegistration.training, TrainingRegistration.status).tuples())
    for training_id, status, count in rows:
        result[training_id][status] = count
    attended = (Attendance.select(Attendance.training, fn.COUNT(1))
                .where(Attendance.training.in_(training_ids) & Attendance.withdrawn_at.is_null())
                .group_by(Attendance.training).tuples())
    for training_id, count in attended:
        result[training_id]["attended"] = count
    return result


def places_left(training, registered=None):
    """Free places; ``registered``: how many have a place, when known (from ``counts``)."""
    if registered is None:
        registered = (TrainingRegistration.select()
                      .where((TrainingRegistration.training == training)
                             & (TrainingRegistration.status == "registered")).count())
    return max(training.capacity - registered, 0)


def registration_of(user, training):
    return TrainingRegistration.get_or_none((TrainingRegistration.training == training)
                                            & (TrainingRegistration.user == user))


def sign_up(user, training, now=None):
    """Take a place, or a place on the waiting list when the date is full.
    Returns the registration; TrainingError when signing up is closed."""
    now = now or utcnow()
    with db.atomic():
        training = lock_rows(TrainingDate.select().where(TrainingDate.id == training.id)).get()
        if training.is_cancelled:
            raise TrainingError("Dieser Termin ist abgesagt.")
        if now > training.registration_deadline:
            raise TrainingError("Die Anmeldung für diesen Termin ist geschlossen.")
        existing = registration_of(user, training)
        if existing is not None and existing.status != "cancelled":
            raise TrainingError("Du bist schon angemeldet." if existing.status == "registered"
                                else "Du stehst schon auf der Warteliste.")
        status = "registered" if places_left(training) > 0 else "waiting"
        if existing is None:
            registration = TrainingRegistration.create(training=training, user=user, status=status, queued_at=now,
                                                       created_at=now)
        else:
            existing.status, existing.queued_at, existing.cancelled_at, existing.promoted_at = status, now, None, None
            existing.save()
            registration = existing
    return registration


def cancel_registration(user, training, now=None):
    """Give up a place (or leave the waiting list). A freed place goes to
    the first person waiting, who is told by mail."""
    now = now or utcnow()
    with db.atomic():
        training = lock_rows(TrainingDate.select().where(TrainingDate.id == training.id)).get()
        registration = registration_of(user, training)
        if registration is None or registration.status == "cancelled":
            raise TrainingError("Du bist für diesen Termin nicht angemeldet.")
        if now >= training.starts_at:
            raise TrainingError("Der Termin hat schon begonnen; abmelden geht nicht mehr.")
        registration.status, registration.cancelled_at = "cancelled", now
        registration.save()
        promoted = _fill_free_places(training, now)
    return promoted


def release_places(user, now=None):
    """Give up every place and waiting-list entry ``user`` holds on dates
    that have not begun (their account is being deleted); freed places go
    to the people waiting, as when someone signs off."""
    now = now or utcnow()
    active = (TrainingRegistration.select(TrainingRegistration, TrainingDate).join(TrainingDate)
              .where((TrainingRegistration.user == user.id) & (TrainingRegistration.status != "cancelled")
                     & (TrainingDate.starts_at > now) & TrainingDate.cancelled_at.is_null()))
    for registration in list(active):
        cancel_registration(user, registration.training, now=now)


def _fill_free_places(training, now=None):
    """Move people up from the waiting list while there are places (inside
    the caller's transaction); mail each of them. Returns them."""
    now = now or utcnow()
    if training.is_cancelled or now >= training.starts_at:
        return []
    free = places_left(training)
    if free <= 0:
        return []
    waiting = list(TrainingRegistration.select(TrainingRegistration, User).join(User)
                   .where((TrainingRegistration.training == training) & (TrainingRegistration.status == "waiting"))
                   .order_by(TrainingRegistration.queued_at, TrainingRegistration.id).limit(free))
    for registration in waiting:
        registration.status, registration.promoted_at = "registered", now
        registration.save()
        _mail(registration.user, f"Du hast einen Platz: {training.title}", "training_promoted", training=training,
              registration=registration)
    return waiting


def upcoming_dates(now=None, user=None, course=None, limit=None, count_waiting=False):
    """Dates not cancelled that have not ended (of ``course``, if given),
    soonest first, each with its region and ``registered`` (how many have a
    place), with ``count_waiting`` also ``waiting``. For a ``user`` the dates
    of the region of their unit come first, then those for all of NRW, then
    the rest, and each carries ``my_status`` (the user's registration status
    or None).

    One query in raw SQL: the start, course and overview pages ask on every
    view, and building this peewee query (subqueries, a CASE) cost a
    learner's course page more than a millisecond, more than running it."""
    p = db.obj.param
    count = f"(SELECT COUNT(*) FROM training_registration AS g WHERE g.training_id = t.id AND g.status = {p})"
    columns, params = [f"{count} AS registered"], ["registered"]
    if count_waiting:
        columns.append(f"{count} AS waiting")
        params.append("waiting")
    if user is not None:
        columns.append("(SELECT g.status FROM training_registration AS g"
                       f" WHERE g.training_id = t.id AND g.user_id = {p} AND g.status <> {p}) AS my_status")
        params += [user.id, "cancelled"]
    sql = (f"SELECT t.*, r.name AS region_name, {', '.join(columns)}"
           " FROM training_date AS t LEFT OUTER JOIN region AS r ON r.id = t.region_id"
           f" WHERE t.cancelled_at IS NULL AND t.ends_at > {p}")
    params.append(TrainingDate.ends_at.db_value(now or utcnow()))
    if course is not None:
        sql += f" AND t.course_id = {p}"
        params.append(course.id)
    sql += " ORDER BY "
    if user is not None:
        # The user's home region: the unit of their running officer
        # function, else of their latest confirmed one.
        sql += ("CASE WHEN t.region_id = (SELECT u.region_id FROM membership AS m"
                " JOIN unit AS u ON u.id = m.unit_id"
                f" WHERE m.user_id = {p} AND m.confirmed_at IS NOT NULL AND m.ended_at IS NULL"
                f" ORDER BY CASE WHEN m.function IN ({p}, {p}) THEN 0 ELSE 1 END, m.confirmed_at DESC LIMIT 1)"
                " THEN 0 WHEN t.region_id IS NULL THEN 1 ELSE 2 END, ")
        params += [user.id, *Membership.OFFICER_FUNCTIONS]
    sql += "t.starts_at, t.id"
    if limit:
        sql += f" LIMIT {p}"
        params.append(limit)
    trainings = list(TrainingDate.raw(sql, *params))
    for training in trainings:
        training.region = Region(id=training.region_id, name=training.region_name) if training.region_id else None
    return trainings


def upcoming_for(user, course=None, now=None, limit=None):
    """The ``upcoming_dates`` as ``user`` sees them: their region first,
    with their registration status."""
    return upcoming_dates(now, user=user, course=course, limit=limit)


def mail_context(training):
    """What every mail about a date shows: the date, when, and its page."""
    return {"training": training, "when": describe_when(training),
            "link": external_url("trainings.detail", training_id=training.id)}


def _mail(user, subject, template, training, **context):
    send_mail_later(user.email, subject, template, user=user, **mail_context(training), **context)


WEEKDAYS = ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So.")


def describe_when(training, tz=None):
    """"Di., 12.03.2027, 18:00–20:30 Uhr" in Berlin time; over several days
    "Sa., 27.03.2027, 18:00 Uhr bis So., 28.03.2027, 12:00 Uhr"."""
    tz = tz or current_app.config["TIMEZONE"]

    def day_and_time(moment):
        return f"{WEEKDAYS[local_date(moment, tz).weekday()]}, {format_datetime(moment, tz)}"

    if local_date(training.starts_at, tz) == local_date(training.ends_at, tz):
        end = format_datetime(training.ends_at, tz).split(", ")[1]
        return f"{day_and_time(training.starts_at).replace(' Uhr', '')}–{end}"
    return f"{day_and_time(training.starts_at)} bis {day_and_time(training.ends_at)}"


# --- attendance -------------------------------------------------------------------


def attend_with_code(user, code, now=None):
    """Attendance by the code shown at the event: only while the date runs,
    and only for people registered unless the date allows walk-ins."""
    now = now or utcnow()
    code = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    training = TrainingDate.get_or_none((TrainingDate.attendance_code == code) & TrainingDate.cancelled_at.is_null())
    if training is None:
        raise TrainingError("Diesen Code gibt es nicht. Prüf ihn noch einmal.")
    if not training.starts_at <= now <= training.ends_at:
        raise TrainingError(f"Der Code gilt nur während des Termins ({describe_when(training)}).")
    registration = registration_of(user, training)
    if (registration is None or registration.status != "registered") and not training.walk_ins_allowed:
        raise TrainingError("Du bist für diesen Termin nicht angemeldet. Sprich die Leitung des Termins an: "
                            "sie kann dich in die Liste eintragen.")
    return record_attendance(training, user, "code", now=now)


def record_attendance(training, user, via, by=None, now=None):
    """Record that ``user`` attended (again, if a tick was taken back) and
    credit what the course's rule says. Returns the Attendance."""
    now = now or utcnow()
    with db.atomic():
        attendance = Attendance.get_or_none((Attendance.training == training) & (Attendance.user == user))
        if attendance is not None and attendance.withdrawn_at is None:
            return attendance
        attendance = _record(training, user, attendance, via, by, now)
        refresh_enrollments(training.course, [user.id])
    issue_certificate_if_complete(user, training.course)
    return attendance


def _record(training, user, attendance, via, by, now):
    """Record a new attendance, or again the withdrawn ``attendance``, and
    credit it (inside the caller's transaction; the caller refreshes the
    enrollment)."""
    if attendance is None:
        attendance = Attendance.create(training=training, user=user, recorded_at=now, recorded_via=via,
                                       recorded_by=by)
    else:
        attendance.recorded_at, attendance.recorded_via, attendance.recorded_by = now, via, by
        attendance.withdrawn_at = attendance.withdrawn_by = None
        attendance.save()
    _credit(attendance, training, user, now)
    return attendance


def withdraw_attendance(attendance, by, now=None):
    """Take a tick back: the attendance stays on record as withdrawn, and
    what it completed counts no more."""
    with db.atomic():
        _withdraw(attendance, by, now or utcnow())
        refresh_enrollments(attendance.training.course, [attendance.user_id])


def _withdraw(attendance, by, now):
    """``withdraw_attendance`` inside the caller's transaction; the caller
    refreshes the enrollment."""
    attendance.withdrawn_at, attendance.withdrawn_by = now, by
    attendance.save()
    LessonProgress.update(completed_at=None, attendance=None).where(LessonProgress.attendance == attendance).execute()
    QuizAttempt.update(passed=False).where(QuizAttempt.attendance == attendance).execute()


def set_attendance(training, present_user_ids, by, now=None):
    """The trainer's list: those ticked attended, a tick taken away is
    withdrawn. Returns (recorded, withdrawn) counts."""
    with db.atomic():
        return _set_attendance(training, set(present_user_ids), by, now or utcnow())


def _set_attendance(training, present, by, now):
    current = {a.user_id: a for a in Attendance.select().where(Attendance.training == training)}
    signed_up = {user_id for user_id, in TrainingRegistration.select(TrainingRegistration.user)
                  .where((TrainingRegistration.training == training) & (TrainingRegistration.status != "cancelled"))
                  .tuples()}
    to_record = sorted(user_id for user_id in present & (signed_up | set(current))
                       if current.get(user_id) is None or current[user_id].withdrawn_at is not None)
    to_withdraw = [a for user_id, a in current.items() if user_id not in present and a.withdrawn_at is None]
    if not to_record and not to_withdraw:
        return 0, 0
    users = {u.id: u for u in User.select().where(User.id.in_(to_record))} if to_record else {}
    for user_id in to_record:
        _record(training, users[user_id], current.get(user_id), "trainer", by, now)
    for attendance in to_withdraw:
        _withdraw(attendance, by, now)
    refresh_enrollments(training.course, to_record + [a.user_id for a in to_withdraw])
    for user_id in to_record:
        issue_certificate_if_complete(users[user_id], training.course)
    record(by, "training.attendance", training,
           f"Anwesenheit bei „{training.title}“: {len(to_record)} eingetragen, {len(to_withdraw)} zurückgenommen.")
    return len(to_record), len(to_withdraw)


def _credit(attendance, training, user, now):
    """Complete what attending the date completes under the course's rule:
    what is not completed since the latest certificate (all of it before
    the first)."""
    course = training.course
    rule = (course.completion or {}).get("attendance", "none")
    published = published_course(course.slug)
    if rule == "none" or published is None:
        return
    records = learner_records(user, course)
    since = records.certificates[0].issued_at if records.certificates else None
    modules = [module for module in published.modules if module.slug in training.module_slugs]
    lessons = [{"user": user.id, "lesson": lesson.id, "first_seen_at": now, "completed_at": now,
                "attendance": attendance.id}
               for module in modules for lesson in published.lessons_by_module[module.id]
               if not records.completed_since(lesson.id, since)]
    if lessons:
        # A lesson seen before keeps its first view; the completion is this attendance's.
        (LessonProgress.insert_many(lessons)
         .on_conflict(conflict_target=[LessonProgress.user, LessonProgress.lesson],
                      update={LessonProgress.completed_at: now, LessonProgress.attendance: attendance.id})
         .execute())
    if rule != "module":
        return
    for module in modules:
        quiz = next((q for q in published.quizzes if q.module_id == module.id and not q.is_final), None)
        if quiz is not None and not records.passed_since(quiz.id, since):
            QuizAttempt.create(user=user, quiz=quiz.id, token=secrets.token_urlsafe(16), started_at=now,
                               submitted_at=now, questions=[], max_score=0, score=0, passed=True,
                               attendance=attendance)


def attendances_of(user_ids, at=None):
    """The attendances of ``user_ids`` at live dates, with the date and the
    person, newest date first: as recorded until ``at`` (default: now). A
    tick taken back is left out, also for earlier days: it was a mistake,
    and what it completed no longer counts for those days either."""
    if not user_ids:
        return []
    recorded = Attendance.withdrawn_at.is_null()
    if at is not None:
        recorded &= Attendance.recorded_at <= at
    return list(Attendance.select(Attendance, TrainingDate, User).join(TrainingDate)
                .switch(Attendance).join(User, on=(Attendance.user == User.id))
                .where(Attendance.user.in_(list(user_ids)) & recorded)
                .order_by(TrainingDate.starts_at.desc(), User.search_key))


def due_reminders(course, now=None, tz="Europe/Berlin"):
    """Registrations for dates of ``course`` that start tomorrow (Berlin's
    calendar), with their training and user."""
    today = local_date(now or utcnow(), tz)
    return list(TrainingRegistration.select(TrainingRegistration, TrainingDate, User)
                .join(TrainingDate).switch(TrainingRegistration).join(User)
                .where((TrainingRegistration.status == "registered") & TrainingDate.cancelled_at.is_null()
                       & (TrainingDate.course == course)
                       & (TrainingDate.starts_at > end_of_local_day(today, tz))
                       & (TrainingDate.starts_at <= end_of_local_day(today + timedelta(days=1), tz))))


"""Issuing certificates and looking them up by code."""
import re
import secrets

from peewee import IntegrityError, fn

from ..database import lock_rows
from ..models import Attendance, Certificate, LessonProgress, QuizAttempt, TrainingDate, User, db
from ..progress import course_outline, learner_records
from ..timeutil import add_months, format_date, utcnow

# No 0/O, 1/I/L: codes are read off paper and typed in by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_GROUPS, CODE_GROUP_LENGTH = 3, 4  # 31^12, about 2^59 codes


def generate_code():
    """A random, human-readable code like 'K7QX-M2PD-9WTA' (not sequential,
    not guessable: drawn from the OS's cryptographic random source)."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS))
    return "-".join(groups)


def normalize_code(text):
    """What a person typed (lower case, spaces, missing dashes) as a stored code."""
    compact = re.sub(r"[^A-Za-z0-9]", "", text or "").upper()
    if len(compact) != CODE_GROUPS * CODE_GROUP_LENGTH:
        return None
    return "-".join(compact[i:i + CODE_GROUP_LENGTH] for i in range(0, len(compact), CODE_GROUP_LENGTH))


def find_certificate(code):
    normalized = normalize_code(code)
    return Certificate.get_or_none(Certificate.code == normalized) if normalized else None


def issue_certificate_if_complete(user, course):
    """Issue a certificate the moment the completion rule is met.

    For a first certificate everything the learner did counts; for a renewal
    only what they did after their latest certificate was issued, so a
    certificate is never issued twice for the same work. The new certificate
    supersedes the older ones, which stay verifiable.

    Returns the new certificate or None. Runs in one transaction that first
    locks the user's row (on PostgreSQL; SQLite write transactions are
    exclusive anyway), so two requests finishing at once issue one certificate.
    """
    with db.atomic():
        lock_rows(User.select(User.id).where(User.id == user.id)).execute()
        records = learner_records(user, course)  # certificates newest first
        previous = records.certificates[0] if records.certificates else None
        since = previous.issued_at if previous else None
        if not course_outline(course, user, since=since, records=records).is_complete:
            return None
        certificate = _create_certificate(user, course, completion_note(user, course, since))
        (Certificate.update(superseded_by=certificate)
         .where((Certificate.user == user) & (Certificate.course == course) & (Certificate.id != certificate.id)
                & Certificate.superseded_by.is_null())
         .execute())
        return certificate


def completion_note(user, course, since=None, tz="Europe/Berlin"):
    """How the course was completed, for the certificate: "online", or
    "online und durch Teilnahme an „Grundlagenseminar Köln“ (12.03.2027)"
    when attending dates completed some of it (after ``since``); from three
    dates on, their number and the last one."""
    attendances = (Attendance.select(Attendance, TrainingDate).join(TrainingDate)
                   .where((Attendance.user == user) & (TrainingDate.course == course)
                          & Attendance.withdrawn_at.is_null()
                          & (fn.EXISTS(LessonProgress.select(LessonProgress.id)
                                       .where(LessonProgress.attendance == Attendance.id))
                             | fn.EXISTS(QuizAttempt.select(QuizAttempt.id)
                                         .where(QuizAttempt.attendance == Attendance.id))))
                   .order_by(TrainingDate.starts_at))
    if since is not None:
        attendances = attendances.where(Attendance.recorded_at > since)
    dates = [f"„{a.training.title}“ ({format_date(a.training.starts_at, tz)})" for a in attendances]
    if not dates:
        return "online"
    if len(dates) > 2:  # the certificate has room for a line or two
        return f"online und durch Teilnahme an {len(dates)} Terminen, zuletzt {dates[-1]}"
    return f"online und durch Teilnahme an {' und '.join(dates)}"


def _create_certificate(user, course, completed_via):
    membership = user.current_membership()
    now = utcnow()
    for _ in range(5):
        try:
            with db.atomic():  # savepoint: a code collision retries, not aborts
                return Certificate.create(
                    user=user, course=course, code=generate_code(), issued_at=now,
                    expires_at=add_months(now, course.certificate_valid_months),
                    holder_name=user.name, unit_name=membership.unit.display_name if membership else "",
                    course_title=course.title, course_version=course.version, completed_via=completed_via,
                )
        except IntegrityError:
            continue
    raise RuntimeError("Could not generate a unique certificate code")

"""Data protection (DSGVO): the privacy notice and consent, a user's own
data export, account deletion by anonymisation, retention of inactive
accounts, and the executive dashboard without names.

Who holds a party office in which unit reveals a political opinion (Art. 9
DSGVO), so a deleted account keeps no name, no e-mail address and no unit
link that could identify the person. Learning records stay, attached to the
anonymised account, so counts and past coverage stay right.
"""
import functools
import io
import json
import secrets
import zipfile
from datetime import timedelta
from pathlib import Path

from .audit import record
from .content.rendering import render_markdown
from .models import (Attendance, Certificate, LessonProgress, Membership, QuizAttempt, ReminderLog,
                     SiteSetting, SiteText, TrainingDate, TrainingRegistration, User, db)
from .sessions import end_all_sessions
from .settings import setting, store_setting
from .throttle import LoginThrottle
from .timeutil import utcnow
from .trainings.dates import describe_when, release_places

PRIVACY_KEY = "privacy"
DEFAULT_PRIVACY_FILE = Path(__file__).parent / "data" / "privacy.md"
DELETED_NAME = "Gelöschtes Konto"
SHOW_NAMES_KEY = "dashboard_show_names"


# --- privacy notice and consent -------------------------------------------------


def privacy_text():
    """The current privacy notice (a SiteText row); version 0 is the shipped
    default until an admin saves one."""
    row = (SiteText.select().where(SiteText.key == PRIVACY_KEY).order_by(SiteText.version.desc()).first())
    if row is not None:
        return row
    body, html = _default_privacy_text()
    return SiteText(key=PRIVACY_KEY, version=0, body_markdown=body, body_html=html)


@functools.cache
def _default_privacy_text():
    """The shipped notice, read and rendered once per process."""
    body = DEFAULT_PRIVACY_FILE.read_text(encoding="utf-8")
    return body, render_markdown(body)


def save_privacy_text(markdown_text, admin):
    with db.atomic():
        version = privacy_text().version + 1
        row = SiteText.create(key=PRIVACY_KEY, version=version, body_markdown=markdown_text,
                              body_html=render_markdown(markdown_text), updated_by=admin)
        record(admin, "privacy.text", row, f"Datenschutzhinweise als Version {version} gespeichert.")
    return row


def record_consent(user, version):
    user.privacy_consent_at = utcnow()
    user.privacy_consent_version = version
    user.save(only=[User.privacy_consent_at, User.privacy_consent_version])


# --- export ---------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value else None


def user_data(user):
    """Everything the platform stores about ``user``, as JSON-ready data."""
    memberships = Membership.select().where(Membership.user == user.id).order_by(Membership.started_at)
    progress = LessonProgress.select().where(LessonProgress.user == user.id)
    attempts = QuizAttempt.select().where(QuizAttempt.user == user.id).order_by(QuizAttempt.started_at)
    certificates = Certificate.select().where(Certificate.user == user.id).order_by(Certificate.issued_at)
    reminders = ReminderLog.select().where(ReminderLog.user == user.id).order_by(ReminderLog.sent_at)
    registrations = (TrainingRegistration.select(TrainingRegistration, TrainingDate).join(TrainingDate)
                     .where(TrainingRegistration.user == user.id).order_by(TrainingRegistration.created_at))
    attendances = (Attendance.select(Attendance, TrainingDate).join(TrainingDate)
                   .where(Attendance.user == user.id).order_by(Attendance.recorded_at))
    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "name": user.name, "email": user.email, "created_at": _iso(user.created_at),
            "email_verified_at": _iso(user.email_verified_at), "last_login_at": _iso(user.last_login_at),
            "roles": [role for role in ("trainer", "executive", "admin") if getattr(user, f"is_{role}")],
            "privacy_consent_at": _iso(user.privacy_consent_at),
            "privacy_consent_version": user.privacy_consent_version,
        },
        "memberships": [{"unit": m.unit.display_name, "function": m.function_label, "requested_at": _iso(m.started_at),
                         "confirmed_at": _iso(m.confirmed_at),
                         "confirmed_how": Membership.CONFIRMATION_ROUTES.get(m.confirmed_via, ""),
                         "declined_at": _iso(m.declined_at), "ended_at": _iso(m.ended_at), "state": m.state_label}
                        for m in memberships],
        "lessons": [{"course": p.lesson.module.course.slug, "module": p.lesson.module.slug, "lesson": p.lesson.slug,
                     "title": p.lesson.title, "first_seen_at": _iso(p.first_seen_at),
                     "completed_at": _iso(p.completed_at)} for p in progress],
        "quiz_attempts": [{"quiz": a.quiz.slug, "title": a.quiz.title, "started_at": _iso(a.started_at),
                           "submitted_at": _iso(a.submitted_at), "score": a.score, "max_score": a.max_score,
                           "passed": a.passed, "responses": a.responses} for a in attempts],
        "certificates": [{"code": c.code, "course": c.course_title, "version": c.course_version,
                          "holder_name": c.holder_name, "unit": c.unit_name, "issued_at": _iso(c.issued_at),
                          "expires_at": _iso(c.expires_at), "revoked_at": _iso(c.revoked_at)} for c in certificates],
        "reminders": [{"kind": r.kind, "subject": r.subject, "email": r.email, "sent_at": _iso(r.sent_at),
                       "status": r.status} for r in reminders],
        "training_registrations": [{"training": r.training.title, "when": describe_when(r.training),
                                    "status": r.status_label, "created_at": _iso(r.created_at),
                                    "queued_at": _iso(r.queued_at), "promoted_at": _iso(r.promoted_at),
                                    "cancelled_at": _iso(r.cancelled_at)} for r in registrations],
        "training_attendance": [{"training": a.training.title, "when": describe_when(a.training),
                                 "recorded_at": _iso(a.recorded_at),
                                 "recorded_how": a.recorded_via_label,
                                 "withdrawn_at": _iso(a.withdrawn_at)} for a in attendances],
    }


def export_zip(user, certificate_pdf):
    """``daten.json`` plus every certificate as PDF (``certificate_pdf(c)``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("daten.json", json.dumps(user_data(user), ensure_ascii=False, indent=2))
        for certificate in Certificate.select().where(Certificate.user == user.id):
            archive.writestr(f"zertifikate/{certificate.code}.pdf", certificate_pdf(certificate))
    return buffer.getvalue()


# --- deletion -------------------------------------------------------------------------


def anonymise(user, actor=None, reason="Konto gelöscht"):
    """Delete the person, keep the records: name, e-mail, password and roles
    go; memberships end (the unit no longer counts them as current); places
    on coming dates are given up (the people waiting move up);
    certificates lose the holder's name and unit; answers stay anonymous."""
    now = utcnow()
    with db.atomic():
        release_places(user, now)
        Membership.update(ended_at=now).where((Membership.user == user.id) & Membership.ended_at.is_null()).execute()
        Certificate.update(holder_name="", unit_name="", anonymized_at=now).where(
            Certificate.user == user.id).execute()
        ReminderLog.update(email="").where(ReminderLog.user == user.id).execute()
        LoginThrottle.clear_account(user.email)
        end_all_sessions(user)
        User.update(name=DELETED_NAME, search_key="", email=f"geloescht-{user.id}-{secrets.token_hex(4)}@invalid",
                    password_hash="!", is_trainer=False,
                    is_executive=False, is_admin=False, deleted_at=now, retention_warned_at=None,
                    totp_secret=None, totp_enabled_at=None, calendar_token=None).where(User.id == user.id).execute()
        record(actor, "user.delete", user, f"Konto {user.id} anonymisiert ({reason}).")


# --- retention ----------------------------------------------------------------------


def inactive_since(user):
    return user.last_login_at or user.created_at


def retention_due(months, warning_days, now=None):
    """(users to warn, users to delete) under a retention of ``months``.

    Inactive means no login for ``months``. A warned user who logs in again
    is inactive no more; one who does not is deleted ``warning_days`` after
    the warning. Admins are never deleted automatically."""
    now = now or utcnow()
    cutoff = now - timedelta(days=30 * months)
    active = User.select().where(User.deleted_at.is_null() & ~User.is_admin)
    inactive = [u for u in active if inactive_since(u) < cutoff]
    to_warn = [u for u in inactive if u.retention_warned_at is None]
    to_delete = [u for u in inactive if u.retention_warned_at is not None
                 and u.retention_warned_at <= now - timedelta(days=warning_days)]
    return to_warn, to_delete


def mark_warned(user):
    User.update(retention_warned_at=utcnow()).where(User.id == user.id).execute()


# --- dashboard without names ----------------------------------------------------------


def dashboard_shows_names():
    return setting(SHOW_NAMES_KEY, "1") == "1"


def set_dashboard_shows_names(show, admin):
    with db.atomic():
        store_setting(SHOW_NAMES_KEY, "1" if show else "0")
        row = SiteSetting.get(SiteSetting.key == SHOW_NAMES_KEY)
        record(admin, "settings.dashboard_names", row,
               "Dashboard zeigt Namen." if show else "Dashboard zeigt keine Namen mehr.")

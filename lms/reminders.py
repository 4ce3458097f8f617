"""Reminder e-mails: to officers who stalled, to officers whose certificates
are about to expire, a summary to the state executive, and to confirmers
when function requests wait.

``plan_reminders`` works out who is due (a dry run is just the plan);
``send_reminders`` sends them. Each mail is first claimed in the reminder
log under a unique (person, kind, period) key, so nobody gets the same
reminder twice in a period, even when two runs overlap. The periods:

- stalled: one mail per REMINDER_PERIOD_DAYS window,
- expiring: one mail per certificate,
- summary: one mail per executive per REMINDER_PERIOD_DAYS window,
- requests: one short mail per confirmer and day (Berlin time) while
  requests wait for them,
- training: one mail per registration, the day before the date (Berlin's
  calendar day).

Only confirmed functions that hold now count: someone marked out of office
gets no officer reminder, and a pending request none either.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from peewee import IntegrityError

from .coverage import OFFICER_FUNCTIONS, STATUS_LABELS, STATUSES, membership_running, people_progress, summarize, unit_coverage
from .mail import send_mail
from .models import Certificate, Membership, ReminderLog, Unit, User, db
from .people import pending_requests
from .timeutil import local_date, utcnow
from .urls import external_url
from .trainings.dates import due_reminders, mail_context

EPOCH = datetime(2020, 1, 1)


@dataclass
class PlannedReminder:
    kind: str
    user: User
    period_key: str
    subject: str
    template: str
    context: dict = field(default_factory=dict)


@dataclass
class SendResult:
    planned: list
    sent: int = 0
    failed: int = 0
    skipped: int = 0

    def summary(self):
        """What happened, in German, naming only what did happen."""
        parts = [f"{self.sent} Erinnerung(en) verschickt"]
        if self.failed:
            parts.append(f"{self.failed} fehlgeschlagen (sie werden beim nächsten Mal erneut versucht)")
        if self.skipped:
            parts.append(f"{self.skipped} übersprungen (in diesem Zeitraum schon erinnert)")
        return ", ".join(parts) + "."


def _window(now, days):
    """The number of the ``days``-long period ``now`` falls in."""
    return f"w{(now - EPOCH).days // days}"


def _already_sent(keys):
    """Of the (user id, kind, period) keys, those with a sent mail."""
    if not keys:
        return set()
    user_ids = {user_id for user_id, _, _ in keys}
    rows = (ReminderLog.select(ReminderLog.user, ReminderLog.kind, ReminderLog.period_key)
            .where(ReminderLog.user.in_(list(user_ids)) & (ReminderLog.status == "sent")).tuples())
    return set(rows) & set(keys)


def plan_reminders(course, now=None):
    config = current_app.config
    now = now or utcnow()
    period = _window(now, config["REMINDER_PERIOD_DAYS"])
    course_url = external_url("learn.course", course_slug=course.slug)
    planned = []

    # Officers who started or registered but have not moved for STALLED_DAYS.
    stalled_before = now - timedelta(days=config["STALLED_DAYS"])
    officers_condition = Membership.function.in_(OFFICER_FUNCTIONS) & membership_running(now)
    officers = {m.user_id: m for m in Membership.select(Membership, User, Unit).join(User).switch(Membership).join(Unit)
                .where(officers_condition)}
    progress = people_progress(course, Membership.select(Membership.user).where(officers_condition), now)
    for user_id, membership in officers.items():
        person = progress[user_id]
        last = person.last_activity or membership.user.created_at
        if person.valid_certificate is None and last <= stalled_before:
            planned.append(PlannedReminder(
                "stalled", membership.user, period, "Deine Schulung zur Mitgliederbetreuung wartet auf dich",
                "reminder_stalled", {"user": membership.user, "membership": membership, "progress": person,
                                     "course": course, "link": course_url, "started": person.started}))

    # Certificates of current officers running out within EXPIRING_DAYS, with
    # no newer one. The mail says the unit counts on it: only for officers.
    soon = now + timedelta(days=config["EXPIRING_DAYS"])
    expiring = (Certificate.select(Certificate, User).join(User)
                .where((Certificate.course == course) & Certificate.revoked_at.is_null()
                       & Certificate.superseded_by.is_null() & (Certificate.expires_at > now)
                       & (Certificate.expires_at <= soon)
                       & Certificate.user.in_(Membership.select(Membership.user).where(officers_condition))))
    for certificate in expiring:
        planned.append(PlannedReminder(
            "expiring", certificate.user, f"certificate-{certificate.id}", "Dein Zertifikat läuft bald ab",
            "reminder_expiring", {"user": certificate.user, "certificate": certificate, "course": course,
                                  "link": course_url}))

    # The executive's summary.
    executives = list(User.select().where(User.is_executive))
    if executives:
        rows = unit_coverage(course, at=now, expiring_days=config["EXPIRING_DAYS"])
        summary = summarize(rows)
        context = {"summary": summary, "statuses": STATUSES, "labels": STATUS_LABELS, "course": course,
                   "open_units": [r.unit for r in rows if r.status == "open"],
                   "expiring_units": [r for r in rows if r.status == "expiring"],
                   "link": external_url("dashboard.overview")}
        for executive in executives:
            planned.append(PlannedReminder("summary", executive, period, "Mitgliederbetreuung in NRW: der Stand",
                                           "reminder_summary", {**context, "user": executive}))

    planned += _requests_waiting(now)
    planned += _trainings_tomorrow(course, now)

    done = _already_sent([(r.user.id, r.kind, r.period_key) for r in planned])
    return [r for r in planned if (r.user.id, r.kind, r.period_key) not in done]


def _requests_waiting(now):
    """One mail per confirmer and day while requests wait for them: every
    executive gets all waiting requests; a board member of a unit whose
    board confirms gets that unit's, except their own."""
    waiting = list(pending_requests())
    if not waiting:
        return []
    day = f"d{local_date(now, current_app.config['TIMEZONE']).isoformat()}"
    link = external_url("dashboard.requests")
    planned = []
    executives = User.select().where((User.is_executive | User.is_admin) & User.deleted_at.is_null())
    for executive in executives:
        planned.append(PlannedReminder("requests", executive, day, "Anfragen warten auf Bestätigung",
                                       "reminder_requests", {"user": executive, "requests": waiting, "link": link}))
    delegated_units = {m.unit_id for m in waiting if m.unit.board_confirms}
    if delegated_units:
        board = (Membership.select(Membership, User).join(User)
                 .where(Membership.unit.in_(list(delegated_units)) & (Membership.function == "board")
                        & Membership.is_running() & User.deleted_at.is_null()
                        & ~User.is_executive & ~User.is_admin))
        units_of = defaultdict(set)
        people = {}
        for membership in board:
            units_of[membership.user_id].add(membership.unit_id)
            people[membership.user_id] = membership.user
        for user_id, unit_ids in units_of.items():
            theirs = [m for m in waiting if m.unit_id in unit_ids and m.user_id != user_id]
            if not theirs:
                continue
            planned.append(PlannedReminder("requests", people[user_id], day, "Anfragen warten auf Bestätigung",
                                           "reminder_requests", {"user": people[user_id], "requests": theirs,
                                                                 "link": link}))
    return planned


def _trainings_tomorrow(course, now):
    """Everyone with a place on a date of ``course`` that starts tomorrow."""
    return [PlannedReminder("training", registration.user, f"training-{registration.training.id}",
                            f"Morgen: {registration.training.title}", "reminder_training",
                            {"user": registration.user, **mail_context(registration.training)})
            for registration in due_reminders(course, now, current_app.config["TIMEZONE"])]


def _claim(reminder, triggered_by):
    """Reserve the log entry for this reminder; None when another run got it
    (or it was sent before). A failed earlier attempt may be retried."""
    values = dict(user=reminder.user.id, kind=reminder.kind, period_key=reminder.period_key,
                  email=reminder.user.email, subject=reminder.subject, status="pending", sent_at=utcnow(),
                  triggered_by=triggered_by.id if triggered_by is not None else None)
    try:
        with db.atomic():
            return ReminderLog.create(**values)
    except IntegrityError:
        retried = (ReminderLog.update(**values)
                   .where((ReminderLog.user == reminder.user.id) & (ReminderLog.kind == reminder.kind)
                          & (ReminderLog.period_key == reminder.period_key) & (ReminderLog.status == "failed"))
                   .execute())
        if not retried:
            return None
        return ReminderLog.get((ReminderLog.user == reminder.user.id) & (ReminderLog.kind == reminder.kind)
                               & (ReminderLog.period_key == reminder.period_key))


def send_reminders(course, triggered_by=None, dry_run=False, now=None):
    result = SendResult(plan_reminders(course, now))
    if dry_run:
        return result
    for reminder in result.planned:
        entry = _claim(reminder, triggered_by)
        if entry is None:
            result.skipped += 1
            continue
        delivered = send_mail(reminder.user.email, reminder.subject, reminder.template, **reminder.context)
        entry.status = "sent" if delivered else "failed"
        entry.save(only=[ReminderLog.status])
        if delivered:
            result.sent += 1
        else:
            result.failed += 1
    return result


def previews(planned):
    """The first planned mail of each kind, rendered: {kind: (to, subject, body)}."""
    shown = {}
    for reminder in planned:
        if reminder.kind not in shown:
            body = render_template(f"mail/{reminder.template}.txt", **reminder.context)
            shown[reminder.kind] = (reminder.user.email, reminder.subject, body)
    return shown

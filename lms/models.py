"""The schema: every table of the platform, in one place.

Content (courses, modules, lessons, handouts, quizzes) is loaded from files
and upserted by slug, so its rows keep their ids across edits; nothing a
learner earned points at a row that disappears. Content that vanishes from
the files is marked retired, never deleted.

Timestamps are naive UTC (see ``lms.timeutil``).
"""
from datetime import datetime

import peewee
from flask_login import UserMixin
from peewee import (
    BooleanField,
    CharField,
    DatabaseProxy,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
    JSONField,
    Model,
    TextField,
)

from .search import search_key
from .timeutil import utcnow

db = DatabaseProxy()


class DateTimeField(peewee.DateTimeField):
    """Reads SQLite's ISO text with datetime.fromisoformat, many times faster
    than peewee's strptime loop (it matters when the dashboard reads
    thousands of timestamps). PostgreSQL hands over datetimes already."""

    def python_value(self, value):
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        return super().python_value(value)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# --- Units and people -------------------------------------------------------


class Region(BaseModel):
    """A grouping of units for the dashboard (e.g. Niederrhein)."""

    name = CharField(unique=True)


class Unit(BaseModel):
    """An Unterbezirk (UB) or Kreisverband (KV)."""

    KINDS = ("UB", "KV")

    name = CharField(unique=True)
    kind = CharField(max_length=2, default="UB")
    region = ForeignKeyField(Region, backref="units")
    area_type = CharField(default="")  # e.g. "Kreis", "kreisfreie Stadt"
    administrative_district = CharField(default="")  # Regierungsbezirk
    created_at = DateTimeField(default=utcnow)
    # A retired unit keeps its rows (and everybody's history); merged units
    # point at the unit that took over their people.
    retired_at = DateTimeField(null=True)
    merged_into = ForeignKeyField("self", null=True, backref="merged_units")
    # The state executive lets the unit's confirmed board members confirm
    # function requests for this unit and create invitation links for it.
    board_confirms = BooleanField(default=False)

    @property
    def display_name(self):
        return f"{self.kind} {self.name}"

    @property
    def is_active(self):
        return self.retired_at is None

    @classmethod
    def active(cls):
        return cls.retired_at.is_null()


class User(UserMixin, BaseModel):
    email = CharField(unique=True)  # always stored lower-cased
    name = CharField()
    password_hash = CharField()
    is_trainer = BooleanField(default=False)
    is_executive = BooleanField(default=False)
    is_admin = BooleanField(default=False)
    email_verified_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    privacy_consent_at = DateTimeField(null=True)  # consent to the privacy notice, at registration
    privacy_consent_version = IntegerField(null=True)  # SiteText version consented to
    retention_warned_at = DateTimeField(null=True)  # warned that the inactive account will be deleted
    deleted_at = DateTimeField(null=True)  # anonymised: name and e-mail gone, records kept
    totp_secret = CharField(null=True)  # second factor (TOTP), set while being set up or in use
    totp_enabled_at = DateTimeField(null=True)  # the second factor is required at login
    totp_last_step = IntegerField(null=True)  # last accepted time step: a code works only once
    search_key = CharField(default="")  # the name folded for searching (lms.search), kept by save()
    calendar_token = CharField(null=True, unique=True)  # the private calendar feed's address; None: no feed

    # Set by ``lms.sessions`` for the logged-in browser: Flask-Login keeps
    # get_id() in the session and remember-me cookies.
    session_token = None

    def get_id(self):
        return f"{self.id}:{self.session_token}"

    def save(self, *args, only=None, **kwargs):
        """Keep ``search_key`` in step with the name (also for save(only=[name]))."""
        self.search_key = search_key(self.name)
        if only is not None and any(getattr(f, "name", f) == "name" for f in only):
            only = [*only, User.search_key]
        return super().save(*args, only=only, **kwargs)

    @property
    def is_verified(self):
        return self.email_verified_at is not None

    def current_membership(self):
        """The user's current confirmed function in a unit (officer
        functions first), or None."""
        return (
            Membership.select(Membership, Unit)
            .join(Unit)
            .where((Membership.user == self) & Membership.is_running())
            .order_by(Membership.function.not_in(Membership.OFFICER_FUNCTIONS), Membership.confirmed_at.desc())
            .first()
        )


class Membership(BaseModel):
    """A person's function in a unit over a span of time.

    A function is a *request* until someone responsible confirms it (see
    ``lms.people``): only from ``confirmed_at`` on does it grant access and
    count for coverage. "Andere Funktion" grants nothing and is confirmed
    when it is made.

    A row is never edited away: leaving office sets ``ended_at``, a declined
    request sets ``declined_at`` (and ``ended_at``), moving to another unit
    ends one row and starts another, so the coverage of any past date can be
    reconstructed.
    """

    FUNCTIONS = {
        "officer": "Mitgliederbeauftragte*r",
        "team": "Team Mitgliederbetreuung",
        "board": "Vorstand",
        "other": "Andere Funktion / interessiert",
    }
    # Functions that count for a unit's coverage.
    OFFICER_FUNCTIONS = ("officer", "team")
    # Functions that need someone responsible to confirm them.
    CONFIRMED_FUNCTIONS = ("officer", "team", "board")
    # How a function became confirmed (``confirmed_via``).
    CONFIRMATION_ROUTES = {
        "executive": "vom Landesvorstand bestätigt",
        "board": "vom Vorstand der Gliederung bestätigt",
        "invitation": "über einen Einladungslink",
        "self": "selbst eingetragen (keine Bestätigung nötig)",
        "migration": "vor Einführung der Bestätigung eingetragen",
    }

    user = ForeignKeyField(User, backref="memberships")
    unit = ForeignKeyField(Unit, backref="memberships")
    function = CharField(max_length=16)
    started_at = DateTimeField(default=utcnow)  # when it was requested (or made)
    confirmed_at = DateTimeField(null=True)  # from then on it counts; None while pending
    confirmed_via = CharField(max_length=16, null=True)  # a key of CONFIRMATION_ROUTES
    ended_at = DateTimeField(null=True)  # out of office, withdrawn or declined
    declined_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, backref="decided_memberships")  # who confirmed or declined
    invitation = DeferredForeignKey("Invitation", null=True, backref="memberships")
    # The same person's membership this one continues (a unit merge or a move).
    continues = ForeignKeyField("self", null=True, backref="continued_by")
    # The predecessor whose function this one takes over (Amt übergeben):
    # confirming this membership ends that one.
    succeeds = ForeignKeyField("self", null=True, backref="successors")

    class Meta:
        indexes = ((("unit", "ended_at"), False), (("user", "ended_at"), False))

    @classmethod
    def is_running(cls):
        """Confirmed and not ended: the function holds now."""
        return cls.confirmed_at.is_null(False) & cls.ended_at.is_null()

    @classmethod
    def is_pending(cls):
        return cls.confirmed_at.is_null() & cls.ended_at.is_null()

    @property
    def function_label(self):
        return self.FUNCTIONS.get(self.function, self.function)

    @property
    def pending(self):
        return self.confirmed_at is None and self.ended_at is None

    @property
    def state_label(self):
        if self.declined_at is not None:
            return "abgelehnt"
        if self.confirmed_at is None:
            return "zurückgezogen" if self.ended_at is not None else "wartet auf Bestätigung"
        return "beendet" if self.ended_at is not None else "bestätigt"


class Invitation(BaseModel):
    """A signed invitation link for one unit and function (see
    ``lms.invitations``). Registering or joining through it while it is
    valid confirms the function at once."""

    unit = ForeignKeyField(Unit, backref="invitations")
    function = CharField(max_length=16)
    created_by = ForeignKeyField(User, null=True, backref="invitations_created")
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    max_uses = IntegerField(default=1)
    uses = IntegerField(default=0)
    revoked_at = DateTimeField(null=True)
    note = CharField(default="")  # e.g. "Seminar Köln, 12. März"
    # Amt übergeben: the membership the successor takes over.
    handover_from = ForeignKeyField(Membership, null=True, backref="handover_invitations")

    @property
    def function_label(self):
        return Membership.FUNCTIONS.get(self.function, self.function)

    @classmethod
    def is_open(cls, now):
        return cls.revoked_at.is_null() & (cls.expires_at > now) & (cls.uses < cls.max_uses)


# --- Content ----------------------------------------------------------------


class Course(BaseModel):
    slug = CharField(unique=True)
    title = CharField()
    version = CharField()
    summary = TextField(default="")
    certificate_valid_months = IntegerField(default=24)
    # {"lessons": "all"|"none", "module_quizzes": "passed"|"none", "final_quiz": "passed"|"none"}
    completion = JSONField(default=dict)
    guide_summary_title = CharField(default="")
    guide_summary_html = TextField(default="")
    content_hash = CharField(default="")
    loaded_at = DateTimeField(default=utcnow)
    is_retired = BooleanField(default=False)


class Module(BaseModel):
    course = ForeignKeyField(Course, backref="modules")
    slug = CharField()
    position = IntegerField()
    title = CharField()
    summary = TextField(default="")
    is_retired = BooleanField(default=False)

    class Meta:
        indexes = ((("course", "slug"), True),)


class Lesson(BaseModel):
    module = ForeignKeyField(Module, backref="lessons")
    slug = CharField()
    position = IntegerField()
    title = CharField()
    minutes = IntegerField()
    goals = JSONField(default=list)
    body_markdown = TextField()
    body_html = TextField()  # rendered and sanitised once per revision
    content_hash = CharField()
    is_retired = BooleanField(default=False)

    class Meta:
        indexes = ((("module", "slug"), True),)


class Handout(BaseModel):
    """A practical template (Vorlage): a script, form or plan.

    Written in ``course/<course>/templates/``; shown as its own page, printed
    in the appendix of the guide and downloadable as PDF.
    """

    course = ForeignKeyField(Course, backref="handouts")
    module = ForeignKeyField(Module, null=True, backref="handouts")
    slug = CharField()
    position = IntegerField()
    title = CharField()
    summary = TextField(default="")
    body_markdown = TextField()
    body_html = TextField()
    content_hash = CharField()
    is_retired = BooleanField(default=False)

    class Meta:
        indexes = ((("course", "slug"), True),)


class Quiz(BaseModel):
    """A module quiz or a final test. ``questions`` holds the validated
    definitions (see ``lms.question_types``) with rendered prompts: the pool
    each attempt draws ``questions_per_attempt`` questions from."""

    # What a learner sees after submitting (docs/content-format.md).
    REVIEW_MODES = {
        "after_pass": "Nach dem Bestehen alles, nach einem Fehlversuch nur, welche Fragen falsch waren",
        "always": "Immer alles, mit den richtigen Antworten",
        "never": "Nie die richtigen Antworten, nur welche Fragen falsch waren",
    }
    DEFAULT_REVIEW = "after_pass"

    course = ForeignKeyField(Course, backref="quizzes")
    module = ForeignKeyField(Module, null=True, backref="quizzes")
    slug = CharField()
    title = CharField()
    is_final = BooleanField(default=False)
    pass_mark = IntegerField(default=70)  # percent
    shuffle_questions = BooleanField(default=True)
    shuffle_choices = BooleanField(default=True)
    max_attempts = IntegerField(default=0)  # 0 = unlimited
    cooldown_minutes = IntegerField(default=0)
    questions_per_attempt = IntegerField(default=0)  # 0 = the whole pool
    review = CharField(max_length=16, default=DEFAULT_REVIEW)
    questions = JSONField(default=list)
    content_hash = CharField()
    is_retired = BooleanField(default=False)

    class Meta:
        indexes = ((("course", "slug"), True),)


# --- Learning records -------------------------------------------------------


class TrainingDate(BaseModel):
    """A live training date (Schulungstermin): an evening, a weekend, a video
    call. It covers some modules of a course; attending it can complete
    them (``Course.completion["attendance"]``, see ``lms.trainings``)."""

    course = ForeignKeyField(Course, backref="training_dates")
    title = CharField()
    module_slugs = JSONField(default=list)  # the modules it covers, in course order
    starts_at = DateTimeField(index=True)  # naive UTC, as every timestamp
    ends_at = DateTimeField()
    place = CharField(default="")  # an address, or empty for a video call
    video_url = CharField(default="")
    capacity = IntegerField()
    registration_deadline = DateTimeField()
    region = ForeignKeyField(Region, null=True, backref="training_dates")  # None: for all of NRW
    description_markdown = TextField(default="")
    description_html = TextField(default="")  # rendered and sanitised like lessons
    attendance_code = CharField(unique=True)  # shown at the event; entered by attendees
    walk_ins_allowed = BooleanField(default=False)  # the code also works for people not registered
    created_by = ForeignKeyField(User, null=True, backref="training_dates_created")
    created_at = DateTimeField(default=utcnow)
    cancelled_at = DateTimeField(null=True)

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None


class TrainingRegistration(BaseModel):
    """Someone's place on a date, or on its waiting list. Never deleted:
    cancelling sets ``cancelled_at``; signing up again makes it active with
    a new place in the queue (``queued_at``)."""

    STATUSES = {"registered": "angemeldet", "waiting": "auf der Warteliste", "cancelled": "abgemeldet"}

    training = ForeignKeyField(TrainingDate, backref="registrations")
    user = ForeignKeyField(User, backref="training_registrations")
    status = CharField(max_length=16)
    queued_at = DateTimeField(default=utcnow)  # the order of the waiting list
    created_at = DateTimeField(default=utcnow)
    promoted_at = DateTimeField(null=True)  # moved up from the waiting list
    cancelled_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("training", "user"), True), (("training", "status", "queued_at"), False))

    @property
    def status_label(self):
        return self.STATUSES.get(self.status, self.status)


class Attendance(BaseModel):
    """Someone attended a date: ticked by a trainer or by entering the
    date's code. A learning record like any other: never deleted. A tick
    taken back sets ``withdrawn_at`` and withdraws what it completed."""

    # What attending completes, by the course's ``completion.attendance``:
    # nothing, the lessons of the date's modules, or those modules whole
    # (their quizzes too). Content files may name only these.
    COMPLETION_RULES = ("none", "lessons", "module")
    # How the attendance was recorded (``recorded_via``).
    RECORDED_VIA = {"trainer": "von der Leitung des Termins eingetragen", "code": "mit dem Anwesenheitscode"}

    training = ForeignKeyField(TrainingDate, backref="attendances")
    user = ForeignKeyField(User, backref="attendances")
    recorded_at = DateTimeField(default=utcnow)
    recorded_via = CharField(max_length=16)  # a key of RECORDED_VIA
    recorded_by = ForeignKeyField(User, null=True, backref="attendances_recorded")
    withdrawn_at = DateTimeField(null=True)
    withdrawn_by = ForeignKeyField(User, null=True, backref="attendances_withdrawn")

    class Meta:
        indexes = ((("training", "user"), True),)

    @property
    def recorded_via_label(self):
        return self.RECORDED_VIA.get(self.recorded_via, self.recorded_via)


class LessonProgress(BaseModel):
    user = ForeignKeyField(User, backref="lesson_progress")
    lesson = ForeignKeyField(Lesson, backref="progress")
    first_seen_at = DateTimeField(default=utcnow)
    completed_at = DateTimeField(null=True)
    # Set when attending a date completed the lesson (not read online).
    attendance = ForeignKeyField(Attendance, null=True, backref="lessons_completed")

    class Meta:
        indexes = ((("user", "lesson"), True),)


class QuizAttempt(BaseModel):
    """One attempt at a quiz. Created when the learner starts; the questions
    are snapshotted in the order shown, so the review shows exactly what the
    learner saw even after the quiz is edited. Submitted at most once."""

    user = ForeignKeyField(User, backref="quiz_attempts")
    quiz = ForeignKeyField(Quiz, backref="attempts")
    token = CharField(unique=True)  # used in URLs; not guessable
    started_at = DateTimeField(default=utcnow)
    submitted_at = DateTimeField(null=True)
    questions = JSONField()  # presented questions, in order
    responses = JSONField(null=True)
    score = IntegerField(null=True)  # questions answered correctly
    max_score = IntegerField()
    passed = BooleanField(null=True)
    # Set when attending a date counted for the quiz (the course's rule
    # ``attendance: module``): no questions, not an attempt anyone answered.
    attendance = ForeignKeyField(Attendance, null=True, backref="quizzes_completed")

    class Meta:
        indexes = ((("user", "quiz", "submitted_at"), False),)

    @property
    def percent(self):
        if self.score is None or not self.max_score:
            return 0
        return round(100 * self.score / self.max_score)


class AttemptAnswer(BaseModel):
    """One graded answer of a submitted attempt, kept for item statistics."""

    attempt = ForeignKeyField(QuizAttempt, backref="answers")
    question_key = CharField()
    is_correct = BooleanField()
    response = JSONField(null=True)


class Enrollment(BaseModel):
    """A learner's running totals in a course, updated in the same
    transaction as every learning event (see ``progress.refresh_enrollments``).

    The dashboard reads these instead of aggregating a million raw records
    on every request. The raw records stay the truth: the totals can always
    be recomputed from them, and past dates are computed from them directly.
    """

    user = ForeignKeyField(User, backref="enrollments")
    course = ForeignKeyField(Course, backref="enrollments")
    started_at = DateTimeField(null=True)  # first lesson opened or attempt started
    last_activity_at = DateTimeField(null=True)
    steps_done = IntegerField(default=0)  # lessons completed + required quizzes passed

    class Meta:
        indexes = ((("user", "course"), True),)


class Certificate(BaseModel):
    """A certificate of completion. Name, unit, course title and version are
    snapshotted at issue time: the certificate says what was true then."""

    user = ForeignKeyField(User, null=True, backref="certificates")
    course = ForeignKeyField(Course, backref="certificates")
    code = CharField(unique=True)
    issued_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(null=True)
    revoked_at = DateTimeField(null=True)
    revoked_reason = TextField(default="")
    holder_name = CharField()
    unit_name = CharField(default="")
    course_title = CharField()
    course_version = CharField()
    # Set when the holder earned a newer certificate of the same course.
    superseded_by = ForeignKeyField("self", null=True, backref="supersedes")
    anonymized_at = DateTimeField(null=True)  # the holder deleted the account: no name any more
    # How the course was completed, in German, e.g. "online und durch Teilnahme an „…“ am 12.03.2027".
    completed_via = TextField(default="")

    class Meta:
        indexes = ((("user", "course"), False),)

    def status(self, now=None):
        """'revoked', 'expired', 'superseded' or 'valid'."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.superseded_by_id is not None:
            return "superseded"
        return "valid"


class AuditLog(BaseModel):
    """Every change an executive or admin makes to people, units or roles.
    Append-only."""

    actor = ForeignKeyField(User, null=True, backref="audit_entries")  # None: command line
    action = CharField()  # e.g. "membership.end", "user.roles"
    target_type = CharField()
    target_id = IntegerField(null=True)
    summary = TextField()  # German, for the log page
    details = JSONField(default=dict)
    created_at = DateTimeField(default=utcnow, index=True)


class ReminderLog(BaseModel):
    """A reminder mail sent (or attempted). The unique key makes sure nobody
    gets the same kind of reminder twice in one period."""

    KINDS = {"stalled": "Erinnerung: Schulung fortsetzen", "expiring": "Zertifikat läuft bald ab",
             "summary": "Übersicht für den Landesvorstand", "requests": "Anfragen warten auf Bestätigung",
             "training": "Erinnerung an einen Termin"}

    user = ForeignKeyField(User, backref="reminders")
    kind = CharField(max_length=16)
    period_key = CharField()
    email = CharField()
    subject = CharField()
    status = CharField(max_length=16)  # "sent" or "failed"
    sent_at = DateTimeField(default=utcnow, index=True)
    triggered_by = ForeignKeyField(User, null=True, backref="reminders_triggered")  # None: command line

    class Meta:
        indexes = ((("user", "kind", "period_key"), True),)


class ContentRevision(BaseModel):
    """One saved state of one content file of a course.

    The files in ``course/`` and ``quizzes/`` are the exchange format; the
    authoring area keeps every state of every file here. ``key`` names the
    file independently of its position (``course.yaml``, ``summary.md``,
    ``lessons/<module>/<lesson>``, ``templates/<slug>``, ``quizzes/<slug>``),
    so reordering keeps a lesson's history together. ``text`` None means the
    file was removed (retired). A revision with ``published_at`` set is what
    learners see; the newest revision of a key is the trainers' draft.
    """

    course_slug = CharField()
    key = CharField()
    number = IntegerField()  # 1, 2, 3 ... per course and key
    position = IntegerField(null=True)  # lessons and templates: NN in the file name
    text = TextField(null=True)
    author = ForeignKeyField(User, null=True, backref="content_revisions")  # None: loaded from files
    note = CharField(default="")
    created_at = DateTimeField(default=utcnow)
    published_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("course_slug", "key", "number"), True),)


class MediaFile(BaseModel):
    """An image uploaded for lessons, stored under ``instance/media/``."""

    name = CharField(unique=True)  # content hash + extension, used in /media/<name>
    original_name = CharField()
    mime_type = CharField()
    width = IntegerField()
    height = IntegerField()
    size = IntegerField()
    uploaded_by = ForeignKeyField(User, null=True, backref="media_files")
    uploaded_at = DateTimeField(default=utcnow)


class LoginSession(BaseModel):
    """One logged-in browser (see ``lms.sessions``). The session cookie and
    the remember-me cookie carry the token; only its hash is stored. Ending
    the row ends the session on the server: a copied cookie stops working."""

    user = ForeignKeyField(User, backref="login_sessions")
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    user_agent = CharField(default="")  # for "device" on Mein Konto
    ended_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "ended_at"), False),)


class LoginAttempts(BaseModel):
    """Login attempts counted for throttling (see ``lms.throttle``), per
    account-and-address pair or per address. ``key`` holds hashes, never
    the e-mail address itself."""

    key = CharField(unique=True)
    account = CharField(null=True, index=True)  # hash of the e-mail, for pair keys
    attempts = IntegerField(default=0)  # since the last success or pause
    next_allowed_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow, index=True)


class SiteText(BaseModel):
    """Texts admins edit in the browser, e.g. the privacy notice. Each save
    is a new version, so a consent can name what it consented to."""

    key = CharField()
    version = IntegerField()
    body_markdown = TextField()
    body_html = TextField()
    updated_by = ForeignKeyField(User, null=True, backref="site_texts")
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("key", "version"), True),)


class SiteSetting(BaseModel):
    """Switches admins flip in the browser (stored as text)."""

    key = CharField(unique=True)
    value = CharField()


ALL_MODELS = [
    Region,
    Unit,
    User,
    Membership,
    Invitation,
    Course,
    Module,
    Lesson,
    Handout,
    Quiz,
    TrainingDate,
    TrainingRegistration,
    Attendance,
    LessonProgress,
    QuizAttempt,
    AttemptAnswer,
    Enrollment,
    Certificate,
    AuditLog,
    ReminderLog,
    ContentRevision,
    MediaFile,
    LoginSession,
    LoginAttempts,
    SiteText,
    SiteSetting,
]

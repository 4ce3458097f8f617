"""Executives' and trainers' side of live dates: setting them up, changing
and cancelling them, the attendance list and its export."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import JOIN

from ..catalog import published_course
from ..confirm import confirm_step, confirmed
from ..dashboard.exports import table_download
from ..models import Attendance, Membership, Region, TrainingDate, TrainingRegistration, Unit, User
from ..coverage import required_course
from ..timeutil import from_local, to_local, utcnow
from . import manage_bp as bp
from .dates import (TrainingError, TrainingFields, cancel_training, counts, create_training, set_attendance,
                    update_training)
from .forms import TrainingForm
from .routes import training_or_404

ALL_NRW = 0
ATTENDEE_COLUMNS = ["Name", "E-Mail", "Gliederung", "Anmeldung", "Anwesend"]


@bp.route("/")
def index():
    now = utcnow()
    dates = list(TrainingDate.select(TrainingDate, Region).join(Region, JOIN.LEFT_OUTER)
                 .order_by(TrainingDate.starts_at.desc()))
    upcoming, past = [], []
    for training in dates:
        (upcoming if training.ends_at > now and not training.is_cancelled else past).append(training)
    upcoming.reverse()  # soonest first
    return render_template("trainings/manage/index.html", upcoming=upcoming, past=past,
                           counts=counts([t.id for t in dates]))


def _form(training=None):
    """The form for a new date or for ``training``; on POST it holds what
    was sent (WTForms reads the request itself)."""
    course = training.course if training else required_course()
    form = TrainingForm(data=_form_data(training)) if training and request.method == "GET" else TrainingForm()
    published = published_course(course.slug)
    form.modules.choices = [(m.slug, m.title) for m in published.modules] if published else []
    form.region.choices = [(ALL_NRW, "ganz NRW")] + [(r.id, r.name) for r in Region.select().order_by(Region.name)]
    return course, form


def _form_data(training):
    tz = current_app.config["TIMEZONE"]
    local = lambda moment: to_local(moment, tz).replace(tzinfo=None)  # noqa: E731
    return {"title": training.title, "modules": training.module_slugs, "starts_at": local(training.starts_at),
            "ends_at": local(training.ends_at), "place": training.place, "video_url": training.video_url,
            "capacity": training.capacity, "registration_deadline": local(training.registration_deadline),
            "region": training.region_id or ALL_NRW, "description": training.description_markdown,
            "walk_ins_allowed": training.walk_ins_allowed}


def _fields(form):
    """The form's values with Berlin wall-clock times turned into UTC."""
    tz = current_app.config["TIMEZONE"]
    starts_at = from_local(form.starts_at.data, tz)
    deadline = from_local(form.registration_deadline.data, tz) if form.registration_deadline.data else starts_at
    return TrainingFields(
        title=form.title.data, module_slugs=form.modules.data, starts_at=starts_at,
        ends_at=from_local(form.ends_at.data, tz), place=form.place.data or "", video_url=form.video_url.data or "",
        capacity=form.capacity.data, registration_deadline=deadline,
        region=Region.get_or_none(Region.id == form.region.data) if form.region.data else None,
        description=form.description.data or "", walk_ins_allowed=form.walk_ins_allowed.data)


@bp.route("/new", methods=["GET", "POST"])
def new():
    course, form = _form()
    if form.validate_on_submit():
        try:
            training = create_training(course, _fields(form), current_user._get_current_object())
        except TrainingError as error:
            flash(str(error), "error")
        else:
            flash(f"Termin „{training.title}“ angelegt. Er steht jetzt bei allen Mitgliederbeauftragten auf der "
                  "Startseite.", "success")
            return redirect(url_for("training_admin.attendance", training_id=training.id))
    return render_template("trainings/manage/form.html", form=form, training=None)


@bp.route("/<id:training_id>/edit", methods=["GET", "POST"])
def edit(training_id):
    training = training_or_404(training_id)
    _, form = _form(training)
    if form.validate_on_submit():
        try:
            promoted = update_training(training, _fields(form), current_user._get_current_object())
        except TrainingError as error:
            flash(str(error), "error")
        else:
            flash("Termin gespeichert." + (f" {len(promoted)} Person(en) von der Warteliste sind nachgerückt und "
                                           "per E-Mail informiert." if promoted else ""), "success")
            return redirect(url_for("training_admin.attendance", training_id=training.id))
    return render_template("trainings/manage/form.html", form=form, training=training)


@bp.route("/<id:training_id>/cancel", methods=["POST"])
def cancel(training_id):
    training = training_or_404(training_id)
    back = url_for("training_admin.attendance", training_id=training.id)
    if not confirmed():
        waiting = counts([training.id])[training.id]
        return confirm_step(f"„{training.title}“ absagen?",
                            f"{waiting['registered']} angemeldete und {waiting['waiting']} wartende Personen "
                            "bekommen eine E-Mail, dass der Termin ausfällt. Das lässt sich nicht rückgängig machen.",
                            url_for("training_admin.cancel", training_id=training.id), "Termin absagen", back)
    try:
        told = cancel_training(training, current_user._get_current_object())
    except TrainingError as error:
        flash(str(error), "error")
    else:
        flash(f"Termin abgesagt; {told} Person(en) per E-Mail benachrichtigt.", "success")
    return redirect(back)


def attendee_rows(training):
    """Everyone registered, waiting or attended (walk-ins too), by name:
    [(user, registration or None, attendance or None)]."""
    registrations = {r.user_id: r for r in TrainingRegistration.select()
                     .where((TrainingRegistration.training == training) & (TrainingRegistration.status != "cancelled"))}
    attendances = {a.user_id: a for a in Attendance.select().where(Attendance.training == training)}
    users = User.select().where(User.id.in_(list(set(registrations) | set(attendances)) or [0]))
    rows = [(user, registrations.get(user.id), attendances.get(user.id)) for user in users]
    return sorted(rows, key=lambda row: (row[1] is None or row[1].status != "registered", row[0].search_key))


@bp.route("/<id:training_id>", methods=["GET", "POST"])
def attendance(training_id):
    training = training_or_404(training_id)
    if request.method == "POST":
        present = [int(value) for value in request.form.getlist("present") if value.isascii() and value.isdigit()]
        recorded, withdrawn = set_attendance(training, present, current_user._get_current_object())
        flash(f"Anwesenheit gespeichert: {recorded} eingetragen, {withdrawn} zurückgenommen.", "success")
        return redirect(url_for("training_admin.attendance", training_id=training.id))
    return render_template("trainings/manage/attendance.html", training=training, rows=attendee_rows(training),
                           count=counts([training.id])[training.id])


def current_units(user_ids):
    """{user id: the name of the unit of their current membership}, chosen
    as ``User.current_membership`` does (officer functions first, then the
    latest confirmed), for everyone in one query."""
    memberships = (Membership.select(Membership, Unit).join(Unit)
                   .where(Membership.user.in_(user_ids) & Membership.is_running())
                   .order_by(Membership.function.not_in(Membership.OFFICER_FUNCTIONS), Membership.confirmed_at.desc()))
    units = {}
    for membership in memberships:
        units.setdefault(membership.user_id, membership.unit.display_name)
    return units


@bp.route("/<id:training_id>/attendees.<any(csv, xlsx):file_format>")
def attendees_export(training_id, file_format):
    training = training_or_404(training_id)
    attendees = attendee_rows(training)
    units = current_units([user.id for user, _, _ in attendees])
    rows = [[user.name, user.email, units.get(user.id, ""),
             registration.status_label if registration else "ohne Anmeldung",
             "ja" if attended is not None and attended.withdrawn_at is None else "nein"]
            for user, registration, attended in attendees]
    return table_download(file_format, ATTENDEE_COLUMNS, rows, "Teilnehmende", f"teilnehmende-{training.id}", utcnow(),
                          current_app.config["TIMEZONE"])

"""Officers' side of live dates: the list, one date, signing up and off,
and confirming attendance with the date's code."""
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..catalog import published_course
from ..models import Attendance, TrainingDate
from ..timeutil import utcnow
from . import bp
from .dates import (TrainingError, attend_with_code, attendances_of, cancel_registration, counts, places_left,
                    registration_of, sign_up, upcoming_for)
from .forms import AttendanceCodeForm


def training_or_404(training_id):
    return TrainingDate.get_or_none(TrainingDate.id == training_id) or abort(404)


def module_titles(training):
    """The titles of the modules a date covers, in course order."""
    published = published_course(training.course.slug)
    return [m.title for m in published.modules if m.slug in training.module_slugs] if published else []


@bp.route("/")
def index():
    upcoming = upcoming_for(current_user)
    return render_template("trainings/index.html", upcoming=upcoming, attended=attendances_of([current_user.id]))


@bp.route("/<id:training_id>")
def detail(training_id):
    training = training_or_404(training_id)
    now = utcnow()
    attendance = Attendance.get_or_none((Attendance.training == training) & (Attendance.user == current_user.id)
                                        & Attendance.withdrawn_at.is_null())
    count = counts([training.id])[training.id]
    return render_template("trainings/detail.html", training=training, registration=registration_of(current_user, training),
                           attendance=attendance, places=places_left(training, count["registered"]), count=count,
                           modules=module_titles(training),
                           open_for_signup=not training.is_cancelled and now <= training.registration_deadline,
                           started=now >= training.starts_at)


@bp.route("/<id:training_id>/signup", methods=["POST"])
def signup(training_id):
    training = training_or_404(training_id)
    try:
        registration = sign_up(current_user, training)
    except TrainingError as error:
        flash(str(error), "error")
    else:
        if registration.status == "registered":
            flash(f"Du bist für „{training.title}“ angemeldet. Am Tag vorher bekommst du eine Erinnerung.", "success")
        else:
            flash("Der Termin ist voll; du stehst auf der Warteliste. Wird ein Platz frei, bekommst du ihn "
                  "und eine E-Mail.", "info")
    return redirect(url_for("trainings.detail", training_id=training.id))


@bp.route("/<id:training_id>/cancel", methods=["POST"])
def cancel(training_id):
    training = training_or_404(training_id)
    try:
        cancel_registration(current_user, training)
    except TrainingError as error:
        flash(str(error), "error")
    else:
        flash(f"Du bist von „{training.title}“ abgemeldet.", "success")
    return redirect(url_for("trainings.detail", training_id=training.id))


@bp.route("/attend", methods=["GET", "POST"])
def attend():
    form = AttendanceCodeForm()
    if form.validate_on_submit():
        try:
            attendance = attend_with_code(current_user, form.code.data)
        except TrainingError as error:
            form.code.errors.append(str(error))
        else:
            flash(f"Danke! Deine Teilnahme an „{attendance.training.title}“ ist eingetragen.", "success")
            return redirect(url_for("trainings.detail", training_id=attendance.training_id))
    return render_template("trainings/attend.html", form=form)

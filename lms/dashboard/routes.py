from collections import defaultdict

import segno
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import JOIN, Case, fn

from .. import reminders as reminder_service
from ..coverage import STATUS_LABELS, STATUSES, required_course, summarize, trained_units_over_time, unit_coverage
from ..models import AuditLog, Membership, Quiz, QuizAttempt, Region, ReminderLog, Unit, User
from ..people import PeopleError, end_membership, move_membership, start_membership
from ..permissions import is_executive
from ..privacy import dashboard_shows_names
from ..timeutil import utcnow
from ..units import UnitChangeError, merge_units, retire_unit, save_unit
from . import bp
from .charts import STATUS_COLOURS, load_positions, region_chart, trend_chart, unit_map
from .exports import XLSX_MIMETYPE, to_csv, to_xlsx
from .forms import AddPersonForm, InviteForm, MergeForm, MoveForm, UnitForm, active_unit_choices
from .tables import (CERTIFICATE_FILTERS, PAGE_SIZE, PEOPLE_COLUMNS, UNIT_COLUMNS, PeopleFilter, UnitFilter,
                     parse_date, people_export_rows, people_rows, unit_export_rows)


def course_or_404():
    return required_course() or abort(404)


def moment_from_args():
    """The date the page looks at: ?at=YYYY-MM-DD (end of that day), or now."""
    at = parse_date(request.args.get("at"), current_app.config["TIMEZONE"])
    return at if at is not None and at < utcnow() else None


def expiring_days():
    return current_app.config["EXPIRING_DAYS"]


def regions():
    return [r.name for r in Region.select().order_by(Region.name)]


@bp.route("/")
def overview():
    course = course_or_404()
    at = moment_from_args()
    rows = unit_coverage(course, at=at, expiring_days=expiring_days())
    summary = summarize(rows)
    trend = trained_units_over_time(course, months=12, now=at)
    attention = [row for row in rows if row.status in ("open", "expiring")]
    nrw_map, unplaced = unit_map(rows, load_positions(current_app.config["UNIT_POSITIONS_CSV"]),
                                 lambda unit_id: url_for("dashboard.unit", unit_id=unit_id))
    return render_template("dashboard/overview.html", course=course, at=at, summary=summary,
                           statuses=STATUSES, labels=STATUS_LABELS, colours=STATUS_COLOURS,
                           region_chart=region_chart(summary), trend_chart=trend_chart(trend, summary.total),
                           trend=trend, attention=attention, nrw_map=nrw_map, unplaced=unplaced)


def _unit_table():
    course = course_or_404()
    at = moment_from_args()
    table_filter = UnitFilter.from_args(request.args)
    rows = table_filter.apply(unit_coverage(course, at=at, expiring_days=expiring_days(), region=table_filter.region),
                              search_names=dashboard_shows_names())
    return course, at, table_filter, rows


@bp.route("/units")
def units():
    course, at, table_filter, rows = _unit_table()
    return render_template("dashboard/units.html", course=course, at=at, rows=rows, table_filter=table_filter,
                           regions=regions(), statuses=STATUSES, labels=STATUS_LABELS)


def _download(data, mimetype, filename):
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/units.<any(csv, xlsx):file_format>")
def units_export(file_format):
    _, at, _, rows = _unit_table()
    stamp = (at or utcnow()).strftime("%Y-%m-%d")
    data = list(unit_export_rows(rows, with_names=dashboard_shows_names()))
    tz = current_app.config["TIMEZONE"]
    if file_format == "csv":
        return _download(to_csv(UNIT_COLUMNS, data, tz), "text/csv; charset=utf-8", f"gliederungen-{stamp}.csv")
    return _download(to_xlsx(UNIT_COLUMNS, data, "Gliederungen", tz), XLSX_MIMETYPE, f"gliederungen-{stamp}.xlsx")


@bp.route("/units/<int:unit_id>")
def unit(unit_id):
    """A unit's page: its people, their progress and quiz results (passed,
    date, attempts; never the answers), certificates, history."""
    course = course_or_404()
    unit = Unit.select(Unit, Region).join(Region).where(Unit.id == unit_id).first() or abort(404)
    # A retired unit has no present status, only its history.
    status = unit_coverage(course, expiring_days=expiring_days(), unit_ids=[unit.id])[0] if unit.is_active else None
    history = list(Membership.select(Membership, User).join(User).where(Membership.unit == unit)
                   .order_by(Membership.ended_at.is_null(False), Membership.started_at.desc()))
    current = [m for m in history if m.ended_at is None]
    quizzes = list(Quiz.select().where((Quiz.course == course) & ~Quiz.is_retired).order_by(Quiz.is_final, Quiz.id))
    officer_ids = [o.user_id for o in status.officers] if status else []
    results = defaultdict(dict)
    if officer_ids:
        rows = (QuizAttempt
                .select(QuizAttempt.user, QuizAttempt.quiz, fn.COUNT(QuizAttempt.id),
                        # MAX over a CASE: PostgreSQL has no MAX(boolean).
                        fn.MAX(Case(None, [(QuizAttempt.passed == True, 1)], 0)),  # noqa: E712
                        fn.MIN(QuizAttempt.submitted_at).filter(QuizAttempt.passed == True))  # noqa: E712
                .where(QuizAttempt.user.in_(officer_ids) & QuizAttempt.submitted_at.is_null(False))
                .group_by(QuizAttempt.user, QuizAttempt.quiz).tuples())
        for user_id, quiz_id, attempts, passed, passed_at in rows:
            results[user_id][quiz_id] = {"attempts": attempts, "passed": bool(passed), "passed_at": passed_at}
    executive = is_executive(current_user)
    invite = None
    if executive:
        invite_form = InviteForm(request.args, meta={"csrf": False})
        function = invite_form.function.data if invite_form.function.data in Membership.FUNCTIONS else "officer"
        link = current_app.config["BASE_URL"] + url_for("auth.register", unit=unit.id, function=function)
        invite = {"form": invite_form, "link": link, "qr": segno.make(link, error="m").svg_inline(scale=3, title="QR-Code zum Einladungslink")}
    move_form = MoveForm(meta={"csrf": False})
    move_form.unit.choices = active_unit_choices()
    return render_template("dashboard/unit.html", course=course, unit=unit, status=status, current=current,
                           history=history, quizzes=quizzes, results=results, executive=executive, invite=invite,
                           add_form=AddPersonForm(), move_form=move_form, labels=STATUS_LABELS)


def _membership_or_404(membership_id):
    return (Membership.select(Membership, User, Unit).join(User).switch(Membership).join(Unit)
            .where(Membership.id == membership_id).first()) or abort(404)


@bp.route("/memberships/<int:membership_id>/end", methods=["POST"])
def end(membership_id):
    membership = _membership_or_404(membership_id)
    try:
        end_membership(membership, actor=current_user)
        flash(f"{membership.user.name} ist jetzt als „nicht mehr im Amt“ eingetragen.", "success")
    except PeopleError as error:
        flash(str(error), "error")
    return redirect(url_for("dashboard.unit", unit_id=membership.unit_id))


@bp.route("/memberships/<int:membership_id>/move", methods=["POST"])
def move(membership_id):
    membership = _membership_or_404(membership_id)
    form = MoveForm()
    form.unit.choices = active_unit_choices()
    if not form.validate_on_submit():
        flash("Bitte wähle Gliederung und Funktion.", "error")
        return redirect(url_for("dashboard.unit", unit_id=membership.unit_id))
    try:
        new = move_membership(membership, Unit.get_by_id(form.unit.data), form.function.data, actor=current_user)
        flash(f"{membership.user.name} ist jetzt {new.function_label} in {new.unit.display_name}.", "success")
    except PeopleError as error:
        flash(str(error), "error")
    return redirect(url_for("dashboard.unit", unit_id=membership.unit_id))


@bp.route("/units/<int:unit_id>/people", methods=["POST"])
def add_person(unit_id):
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    form = AddPersonForm()
    if form.validate_on_submit():
        user = User.get_or_none(User.email == form.email.data.strip().lower())
        if user is None:
            flash("Zu dieser Adresse gibt es kein Konto. Schick der Person den Einladungslink.", "error")
        else:
            try:
                start_membership(user, unit, form.function.data, actor=current_user)
                flash(f"{user.name} ist jetzt eingetragen.", "success")
            except PeopleError as error:
                flash(str(error), "error")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("dashboard.unit", unit_id=unit.id))


# --- managing units ------------------------------------------------------------


@bp.route("/units/manage", methods=["GET", "POST"])
def manage_units():
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = save_unit(current_user, form.name.data, form.kind.data, form.region.data)
            flash(f"{unit.display_name} ist angelegt.", "success")
            return redirect(url_for("dashboard.manage_units"))
        except UnitChangeError as error:
            flash(str(error), "error")
    all_units = list(Unit.select(Unit, Region).join(Region).order_by(Unit.retired_at.is_null(False), Unit.name))
    return render_template("dashboard/manage_units.html", form=form, units=all_units)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
def edit_unit(unit_id):
    unit = Unit.select(Unit, Region).join(Region).where(Unit.id == unit_id).first() or abort(404)
    # Prefill only on GET: on a POST, a field missing from the form must not fall back to the row's value.
    form = UnitForm(obj=unit, data={"region": unit.region.name}) if request.method == "GET" else UnitForm()
    merge_form = MergeForm(prefix="merge")
    merge_form.into.choices = [c for c in active_unit_choices() if c.value != unit.id]
    if form.validate_on_submit():
        try:
            save_unit(current_user, form.name.data, form.kind.data, form.region.data, unit=unit)
            flash("Die Gliederung ist gespeichert.", "success")
            return redirect(url_for("dashboard.manage_units"))
        except UnitChangeError as error:
            flash(str(error), "error")
    return render_template("dashboard/edit_unit.html", unit=unit, form=form, merge_form=merge_form)


@bp.route("/units/<int:unit_id>/retire", methods=["POST"])
def retire(unit_id):
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    try:
        retire_unit(current_user, unit)
        flash(f"{unit.display_name} ist stillgelegt.", "success")
    except UnitChangeError as error:
        flash(str(error), "error")
        return redirect(url_for("dashboard.edit_unit", unit_id=unit.id))
    return redirect(url_for("dashboard.manage_units"))


@bp.route("/units/<int:unit_id>/merge", methods=["POST"])
def merge(unit_id):
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    form = MergeForm(prefix="merge")
    form.into.choices = [c for c in active_unit_choices() if c.value != unit.id]
    if not form.validate_on_submit():
        flash("Bitte wähle die Gliederung, in der diese aufgehen soll.", "error")
        return redirect(url_for("dashboard.edit_unit", unit_id=unit.id))
    into = Unit.get_by_id(form.into.data)
    try:
        merge_units(current_user, unit, into)
        flash(f"{unit.display_name} ist in {into.display_name} aufgegangen.", "success")
    except UnitChangeError as error:
        flash(str(error), "error")
    return redirect(url_for("dashboard.manage_units"))


# --- people -------------------------------------------------------------------


def _names_hidden_page():
    return render_template("dashboard/names_hidden.html"), 403


@bp.route("/people")
def people():
    if not dashboard_shows_names():
        return _names_hidden_page()
    course = course_or_404()
    people_filter = PeopleFilter.from_args(request.args)
    rows, total = people_rows(course, people_filter)
    units_list = list(Unit.select(Unit.id, Unit.name, Unit.kind).where(Unit.active()).order_by(Unit.name))
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("dashboard/people.html", course=course, rows=rows, total=total, pages=pages,
                           people_filter=people_filter, regions=regions(), units=units_list,
                           functions=Membership.FUNCTIONS, certificate_filters=CERTIFICATE_FILTERS)


@bp.route("/people.<any(csv, xlsx):file_format>")
def people_export(file_format):
    if not dashboard_shows_names():
        return _names_hidden_page()
    course = course_or_404()
    rows, _ = people_rows(course, PeopleFilter.from_args(request.args), paginate=False)
    data = list(people_export_rows(rows))
    stamp = utcnow().strftime("%Y-%m-%d")
    tz = current_app.config["TIMEZONE"]
    if file_format == "csv":
        return _download(to_csv(PEOPLE_COLUMNS, data, tz), "text/csv; charset=utf-8", f"personen-{stamp}.csv")
    return _download(to_xlsx(PEOPLE_COLUMNS, data, "Personen", tz), XLSX_MIMETYPE, f"personen-{stamp}.xlsx")


# --- reminders and audit log ----------------------------------------------------


@bp.route("/reminders")
def reminders():
    course = course_or_404()
    plan = reminder_service.plan_reminders(course)
    log = list(ReminderLog.select(ReminderLog, User).join(User, on=(ReminderLog.user == User.id))
               .order_by(ReminderLog.sent_at.desc()).limit(200))
    return render_template("dashboard/reminders.html", course=course, plan=plan, log=log,
                           kinds=ReminderLog.KINDS, previews=reminder_service.previews(plan))


@bp.route("/reminders/send", methods=["POST"])
def send_reminders():
    course = course_or_404()
    result = reminder_service.send_reminders(course, triggered_by=current_user)
    flash(f"{result.sent} Erinnerung(en) verschickt, {result.failed} fehlgeschlagen, "
          f"{result.skipped} übersprungen (in diesem Zeitraum schon erinnert).", "success" if not result.failed else "warning")
    return redirect(url_for("dashboard.reminders"))


@bp.route("/audit")
def audit():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    entries = list(AuditLog.select(AuditLog, User).join(User, on=(AuditLog.actor == User.id), join_type=JOIN.LEFT_OUTER)
                   .order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).paginate(page, PAGE_SIZE))
    total = AuditLog.select().count()
    return render_template("dashboard/audit.html", entries=entries, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))

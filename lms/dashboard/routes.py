from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from peewee import JOIN

from .. import reminders as reminder_service
from ..audit import actor_label, anonymised_summaries
from ..confirm import confirm_step, confirmed
from ..coverage import STATUS_LABELS, STATUSES, required_course, summarize, trained_units_over_time, unit_coverage
from ..invitations import (InvitationError, create_invitation, invitation_url, open_invitations, qr_svg,
                           revoke_invitation)
from ..models import AuditLog, Invitation, Membership, Region, ReminderLog, Unit, User
from ..people import (PeopleError, add_membership, can_reopen, decide_requests as decide, end_membership,
                      move_membership, notify_decision, pending_requests, reopen_membership)
from ..permissions import can_manage_trainings, confirming_unit_ids, is_executive, may_confirm
from ..privacy import dashboard_shows_names
from ..timeutil import end_of_local_day, utcnow
from ..trainings.dates import attendances_of
from ..settings import per_revision, setting
from ..units import (UNITS_REVISION, UnitChangeError, all_units, merge_units, retire_unit, save_unit,
                     set_board_confirms)
from ..urls import date_arg, page_arg, safe_next_url
from . import bp
from .charts import STATUS_COLOURS, region_chart, trend_chart
from .exports import table_download
from .forms import AddPersonForm, InviteForm, MergeForm, MoveForm, UnitForm, active_unit_choices
from .tables import (CERTIFICATE_FILTERS, PAGE_SIZE, PEOPLE_COLUMNS, UNIT_COLUMNS, PeopleFilter, UnitFilter,
                     course_quizzes, earlier_memberships, people_export_rows, people_rows, quiz_results,
                     unit_export_rows, upcoming_trainings_by_region)
from .tilemap import load_plates, load_positions, place_units, unit_map


def course_or_404():
    return required_course() or abort(404)


def moment_from_args():
    """The date the page looks at: ?at=YYYY-MM-DD (end of that day), or now."""
    day = date_arg("at")
    at = end_of_local_day(day, current_app.config["TIMEZONE"]) if day else None
    return at if at is not None and at < utcnow() else None


def unit_paths():
    """{unit id: path of its page}, built once per units revision (the
    overview links every unit twice; url_for costs more than the rest)."""
    return per_revision(UNITS_REVISION, "lms_unit_paths", lambda revision: {
        unit.id: url_for("dashboard.unit", unit_id=unit.id) for unit in all_units()})


def unit_tiles():
    """{unit id: cell of its tile on the map}, placed once per units revision
    (retired units too: a past date shows them in the same place)."""
    return per_revision(UNITS_REVISION, "lms_unit_tiles", lambda revision: place_units(
        all_units(), load_positions(current_app.config["UNIT_POSITIONS_CSV"])))


def cached_unit_map(rows, paths, day=None):
    """The map for these statuses (its links keep ``day``, the date the
    overview shows), drawn again only when a unit's status, the units or
    the day changed."""
    key = (setting(UNITS_REVISION, ""), day, tuple((row.unit.id, row.status) for row in rows))
    cached = current_app.extensions.get("lms_unit_map")
    if cached is None or cached[0] != key:
        query = f"?at={day}" if day else ""
        drawn = unit_map(rows, unit_tiles(), load_plates(current_app.config["UNIT_PLATES_CSV"]),
                         lambda unit_id: paths[unit_id] + query)
        cached = current_app.extensions["lms_unit_map"] = (key, drawn)
    return cached[1]


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
    paths = unit_paths()
    nrw_map, unplaced = cached_unit_map(rows, paths, date_arg("at").isoformat() if at else None)
    return render_template("dashboard/overview.html", course=course, at=at, summary=summary,
                           statuses=STATUSES, labels=STATUS_LABELS, colours=STATUS_COLOURS,
                           region_chart=region_chart(summary), trend_chart=trend_chart(trend, summary.total),
                           trend=trend, attention=attention, nrw_map=nrw_map, unplaced=unplaced, unit_paths=paths,
                           trainings_by_region=upcoming_trainings_by_region())


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


@bp.route("/units.<any(csv, xlsx):file_format>")
def units_export(file_format):
    _, at, _, rows = _unit_table()
    data = list(unit_export_rows(rows, with_names=dashboard_shows_names()))
    return table_download(file_format, UNIT_COLUMNS, data, "Gliederungen", "gliederungen", at or utcnow(),
                          current_app.config["TIMEZONE"])


@bp.route("/units/<id:unit_id>")
def unit(unit_id):
    """A unit's page: its people, their progress and quiz results (passed,
    date, attempts; never the answers), the live dates they attended,
    certificates, open requests and invitations, history."""
    course = course_or_404()
    unit = Unit.select(Unit, Region).join(Region).where(Unit.id == unit_id).first() or abort(404)
    at = moment_from_args()
    # The status at ``at`` (default now); none for a unit that did not exist then.
    status = next(iter(unit_coverage(course, at=at, expiring_days=expiring_days(), unit_ids=[unit.id])), None)
    history = list(Membership.select(Membership, User).join(User).where(Membership.unit == unit)
                   .order_by(Membership.ended_at.is_null(False), Membership.started_at.desc()))
    current = [m for m in history if m.confirmed_at is not None and m.ended_at is None]
    requests = [m for m in history if m.pending and m.function in Membership.CONFIRMED_FUNCTIONS]
    officer_ids = [o.user_id for o in status.officers] if status else []
    executive = is_executive(current_user)
    confirmer = may_confirm(current_user, unit.id)
    invitations = list(open_invitations([unit.id])) if confirmer else []
    officers = status.officers if status else []
    people = person_labels(officers, current, history)
    return render_template(
        "dashboard/unit.html", course=course, unit=unit, status=status, current=current, history=history,
        requests=requests, quizzes=course_quizzes(course), results=quiz_results(officer_ids, at), at=at,
        earlier=earlier_memberships(history), executive=executive, confirmer=confirmer, invitations=invitations,
        invite_form=InviteForm(prefix="invite"), add_form=AddPersonForm(prefix="add"), move_form=_move_form(), labels=STATUS_LABELS,
        reopenable={m.id for m in history if executive and can_reopen(m)}, people=people,
        attendance=attendances_of({o.user_id for o in officers} | {m.user_id for m in current}, at), manages_trainings=can_manage_trainings(current_user))


def person_labels(officers, current, history):
    """{user id: how the unit page names the person}: the officers (as of
    the page's date), everyone with a running function and everyone in the
    history, in the order the page lists them; "Person 1", "Person 2" …
    while names are hidden, so one person has one number in every table."""
    people = {}
    for user_id, name in ([(o.user_id, o.name) for o in officers] + [(m.user_id, m.user.name) for m in current]
                          + [(m.user_id, m.user.name) for m in history]):
        if user_id not in people:
            people[user_id] = name if dashboard_shows_names() else f"Person {len(people) + 1}"
    return people


def _move_form():
    form = MoveForm(meta={"csrf": False})
    form.unit.choices = active_unit_choices()
    return form


def _membership_or_404(membership_id):
    return (Membership.select(Membership, User, Unit).join(User).switch(Membership).join(Unit)
            .where(Membership.id == membership_id).first()) or abort(404)


@bp.route("/memberships/<id:membership_id>/end", methods=["POST"])
def end(membership_id):
    membership = _membership_or_404(membership_id)
    back = url_for("dashboard.unit", unit_id=membership.unit_id)
    if not confirmed():
        return confirm_step(
            "Nicht mehr im Amt?",
            f"{membership.user.name} ist dann nicht mehr {membership.function_label} in "
            f"{membership.unit.display_name}. Das zählt ab sofort für die Übersicht; bis heute Abend lässt es "
            "sich rückgängig machen.",
            url_for("dashboard.end", membership_id=membership.id), "Ja, nicht mehr im Amt", back)
    try:
        end_membership(membership, actor=current_user)
        flash(f"{membership.user.name} ist jetzt als „nicht mehr im Amt“ eingetragen. Ein Versehen? Unten im "
              "Verlauf lässt es sich heute noch rückgängig machen.", "success")
    except PeopleError as error:
        flash(str(error), "error")
    return redirect(back)


@bp.route("/memberships/<id:membership_id>/reopen", methods=["POST"])
def reopen(membership_id):
    membership = _membership_or_404(membership_id)
    try:
        reopen_membership(membership, actor=current_user)
        flash(f"Rückgängig gemacht: {membership.user.name} ist wieder {membership.function_label}.", "success")
    except PeopleError as error:
        flash(str(error), "error")
    return redirect(url_for("dashboard.unit", unit_id=membership.unit_id))


@bp.route("/memberships/<id:membership_id>/move", methods=["POST"])
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


@bp.route("/units/<id:unit_id>/people", methods=["POST"])
def add_person(unit_id):
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    form = AddPersonForm(prefix="add")
    if form.validate_on_submit():
        user = User.get_or_none((User.email == form.email.data.strip().lower()) & User.deleted_at.is_null())
        if user is None:
            flash("Zu dieser Adresse gibt es kein Konto. Schick der Person einen Einladungslink.", "error")
        else:
            try:
                add_membership(user, unit, form.function.data, actor=current_user)
                flash(f"{user.name} ist jetzt eingetragen (bestätigt).", "success")
            except PeopleError as error:
                flash(str(error), "error")
    else:
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("dashboard.unit", unit_id=unit.id))


@bp.route("/units/<id:unit_id>/board-confirms", methods=["POST"])
def board_confirms(unit_id):
    """The state executive lets (or stops letting) the unit's confirmed board
    confirm requests and invite for the unit."""
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    choice = request.form.get("allowed")
    if choice not in ("yes", "no"):
        abort(400)
    set_board_confirms(current_user, unit, choice == "yes")
    if choice == "yes":
        flash(f"Der Vorstand von {unit.display_name} bestätigt jetzt selbst Anfragen und lädt ein.", "success")
    else:
        flash(f"Anfragen für {unit.display_name} bestätigt jetzt nur noch der Landesvorstand.", "success")
    return redirect(url_for("dashboard.unit", unit_id=unit.id))


# --- requests and invitations -----------------------------------------------------


def _confirmable_units():
    """None (every unit) for executives, else the ids a board member confirms for."""
    return confirming_unit_ids(current_user)


@bp.route("/requests")
def requests():
    """The queue: functions waiting for confirmation, oldest first."""
    rows = list(pending_requests(_confirmable_units()))
    return render_template("dashboard/requests.html", rows=rows, executive=is_executive(current_user))


@bp.route("/requests", methods=["POST"])
def decide_requests():
    """Confirm or decline one request (its button) or all ticked ones."""
    if request.form.get("confirm", "").isdecimal():
        ids, action = [int(request.form["confirm"])], "confirm"
    elif request.form.get("decline", "").isdecimal():
        ids, action = [int(request.form["decline"])], "decline"
    else:
        ids = [int(value) for value in request.form.getlist("selected") if value.isdecimal() and len(value) < 12]
        action = "confirm" if request.form.get("bulk") == "confirm" else "decline" if request.form.get("bulk") == "decline" else None
    if not ids or action is None:
        flash("Bitte wähle mindestens eine Anfrage aus.", "error")
        return redirect(_safe_back("dashboard.requests"))
    outcome = decide(ids, action, current_user._get_current_object(), _confirmable_units())
    for membership in outcome.decided:
        notify_decision(membership)
    if outcome.decided:
        verb = "bestätigt" if action == "confirm" else "abgelehnt"
        names = ", ".join(m.user.name for m in outcome.decided[:5]) + (" …" if len(outcome.decided) > 5 else "")
        flash(f"{len(outcome.decided)} Anfrage(n) {verb}: {names}. Die Personen bekommen eine E-Mail.", "success")
    if outcome.skipped:
        flash(f"{outcome.skipped} Anfrage(n) nicht entschieden: schon entschieden, nicht aus deinen Gliederungen "
              "oder deine eigenen (die bestätigt jemand anderes).", "warning")
    return redirect(_safe_back("dashboard.requests"))


def _safe_back(default_endpoint):
    """The form's ``back`` path when it is on this site, else ``default_endpoint``."""
    return safe_next_url(request.form.get("back")) or url_for(default_endpoint)


@bp.route("/invitations")
def invitations():
    rows = list(open_invitations(_confirmable_units()))
    return render_template("dashboard/invitations.html", rows=rows, executive=is_executive(current_user))


def _invitation_or_404(invitation_id):
    invitation = (Invitation.select(Invitation, Unit).join(Unit).where(Invitation.id == invitation_id).first()
                  or abort(404))
    if not may_confirm(current_user, invitation.unit_id):
        abort(403)
    return invitation


@bp.route("/units/<id:unit_id>/invitations", methods=["POST"], endpoint="create_invitation")
def create_invitation_view(unit_id):
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    if not may_confirm(current_user, unit.id):
        abort(403)
    form = InviteForm(prefix="invite")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("dashboard.unit", unit_id=unit.id))
    try:
        invitation = create_invitation(unit, form.function.data, current_user._get_current_object(),
                                       days=form.days.data, max_uses=form.uses.data, note=form.note.data or "")
    except InvitationError as error:
        flash(str(error), "error")
        return redirect(url_for("dashboard.unit", unit_id=unit.id))
    return redirect(url_for("dashboard.invitation", invitation_id=invitation.id))


@bp.route("/invitations/<id:invitation_id>")
def invitation(invitation_id):
    invitation = _invitation_or_404(invitation_id)
    link = invitation_url(invitation)
    return render_template("dashboard/invitation.html", invitation=invitation, link=link, qr=qr_svg(link),
                           executive=is_executive(current_user))


@bp.route("/invitations/<id:invitation_id>/revoke", methods=["POST"], endpoint="revoke_invitation")
def revoke_invitation_view(invitation_id):
    invitation = _invitation_or_404(invitation_id)
    if revoke_invitation(invitation, current_user._get_current_object()):
        flash("Der Einladungslink ist zurückgezogen: Wer ihn jetzt öffnet, kann nur noch eine Anfrage stellen.",
              "success")
    return redirect(_safe_back("dashboard.invitations"))


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


@bp.route("/units/<id:unit_id>/edit", methods=["GET", "POST"])
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


@bp.route("/units/<id:unit_id>/retire", methods=["POST"])
def retire(unit_id):
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    if not confirmed():
        return confirm_step(f"{unit.display_name} stilllegen?",
                            f"{unit.display_name} verschwindet aus der Übersicht und den Auswahllisten. Der Verlauf "
                            "bleibt erhalten.", url_for("dashboard.retire", unit_id=unit.id), "Ja, stilllegen",
                            url_for("dashboard.edit_unit", unit_id=unit.id))
    try:
        retire_unit(current_user, unit)
        flash(f"{unit.display_name} ist stillgelegt.", "success")
    except UnitChangeError as error:
        flash(str(error), "error")
        return redirect(url_for("dashboard.edit_unit", unit_id=unit.id))
    return redirect(url_for("dashboard.manage_units"))


@bp.route("/units/<id:unit_id>/merge", methods=["POST"])
def merge(unit_id):
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    form = MergeForm(prefix="merge")
    form.into.choices = [c for c in active_unit_choices() if c.value != unit.id]
    if not form.validate_on_submit():
        flash("Bitte wähle die Gliederung, in der diese aufgehen soll.", "error")
        return redirect(url_for("dashboard.edit_unit", unit_id=unit.id))
    into = Unit.get_by_id(form.into.data)
    if not confirmed():
        people = Membership.select().where((Membership.unit == unit) & Membership.ended_at.is_null()).count()
        return confirm_step(f"{unit.display_name} mit {into.display_name} zusammenführen?",
                            f"{people} Person(en) wechseln mit ihrer Funktion nach {into.display_name}; "
                            f"{unit.display_name} wird stillgelegt. Das lässt sich nicht rückgängig machen.",
                            url_for("dashboard.merge", unit_id=unit.id), "Ja, zusammenführen",
                            url_for("dashboard.edit_unit", unit_id=unit.id), {"merge-into": into.id})
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
    return table_download(file_format, PEOPLE_COLUMNS, data, "Personen", "personen", utcnow(),
                          current_app.config["TIMEZONE"])


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
    flash(result.summary(), "success" if not result.failed else "warning")
    return redirect(url_for("dashboard.reminders"))


@bp.route("/audit")
def audit():
    page = page_arg()
    entries = list(AuditLog.select(AuditLog, User).join(User, on=(AuditLog.actor == User.id), join_type=JOIN.LEFT_OUTER)
                   .order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).paginate(page, PAGE_SIZE))
    total = AuditLog.select().count()
    show_names = dashboard_shows_names()
    summaries = {e.id: e.summary for e in entries} if show_names else anonymised_summaries(entries)
    rows = [(entry, actor_label(entry, show_names), summaries[entry.id]) for entry in entries]
    return render_template("dashboard/audit.html", rows=rows, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1))

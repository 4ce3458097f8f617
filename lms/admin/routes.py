from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .. import privacy
from ..content.rendering import markdown_problem
from ..forms import LmsForm
from ..dashboard.tables import name_matches
from ..models import User
from ..people import PeopleError, set_roles
from ..urls import page_arg, safe_next_url
from . import bp

PAGE_SIZE = 50
ROLE_FILTERS = {"trainer": User.is_trainer, "executive": User.is_executive, "admin": User.is_admin}


@bp.route("/users")
def users():
    query = User.select().order_by(User.search_key, User.id)
    needle = request.args.get("q", "").strip().lower()[:100]
    role = request.args.get("role", "")
    if needle:
        query = query.where(name_matches(needle) | User.email.contains(needle))
    if role in ROLE_FILTERS:
        query = query.where(ROLE_FILTERS[role])
    page = page_arg()
    total = query.count()
    return render_template("admin/users.html", users=list(query.paginate(page, PAGE_SIZE)), q=needle, role=role,
                           page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), total=total)


@bp.route("/users/<id:user_id>/roles", methods=["POST"])
def roles(user_id):
    user = User.get_or_none(User.id == user_id) or abort(404)
    try:
        set_roles(user, current_user, trainer="trainer" in request.form, executive="executive" in request.form,
                  admin="admin" in request.form)
        flash(f"Rollen von {user.name} gespeichert.", "success")
    except PeopleError as error:
        flash(str(error), "error")
    return redirect(safe_next_url(request.form.get("next")) or url_for("admin.users"))


class PrivacyTextForm(LmsForm):
    body = TextAreaField("Text (Markdown)", validators=[DataRequired("Der Text darf nicht leer sein."),
                                                        Length(max=100_000)], render_kw={"rows": 24})


@bp.route("/privacy", methods=["GET", "POST"])
def privacy_settings():
    """The privacy notice (a new version per save) and the dashboard's names switch."""
    current = privacy.privacy_text()
    form = PrivacyTextForm(data={"body": current.body_markdown})
    problem = markdown_problem(form.body.data or "") if form.is_submitted() else None
    if problem:
        form.body.errors = [problem[1]]
    elif form.validate_on_submit():
        row = privacy.save_privacy_text(form.body.data, current_user._get_current_object())
        flash(f"Datenschutzhinweise als Version {row.version} gespeichert.", "success")
        return redirect(url_for("admin.privacy_settings"))
    return render_template("admin/privacy.html", form=form, text=current,
                           shows_names=privacy.dashboard_shows_names())


@bp.route("/privacy/dashboard-names", methods=["POST"])
def dashboard_names():
    show = request.form.get("show") == "1"
    privacy.set_dashboard_shows_names(show, current_user._get_current_object())
    flash("Das Dashboard zeigt jetzt Namen." if show else "Das Dashboard zeigt jetzt keine Namen mehr.", "success")
    return redirect(url_for("admin.privacy_settings"))

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user
from wtforms import PasswordField
from wtforms.validators import DataRequired

from .. import accounts, privacy
from ..certificates.pdf import certificate_pdf
from ..certificates.routes import verify_url
from ..forms import LmsForm
from . import bp


class DeleteAccountForm(LmsForm):
    password = PasswordField("Dein Passwort zur Bestätigung", validators=[DataRequired("Bitte gib dein Passwort ein.")])


@bp.route("/privacy")
def notice():
    return render_template("privacy/notice.html", text=privacy.privacy_text())


@bp.route("/account/data.zip")
def export():
    tz = current_app.config["TIMEZONE"]
    data = privacy.export_zip(current_user, lambda c: certificate_pdf(c, verify_url(c.code), tz))
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="meine-daten.zip"'})


@bp.route("/account/delete", methods=["GET", "POST"])
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.password.data) is None:
            form.password.errors.append("Das Passwort stimmt nicht.")
        else:
            user = current_user._get_current_object()
            logout_user()
            privacy.anonymise(user, actor=user)
            flash("Dein Konto ist gelöscht. Danke, dass du dabei warst!", "success")
            return redirect(url_for("learn.index"))
    return render_template("privacy/delete.html", form=form), 400 if form.errors else 200

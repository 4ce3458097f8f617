from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import accounts, second_factor
from ..mail import send_mail
from ..models import Membership, Unit, User
from ..people import PeopleError, end_membership, running_memberships, start_membership
from ..privacy import privacy_text
from ..security import LoginThrottle
from ..urls import safe_next_url
from . import bp
from .forms import (NO_UNIT, AdminSetupForm, ChangePasswordForm, CodeForm, EmailOnlyForm, JoinUnitForm, LoginForm, ProfileForm,
                    RegisterForm, ResetPasswordForm, unit_choices)

CHECK_MAIL = ("Wir haben dir eine E-Mail an {email} geschickt. Bitte klicke auf den Link darin, "
              "um deine Adresse zu bestätigen. Schau auch im Spam-Ordner nach.")


def _external_url(endpoint, **values):
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def send_verification_mail(user):
    link = _external_url("auth.verify_email", token=accounts.email_verification_token(user))
    return send_mail(user.email, "Bitte bestätige deine E-Mail-Adresse", "verify_email", user=user, link=link)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learn.index"))
    form = RegisterForm()
    form.unit.choices = unit_choices()
    if request.method == "GET":
        # Invitation links pre-fill unit and function: /register?unit=12&function=officer
        if request.args.get("unit", "").isdigit():
            form.unit.data = int(request.args["unit"])
        if request.args.get("function") in Membership.FUNCTIONS:
            form.function.data = request.args["function"]
    if form.validate_on_submit():
        unit_id = form.unit.data if form.unit.data != NO_UNIT else None
        user = accounts.register_user(form.name.data, form.email.data, form.password.data,
                                      unit_id=unit_id, function=form.function.data,
                                      consent_version=privacy_text().version)
        if user is None:
            # The address has an account already. Answer exactly as for a new
            # one, and tell the owner by mail instead of the visitor here.
            existing = accounts.find_user_by_email(form.email.data)
            send_mail(existing.email, "Registrierung mit deiner E-Mail-Adresse", "already_registered",
                      user=existing, login_link=_external_url("auth.login"),
                      reset_link=_external_url("auth.forgot_password"))
        elif not send_verification_mail(user):
            flash("Dein Konto ist angelegt, aber die E-Mail konnte gerade nicht verschickt werden. "
                  "Fordere den Bestätigungslink bitte später erneut an.", "warning")
            return redirect(url_for("auth.resend_verification"))
        flash(CHECK_MAIL.format(email=accounts.normalize_email(form.email.data)), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form)


@bp.route("/verify-email/<token>")
def verify_email(token):
    user = accounts.verify_email(token)
    if user is None:
        flash("Der Bestätigungslink ist ungültig oder abgelaufen. Fordere einfach einen neuen an.", "error")
        return redirect(url_for("auth.resend_verification"))
    flash("Danke! Deine E-Mail-Adresse ist bestätigt. Du kannst dich jetzt anmelden.", "success")
    return redirect(url_for("learn.index") if current_user.is_authenticated else url_for("auth.login"))


@bp.route("/resend-verification", methods=["GET", "POST"])
def resend_verification():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data)
        if user is not None and not user.is_verified:
            send_verification_mail(user)
        flash("Wenn zu dieser Adresse ein unbestätigtes Konto gehört, haben wir den Link erneut geschickt.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/resend_verification.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learn.index"))
    form = LoginForm()
    if form.validate_on_submit():
        throttle = LoginThrottle.from_config(current_app.config)
        if throttle.blocked(form.email.data, request.remote_addr):
            flash(f"Zu viele fehlgeschlagene Anmeldeversuche. Bitte warte {throttle.window.seconds // 60} Minuten "
                  "und versuche es dann noch einmal, oder setze dein Passwort zurück.", "error")
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.record_failure(form.email.data, request.remote_addr)
            flash("E-Mail-Adresse oder Passwort ist falsch.", "error")
        elif not user.is_verified:
            # Only someone who knows the password gets here, so this reveals nothing.
            send_verification_mail(user)
            flash("Bitte bestätige zuerst deine E-Mail-Adresse. Wir haben dir den Link noch einmal geschickt.",
                  "warning")
        elif user.totp_enabled_at:
            # Password right; the second factor decides. Nothing is logged in yet.
            session["second_factor"] = {"user": user.id, "remember": bool(form.remember.data),
                                        "next": safe_next_url(request.args.get("next"))}
            return redirect(url_for("auth.login_code"))
        else:
            throttle.record_success(form.email.data)
            login_user(user, remember=form.remember.data)
            accounts.record_login(user)
            return redirect(safe_next_url(request.args.get("next")) or url_for("learn.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Second step for accounts with a second factor: the authenticator code."""
    pending = session.get("second_factor")
    user = User.get_or_none(User.id == pending["user"]) if pending else None
    if user is None or not user.totp_enabled_at:
        session.pop("second_factor", None)
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        throttle = LoginThrottle.from_config(current_app.config)
        if throttle.blocked(user.email, request.remote_addr):
            flash("Zu viele fehlgeschlagene Versuche. Bitte warte eine Weile und melde dich dann neu an.", "error")
            session.pop("second_factor", None)
            return render_template("auth/login_code.html", form=form), 429
        if second_factor.verify(user, form.code.data):
            session.pop("second_factor", None)
            throttle.record_success(user.email)
            login_user(user, remember=pending["remember"])
            accounts.record_login(user)
            return redirect(pending["next"] or url_for("learn.index"))
        throttle.record_failure(user.email, request.remote_addr)
        form.code.errors.append("Der Code stimmt nicht oder wurde schon benutzt. Nimm den aktuellen aus deiner App.")
    return render_template("auth/login_code.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("Du bist abgemeldet.", "info")
    return redirect(url_for("learn.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data)
        if user is not None:
            link = _external_url("auth.reset_password", token=accounts.password_reset_token(user))
            send_mail(user.email, "Passwort zurücksetzen", "reset_password", user=user, link=link)
        flash("Wenn zu dieser Adresse ein Konto gehört, haben wir dir einen Link zum Zurücksetzen geschickt. "
              "Er ist zwei Stunden gültig.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    user = accounts.user_for_reset_token(token)
    if user is None:
        flash("Der Link ist ungültig, abgelaufen oder wurde schon benutzt. Fordere einfach einen neuen an.", "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        accounts.set_password(user, form.password.data)
        logout_user()
        flash("Dein Passwort ist geändert. Melde dich mit dem neuen Passwort an.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup_admin(token):
    if not accounts.admin_setup_token_valid(token):
        abort(404)
    form = AdminSetupForm()
    if form.validate_on_submit():
        existing = accounts.find_user_by_email(form.email.data)
        if existing is not None and accounts.authenticate(form.email.data, form.password.data) is None:
            # Making an existing account admin needs that account's password.
            form.password.errors.append("Zu dieser Adresse gibt es schon ein Konto. Gib dessen Passwort ein.")
        else:
            user, _ = accounts.create_admin(form.name.data, form.email.data, form.password.data)
            login_user(user)
            flash("Dein Admin-Konto ist angelegt. Willkommen!", "success")
            return redirect(url_for("learn.index"))
    return render_template("auth/setup_admin.html", form=form)


# --- the user's own account -----------------------------------------------------


def _account_page(profile_form=None, password_form=None, join_form=None, status=200):
    join_form = join_form or JoinUnitForm(prefix="join")
    join_form.unit.choices = unit_choices(include_none=False)
    return render_template("auth/account.html", profile_form=profile_form or ProfileForm(obj=current_user),
                           password_form=password_form or ChangePasswordForm(prefix="pw"), join_form=join_form,
                           memberships=list(running_memberships(current_user))), status


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = ProfileForm()
    if request.method == "POST":
        if form.validate_on_submit():
            current_user.name = form.name.data.strip()
            current_user.save(only=["name"])
            flash("Dein Name ist gespeichert.", "success")
            return redirect(url_for("auth.account"))
        return _account_page(profile_form=form, status=400)
    return _account_page()


@bp.route("/account/password", methods=["POST"])
def change_password():
    form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        if accounts.authenticate(current_user.email, form.current_password.data) is None:
            form.current_password.errors.append("Das bisherige Passwort stimmt nicht.")
        else:
            accounts.set_password(current_user, form.password.data)
            login_user(current_user)  # this session carries on with the new token; all others end
            flash("Dein Passwort ist geändert. Auf anderen Geräten bist du jetzt abgemeldet.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(password_form=form, status=400)


@bp.route("/account/memberships", methods=["POST"])
def join_unit():
    form = JoinUnitForm(prefix="join")
    form.unit.choices = unit_choices(include_none=False)
    if form.validate_on_submit():
        try:
            membership = start_membership(current_user, Unit.get_by_id(form.unit.data), form.function.data)
            flash(f"Eingetragen: {membership.function_label} in {membership.unit.display_name}.", "success")
            return redirect(url_for("auth.account"))
        except PeopleError as error:
            flash(str(error), "error")
    return _account_page(join_form=form, status=400)


@bp.route("/account/memberships/<int:membership_id>/end", methods=["POST"])
def leave_unit(membership_id):
    membership = Membership.get_or_none((Membership.id == membership_id) & (Membership.user == current_user.id))
    if membership is None:
        abort(404)
    try:
        end_membership(membership)
        flash("Eingetragen: nicht mehr in dieser Funktion.", "success")
    except PeopleError as error:
        flash(str(error), "error")
    return redirect(url_for("auth.account"))


@bp.route("/account/second-factor", methods=["GET", "POST"])
def second_factor_settings():
    """Turn the second factor on (scan, confirm with a code) or off (with a code)."""
    user = current_user._get_current_object()
    if not second_factor.may_use(user):
        abort(403)
    form = CodeForm()
    action = request.form.get("action")
    if request.method == "POST" and action == "start" and not user.totp_enabled_at:
        second_factor.start_setup(user)
        return redirect(url_for("auth.second_factor_settings"))
    if form.validate_on_submit():
        if action == "enable" and user.totp_secret and not user.totp_enabled_at:
            if second_factor.enable(user, form.code.data):
                flash("Die Zwei-Faktor-Anmeldung ist eingeschaltet.", "success")
                return redirect(url_for("auth.account"))
            form.code.errors.append("Der Code stimmt nicht. Prüfe die Uhrzeit deines Telefons und versuche es erneut.")
        elif action == "disable" and user.totp_enabled_at:
            if second_factor.verify(user, form.code.data):
                second_factor.disable(user)
                flash("Die Zwei-Faktor-Anmeldung ist ausgeschaltet.", "success")
                return redirect(url_for("auth.account"))
            form.code.errors.append("Der Code stimmt nicht oder wurde schon benutzt.")
    qr = second_factor.qr_svg(user) if user.totp_secret and not user.totp_enabled_at else None
    return render_template("auth/second_factor.html", form=form, user=user, qr=qr), 400 if form.errors else 200

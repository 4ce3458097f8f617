from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from .. import accounts, second_factor
from ..mail import send_mail_later
from ..models import Invitation, Membership, Unit, User
from ..invitations import (InvitationError, check_invitation, create_invitation, invitation_url, open_invitations,
                           qr_svg, revoke_invitation)
from ..people import PeopleError, end_membership, pending_memberships, request_membership, running_memberships
from ..privacy import privacy_text
from ..sessions import active_sessions, device_label, end_session, log_in, log_out
from ..throttle import LoginThrottle
from ..timeutil import format_datetime
from ..trainings.calendar import calendar_feed_url, end_calendar_feed, new_calendar_token
from ..urls import external_url, parse_id, safe_next_url
from . import bp
from .forms import (NO_UNIT, AdminSetupForm, ChangePasswordForm, CodeForm, EmailOnlyForm, JoinUnitForm, LoginForm, ProfileForm,
                    RegisterForm, ResetPasswordForm, unit_choices)

CHECK_MAIL = ("Wir haben dir eine E-Mail an {email} geschickt. Bitte klicke auf den Link darin, "
              "um deine Adresse zu bestätigen. Schau auch im Spam-Ordner nach.")


def send_verification_mail(user):
    link = external_url("auth.verify_email", token=accounts.email_verification_token(user))
    send_mail_later(user.email, "Bitte bestätige deine E-Mail-Adresse", "verify_email", user=user, link=link)


def _prefill_from_link(form):
    """Pre-fill unit and function from an invitation link: the signed
    ``?invite=<token>`` (see lms.invitations), or the plain
    ``?unit=12&function=officer`` of older links, which confirms nothing.
    Returns the InvitationCheck, or None without a token."""
    token = request.args.get("invite", "")
    check = check_invitation(token) if token else None
    unit_id = check.unit_id if check else parse_id(request.args.get("unit"))
    function = check.function if check else request.args.get("function")
    if unit_id is not None and any(choice.value == unit_id for choice in form.unit.choices):
        form.unit.data = unit_id
    if function in Membership.FUNCTIONS:
        form.function.data = function
    form.invite.data = token
    return check


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learn.index"))
    form = RegisterForm()
    form.unit.choices = unit_choices(please_choose=True)
    check = _prefill_from_link(form) if request.method == "GET" else None
    if form.validate_on_submit():
        unit_id = form.unit.data if form.unit.data != NO_UNIT else None
        invitation_check = check_invitation(form.invite.data) if form.invite.data else None
        user = accounts.register_user(form.name.data, form.email.data, form.password.data,
                                      unit_id=unit_id, function=form.function.data,
                                      consent_version=privacy_text().version, invitation_check=invitation_check)
        if user is None:
            # The address has an account already. Answer exactly as for a new
            # one (same work, same page; the mail goes out in the background),
            # and tell the owner by mail instead of the visitor here.
            existing = accounts.find_user_by_email(form.email.data)
            send_mail_later(existing.email, "Registrierung mit deiner E-Mail-Adresse", "already_registered",
                            user=existing, login_link=external_url("auth.login"),
                            reset_link=external_url("auth.forgot_password"))
        else:
            send_verification_mail(user)
        flash(CHECK_MAIL.format(email=accounts.normalize_email(form.email.data)), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/register.html", form=form, invitation=check)


@bp.route("/invite/<token>")
def invitation(token):
    """Where an invitation link leads: what it is for, whether it still
    works, and the way to register or (logged in) to take it up."""
    check = check_invitation(token)
    if current_user.is_authenticated:
        check = check.for_user(current_user)
    if check.invitation is not None:
        unit = check.invitation.unit  # read with the invitation
    else:  # an edited link may still name a unit, to prefill a request
        unit = Unit.get_or_none(Unit.id == check.unit_id) if check.unit_id is not None else None
    return render_template("auth/invitation.html", check=check, unit=unit, token=token,
                           function_label=Membership.FUNCTIONS.get(check.function, ""))


@bp.route("/invite/<token>", methods=["POST"])
def accept_invitation(token):
    """A logged-in person takes up the function of an invitation: confirmed
    while the link works, else a pending request."""
    check = check_invitation(token)
    unit = Unit.get_or_none((Unit.id == check.unit_id) & Unit.active()) if check.unit_id is not None else None
    if unit is None or check.function not in Membership.FUNCTIONS:
        flash("Dieser Einladungslink nennt keine Gliederung, die es gibt. Trag deine Funktion unter "
              "„Mein Konto“ ein.", "error")
        return redirect(url_for("auth.account"))
    try:
        membership = request_membership(current_user, unit, check.function, check)
    except PeopleError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.account"))
    if membership.pending:
        flash(f"Deine Anfrage als {membership.function_label} in {unit.display_name} wartet auf Bestätigung. "
              + (check.for_user(current_user).message() or ""), "warning")
    else:
        flash(f"Willkommen! Du bist jetzt als {membership.function_label} in {unit.display_name} eingetragen.",
              "success")
    return redirect(url_for("auth.account"))


@bp.route("/verify-email/<token>")
def verify_email(token):
    user = accounts.verify_email(token)
    if user is None:
        flash("Der Bestätigungslink ist ungültig oder abgelaufen. Fordere einfach einen neuen an.", "error")
        return redirect(url_for("auth.resend_verification"))
    if current_user.is_authenticated:
        flash("Danke! Deine E-Mail-Adresse ist bestätigt.", "success")
        return redirect(url_for("learn.index"))
    flash(f"Danke! Deine E-Mail-Adresse {user.email} ist bestätigt. Melde dich jetzt mit deinem Passwort an.", "success")
    # The login form fills in the address (kept in the session, not the URL).
    session["confirmed_email"] = user.email
    return redirect(url_for("auth.login"))


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


def _throttled(form_template, form, retry_at):
    flash(f"Zu viele Anmeldeversuche von diesem Gerät. Versuch es ab {format_datetime(retry_at, current_app.config['TIMEZONE'])} "
          "noch einmal, oder setze dein Passwort zurück.", "error")
    return render_template(form_template, form=form), 429


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("learn.index"))
    form = LoginForm()
    if request.method == "GET" and "confirmed_email" in session:
        form.email.data = session.pop("confirmed_email")
    if form.validate_on_submit():
        throttle = LoginThrottle.from_config(current_app.config)
        claim = throttle.claim(form.email.data, request.remote_addr)
        if not claim.allowed:
            return _throttled("auth/login.html", form, claim.retry_at)
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.failed(request.remote_addr)
            flash("E-Mail-Adresse oder Passwort ist falsch.", "error")
        elif not user.is_verified:
            # Only someone who knows the password gets here, so this reveals nothing.
            throttle.succeeded(form.email.data, request.remote_addr)
            send_verification_mail(user)
            flash("Bitte bestätige zuerst deine E-Mail-Adresse. Wir haben dir den Link noch einmal geschickt.",
                  "warning")
        elif user.totp_enabled_at:
            # Password right; the second factor decides. Nothing is logged in yet.
            session["second_factor"] = {"user": user.id, "remember": bool(form.remember.data),
                                        "next": safe_next_url(request.args.get("next"))}
            return redirect(url_for("auth.login_code"))
        else:
            throttle.succeeded(form.email.data, request.remote_addr)
            log_in(user, remember=form.remember.data)
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
        claim = throttle.claim(user.email, request.remote_addr)
        if not claim.allowed:
            session.pop("second_factor", None)
            return _throttled("auth/login_code.html", form, claim.retry_at)
        if second_factor.verify(user, form.code.data):
            session.pop("second_factor", None)
            throttle.succeeded(user.email, request.remote_addr)
            log_in(user, remember=pending["remember"])
            accounts.record_login(user)
            return redirect(pending["next"] or url_for("learn.index"))
        throttle.failed(request.remote_addr)
        form.code.errors.append("Der Code stimmt nicht oder wurde schon benutzt. Nimm den aktuellen aus deiner App.")
    return render_template("auth/login_code.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    log_out(current_user._get_current_object())
    flash("Du bist abgemeldet.", "info")
    return redirect(url_for("learn.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data)
        if user is not None:
            link = external_url("auth.reset_password", token=accounts.password_reset_token(user))
            send_mail_later(user.email, "Passwort zurücksetzen", "reset_password", user=user, link=link)
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
        accounts.set_password(user, form.password.data)  # ends every session
        LoginThrottle.clear_account(user.email)
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
            log_in(user)
            flash("Dein Admin-Konto ist angelegt. Willkommen!", "success")
            return redirect(url_for("learn.index"))
    return render_template("auth/setup_admin.html", form=form)


# --- the user's own account -----------------------------------------------------


def _account_page(profile_form=None, password_form=None, join_form=None, status=200):
    join_form = join_form or JoinUnitForm(prefix="join")
    join_form.unit.choices = unit_choices(include_none=False)
    memberships = list(running_memberships(current_user))
    handovers = {invitation.handover_from_id: invitation for invitation in
                 open_invitations().where(Invitation.handover_from.in_([m.id for m in memberships] or [0]))}
    sessions = [(s, device_label(s.user_agent)) for s in active_sessions(current_user)]
    return render_template("auth/account.html", profile_form=profile_form or ProfileForm(obj=current_user),
                           password_form=password_form or ChangePasswordForm(prefix="pw"), join_form=join_form,
                           memberships=memberships, pending=list(pending_memberships(current_user)),
                           handovers=handovers, sessions=sessions,
                           this_session=getattr(current_user, "login_session_id", None),
                           calendar_url=calendar_feed_url(current_user)), status


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
            user = current_user._get_current_object()
            accounts.set_password(user, form.password.data)  # ends every session, this one too
            log_in(user)  # this browser carries on in a new session
            flash("Dein Passwort ist geändert. Auf anderen Geräten bist du jetzt abgemeldet.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(password_form=form, status=400)


@bp.route("/account/sessions/<id:session_id>/end", methods=["POST"])
def end_login_session(session_id):
    """End one of the person's sessions (another device, or this one)."""
    if session_id == getattr(current_user, "login_session_id", None):
        log_out(current_user._get_current_object())
        flash("Du bist auf diesem Gerät abgemeldet.", "info")
        return redirect(url_for("auth.login"))
    if end_session(current_user, session_id):
        flash("Die Sitzung ist beendet: Auf dem Gerät bist du abgemeldet.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/memberships", methods=["POST"])
def join_unit():
    form = JoinUnitForm(prefix="join")
    form.unit.choices = unit_choices(include_none=False)
    if form.validate_on_submit():
        try:
            membership = request_membership(current_user, Unit.get_by_id(form.unit.data), form.function.data)
        except PeopleError as error:
            flash(str(error), "error")
        else:
            if membership.pending:
                flash(f"Deine Anfrage als {membership.function_label} in {membership.unit.display_name} wartet "
                      "auf Bestätigung. Du bekommst eine E-Mail, sobald darüber entschieden ist.", "info")
            else:
                flash(f"Eingetragen: {membership.function_label} in {membership.unit.display_name}.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(join_form=form, status=400)


@bp.route("/account/memberships/<id:membership_id>/end", methods=["POST"])
def leave_unit(membership_id):
    membership = Membership.get_or_none((Membership.id == membership_id) & (Membership.user == current_user.id))
    if membership is None:
        abort(404)
    try:
        end_membership(membership)
        flash("Deine Anfrage ist zurückgezogen." if membership.pending else
              "Eingetragen: nicht mehr in dieser Funktion.", "success")
    except PeopleError as error:
        flash(str(error), "error")
    return redirect(url_for("auth.account"))


@bp.route("/account/memberships/<id:membership_id>/handover", methods=["POST"])
def hand_over(membership_id):
    """Amt übergeben: an invitation for the successor (same unit and
    function), which ends this function once the successor is confirmed."""
    membership = (Membership.select(Membership, Unit).join(Unit)
                  .where((Membership.id == membership_id) & (Membership.user == current_user.id)
                         & Membership.is_running()).first()) or abort(404)
    if membership.function not in Membership.CONFIRMED_FUNCTIONS:
        abort(404)
    existing = open_invitations().where(Invitation.handover_from == membership.id).first()
    if existing is not None:
        return redirect(url_for("auth.handover_invitation", invitation_id=existing.id))
    try:
        invitation = create_invitation(membership.unit, membership.function, current_user._get_current_object(),
                                       handover_from=membership)
    except InvitationError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.handover_invitation", invitation_id=invitation.id))


def _own_handover_or_404(invitation_id):
    return (Invitation.select(Invitation, Unit).join(Unit)
            .where((Invitation.id == invitation_id) & (Invitation.created_by == current_user.id)
                   & Invitation.handover_from.is_null(False)).first()) or abort(404)


@bp.route("/account/handover/<id:invitation_id>")
def handover_invitation(invitation_id):
    invitation = _own_handover_or_404(invitation_id)
    link = invitation_url(invitation)
    return render_template("auth/handover.html", invitation=invitation, link=link, qr=qr_svg(link))


@bp.route("/account/handover/<id:invitation_id>/revoke", methods=["POST"])
def revoke_handover(invitation_id):
    invitation = _own_handover_or_404(invitation_id)
    revoke_invitation(invitation, current_user._get_current_object())
    flash("Der Übergabe-Link ist zurückgezogen.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/calendar", methods=["POST"])
def new_calendar_address():
    """The private address of the calendar feed: the first, or a new one
    that replaces it."""
    replaced = current_user.calendar_token is not None
    new_calendar_token(current_user._get_current_object())
    flash("Neue Kalender-Adresse erzeugt. Die alte funktioniert nicht mehr: Trag die neue in deinem Kalender ein."
          if replaced else "Deine Kalender-Adresse ist erzeugt. Trag sie in deinem Kalender ein.", "success")
    return redirect(url_for("auth.account", _anchor="kalender"))


@bp.route("/account/calendar/end", methods=["POST"])
def end_calendar_address():
    end_calendar_feed(current_user._get_current_object())
    flash("Das Kalender-Abo ist beendet: Die Adresse funktioniert nicht mehr.", "success")
    return redirect(url_for("auth.account", _anchor="kalender"))


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

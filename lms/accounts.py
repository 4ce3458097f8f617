"""Accounts: registration, e-mail verification, log-in checks, password reset.

Tokens in e-mailed links are signed with the app's secret (itsdangerous) and
expire. A password-reset token also carries a fingerprint of the current
password hash, so it works once: after the reset the hash changes and the
token no longer matches. Nothing here tells a caller whether an e-mail
address has an account.
"""
import hashlib
import hmac

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from .models import Unit, User, db
from .people import request_membership
from .sessions import end_all_sessions
from .timeutil import utcnow

MIN_PASSWORD_LENGTH = 10
MAX_EMAIL_LENGTH = 254
# Checked against when an e-mail is unknown, so a failed log-in takes as long
# for a missing account as for a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(Exception):
    """A user-facing problem (German message)."""


def normalize_email(email):
    return (email or "").strip().lower()


def email_problem(email):
    """A German message when ``email`` is not an address mail can go to,
    else None. Every form and the command line (``create-admin``) ask this
    one question, so an address one accepts the other accepts too.
    Reserved names such as ``x.test`` or ``localhost`` are refused."""
    email = (email or "").strip()
    if not email:
        return "Bitte gib eine E-Mail-Adresse an."
    if len(email) > MAX_EMAIL_LENGTH:
        return "Die E-Mail-Adresse ist zu lang."
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "Bitte gib eine gültige E-Mail-Adresse an."
    return None


def hash_password(password):
    # Werkzeug's default is scrypt, a current memory-hard algorithm.
    return generate_password_hash(password)


def password_problem(password, email=""):
    """A German message when the password is too weak, else None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein."
    if email and password.strip().lower() == normalize_email(email):
        return "Das Passwort darf nicht deine E-Mail-Adresse sein."
    if len(set(password)) < 4:
        return "Das Passwort ist zu einfach. Nimm zum Beispiel mehrere Wörter."
    return None


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def _load_token(salt, token, max_age):
    try:
        return _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except (SignatureExpired, BadSignature):
        return None


def register_user(name, email, password, unit_id=None, function=None, consent_version=None,
                  invitation_check=None):
    """Create an account (unverified), recording consent to the privacy
    notice of ``consent_version``, with the function in the unit requested
    (see ``people.request_membership``: confirmed at once only through a
    valid invitation for exactly that unit and function). Returns the user,
    or None when the e-mail is taken (the caller must answer the same way in
    both cases)."""
    email = normalize_email(email)
    # Hashed first, whether or not the address is taken: both answers take
    # the same time, and the slow hash runs outside the write transaction.
    password_hash = hash_password(password)
    with db.atomic():
        if User.select().where(User.email == email).exists():
            return None
        user = User.create(name=name.strip(), email=email, password_hash=password_hash,
                           privacy_consent_at=utcnow() if consent_version is not None else None,
                           privacy_consent_version=consent_version)
        if unit_id:
            unit = Unit.get_or_none((Unit.id == unit_id) & Unit.active())
            if unit is None:
                raise AccountError("Diese Gliederung gibt es nicht.")
            request_membership(user, unit, function or "other", invitation_check)
    return user


def find_user_by_email(email):
    return User.get_or_none(User.email == normalize_email(email))


def email_verification_token(user):
    return _serializer("verify-email").dumps({"user": user.id, "email": user.email})


def verify_email(token):
    """Mark the e-mail verified; return the user, or None for a bad/expired token."""
    data = _load_token("verify-email", token, current_app.config["EMAIL_VERIFY_MAX_AGE"])
    if not isinstance(data, dict):
        return None
    user = User.get_or_none((User.id == data.get("user")) & (User.email == data.get("email")))
    if user is None:
        return None
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        user.save(only=[User.email_verified_at])
    return user


def authenticate(email, password):
    """The user for these credentials, or None. Constant work either way."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


def record_login(user):
    """Note the login; an account warned for inactivity is active again."""
    user.last_login_at = utcnow()
    user.retention_warned_at = None
    user.save(only=[User.last_login_at, User.retention_warned_at])


def _password_fingerprint(user):
    return hmac.new(current_app.secret_key.encode(), user.password_hash.encode(), hashlib.sha256).hexdigest()[:16]


def password_reset_token(user):
    return _serializer("reset-password").dumps({"user": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(token):
    data = _load_token("reset-password", token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    if not isinstance(data, dict):
        return None
    user = User.get_or_none(User.id == data.get("user"))
    if user is None or not hmac.compare_digest(_password_fingerprint(user), str(data.get("fp"))):
        return None
    return user


def set_password(user, password):
    """Change the password and end every session of the user (the caller
    logs the current browser in again if it should stay)."""
    user.password_hash = hash_password(password)
    if user.email_verified_at is None:
        # Whoever reset the password by e-mail controls the address.
        user.email_verified_at = utcnow()
    with db.atomic():
        user.save(only=[User.password_hash, User.email_verified_at])
        end_all_sessions(user)


def create_admin(name, email, password):
    """Create an admin, or make an existing account admin. Returns (user, created)."""
    email = normalize_email(email)
    with db.atomic():
        user = User.get_or_none(User.email == email)
        if user is not None:
            user.is_admin = True
            user.email_verified_at = user.email_verified_at or utcnow()
            user.save(only=[User.is_admin, User.email_verified_at])
            return user, False
        user = User.create(name=name.strip(), email=email, password_hash=hash_password(password),
                           is_admin=True, email_verified_at=utcnow())
    return user, True


def admin_exists():
    return User.select().where(User.is_admin).exists()


def admin_setup_token():
    return _serializer("admin-setup").dumps("setup")


def admin_setup_token_valid(token):
    """The one-time setup link works only while no admin exists."""
    return _load_token("admin-setup", token, current_app.config["ADMIN_SETUP_MAX_AGE"]) == "setup" and not admin_exists()

"""Optional second factor for executives and admins: time-based one-time
passwords (TOTP, RFC 6238) from an authenticator app, via pyotp.

A code is accepted once (the time step is stored), with one step of clock
drift either way. Setting it up needs a valid code from the new secret, so
nobody locks themselves out with a mistyped secret.
"""
import time

import pyotp
import segno

from .models import User
from .timeutil import utcnow

ISSUER = "NRW Jusos Lernplattform"
STEP = 30


def may_use(user):
    """Executives and admins can turn the second factor on."""
    return user.is_executive or user.is_admin


def start_setup(user):
    """A new secret for ``user`` (not yet required at login)."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    user.save(only=[User.totp_secret, User.totp_enabled_at])
    return user.totp_secret


def provisioning_uri(user):
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user):
    return segno.make(provisioning_uri(user), error="m").svg_inline(scale=5, dark="#1a1a1a")


def verify(user, code, now=None):
    """True if ``code`` is valid now and was not used before; marks it used."""
    code = "".join((code or "").split())
    if not user.totp_secret or not code.isdigit() or len(code) != 6:
        return False
    now = time.time() if now is None else now
    totp = pyotp.TOTP(user.totp_secret)
    for drift in (0, -1, 1):
        step = int(now // STEP) + drift
        if totp.at(step * STEP) == code:
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # replayed
            updated = (User.update(totp_last_step=step)
                       .where((User.id == user.id) & ((User.totp_last_step.is_null()) | (User.totp_last_step < step)))
                       .execute())
            user.totp_last_step = step
            return updated == 1
    return False


def enable(user, code):
    if not verify(user, code):
        return False
    user.totp_enabled_at = utcnow()
    user.save(only=[User.totp_enabled_at])
    return True


def disable(user):
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.save(only=[User.totp_secret, User.totp_enabled_at, User.totp_last_step])

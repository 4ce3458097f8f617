"""Accounts: register, verify e-mail, log in and out, reset password, first admin."""
from flask import Blueprint

from ..permissions import login_required_except

bp = Blueprint("auth", __name__)

# The one access check for this blueprint: a login, except for these.
bp.before_request(login_required_except({
    "auth.login", "auth.login_code", "auth.register", "auth.verify_email", "auth.resend_verification",
    "auth.forgot_password", "auth.reset_password", "auth.setup_admin", "auth.invitation",
}))

from . import routes  # noqa: E402,F401

"""Certificates: a learner's own certificates, PDF download, public verification."""
from flask import Blueprint

from ..permissions import login_required_except

bp = Blueprint("certificates", __name__)

# The one access check for this blueprint: a login, except for these.
bp.before_request(login_required_except({"certificates.verify", "certificates.verify_form"}))

from . import routes  # noqa: E402,F401

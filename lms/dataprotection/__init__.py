"""Data protection pages: the privacy notice, a user's data export and
account deletion. The rules live in ``lms.privacy``."""
from flask import Blueprint

from ..permissions import login_required_except

bp = Blueprint("dataprotection", __name__)

# The one access check for this blueprint: a login, except for these.
bp.before_request(login_required_except({"dataprotection.notice"}))

from . import routes  # noqa: E402,F401

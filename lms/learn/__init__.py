"""Learning: start page, course overview, lessons, handouts."""
from flask import Blueprint

from ..permissions import login_required_except

bp = Blueprint("learn", __name__)

# The one access check for this blueprint: a login, except for these.
bp.before_request(login_required_except({"learn.index"}))

from . import routes  # noqa: E402,F401

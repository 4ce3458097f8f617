"""Quizzes: overview, taking an attempt, submitting, reviewing."""
from flask import Blueprint

from ..permissions import login_required_except

bp = Blueprint("quiz", __name__, url_prefix="/quiz")

# The one access check for this blueprint: a login, except for these.
bp.before_request(login_required_except(set()))

from . import routes  # noqa: E402,F401

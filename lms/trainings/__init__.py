"""Live training dates (Schulungstermine): officers find dates, sign up,
join the waiting list and confirm their attendance with the date's code
(``bp``); executives and trainers set dates up, cancel them and keep the
attendance list (``manage_bp``). The rules are in ``dates``."""
from flask import Blueprint
from flask_login import current_user

from ..permissions import can_manage_trainings, login_required_except, require

bp = Blueprint("trainings", __name__, url_prefix="/trainings")

# The one access check for learners' pages: a login, except for the private
# calendar feed, which phone calendars fetch with the token in its address.
bp.before_request(login_required_except({"trainings.calendar_feed"}))

manage_bp = Blueprint("training_admin", __name__, url_prefix="/trainings/manage")


@manage_bp.before_request
def check_access():
    """The one access check for setting dates up: executives and trainers."""
    return require(can_manage_trainings(current_user))


from . import calendar, manage, routes  # noqa: E402,F401

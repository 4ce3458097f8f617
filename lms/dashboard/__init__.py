"""The state executive's dashboard: coverage of the units, drill-down,
people over time, exports, reminders, audit log."""
from flask import Blueprint, request
from flask_login import current_user

from ..permissions import can_view_unit, is_executive, require

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# Board members of a unit may read that unit's page, nothing else here.
BOARD_READABLE = {"dashboard.unit"}


@bp.before_request
def check_access():
    """The one access check for every dashboard URL."""
    if request.endpoint in BOARD_READABLE and request.method == "GET":
        return require(can_view_unit(current_user, request.view_args.get("unit_id")))
    return require(is_executive(current_user))


@bp.context_processor
def names_switch():
    """Templates show officers' names only while admins let the dashboard do so."""
    from ..privacy import dashboard_shows_names

    return {"show_names": dashboard_shows_names()}


from . import routes  # noqa: E402,F401

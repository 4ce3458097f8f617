"""The state executive's dashboard: coverage of the units, drill-down,
people over time, exports, reminders, audit log."""
from flask import Blueprint, request
from flask_login import current_user

from ..permissions import can_view_unit, confirms_anything, is_executive, require

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

# Confirmed board members of a unit may read that unit's page.
BOARD_READABLE = {"dashboard.unit"}
# Confirmers: executives, and board members of units whose board the state
# executive lets confirm. The views narrow these to the units a user may
# confirm for (``permissions.may_confirm``).
CONFIRMER_ENDPOINTS = {"dashboard.requests", "dashboard.decide_requests", "dashboard.invitations",
                       "dashboard.invitation", "dashboard.create_invitation", "dashboard.revoke_invitation"}


@bp.before_request
def check_access():
    """The one access check for every dashboard URL."""
    if request.endpoint in BOARD_READABLE and request.method == "GET":
        return require(can_view_unit(current_user, request.view_args.get("unit_id")))
    if request.endpoint in CONFIRMER_ENDPOINTS:
        return require(confirms_anything(current_user))
    return require(is_executive(current_user))


@bp.context_processor
def names_switch():
    """Templates show officers' names only while admins let the dashboard do so."""
    from ..privacy import dashboard_shows_names

    return {"show_names": dashboard_shows_names()}


from . import routes  # noqa: E402,F401

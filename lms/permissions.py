"""Who may see and do what. Each blueprint checks these in one
``before_request`` hook, so no view can forget its check."""
from flask import abort, request
from flask_login import current_user

from .models import Membership, Unit


def is_executive(user):
    """Executives and admins see the whole dashboard and named people."""
    return user.is_authenticated and (user.is_executive or user.is_admin)


def can_author(user):
    """Trainers (and admins) write and publish course content."""
    return user.is_authenticated and (user.is_trainer or user.is_admin)


def can_manage_trainings(user):
    """Executives and trainers set up live dates and keep their attendance."""
    return is_executive(user) or can_author(user)


def board_unit_ids(user):
    """Units where the user currently sits on the board, confirmed. A
    pending board request grants nothing."""
    if not user.is_authenticated:
        return set()
    rows = Membership.select(Membership.unit).where(
        (Membership.user == user.id) & (Membership.function == "board") & Membership.is_running())
    return {row.unit_id for row in rows}


def can_view_unit(user, unit_id):
    return is_executive(user) or unit_id in board_unit_ids(user)


def confirming_unit_ids(user):
    """The units whose function requests the user may confirm and for which
    they may create invitation links: None for executives (every unit),
    else the units where they are a confirmed board member and the state
    executive lets the board confirm."""
    if is_executive(user):
        return None
    board_units = board_unit_ids(user)
    if not board_units:
        return set()
    return {unit.id for unit in Unit.select(Unit.id).where(Unit.id.in_(list(board_units)) & Unit.board_confirms)}


def may_confirm(user, unit_id):
    allowed = confirming_unit_ids(user)
    return allowed is None or unit_id in allowed


def confirms_anything(user):
    allowed = confirming_unit_ids(user)
    return allowed is None or bool(allowed)


def require(allowed):
    """403 unless ``allowed``; anonymous visitors are sent to the login."""
    if not current_user.is_authenticated:
        from .extensions import login_manager

        return login_manager.unauthorized()
    if not allowed:
        abort(403)
    return None


def login_required_except(public_endpoints):
    """A blueprint's access check: every endpoint needs a login except
    ``public_endpoints``. Register it with ``bp.before_request``."""
    public_endpoints = frozenset(public_endpoints)

    def check_access():
        if request.endpoint in public_endpoints:
            return None
        return require(True)

    return check_access

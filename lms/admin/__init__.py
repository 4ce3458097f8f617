"""Administration: accounts and their roles."""
from flask import Blueprint
from flask_login import current_user

from ..permissions import require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def check_access():
    """Only admins, for every URL of this blueprint."""
    return require(current_user.is_authenticated and current_user.is_admin)


from . import routes  # noqa: E402,F401

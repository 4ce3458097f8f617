"""Trainers author the course in the browser: lessons, modules, quizzes,
drafts and publishing, history, images, zip and GIFT exchange, item
statistics."""
from flask import Blueprint
from flask_login import current_user

from ..permissions import can_author, require

bp = Blueprint("authoring", __name__, url_prefix="/author")


@bp.before_request
def check_access():
    """The one access check for every authoring URL: trainers (and admins)."""
    return require(can_author(current_user))


from . import routes  # noqa: E402,F401

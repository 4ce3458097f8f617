"""Data protection pages: the privacy notice, a user's data export and
account deletion. The rules live in ``lms.privacy``."""
from flask import Blueprint

bp = Blueprint("dataprotection", __name__)

from . import routes  # noqa: E402,F401

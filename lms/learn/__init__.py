"""Learning: start page, course overview, lessons, handouts."""
from flask import Blueprint

bp = Blueprint("learn", __name__)

from . import routes  # noqa: E402,F401

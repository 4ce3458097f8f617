"""Quizzes: overview, taking an attempt, submitting, reviewing."""
from flask import Blueprint

bp = Blueprint("quiz", __name__, url_prefix="/quiz")

from . import routes  # noqa: E402,F401

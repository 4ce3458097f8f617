"""Certificates: a learner's own certificates, PDF download, public verification."""
from flask import Blueprint

bp = Blueprint("certificates", __name__)

from . import routes  # noqa: E402,F401

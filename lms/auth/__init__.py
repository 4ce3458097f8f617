"""Accounts: register, verify e-mail, log in and out, reset password, first admin."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import routes  # noqa: E402,F401

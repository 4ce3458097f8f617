"""Login sessions that the server can end.

Every login creates a ``LoginSession`` row and puts a random token in the
session (and, with "Angemeldet bleiben", in the remember-me cookie): the id
Flask-Login keeps is ``<user id>:<token>``. Only a hash of the token is
stored. A request is logged in only while its row has not ended, so

- logging out ends that session: a cookie copied before still opens nothing;
- a password change or reset, an account deletion or the removal of a role
  ends all of the person's sessions;
- *Mein Konto* lists the active sessions (device, last use) and ends any one.

``last_seen_at`` is written at most every few minutes, so a page view does
not write to the database each time.
"""
import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app, request
from flask_login import login_user, logout_user

from .database import parse_timestamp
from .models import LoginSession, User, db
from .timeutil import utcnow

SEEN_EVERY = timedelta(minutes=5)


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(user, remember=False):
    """Start a session for ``user`` in this browser and log them in."""
    token = secrets.token_urlsafe(32)
    LoginSession.create(user=user.id, token_hash=_hash(token),
                        user_agent=(request.user_agent.string or "")[:250])
    user.session_token = token
    login_user(user, remember=remember)
    return user


def load_user(session_id):
    """The user of a session id from the cookie, or None once it ended
    (Flask-Login's user loader)."""
    user_id, _, token = (session_id or "").partition(":")
    if not user_id.isdecimal() or not token or len(token) > 100:
        return None
    # Runs on every request: a raw query, so no SQL is built each time.
    user = next(iter(User.raw(_session_sql(), _hash(token), int(user_id))), None)
    if user is None or user.deleted_at is not None:
        return None
    now = utcnow()
    last_seen = parse_timestamp(user.session_last_seen_at)
    if last_seen < now - idle_limit():
        end_sessions(LoginSession.id == user.session_row_id)
        return None
    if last_seen < now - SEEN_EVERY:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == user.session_row_id).execute()
    user.session_token = token
    user.login_session_id = user.session_row_id
    return user


def _session_sql():
    p = db.obj.param
    return ('SELECT "user".*, s.id AS session_row_id, s.last_seen_at AS session_last_seen_at '
            'FROM login_session AS s JOIN "user" ON "user".id = s.user_id '
            f"WHERE s.token_hash = {p} AND s.ended_at IS NULL AND s.user_id = {p}")


def idle_limit():
    """A session unused for this long has ended (the remember-me cookie's life)."""
    return current_app.config["REMEMBER_COOKIE_DURATION"]


def end_sessions(condition):
    return LoginSession.update(ended_at=utcnow()).where(condition & LoginSession.ended_at.is_null()).execute()


def log_out(user):
    """End this browser's session on the server, then forget it here."""
    session_id = getattr(user, "login_session_id", None)
    if session_id is not None:
        end_sessions(LoginSession.id == session_id)
    logout_user()


def end_all_sessions(user):
    """Every session of ``user`` ends (password change, deletion, roles)."""
    return end_sessions(LoginSession.user == user.id)


def end_session(user, session_id):
    """End one of the user's own sessions (Mein Konto); True if it ran."""
    return bool(end_sessions((LoginSession.id == session_id) & (LoginSession.user == user.id)))


def active_sessions(user):
    since = utcnow() - idle_limit()
    return list(LoginSession.select()
                .where((LoginSession.user == user.id) & LoginSession.ended_at.is_null()
                       & (LoginSession.last_seen_at >= since))
                .order_by(LoginSession.last_seen_at.desc()))


_BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari")]
_SYSTEMS = [("Android", "Android"), (re.compile(r"iPhone|iPad|iPod"), "iOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")]


def device_label(user_agent):
    """'Firefox unter Windows' from a User-Agent header, or 'Unbekanntes Gerät'."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS
                   if (marker.search(agent) if hasattr(marker, "search") else marker in agent)), None)
    if browser and system:
        return f"{browser} unter {system}"
    return browser or system or "Unbekanntes Gerät"

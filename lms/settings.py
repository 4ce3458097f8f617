"""Small values kept in the ``site_setting`` table: switches admins flip and
the revision stamps of the in-memory snapshots (``lms.catalog``,
``lms.units``).

All of them are read in one query per request (they are a handful of rows)
and kept in ``g`` for the rest of it, so a page that needs the content
revision, the units revision and the names switch asks the database once.
"""
import secrets
import threading

from flask import current_app, g, has_app_context

from .models import SiteSetting, db

# Re-entrant: building one snapshot may read another (the map reads the units).
_build_lock = threading.RLock()


def _all_settings():
    return dict(db.execute_sql("SELECT key, value FROM site_setting").fetchall())


def setting(key, default=None):
    """The stored value of ``key`` (read once per request)."""
    if not has_app_context():
        return _all_settings().get(key, default)
    values = g.get("lms_settings")
    if values is None:
        values = g.lms_settings = _all_settings()
    return values.get(key, default)


def store_setting(key, value):
    """Write ``key`` (inside the caller's transaction, if any)."""
    updated = SiteSetting.update(value=value).where(SiteSetting.key == key).execute()
    if not updated:
        SiteSetting.insert(key=key, value=value).on_conflict(
            conflict_target=[SiteSetting.key], update={SiteSetting.value: value}).execute()
    if has_app_context():
        g.pop("lms_settings", None)
    return value


def new_revision(key):
    """Mark what ``key`` stands for as changed: a new random stamp, so
    concurrent changes never end up with the same stamp."""
    return store_setting(key, secrets.token_hex(8))


def per_revision(revision_key, name, build):
    """``build(revision)``, kept in the app under ``name`` until the stamp
    of ``revision_key`` changes: every worker sees a change on its next
    request and builds once, however many threads ask at that moment."""
    revision = setting(revision_key, "")
    cached = current_app.extensions.get(name)
    if cached is None or cached[0] != revision:
        with _build_lock:
            cached = current_app.extensions.get(name)
            if cached is None or cached[0] != revision:
                cached = current_app.extensions[name] = (revision, build(revision))
    return cached[1]

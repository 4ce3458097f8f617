"""Backup and restore of the embedded SQLite database.

Both use SQLite's online backup API: a consistent copy is taken page by
page while the app keeps serving (readers and writers are not stopped), and
a restore copies a backup into the live database in one step, so workers
that have it open see either the old or the restored state, never a mix.
PostgreSQL deployments use ``pg_dump``/``pg_restore`` instead (see README).
"""
import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

from .models import db

REQUIRED_TABLES = {"user", "unit", "course", "schema_migration"}


class BackupError(RuntimeError):
    pass


def _sqlite_connection():
    if not isinstance(db.obj, SqliteDatabase):
        raise BackupError("Das geht nur mit SQLite. Für PostgreSQL: pg_dump und pg_restore (siehe README).")
    db.connect(reuse_if_open=True)
    return db.connection()


def backup(target):
    """Write a consistent copy of the live database to ``target``."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} gibt es schon; wähle einen neuen Dateinamen.")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = _sqlite_connection()
    temporary = target.with_name(target.name + ".part")
    destination = sqlite3.connect(temporary)
    try:
        source.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        destination.close()
    temporary.replace(target)
    return target


def check_backup(path):
    """Raise BackupError unless ``path`` is an intact backup of this app."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} gibt es nicht.")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} ist beschädigt (integrity_check).")
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} ist keine SQLite-Datenbank: {error}") from None
    missing = REQUIRED_TABLES - tables
    if missing:
        raise BackupError(f"{path} ist keine Sicherung dieser Plattform (es fehlen: {', '.join(sorted(missing))}).")


def restore(source):
    """Replace the live database's content with the backup at ``source``."""
    check_backup(source)
    live = _sqlite_connection()
    backup_connection = sqlite3.connect(f"file:{Path(source)}?mode=ro", uri=True)
    try:
        backup_connection.backup(live)
    finally:
        backup_connection.close()

"""Online backup and restore of the SQLite database, through the CLI."""
from lms.models import LessonProgress, User

from .conftest import sqlite_only
from .helpers import make_user

pytestmark = sqlite_only("backup and restore use SQLite's online backup API (PostgreSQL: pg_dump)")


def rows(app):
    with app.app_context():
        return sorted((u.email, u.name) for u in User.select()), LessonProgress.select().count()


def test_backup_then_restore_gives_back_the_same_data(app, runner, tmp_path):
    with app.app_context():
        make_user("vorher@example.org", "Vorher")
    before = rows(app)
    target = tmp_path / "sicherung.sqlite3"
    result = runner.invoke(args=["lms", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists()

    with app.app_context():
        make_user("nachher@example.org", "Nachher")
        User.update(name="Geändert").where(User.email == "vorher@example.org").execute()
    assert rows(app) != before

    result = runner.invoke(args=["lms", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert rows(app) == before


def test_backup_refuses_to_overwrite(app, runner, tmp_path):
    target = tmp_path / "da.sqlite3"
    target.write_text("x")
    result = runner.invoke(args=["lms", "backup", str(target)])
    assert result.exit_code != 0 and "gibt es schon" in result.output
    assert target.read_text() == "x"


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    before = rows(app)
    bogus = tmp_path / "kaputt.sqlite3"
    bogus.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["lms", "restore", str(bogus), "--yes"])
    assert result.exit_code != 0 and "keine SQLite-Datenbank" in result.output
    assert rows(app) == before


def test_backup_by_default_goes_to_the_instance_folder(app, runner):
    result = runner.invoke(args=["lms", "backup"])
    assert result.exit_code == 0, result.output
    assert "/backups/lms-" in result.output

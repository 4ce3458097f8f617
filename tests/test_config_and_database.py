"""Configuration and the database layer."""
import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

from lms import ConfigurationError, create_app
from lms.database import migrate, open_database, pending_migrations, schema_differences
from lms.models import db

from .conftest import sqlite_only


def test_production_refuses_to_start_without_a_strong_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    for key in (None, "dev", "change-me", "kurz"):
        with pytest.raises(ConfigurationError, match="SECRET_KEY"):
            create_app({"LMS_ENV": "production", "SECRET_KEY": key})
    app = create_app({"LMS_ENV": "production", "SECRET_KEY": "x" * 40})
    assert app.secret_key == "x" * 40


def test_development_generates_and_keeps_a_random_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    first = create_app({"SECRET_KEY": None})
    second = create_app({"SECRET_KEY": None})
    assert len(first.secret_key) == 64
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "s" * 40, "DATABASE_URL": None})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'lms.sqlite3'}"


@sqlite_only("WAL, foreign_keys and busy_timeout are SQLite pragmas")
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(app):
    assert isinstance(db.obj, SqliteDatabase)
    db.connect(reuse_if_open=True)
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 15000
    db.close()


def test_postgresql_urls_open_a_postgresql_database():
    database = open_database("postgresql://lms:secret@127.0.0.1:5432/lms")
    assert isinstance(database, PostgresqlDatabase)
    assert database.database == "lms"


def test_migrations_build_exactly_the_schema_the_models_declare(fresh_database_url):
    database = open_database(fresh_database_url)
    assert pending_migrations(database)
    migrate(database)
    assert pending_migrations(database) == []
    assert not schema_differences(database), str(schema_differences(database))
    assert migrate(database) == []  # running again changes nothing


def test_migrate_command_upgrades_in_place_without_losing_data(runner, learner):
    result = runner.invoke(args=["lms", "migrate"])
    assert result.exit_code == 0
    assert "Datenbankschema ist aktuell." in result.output
    assert learner.__class__.get_by_id(learner.id).email == learner.email


def test_an_old_database_is_upgraded_in_place_keeping_its_data(fresh_database_url):
    """A database created by the first release gets the later migrations."""
    from lms.database import migration_runner

    database = open_database(fresh_database_url)
    migration_runner(database).up(target="0001_initial_schema")
    database.execute_sql("INSERT INTO region (name) VALUES ('Niederrhein')")
    p = database.param
    database.execute_sql("INSERT INTO unit (name, kind, region_id, area_type, administrative_district, is_active, "
                         f"created_at) VALUES ('Alt', 'UB', 1, '', '', {p}, '2025-01-01 00:00:00'), "
                         f"('Aktiv', 'UB', 1, '', '', {p}, '2025-01-01 00:00:00')", (False, True))
    applied = migrate(database)
    assert applied and applied[0].startswith("0002")
    rows = dict(database.execute_sql("SELECT name, retired_at FROM unit").fetchall())
    assert rows["Aktiv"] is None and rows["Alt"] is not None
    assert not schema_differences(database)

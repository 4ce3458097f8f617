"""Things that differ between SQLite and PostgreSQL, checked on whichever the
suite runs on (``scripts/test-postgres.sh`` runs it on PostgreSQL)."""
import json
from datetime import datetime

from peewee import PostgresqlDatabase, SqliteDatabase

from lms.database import migrate, migration_runner, open_database, schema_differences
from lms.models import LoginAttempts, db

from .conftest import ON_POSTGRES


def test_the_suite_runs_on_the_database_it_was_asked_for(app):
    with app.app_context():
        assert isinstance(db.obj, PostgresqlDatabase if ON_POSTGRES else SqliteDatabase)


def test_a_failed_login_with_the_longest_valid_address_is_counted(client, app):
    # 254 characters: a key holding the address would overflow VARCHAR(255) on PostgreSQL.
    email = "a" * 64 + "@" + "b" * 59 + "." + ("b" * 58 + ".") * 2 + "example.org"
    assert len(email) == 254
    response = client.submit("/login", {"email": email, "password": "falsch-falsch-falsch"})
    assert response.status_code == 200
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.get_data(as_text=True)
    with app.app_context():
        assert LoginAttempts.select().where(LoginAttempts.key.startswith("pair:")).count() == 1


def test_the_enrollment_backfill_migration_counts_existing_records(fresh_database_url):
    """0003 fills Enrollment from the learning records in plain SQL
    (booleans, JSON, timestamps: all spelled differently per database)."""
    database = open_database(fresh_database_url)
    migration_runner(database).up(target="0002_people_history_audit_reminders")
    p = database.param

    def insert(table, **values):
        columns = ", ".join(values)
        cursor = database.execute_sql(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join([p] * len(values))}) RETURNING id",
            tuple(values.values()))
        return cursor.fetchone()[0]

    t = datetime(2025, 3, 1, 12, 0)
    user = insert('"user"', email="alt@example.org", name="Alt", password_hash="x", login_token="t",
                  is_trainer=False, is_executive=False, is_admin=False, created_at=t)
    course = insert("course", slug="kurs", title="Kurs", version="1", summary="", certificate_valid_months=24,
                    completion=json.dumps({"lessons": "all", "module_quizzes": "passed"}), guide_summary_title="",
                    guide_summary_html="", content_hash="", loaded_at=t, is_retired=False)
    modules = [insert("module", course_id=course, slug=f"m{i}", position=i, title="M", summary="",
                      is_retired=retired) for i, retired in ((1, False), (2, True))]
    lessons = [insert("lesson", module_id=module, slug=f"l{i}", position=i, title="L", minutes=5, goals="[]",
                      body_markdown="", body_html="", content_hash="", is_retired=retired)
               for i, (module, retired) in enumerate([(modules[0], False), (modules[0], True), (modules[1], False)])]
    quiz = insert("quiz", course_id=course, module_id=modules[0], slug="q", title="Q", is_final=False, pass_mark=70,
                  shuffle_questions=True, shuffle_choices=True, max_attempts=0, cooldown_minutes=0, questions="[]",
                  content_hash="", is_retired=False)
    for lesson in lessons:  # only the first counts: the others are retired
        insert("lesson_progress", user_id=user, lesson_id=lesson, first_seen_at=t, completed_at=t)
    for number, passed in enumerate((False, True, True)):
        insert("quiz_attempt", user_id=user, quiz_id=quiz, token=f"tok{number}", started_at=t,
               submitted_at=datetime(2025, 3, 2 + number), questions="[]", max_score=1, score=int(passed),
               passed=passed)

    migrate(database)
    steps, started, last = database.execute_sql(
        "SELECT steps_done, started_at, last_activity_at FROM enrollment").fetchone()
    assert steps == 2  # one live lesson + the quiz, passed (twice, counted once)
    assert str(started).startswith("2025-03-01 12:00") and str(last).startswith("2025-03-04")
    assert not schema_differences(database)

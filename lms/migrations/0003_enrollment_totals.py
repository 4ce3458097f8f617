"""Enrollment: per learner and course, running totals for the dashboard.

Generated from a schema diff, plus a backfill from the existing learning
records. The backfill is a frozen copy of what progress.refresh_enrollments
computed when this migration was written, in plain SQL.
"""
import json

from peewee import *


def _backfill(db):
    p = db.param
    for course_id, completion in db.execute_sql("SELECT id, completion FROM course").fetchall():
        rule = json.loads(completion) if isinstance(completion, str) else (completion or {})
        lesson_ids = [row[0] for row in db.execute_sql(
            f"SELECT l.id FROM lesson l JOIN module m ON l.module_id = m.id "
            f"WHERE m.course_id = {p} AND NOT m.is_retired AND NOT l.is_retired", (course_id,))]
        if rule.get("lessons", "all") != "all":
            lesson_ids = []
        quiz_ids = [row[0] for row in db.execute_sql(
            f"SELECT q.id, q.is_final FROM quiz q LEFT JOIN module m ON q.module_id = m.id "
            f"WHERE q.course_id = {p} AND NOT q.is_retired AND (m.id IS NULL OR NOT m.is_retired)", (course_id,))
            if (row[1] and rule.get("final_quiz") == "passed")
            or (not row[1] and rule.get("module_quizzes", "passed") == "passed")]
        counted_lessons = ",".join(str(i) for i in lesson_ids) or "0"
        counted_quizzes = ",".join(str(i) for i in quiz_ids) or "0"
        totals = {}
        lessons = db.execute_sql(
            f"SELECT lp.user_id, SUM(CASE WHEN lp.completed_at IS NOT NULL AND lp.lesson_id IN ({counted_lessons}) "
            f"THEN 1 ELSE 0 END), MIN(lp.first_seen_at), MAX(COALESCE(lp.completed_at, lp.first_seen_at)) "
            f"FROM lesson_progress lp JOIN lesson l ON lp.lesson_id = l.id JOIN module m ON l.module_id = m.id "
            f"WHERE m.course_id = {p} GROUP BY lp.user_id", (course_id,)).fetchall()
        attempts = db.execute_sql(
            f"SELECT a.user_id, COUNT(DISTINCT CASE WHEN a.passed AND a.quiz_id IN ({counted_quizzes}) "
            f"THEN a.quiz_id END), MIN(a.started_at), MAX(COALESCE(a.submitted_at, a.started_at)) "
            f"FROM quiz_attempt a JOIN quiz q ON a.quiz_id = q.id WHERE q.course_id = {p} GROUP BY a.user_id",
            (course_id,)).fetchall()
        for user_id, done, first, last in lessons + attempts:
            steps, started, latest = totals.get(user_id, (0, None, None))
            totals[user_id] = (steps + int(done or 0), min(filter(None, (started, first)), default=None),
                               max(filter(None, (latest, last)), default=None))
        for user_id, (steps, started, latest) in totals.items():
            db.execute_sql(f"INSERT INTO enrollment (user_id, course_id, started_at, last_activity_at, steps_done) "
                           f"VALUES ({p}, {p}, {p}, {p}, {p})", (user_id, course_id, started, latest, steps))


def up(migrator, db):
    class Course(Model):
        class Meta:
            database = db
            table_name = 'course'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Enrollment(Model):
        user = ForeignKeyField(User)
        course = ForeignKeyField(Course)
        started_at = DateTimeField(null=True)
        last_activity_at = DateTimeField(null=True)
        steps_done = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'enrollment'
            indexes = ((('user', 'course'), True),)
    db.create_tables([Enrollment])
    _backfill(db)


def down(migrator, db):
    migrator.migrate(migrator.drop_table('enrollment'))

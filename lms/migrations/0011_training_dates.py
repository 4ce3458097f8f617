"""Live training dates: dates, registrations (with waiting list) and
attendance; learning records completed by attending; how a certificate's
course was completed; the private calendar feed's token.

Timestamp defaults (created_at, queued_at, recorded_at) are set by the app.
"""
from peewee import *
from lms.models import DateTimeField


def up(migrator, db):
    class Course(Model):
        class Meta:
            database = db
            table_name = 'course'

    class Region(Model):
        class Meta:
            database = db
            table_name = 'region'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class TrainingDate(Model):
        course = ForeignKeyField(Course)
        title = CharField()
        module_slugs = JSONField(default=list)
        starts_at = DateTimeField(index=True)
        ends_at = DateTimeField()
        place = CharField(default='')
        video_url = CharField(default='')
        capacity = IntegerField()
        registration_deadline = DateTimeField()
        region = ForeignKeyField(Region, null=True)
        description_markdown = TextField(default='')
        description_html = TextField(default='')
        attendance_code = CharField(unique=True)
        walk_ins_allowed = BooleanField(default=False)
        created_by = ForeignKeyField(User, null=True)
        created_at = DateTimeField()
        cancelled_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'training_date'
    db.create_tables([TrainingDate])

    class Attendance(Model):
        training = ForeignKeyField(TrainingDate)
        user = ForeignKeyField(User)
        recorded_at = DateTimeField()
        recorded_via = CharField(max_length=16)
        recorded_by = ForeignKeyField(User, null=True)
        withdrawn_at = DateTimeField(null=True)
        withdrawn_by = ForeignKeyField(User, null=True)
        class Meta:
            database = db
            table_name = 'attendance'
            indexes = ((('training', 'user'), True),)
    db.create_tables([Attendance])

    class TrainingRegistration(Model):
        training = ForeignKeyField(TrainingDate)
        user = ForeignKeyField(User)
        status = CharField(max_length=16)
        queued_at = DateTimeField()
        created_at = DateTimeField()
        promoted_at = DateTimeField(null=True)
        cancelled_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'training_registration'
            indexes = ((('training', 'user'), True), (('training', 'status', 'queued_at'), False))
    db.create_tables([TrainingRegistration])

    migrator.migrate(migrator.add_column('user', 'calendar_token', CharField(unique=True, null=True)))
    migrator.migrate(migrator.add_column('quiz_attempt', 'attendance_id', ForeignKeyField(Attendance, field=Attendance.id, null=True)))
    migrator.migrate(migrator.add_column('certificate', 'completed_via', TextField(default='')))
    migrator.migrate(migrator.add_column('lesson_progress', 'attendance_id', ForeignKeyField(Attendance, field=Attendance.id, null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('lesson_progress', 'lesson_progress_attendance_id'))
    migrator.migrate(migrator.drop_index('quiz_attempt', 'quiz_attempt_attendance_id'))
    migrator.migrate(migrator.drop_index('user', 'user_calendar_token'))
    migrator.migrate(migrator.drop_column('lesson_progress', 'attendance_id'))
    migrator.migrate(migrator.drop_column('certificate', 'completed_via'))
    migrator.migrate(migrator.drop_column('quiz_attempt', 'attendance_id'))
    migrator.migrate(migrator.drop_column('user', 'calendar_token'))
    migrator.migrate(migrator.drop_table('training_registration'))
    migrator.migrate(migrator.drop_table('attendance'))
    migrator.migrate(migrator.drop_table('training_date'))

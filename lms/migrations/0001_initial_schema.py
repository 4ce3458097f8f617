"""Initial schema.

Generated from a schema diff of lms.models. Python-side defaults (timestamps,
tokens) are applied by the models, not by the database, so the frozen
models here leave them out.
"""
from peewee import *


def up(migrator, db):
    class User(Model):
        email = CharField(unique=True)
        name = CharField()
        password_hash = CharField()
        login_token = CharField()
        is_trainer = BooleanField(default=False)
        is_executive = BooleanField(default=False)
        is_admin = BooleanField(default=False)
        email_verified_at = DateTimeField(null=True)
        created_at = DateTimeField()
        last_login_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'user'
    db.create_tables([User])

    class Course(Model):
        slug = CharField(unique=True)
        title = CharField()
        version = CharField()
        summary = TextField(default='')
        certificate_valid_months = IntegerField(default=24)
        completion = JSONField(default=dict)
        guide_summary_title = CharField(default='')
        guide_summary_html = TextField(default='')
        content_hash = CharField(default='')
        loaded_at = DateTimeField()
        is_retired = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'course'
    db.create_tables([Course])

    class Module(Model):
        course = ForeignKeyField(Course)
        slug = CharField()
        position = IntegerField()
        title = CharField()
        summary = TextField(default='')
        is_retired = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'module'
            indexes = ((('course', 'slug'), True),)
    db.create_tables([Module])

    class Quiz(Model):
        course = ForeignKeyField(Course)
        module = ForeignKeyField(Module, null=True)
        slug = CharField()
        title = CharField()
        is_final = BooleanField(default=False)
        pass_mark = IntegerField(default=70)
        shuffle_questions = BooleanField(default=True)
        shuffle_choices = BooleanField(default=True)
        max_attempts = IntegerField(default=0)
        cooldown_minutes = IntegerField(default=0)
        questions = JSONField(default=list)
        content_hash = CharField()
        is_retired = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'quiz'
            indexes = ((('course', 'slug'), True),)
    db.create_tables([Quiz])

    class QuizAttempt(Model):
        user = ForeignKeyField(User)
        quiz = ForeignKeyField(Quiz)
        token = CharField(unique=True)
        started_at = DateTimeField()
        submitted_at = DateTimeField(null=True)
        questions = JSONField()
        responses = JSONField(null=True)
        score = IntegerField(null=True)
        max_score = IntegerField()
        passed = BooleanField(null=True)
        class Meta:
            database = db
            table_name = 'quiz_attempt'
            indexes = ((('user', 'quiz', 'submitted_at'), False),)
    db.create_tables([QuizAttempt])

    class AttemptAnswer(Model):
        attempt = ForeignKeyField(QuizAttempt)
        question_key = CharField()
        is_correct = BooleanField()
        response = JSONField(null=True)
        class Meta:
            database = db
            table_name = 'attempt_answer'
    db.create_tables([AttemptAnswer])

    class Certificate(Model):
        user = ForeignKeyField(User, null=True)
        course = ForeignKeyField(Course)
        code = CharField(unique=True)
        issued_at = DateTimeField()
        expires_at = DateTimeField(null=True)
        revoked_at = DateTimeField(null=True)
        revoked_reason = TextField(default='')
        holder_name = CharField()
        unit_name = CharField(default='')
        course_title = CharField()
        course_version = CharField()
        class Meta:
            database = db
            table_name = 'certificate'
            indexes = ((('user', 'course'), False),)
    db.create_tables([Certificate])

    class Handout(Model):
        course = ForeignKeyField(Course)
        module = ForeignKeyField(Module, null=True)
        slug = CharField()
        position = IntegerField()
        title = CharField()
        summary = TextField(default='')
        body_markdown = TextField()
        body_html = TextField()
        content_hash = CharField()
        is_retired = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'handout'
            indexes = ((('course', 'slug'), True),)
    db.create_tables([Handout])

    class Lesson(Model):
        module = ForeignKeyField(Module)
        slug = CharField()
        position = IntegerField()
        title = CharField()
        minutes = IntegerField()
        goals = JSONField(default=list)
        body_markdown = TextField()
        body_html = TextField()
        content_hash = CharField()
        is_retired = BooleanField(default=False)
        class Meta:
            database = db
            table_name = 'lesson'
            indexes = ((('module', 'slug'), True),)
    db.create_tables([Lesson])

    class LessonProgress(Model):
        user = ForeignKeyField(User)
        lesson = ForeignKeyField(Lesson)
        first_seen_at = DateTimeField()
        completed_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'lesson_progress'
            indexes = ((('user', 'lesson'), True),)
    db.create_tables([LessonProgress])

    class Region(Model):
        name = CharField(unique=True)
        class Meta:
            database = db
            table_name = 'region'
    db.create_tables([Region])

    class Unit(Model):
        name = CharField(unique=True)
        kind = CharField(max_length=2, default='UB')
        region = ForeignKeyField(Region)
        area_type = CharField(default='')
        administrative_district = CharField(default='')
        is_active = BooleanField(default=True)
        created_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'unit'
    db.create_tables([Unit])

    class Membership(Model):
        user = ForeignKeyField(User)
        unit = ForeignKeyField(Unit)
        function = CharField(max_length=16)
        started_at = DateTimeField()
        ended_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'membership'
            indexes = ((('unit', 'ended_at'), False), (('user', 'ended_at'), False))
    db.create_tables([Membership])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('membership'))
    migrator.migrate(migrator.drop_table('unit'))
    migrator.migrate(migrator.drop_table('region'))
    migrator.migrate(migrator.drop_table('lesson_progress'))
    migrator.migrate(migrator.drop_table('lesson'))
    migrator.migrate(migrator.drop_table('handout'))
    migrator.migrate(migrator.drop_table('certificate'))
    migrator.migrate(migrator.drop_table('attempt_answer'))
    migrator.migrate(migrator.drop_table('quiz_attempt'))
    migrator.migrate(migrator.drop_table('quiz'))
    migrator.migrate(migrator.drop_table('module'))
    migrator.migrate(migrator.drop_table('course'))
    migrator.migrate(migrator.drop_table('user'))

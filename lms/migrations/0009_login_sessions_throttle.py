"""Sessions the server can end, and login throttling per account-and-address pair.

New tables login_session and login_attempts; login_failure and the user's
login_token go (a session now lives in its own row). Everyone logs in again
once after this upgrade.
"""
from peewee import *
from lms.models import DateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class LoginSession(Model):
        user = ForeignKeyField(User)
        token_hash = CharField(unique=True)
        created_at = DateTimeField()
        last_seen_at = DateTimeField()
        user_agent = CharField(default='')
        ended_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'login_session'
            indexes = ((('user', 'ended_at'), False),)

    class LoginAttempts(Model):
        key = CharField(unique=True)
        account = CharField(null=True, index=True)
        attempts = IntegerField(default=0)
        next_allowed_at = DateTimeField()
        updated_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'login_attempts'
    db.create_tables([LoginSession, LoginAttempts])
    migrator.migrate(migrator.drop_table('login_failure'))
    migrator.migrate(migrator.drop_column('user', 'login_token'))


def down(migrator, db):
    class LoginFailure(Model):
        key = CharField(index=True)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'login_failure'
    db.create_tables([LoginFailure])
    migrator.migrate(migrator.add_column('user', 'login_token', CharField(default='')))
    migrator.migrate(migrator.drop_table('login_attempts'))
    migrator.migrate(migrator.drop_table('login_session'))

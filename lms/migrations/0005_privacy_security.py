"""Privacy and security: consent and deletion on users, anonymised
certificates, login throttling, admin-edited texts and settings.

Generated from a schema diff. Timestamp defaults are set by the models in
Python, so the tables need no database defaults.
"""
from peewee import *
from lms.models import DateTimeField

def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class LoginFailure(Model):
        key = CharField(index=True)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'login_failure'
    db.create_tables([LoginFailure])

    class SiteSetting(Model):
        key = CharField(unique=True)
        value = CharField()
        class Meta:
            database = db
            table_name = 'site_setting'
    db.create_tables([SiteSetting])

    class SiteText(Model):
        key = CharField()
        version = IntegerField()
        body_markdown = TextField()
        body_html = TextField()
        updated_by = ForeignKeyField(User, null=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'site_text'
            indexes = ((('key', 'version'), True),)
    db.create_tables([SiteText])

    migrator.migrate(migrator.add_column('user', 'privacy_consent_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('user', 'privacy_consent_version', IntegerField(null=True)))
    migrator.migrate(migrator.add_column('user', 'retention_warned_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('user', 'deleted_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('certificate', 'anonymized_at', DateTimeField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('certificate', 'anonymized_at'))
    migrator.migrate(migrator.drop_column('user', 'deleted_at'))
    migrator.migrate(migrator.drop_column('user', 'retention_warned_at'))
    migrator.migrate(migrator.drop_column('user', 'privacy_consent_version'))
    migrator.migrate(migrator.drop_column('user', 'privacy_consent_at'))
    migrator.migrate(migrator.drop_table('site_text'))
    migrator.migrate(migrator.drop_table('site_setting'))
    migrator.migrate(migrator.drop_table('login_failure'))

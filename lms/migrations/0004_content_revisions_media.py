"""Trainer authoring: revisions of content files, uploaded images.

Generated from a schema diff. The timestamp defaults are set by the models
in Python, so the tables need no database defaults.
"""
from peewee import *
from lms.models import DateTimeField

def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class ContentRevision(Model):
        course_slug = CharField()
        key = CharField()
        number = IntegerField()
        position = IntegerField(null=True)
        text = TextField(null=True)
        author = ForeignKeyField(User, null=True)
        note = CharField(default='')
        created_at = DateTimeField()
        published_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'content_revision'
            indexes = ((('course_slug', 'key', 'number'), True),)
    db.create_tables([ContentRevision])

    class MediaFile(Model):
        name = CharField(unique=True)
        original_name = CharField()
        mime_type = CharField()
        width = IntegerField()
        height = IntegerField()
        size = IntegerField()
        uploaded_by = ForeignKeyField(User, null=True)
        uploaded_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'media_file'
    db.create_tables([MediaFile])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('media_file'))
    migrator.migrate(migrator.drop_table('content_revision'))

"""People over time, audit log, reminders.

Units get retired_at (replacing is_active: a retired unit keeps a date, so
past coverage can be reconstructed) and merged_into; certificates get
superseded_by for recertification; new tables audit_log and reminder_log.
Generated from a schema diff, plus the data step for is_active.
"""
import datetime

from peewee import *


def up(migrator, db):
    class Certificate(Model):
        class Meta:
            database = db
            table_name = 'certificate'

    class Unit(Model):
        class Meta:
            database = db
            table_name = 'unit'

    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class AuditLog(Model):
        actor = ForeignKeyField(User, null=True)
        action = CharField()
        target_type = CharField()
        target_id = IntegerField(null=True)
        summary = TextField()
        details = JSONField(default=dict)
        created_at = DateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'audit_log'
    db.create_tables([AuditLog])

    class ReminderLog(Model):
        user = ForeignKeyField(User)
        kind = CharField(max_length=16)
        period_key = CharField()
        email = CharField()
        subject = CharField()
        status = CharField(max_length=16)
        sent_at = DateTimeField(index=True)
        triggered_by = ForeignKeyField(User, null=True)
        class Meta:
            database = db
            table_name = 'reminder_log'
            indexes = ((('user', 'kind', 'period_key'), True),)
    db.create_tables([ReminderLog])

    migrator.migrate(migrator.add_column('certificate', 'superseded_by_id', ForeignKeyField(Certificate, field=Certificate.id, null=True)))
    migrator.migrate(migrator.add_column('unit', 'retired_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('unit', 'merged_into_id', ForeignKeyField(Unit, field=Unit.id, null=True)))
    # Units already switched off count as retired from now on.
    db.execute_sql(f"UPDATE unit SET retired_at = {db.param} WHERE is_active = {db.param}",
                   (datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None), False))
    migrator.migrate(migrator.drop_column('unit', 'is_active'))


def down(migrator, db):
    # is_active is not restored: units would all come back active.
    migrator.migrate(migrator.drop_index('unit', 'unit_merged_into_id'))
    migrator.migrate(migrator.drop_index('certificate', 'certificate_superseded_by_id'))
    migrator.migrate(migrator.drop_column('unit', 'merged_into_id'))
    migrator.migrate(migrator.drop_column('unit', 'retired_at'))
    migrator.migrate(migrator.drop_column('certificate', 'superseded_by_id'))
    migrator.migrate(migrator.drop_table('reminder_log'))
    migrator.migrate(migrator.drop_table('audit_log'))

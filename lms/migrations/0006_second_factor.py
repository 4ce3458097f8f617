"""Optional second factor (TOTP) for executives and admins."""
from peewee import *
from lms.models import DateTimeField

def up(migrator, db):
    migrator.migrate(migrator.add_column('user', 'totp_secret', CharField(null=True)))
    migrator.migrate(migrator.add_column('user', 'totp_enabled_at', DateTimeField(null=True)))
    migrator.migrate(migrator.add_column('user', 'totp_last_step', IntegerField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('user', 'totp_last_step'))
    migrator.migrate(migrator.drop_column('user', 'totp_enabled_at'))
    migrator.migrate(migrator.drop_column('user', 'totp_secret'))

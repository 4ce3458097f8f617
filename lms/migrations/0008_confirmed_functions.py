"""Functions in a unit are confirmed, not self-declared.

Memberships get confirmed_at (from then on they count), confirmed_via,
declined_at, decided_by, the invitation they came through, and links to the
membership they continue (merge, move) or succeed (handover). Units get
board_confirms. New table: invitation (signed invitation links).

Existing memberships were made under the old rules, where choosing a
function was enough: they are kept as confirmed from the day they started
(confirmed_via 'migration'), so no unit's coverage changes today or at any
past date.
"""
from peewee import *
from lms.models import DateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'user'

    class Unit(Model):
        class Meta:
            database = db
            table_name = 'unit'

    class Membership(Model):
        class Meta:
            database = db
            table_name = 'membership'

    class Invitation(Model):
        unit = ForeignKeyField(Unit)
        function = CharField(max_length=16)
        created_by = ForeignKeyField(User, null=True)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        max_uses = IntegerField(default=1)
        uses = IntegerField(default=0)
        revoked_at = DateTimeField(null=True)
        note = CharField(default='')
        handover_from = ForeignKeyField(Membership, null=True)
        class Meta:
            database = db
            table_name = 'invitation'
    db.create_tables([Invitation])

    migrator.migrate(
        migrator.add_column('unit', 'board_confirms', BooleanField(default=False)),
        migrator.add_column('membership', 'confirmed_at', DateTimeField(null=True)),
        migrator.add_column('membership', 'confirmed_via', CharField(max_length=16, null=True)),
        migrator.add_column('membership', 'declined_at', DateTimeField(null=True)),
        migrator.add_column('membership', 'decided_by_id', ForeignKeyField(User, null=True, field=User.id)),
        migrator.add_column('membership', 'invitation_id', ForeignKeyField(Invitation, null=True, field=Invitation.id)),
        migrator.add_column('membership', 'continues_id', ForeignKeyField(Membership, null=True, field=Membership.id)),
        migrator.add_column('membership', 'succeeds_id', ForeignKeyField(Membership, null=True, field=Membership.id)),
    )
    db.execute_sql("UPDATE membership SET confirmed_at = started_at, confirmed_via = 'migration'")


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('membership', 'succeeds_id'),
        migrator.drop_column('membership', 'continues_id'),
        migrator.drop_column('membership', 'invitation_id'),
        migrator.drop_column('membership', 'decided_by_id'),
        migrator.drop_column('membership', 'declined_at'),
        migrator.drop_column('membership', 'confirmed_via'),
        migrator.drop_column('membership', 'confirmed_at'),
        migrator.drop_column('unit', 'board_confirms'),
    )
    migrator.migrate(migrator.drop_table('invitation'))

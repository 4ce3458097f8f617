"""Question pools and honest review: how many questions an attempt draws
from a quiz's pool, and what a learner sees after submitting."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('quiz', 'questions_per_attempt', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('quiz', 'review', CharField(max_length=16, default='after_pass')))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('quiz', 'review'))
    migrator.migrate(migrator.drop_column('quiz', 'questions_per_attempt'))

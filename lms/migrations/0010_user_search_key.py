"""People's names folded for searching (case, umlauts, accents: lms.search).

Adds user.search_key and fills it for existing accounts with a frozen copy of
lms.search.search_key as it was when this migration was written.
"""
import unicodedata

from peewee import *

_WRITTEN_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _search_key(text):
    lowered = unicodedata.normalize("NFKC", text or "").casefold()
    stripped = "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))
    return " | ".join(dict.fromkeys((lowered.translate(_WRITTEN_OUT), stripped.replace("ß", "ss"))))


def up(migrator, db):
    migrator.migrate(migrator.add_column('user', 'search_key', CharField(default='')))
    p = db.param
    for user_id, name in db.execute_sql('SELECT id, name FROM "user"').fetchall():
        db.execute_sql(f'UPDATE "user" SET search_key = {p} WHERE id = {p}', (_search_key(name), user_id))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('user', 'search_key'))

"""Opening the database and migrating its schema.

The schema evolves through numbered migration files in ``lms/migrations``
(peewee's ``playhouse.migrations`` runner records which ran), so an existing
database is upgraded in place, never wiped. To add one after changing
``lms.models``: ``flask lms make-migration "what changed"`` writes the file
from a diff of models and database; review it, then ``flask lms migrate``.
"""
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from playhouse.db_url import connect
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models
from playhouse.migrations import template as migration_template

from .models import ALL_MODELS, db

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers don't block the writer
    "foreign_keys": 1,
    "busy_timeout": 15000,  # ms to wait for a lock before "database is locked"
    "synchronous": "normal",  # safe with WAL, much faster than "full"
}


# Connections are kept in a pool per process (playhouse.pool): closing one at
# the end of a request hands it back instead of closing it, so the next request
# neither reconnects nor sets the pragmas again. Idle ones are dropped after
# STALE_SECONDS. When all POOL_SIZE connections are busy (more threads than
# that in one process), a request waits up to POOL_WAIT_SECONDS for one to
# come back instead of failing.
POOL_SIZE = 16
STALE_SECONDS = 300
POOL_WAIT_SECONDS = 15


def pooled(url):
    """``url`` with the scheme of its pooled variant (sqlite+pool, postgresql+pool)."""
    scheme, sep, rest = url.partition("://")
    if "+pool" in scheme or scheme not in {"sqlite", "postgres", "postgresql"}:
        return url
    return f"{scheme}+pool{sep}{rest}"


def open_database(url):
    """A peewee database for ``url`` (sqlite:///path or postgresql://...)."""
    pool = {"max_connections": POOL_SIZE, "stale_timeout": STALE_SECONDS, "timeout": POOL_WAIT_SECONDS}
    if url.startswith("sqlite"):
        # Every transaction begins IMMEDIATE: a writer takes the write lock at
        # BEGIN, so two writers queue on busy_timeout instead of one failing
        # with "database is locked" when it upgrades a read lock mid-way.
        # A pooled connection may serve another thread later, one thread at a time.
        # (Waiting for a lock is busy_timeout's job; "timeout" here is the pool's.)
        return connect(pooled(url), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False,
                       **pool)
    return connect(pooled(url), **pool)


def lock_rows(query):
    """``query`` with FOR UPDATE where the database supports row locks
    (PostgreSQL). SQLite needs none: its write transactions are exclusive."""
    return query.for_update() if db.obj.for_update else query


def raw_rows(query):
    """The rows of a peewee ``query`` as plain tuples from the driver.

    Skips peewee's per-value conversion, which dominates when a page reads
    thousands of rows (the dashboard). Timestamps arrive as ISO text on
    SQLite and as datetimes on PostgreSQL: read them with ``parse_timestamp``.
    """
    return db.execute(query).fetchall()


def parse_timestamp(value):
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


@contextmanager
def counting_queries():
    """``with counting_queries() as executed:`` collects the SQL run inside
    (used by tests and benchmarks to check that query counts stay fixed)."""
    executed = []
    original = db.obj.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        executed.append(sql)
        return original(sql, params, *args, **kwargs)

    db.obj.execute_sql = execute_sql
    try:
        yield executed
    finally:
        del db.obj.execute_sql


def migration_runner(database=None):
    return Runner(database or db.obj, str(MIGRATIONS_DIR))


def migrate(database=None):
    """Apply pending migrations; return the names applied."""
    return migration_runner(database).up()


def pending_migrations(database=None):
    return [m.name for m in migration_runner(database).status() if not m.applied]


def schema_differences(database=None):
    """What the models declare that the database lacks (empty when in sync)."""
    return diff_models(database or db.obj, ALL_MODELS)


def write_migration(name, database=None):
    """Write a migration file for the current differences; return its path,
    or None when the database already matches the models."""
    diff = schema_differences(database)
    if not diff:
        return None
    return migration_runner(database).create(name, body=migration_template(diff))

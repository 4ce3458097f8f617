#!/usr/bin/env bash
# The whole test suite against a real PostgreSQL.
#
#   scripts/test-postgres.sh [pytest arguments]
#
# With LMS_TEST_POSTGRES_URL (or a postgresql:// DATABASE_URL) set, e.g.
# postgresql://user:pass@127.0.0.1:5432/lms_test, that server is used: the
# user needs CREATEDB; the suite creates a template database and one database
# per test next to the named one, and drops them again.
#
# Otherwise a throwaway PostgreSQL cluster is created in a temporary folder
# (installing PostgreSQL with apt-get first if it is missing), listening only
# on 127.0.0.1 on a free port with a random password, and removed at the end.
#
# Exit codes: pytest's; 3 when PostgreSQL is not there and cannot be installed
# (CI treats that as "skipped").
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

say() { echo "test-postgres: $*" >&2; }
cannot() {
    say "PostgreSQL is not available and cannot be installed here: $*"
    say "Install PostgreSQL (Debian: apt-get install postgresql) or set LMS_TEST_POSTGRES_URL=postgresql://user:pass@host:port/db."
    exit 3
}

URL=${LMS_TEST_POSTGRES_URL:-}
case "${DATABASE_URL:-}" in
    postgres://* | postgresql://*) URL=${URL:-$DATABASE_URL} ;;
esac
# The app reads DATABASE_URL itself; the suite must only see the test URL.
unset DATABASE_URL

# --- no server given: find PostgreSQL's programs, install them if missing ----
find_bindir() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/createdb" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

if [ -z "$URL" ]; then
    BINDIR=$(find_bindir || true)
    if [ -z "$BINDIR" ]; then
        command -v apt-get >/dev/null || cannot "no /usr/lib/postgresql/*/bin and no apt-get"
        if [ "$(id -u)" -eq 0 ]; then
            SUDO=()
        elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            SUDO=(sudo -n)
        else
            cannot "installing needs root (or password-less sudo)"
        fi
        say "installing PostgreSQL with apt-get ..."
        if ! { "${SUDO[@]}" apt-get update -qq && \
               "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }; then
            cannot "apt-get install postgresql failed"
        fi
        BINDIR=$(find_bindir || true)
        [ -n "$BINDIR" ] || cannot "apt-get installed postgresql, but there is no initdb/pg_ctl in /usr/lib/postgresql/*/bin"
    fi
    if [ "$(id -u)" -eq 0 ]; then
        # initdb and the server refuse to run as root: they run as postgres.
        id postgres >/dev/null 2>&1 || cannot "running as root, but there is no 'postgres' user to run the server as"
    fi
fi

# --- the Python side: the app with its dev and postgres extras ---------------
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
"$VENV/bin/python" -m pip install --quiet -e '.[dev,postgres]'

# --- the throwaway cluster ----------------------------------------------------
if [ -z "$URL" ]; then
    PGTMP=$(mktemp -d "${TMPDIR:-/tmp}/lms-test-postgres.XXXXXX")
    PGDATA_DIR="$PGTMP/data"
    PGLOG="$PGTMP/server.log"
    if [ "$(id -u)" -eq 0 ]; then
        DBUSER=postgres
        chown postgres: "$PGTMP"
        if command -v runuser >/dev/null; then
            as_pg() { (cd "$PGTMP" && runuser -u postgres -- "$@"); }
        else
            as_pg() { (cd "$PGTMP" && su postgres -s /bin/sh -c "$(printf '%q ' "$@")"); }
        fi
    else
        DBUSER=$(id -un)
        as_pg() { (cd "$PGTMP" && "$@"); }
    fi
    cleanup() {
        local status=$?
        if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
            as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        rm -rf "$PGTMP"
        exit "$status"
    }
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    chmod 700 "$PGTMP"

    PASSWORD=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')
    PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    (umask 077 && printf '%s\n' "$PASSWORD" > "$PGTMP/pwfile")
    [ "$(id -u)" -ne 0 ] || chown postgres: "$PGTMP/pwfile"

    say "creating a throwaway cluster with $BINDIR ..."
    # C collation and UTF-8: text sorts by code point, as on SQLite.
    if ! as_pg "$BINDIR/initdb" -D "$PGDATA_DIR" -U "$DBUSER" --pwfile="$PGTMP/pwfile" -E UTF8 --no-locale \
            --auth-local=scram-sha-256 --auth-host=scram-sha-256 --no-sync >"$PGTMP/initdb.log" 2>&1; then
        cat "$PGTMP/initdb.log" >&2
        say "initdb failed"
        exit 1
    fi
    rm -f "$PGTMP/pwfile"
    # Durability is pointless for a cluster deleted afterwards; the
    # concurrency tests open 100+ connections at once.
    if ! as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGTMP -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
        cat "$PGLOG" >&2 || true
        say "the PostgreSQL server did not start"
        exit 1
    fi
    PGPASSWORD=$PASSWORD "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U "$DBUSER" lms_test
    URL="postgresql://$DBUSER:$PASSWORD@127.0.0.1:$PORT/lms_test"
    say "$("$BINDIR/pg_ctl" --version | sed 's/^pg_ctl (PostgreSQL)/PostgreSQL/') on 127.0.0.1:$PORT"
fi

export LMS_TEST_POSTGRES_URL="$URL"
status=0
"$VENV/bin/python" -m pytest "$@" || status=$?
exit "$status"

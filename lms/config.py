"""Settings, read from environment variables.

Every setting can be overridden by the mapping passed to ``create_app``
(tests do that). See the README for what each variable means.
"""
import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Values that must never protect a production deployment.
WEAK_SECRET_KEYS = {"", "dev", "secret", "change-me", "changeme"}


def _env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    # "development" or "production". Production refuses weak secrets.
    LMS_ENV = os.environ.get("LMS_ENV", "development")

    SECRET_KEY = os.environ.get("SECRET_KEY")  # None: generated per instance in development
    # Default: a SQLite file in the instance folder (filled in by create_app).
    DATABASE_URL = os.environ.get("DATABASE_URL")

    # Where the app is reachable; used in e-mails, QR codes and CLI output.
    BASE_URL = os.environ.get("LMS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    COURSE_DIR = os.environ.get("LMS_COURSE_DIR", str(PROJECT_ROOT / "course"))
    QUIZ_DIR = os.environ.get("LMS_QUIZ_DIR", str(PROJECT_ROOT / "quizzes"))
    UNITS_CSV = os.environ.get("LMS_UNITS_CSV", str(Path(__file__).parent / "data" / "units-nrw.csv"))
    # Approximate positions for the schematic map on the dashboard.
    UNIT_POSITIONS_CSV = os.environ.get("LMS_UNIT_POSITIONS_CSV",
                                        str(Path(__file__).parent / "data" / "unit-positions.csv"))
    # The label of each unit's tile on that map: its licence-plate code ("AC-L" for the Städteregion Aachen,
    # which shares "AC" with the city).
    UNIT_PLATES_CSV = os.environ.get("LMS_UNIT_PLATES_CSV", str(Path(__file__).parent / "data" / "unit-plates.csv"))

    # Mail: with MAIL_SERVER unset, mails are written to the log instead.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")  # STARTTLS
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")  # implicit TLS (port 465)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "NRW Jusos Lernplattform <noreply@localhost>")
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 10)
    # Mails sent while answering a request go out from a background thread.
    MAIL_IN_BACKGROUND = _env_bool("LMS_MAIL_IN_BACKGROUND", True)

    EMAIL_VERIFY_MAX_AGE = timedelta(days=7)
    PASSWORD_RESET_MAX_AGE = timedelta(hours=2)
    ADMIN_SETUP_MAX_AGE = timedelta(days=1)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE")
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE")

    # Data protection: accounts without login for this many months are deleted
    # (anonymised) after a warning mail; 0 turns this off.
    RETENTION_MONTHS = _env_int("LMS_RETENTION_MONTHS", 0)
    RETENTION_WARNING_DAYS = _env_int("LMS_RETENTION_WARNING_DAYS", 30)

    # Behind a reverse proxy: how many proxies to trust for client address and scheme.
    PROXY_HOPS = _env_int("LMS_PROXY_HOPS", 0)
    # Login attempts before a growing delay (see lms.throttle): per pair of
    # account and address, and per address; a key unused for the window
    # starts over.
    LOGIN_FREE_ATTEMPTS = _env_int("LMS_LOGIN_FREE_ATTEMPTS", 5)
    LOGIN_FREE_ATTEMPTS_PER_ADDRESS = _env_int("LMS_LOGIN_FREE_ATTEMPTS_PER_ADDRESS", 30)
    LOGIN_MAX_DELAY_MINUTES = _env_int("LMS_LOGIN_MAX_DELAY_MINUTES", 15)
    LOGIN_THROTTLE_MINUTES = _env_int("LMS_LOGIN_THROTTLE_MINUTES", 15)

    WTF_CSRF_TIME_LIMIT = None  # tied to the session; a long lesson must not expire the form
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    TIMEZONE = os.environ.get("LMS_TIMEZONE", "Europe/Berlin")

    # Dashboard and reminders.
    REQUIRED_COURSE = os.environ.get("LMS_REQUIRED_COURSE")  # slug; default: the first course
    EXPIRING_DAYS = _env_int("LMS_EXPIRING_DAYS", 60)  # a certificate this close to expiry counts as expiring
    STALLED_DAYS = _env_int("LMS_STALLED_DAYS", 14)  # no progress for this long: a reminder
    REMINDER_PERIOD_DAYS = _env_int("LMS_REMINDER_PERIOD_DAYS", 14)  # the same reminder at most once per period

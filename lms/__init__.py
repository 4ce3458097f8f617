"""The NRW Jusos learning platform for member officers (Mitgliederbeauftragte)."""
import os
import secrets
from pathlib import Path

from flask import Flask, appcontext_pushed, render_template

from .config import WEAK_SECRET_KEYS, Config
from .database import open_database
from .extensions import csrf, login_manager
from .models import db
from .permissions import can_author, can_manage_trainings, is_executive
from .security import init_security
from .sessions import load_user
from .urls import BadArgument, IdConverter
from .timeutil import format_date, format_datetime, format_duration, to_local
from .trainings.dates import describe_when


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration."""


def create_app(config=None):
    """Create the app. ``config`` (a mapping) overrides the environment;
    its ``INSTANCE_PATH`` (or LMS_INSTANCE_PATH) moves the instance folder."""
    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("LMS_INSTANCE_PATH")
    app = Flask(__name__, instance_path=os.path.abspath(instance_path) if instance_path else None)
    app.config.from_object(Config)
    if config:
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)

    _configure_secret_key(app)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'lms.sqlite3'}"
    _init_database(app)

    init_security(app)
    app.url_map.converters["id"] = IdConverter
    login_manager.init_app(app)
    csrf.init_app(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_error_pages(app)

    from .cli import lms_cli

    app.cli.add_command(lms_cli)
    return app


def _configure_secret_key(app):
    key = app.config.get("SECRET_KEY")
    if app.config["LMS_ENV"] == "production":
        if not key or key in WEAK_SECRET_KEYS or len(key) < 32:
            raise ConfigurationError(
                "LMS_ENV=production needs a SECRET_KEY of at least 32 random characters "
                "(e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        return
    if not key:
        # Development: a random key per instance, kept so sessions survive restarts.
        key_file = Path(app.instance_path) / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()


def _init_database(app):
    """Point the models at this app's database.

    The models share one peewee ``DatabaseProxy`` (``models.db``): peewee
    binds a model to its database when the class is defined, so there is
    one proxy per process, not per app. A deployed process runs one app, and
    the proxy is pointed at its database once, here. A process holding
    several apps (the test suite, a script comparing two databases) needs
    more: whenever one of them gets an app context (a request, a CLI
    command, ``with app.app_context()``), the proxy is pointed at that app's
    database if it points elsewhere; otherwise nothing happens."""
    database = open_database(app.config["DATABASE_URL"])
    db.initialize(database)
    app.extensions["lms_database"] = database

    def use_this_database(sender, **extra):
        if db.obj is not database:
            db.initialize(database)

    appcontext_pushed.connect(use_this_database, app, weak=False)

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()


login_manager.user_loader(load_user)


def _register_blueprints(app):
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .authoring import bp as authoring_bp
    from .certificates import bp as certificates_bp
    from .dashboard import bp as dashboard_bp
    from .dataprotection import bp as dataprotection_bp
    from .learn import bp as learn_bp
    from .quiz import bp as quiz_bp
    from .trainings import bp as trainings_bp
    from .trainings import manage_bp as training_admin_bp

    for blueprint in (auth_bp, learn_bp, quiz_bp, certificates_bp, dashboard_bp, authoring_bp, admin_bp,
                      dataprotection_bp, trainings_bp, training_admin_bp):
        app.register_blueprint(blueprint)


def _register_template_helpers(app):
    tz = app.config["TIMEZONE"]
    app.jinja_env.filters["date"] = lambda value: format_date(value, tz)
    app.jinja_env.filters["datetime"] = lambda value: format_datetime(value, tz)
    app.jinja_env.filters["isodate"] = lambda value: to_local(value, tz).strftime("%Y-%m-%d") if value else ""
    app.jinja_env.filters["duration"] = format_duration
    app.jinja_env.globals["is_executive"] = is_executive
    app.jinja_env.globals["can_author"] = can_author
    app.jinja_env.globals["can_manage_trainings"] = can_manage_trainings
    app.jinja_env.filters["when"] = lambda training: describe_when(training, tz)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _register_error_pages(app):
    messages = {
        400: ("Ungültige Anfrage", "Die Anfrage war fehlerhaft. Lade die Seite neu und versuche es noch einmal."),
        403: ("Kein Zugriff", "Du hast keine Berechtigung für diese Seite."),
        404: ("Nicht gefunden", "Diese Seite gibt es nicht (mehr). Prüfe die Adresse oder gehe zur Startseite."),
        405: ("Nicht erlaubt", "Diese Aktion ist hier nicht möglich."),
        413: ("Zu groß", "Die gesendeten Daten sind zu groß."),
        429: ("Zu viele Versuche", "Bitte warte einen Moment und versuche es dann noch einmal."),
        500: ("Fehler", "Da ist etwas schiefgegangen. Bitte versuche es später noch einmal."),
    }

    def handler(error):
        code = getattr(error, "code", 500) or 500
        title, text = messages.get(code, messages[500])
        if isinstance(error, BadArgument):
            text = f"{error.description} Prüfe die Adresse."
        return render_template("error.html", title=title, text=text, code=code), code

    for code in messages:
        app.register_error_handler(code, handler)

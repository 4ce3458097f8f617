"""Command-line tasks: ``flask --app wsgi lms <command>``."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import accounts
from .content.loader import BrowserEditsConflict, load_content
from .content.quiz_quality import summary_lines
from .content.source import ContentErrors
from .database import migrate as run_migrations
from .database import pending_migrations, write_migration
from .models import Unit
from .units import UnitImportError, import_units
from .urls import build_content_url


@click.group("lms", help="Verwaltung der Lernplattform.")
def lms_cli():
    pass


@lms_cli.command("migrate", help="Datenbankschema anlegen bzw. auf den neuesten Stand bringen.")
@with_appcontext
def migrate_command():
    applied = run_migrations()
    if applied:
        click.echo(f"Migrationen ausgeführt: {', '.join(applied)}")
    else:
        click.echo("Datenbankschema ist aktuell.")


@lms_cli.command("make-migration", help="Migrationsdatei aus den Unterschieden zwischen Modellen und Datenbank schreiben.")
@click.argument("name")
@with_appcontext
def make_migration_command(name):
    if pending_migrations():
        raise click.ClickException("Erst 'flask lms migrate' ausführen: es gibt noch offene Migrationen.")
    path = write_migration(name)
    click.echo(f"Geschrieben: {path}" if path else "Keine Unterschiede: nichts zu tun.")


@lms_cli.command("import-units", help="Gliederungen (UB/KV) aus einer CSV-Datei hinzufügen und aktualisieren.")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_units_command(csv_file):
    _import_units(csv_file)


def _import_units(csv_file, list_new=True):
    try:
        text = csv_file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{csv_file}: die Datei ist nicht UTF-8-kodiert.")
    try:
        report = import_units(text)
    except UnitImportError as error:
        raise click.ClickException(f"{csv_file}: nichts importiert.\n{error}")
    for line in report.lines(list_new):
        click.echo(line)


@lms_cli.command("load-content", help="Kursinhalte aus course/ und quizzes/ prüfen und laden.")
@click.option("--check", is_flag=True, help="Nur prüfen, nichts schreiben.")
@click.option("--force", is_flag=True, help="Auch laden, wenn der Kurs seitdem im Browser bearbeitet wurde.")
@with_appcontext
def load_content_command(check, force):
    try:
        _load_content(check, keep_browser_edits=not force)
    except BrowserEditsConflict as conflict:
        raise click.ClickException(str(conflict))


def _load_content(check=False, keep_browser_edits=True):
    config = current_app.config
    try:
        courses, report = load_content(config["COURSE_DIR"], config["QUIZ_DIR"], build_content_url, check_only=check,
                                       keep_browser_edits=keep_browser_edits)
    except ContentErrors as errors:
        for error in errors.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(errors.errors)} Fehler in den Inhalten; nichts wurde geändert.")
    for course in courses:
        for warning in course.warnings:
            click.echo(f"Hinweis: {warning}", err=True)
        if check and course.quiz_quality and course.quiz_quality.quizzes:
            click.echo(f"Quiz-Qualität ({course.slug}):")
            for line in summary_lines(course.quiz_quality):
                click.echo(f"  {line}")
    names = ", ".join(f"{c.slug} (Version {c.version})" for c in courses)
    if check:
        click.echo(f"Inhalte in Ordnung: {names}")
        return
    click.echo(f"Inhalte geladen: {names}")
    for line in report.lines():
        click.echo(f"  {line}")


@lms_cli.command("create-admin", help="Ein Admin-Konto anlegen (oder ein bestehendes Konto zum Admin machen).")
@click.option("--email", prompt="E-Mail")
@click.option("--name", prompt="Name")
@click.password_option("--password", prompt="Passwort", confirmation_prompt="Passwort wiederholen")
@with_appcontext
def create_admin_command(email, name, password):
    problem = accounts.email_problem(email) or accounts.password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    user, created = accounts.create_admin(name, email, password)
    click.echo(f"Admin angelegt: {user.email}" if created else f"{user.email} ist jetzt Admin.")


@lms_cli.command("setup", help="Alles für den Start: Schema, Gliederungen (beim ersten Start), Inhalte, Admin-Link.")
@with_appcontext
def setup_command():
    applied = run_migrations()
    click.echo(f"Datenbank: {len(applied)} Migration(en) ausgeführt." if applied else "Datenbank ist aktuell.")
    if not Unit.select().exists():
        click.echo("Gliederungen werden geladen:")
        _import_units(Path(current_app.config["UNITS_CSV"]), list_new=False)
    try:
        _load_content()
    except BrowserEditsConflict as conflict:
        click.echo(f"Inhalte nicht aus Dateien geladen: {conflict}")
    if not accounts.admin_exists():
        link = f"{current_app.config['BASE_URL']}/setup/{accounts.admin_setup_token()}"
        click.echo("")
        click.echo("Es gibt noch kein Admin-Konto. Lege es über diesen einmaligen Link an (24 Stunden gültig):")
        click.echo(f"  {link}")
        click.echo("(Oder: flask --app wsgi lms create-admin)")
        click.echo("")


@lms_cli.command("send-reminders", help="Erinnerungen verschicken (für einen Scheduler, z. B. täglich per cron).")
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, wer eine Erinnerung bekäme; nichts senden.")
@with_appcontext
def send_reminders_command(dry_run):
    from .coverage import required_course
    from .models import ReminderLog
    from .reminders import send_reminders

    course = required_course()
    if course is None:
        raise click.ClickException("Es gibt keinen Kurs.")
    result = send_reminders(course, dry_run=dry_run)
    for reminder in result.planned:
        click.echo(f"{'(Probelauf) ' if dry_run else ''}{ReminderLog.KINDS[reminder.kind]}: {reminder.user.email}")
    if dry_run:
        click.echo(f"{len(result.planned)} Erinnerung(en) fällig; nichts verschickt.")
    else:
        click.echo(f"{result.sent} verschickt, {result.failed} fehlgeschlagen, {result.skipped} übersprungen.")
        if result.failed:
            raise SystemExit(1)


@lms_cli.command("grant-role", help="Einem Konto eine Rolle geben: trainer, executive oder admin.")
@click.argument("email")
@click.argument("role", type=click.Choice(["trainer", "executive", "admin"]))
@with_appcontext
def grant_role_command(email, role):
    from .audit import record
    from .models import User

    user = accounts.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"Kein Konto mit der Adresse {email}.")
    User.update(**{f"is_{role}": True}).where(User.id == user.id).execute()
    record(None, "user.roles", user, f"{user.name} hat die Rolle {role} bekommen (Kommandozeile).", role=role)
    click.echo(f"{user.email} hat jetzt die Rolle {role}.")


@lms_cli.command("backup", help="Die SQLite-Datenbank im laufenden Betrieb sichern (PostgreSQL: pg_dump).")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path), required=False)
@with_appcontext
def backup_command(target):
    from .backup import BackupError, backup
    from .timeutil import utcnow

    target = target or Path(current_app.instance_path) / "backups" / f"lms-{utcnow():%Y%m%d-%H%M%S}.sqlite3"
    try:
        path = backup(target)
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Gesichert: {path} ({path.stat().st_size // 1024} KiB)")


@lms_cli.command("restore", help="Eine Sicherung zurückspielen; ersetzt den ganzen Datenbankinhalt.")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ohne Rückfrage.")
@with_appcontext
def restore_command(source, yes):
    from .backup import BackupError, check_backup, restore

    try:
        check_backup(source)
        if not yes:
            click.confirm(f"Alle Daten durch den Stand aus {source} ersetzen?", abort=True)
        restore(source)
    except BackupError as error:
        raise click.ClickException(str(error))
    click.echo(f"Zurückgespielt: {source}")


@lms_cli.command("retention", help="Inaktive Konten warnen und nach der Frist löschen (für einen Scheduler).")
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, nichts senden oder löschen.")
@with_appcontext
def retention_command(dry_run):
    from .mail import send_mail
    from .privacy import anonymise, mark_warned, retention_due

    config = current_app.config
    months, days = config["RETENTION_MONTHS"], config["RETENTION_WARNING_DAYS"]
    if not months:
        click.echo("Aufbewahrungsfrist ist aus (LMS_RETENTION_MONTHS=0); nichts zu tun.")
        return
    to_warn, to_delete = retention_due(months, days)
    for user in to_warn:
        click.echo(f"{'(Probelauf) ' if dry_run else ''}Warnung: {user.email}")
        if not dry_run and send_mail(user.email, "Dein Konto wird bald gelöscht", "retention_warning", user=user,
                                     months=months, days=days, login_link=f"{config['BASE_URL']}/login"):
            mark_warned(user)
    for user in to_delete:
        click.echo(f"{'(Probelauf) ' if dry_run else ''}Löschen: Konto {user.id}")
        if not dry_run:
            anonymise(user, reason=f"{months} Monate inaktiv, gewarnt am {user.retention_warned_at:%d.%m.%Y}")
    click.echo(f"{len(to_warn)} gewarnt, {len(to_delete)} gelöscht{' (Probelauf)' if dry_run else ''}.")

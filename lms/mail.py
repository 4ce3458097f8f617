"""Sending e-mail: through SMTP when MAIL_SERVER is set, else to the log.

Writing to the log keeps every link usable in development: the verification
or reset link appears in the terminal that runs ``make run``.
"""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template


def build_message(to, subject, body, sender):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="lms.jusos-nrw.invalid")
    message.set_content(body)
    return message


def send_mail(to, subject, template, **context):
    """Render ``mail/<template>.txt`` and send it. Returns True when the
    message was handed to the SMTP server (or logged), False on failure."""
    config = current_app.config
    body = render_template(f"mail/{template}.txt", **context)
    message = build_message(to, subject, body, config["MAIL_DEFAULT_SENDER"])
    if not config.get("MAIL_SERVER"):
        current_app.logger.warning(
            "E-Mail nicht versendet (MAIL_SERVER ist nicht gesetzt).\nAn: %s\nBetreff: %s\n\n%s", to, subject, body
        )
        return True
    try:
        _deliver(message, config)
    except (smtplib.SMTPException, OSError) as error:
        current_app.logger.error("E-Mail an %s konnte nicht versendet werden: %s", to, error)
        return False
    return True


def _deliver(message, config):
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)

"""Sending e-mail: through SMTP when MAIL_SERVER is set, else to the log.

Writing to the log keeps every link usable in development: the verification
or reset link appears in the terminal that runs ``make run``.

``send_mail`` delivers at once and says whether it worked (the reminder
command logs that). ``send_mail_later`` is for mails sent while answering a
request: the message is rendered in the request and handed to a background
thread of the process (``MAIL_IN_BACKGROUND``), so no page waits for the
SMTP server, and the time a page takes does not tell whether it sent a mail
(registration must not reveal who has an account).
"""
import atexit
import queue
import smtplib
import ssl
import threading
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


def _render(to, subject, template, context):
    body = render_template(f"mail/{template}.txt", **context)
    return build_message(to, subject, body, current_app.config["MAIL_DEFAULT_SENDER"])


def send_mail(to, subject, template, **context):
    """Render ``mail/<template>.txt`` and send it. Returns True when the
    message was handed to the SMTP server (or logged), False on failure."""
    return _send(_render(to, subject, template, context), current_app.config, current_app.logger)


def send_mail_later(to, subject, template, **context):
    """Render the mail now, send it from the background (or at once when
    ``MAIL_IN_BACKGROUND`` is off, as in tests)."""
    message = _render(to, subject, template, context)
    if not current_app.config.get("MAIL_IN_BACKGROUND"):
        _send(message, current_app.config, current_app.logger)
        return
    outbox = current_app.extensions.get("lms_outbox")
    if outbox is None:
        outbox = current_app.extensions["lms_outbox"] = Outbox(dict(current_app.config), current_app.logger)
    outbox.put(message)


def _send(message, config, logger):
    if not config.get("MAIL_SERVER"):
        logger.warning("E-Mail nicht versendet (MAIL_SERVER ist nicht gesetzt).\nAn: %s\nBetreff: %s\n\n%s",
                       message["To"], message["Subject"], message.get_content())
        return True
    try:
        _deliver(message, config)
    except (smtplib.SMTPException, OSError) as error:
        logger.error("E-Mail an %s konnte nicht versendet werden: %s", message["To"], error)
        return False
    return True


class Outbox:
    """Messages waiting for the one sender thread of this process. When the
    process exits, it waits a few seconds for what is still queued."""

    def __init__(self, config, logger):
        self.config = config
        self.logger = logger
        self.queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="lms-mail", daemon=True)
        self.thread.start()
        atexit.register(self.flush, timeout=10)

    def put(self, message):
        self.queue.put(message)

    def _run(self):
        while True:
            message = self.queue.get()
            try:
                _send(message, self.config, self.logger)
            finally:
                self.queue.task_done()

    def flush(self, timeout=None):
        """Wait until everything queued so far was handed over (or timeout)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self.queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)


def _deliver(message, config):
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)

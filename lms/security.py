"""Security headers on every response, HTTPS settings, login throttling.

The Content-Security-Policy allows scripts, styles and images from this
site only: no inline script or style (templates use none), nothing from a
CDN, no framing. Responses that set their own policy (uploaded images) keep
it. Over HTTPS, HSTS is sent and cookies are marked secure.

Login throttling counts failed logins per account and per address in the
database, so every gunicorn worker sees the same counts.
"""
import hashlib
from datetime import timedelta

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

from .models import LoginFailure, db
from .timeutil import utcnow

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def init_security(app):
    if app.config.get("PROXY_HOPS"):
        # Behind a reverse proxy: trust its X-Forwarded-For/-Proto for that many hops.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if app.config["BASE_URL"].startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


# --- login throttling -----------------------------------------------------------


class LoginThrottle:
    """At most ``per_account`` failed logins for one e-mail address and
    ``per_address`` from one IP address within ``window``."""

    def __init__(self, per_account, per_address, window):
        self.per_account = per_account
        self.per_address = per_address
        self.window = window

    @classmethod
    def from_config(cls, config):
        return cls(config["LOGIN_FAILURES_PER_ACCOUNT"], config["LOGIN_FAILURES_PER_ADDRESS"],
                   timedelta(minutes=config["LOGIN_THROTTLE_MINUTES"]))

    @staticmethod
    def _keys(email, address):
        # LoginFailure.key is VARCHAR(255) on PostgreSQL; a valid address has up
        # to 254 characters, so a very long one is stored as its hash.
        account = (email or "").strip().lower()
        if len(account) > 200:
            account = "sha256:" + hashlib.sha256(account.encode()).hexdigest()
        return f"account:{account}", f"address:{address or '-'}"

    def blocked(self, email, address):
        """True when this account or this address has failed too often."""
        account_key, address_key = self._keys(email, address)
        since = utcnow() - self.window
        recent = LoginFailure.select().where(LoginFailure.created_at > since)
        return (recent.where(LoginFailure.key == account_key).count() >= self.per_account
                or recent.where(LoginFailure.key == address_key).count() >= self.per_address)

    def record_failure(self, email, address):
        now = utcnow()
        with db.atomic():
            LoginFailure.delete().where(LoginFailure.created_at < now - self.window).execute()
            LoginFailure.insert_many([{"key": key, "created_at": now} for key in self._keys(email, address)]).execute()

    def record_success(self, email):
        account_key, _ = self._keys(email, None)
        LoginFailure.delete().where(LoginFailure.key == account_key).execute()

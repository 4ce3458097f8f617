"""Security headers and HTTPS settings (login throttling and sessions:
tests/test_sessions_and_throttle.py)."""
import re

import pytest

from lms import create_app

from .conftest import app_config
from .helpers import PASSWORD, make_user

PAGES = ["/", "/login", "/register", "/verify", "/learn/demo"]


@pytest.mark.parametrize("url", PAGES)
def test_every_response_carries_the_security_headers(logged_in, url):
    response = logged_in.get(url)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


def test_no_page_needs_inline_script_or_style(logged_in):
    for url in PAGES + ["/certificates", "/learn/demo/guide"]:
        html = logged_in.get(url).get_data(as_text=True)
        assert "<script>" not in html and "style=" not in html and "<style" not in html, url
        assert not re.search(r"<[^>]+\son[a-z]+=", html), url  # no inline event handlers


def test_https_gets_hsts_and_secure_cookies(tmp_path, template_database, mail_sink):
    import shutil

    path = tmp_path / "https.sqlite3"
    shutil.copy(template_database, path)
    app = create_app(app_config(path, mail_sink, BASE_URL="https://lernen.example.org"))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        make_user("https@example.org")
    client = app.test_client()
    base = "https://lernen.example.org"
    response = client.get("/login", base_url=base)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": "https@example.org", "password": PASSWORD},
                           base_url=base, headers={"Referer": f"{base}/login"})
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]

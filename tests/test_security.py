"""Security headers, HTTPS settings and login throttling."""
import re

import pytest

from lms import create_app
from lms.models import LoginFailure

from .conftest import app_config
from .helpers import PASSWORD, Browser, make_user

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


def fail_login(client, email, password="falsch-falsch-falsch"):
    return client.submit("/login", {"email": email, "password": password})


def test_too_many_failures_block_the_account_even_with_the_right_password(client, learner, app):
    for _ in range(5):
        assert fail_login(client, learner.email).status_code == 200
    response = fail_login(client, learner.email, PASSWORD)
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in response.get_data(as_text=True)
    # Another account from the same address still gets in.
    with app.app_context():
        other = make_user("other@example.org")
    assert client.submit("/login", {"email": other.email, "password": PASSWORD}).status_code == 302


def test_a_successful_login_clears_the_account_failures(client, learner, app):
    for _ in range(4):
        fail_login(client, learner.email)
    client.login(learner.email)
    with app.app_context():
        assert not LoginFailure.select().where(LoginFailure.key == f"account:{learner.email}").exists()


def test_too_many_failures_from_one_address_block_it(tmp_path, template_database, mail_sink):
    import shutil

    path = tmp_path / "throttle.sqlite3"
    shutil.copy(template_database, path)
    app = create_app(app_config(path, mail_sink, LOGIN_FAILURES_PER_ADDRESS=3))
    with app.app_context():
        make_user("victim@example.org")
    client = Browser(app.test_client())
    for number in range(3):
        assert fail_login(client, f"guess{number}@example.org").status_code == 200
    assert client.submit("/login", {"email": "victim@example.org", "password": PASSWORD}).status_code == 429
    other_address = Browser(app.test_client())
    response = other_address.client.post("/login", data={"csrf_token": other_address.csrf_token("/login"),
                                                         "email": "victim@example.org", "password": PASSWORD},
                                         environ_overrides={"REMOTE_ADDR": "10.0.0.2"})
    assert response.status_code == 302

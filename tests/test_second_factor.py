"""Optional second factor (TOTP) for executives and admins."""
import time

import pyotp
import pytest

from lms.models import User

from .helpers import PASSWORD, make_user


@pytest.fixture
def executive(app):
    return make_user("vorstand@example.org", "Vera Vorstand", is_executive=True)


def code_for(app, user_id, offset=0):
    with app.app_context():
        secret = User.get_by_id(user_id).totp_secret
    return pyotp.TOTP(secret).at(time.time() + offset)


def enable(app, client, user):
    client.login(user.email)
    client.submit("/account/second-factor", {"action": "start"})
    status, html = client.text("/account/second-factor")
    assert status == 200 and "<svg" in html
    response = client.submit("/account/second-factor", {"action": "enable", "code": code_for(app, user.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.submit("/logout", {}, page="/")


def test_set_up_then_log_in_with_password_and_code(app, client, executive):
    enable(app, client, executive)
    response = client.submit("/login?next=/dashboard/", {"email": executive.email, "password": PASSWORD},
                             page="/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    assert client.get("/dashboard/").status_code == 302  # not logged in yet

    response = client.submit("/login/code", {"code": "000000"})
    assert response.status_code == 200 and "Der Code stimmt nicht" in response.get_data(as_text=True)
    # Wait for a fresh time step if the setup code is still the current one (codes work once).
    code = code_for(app, executive.id)
    with app.app_context():
        if User.get_by_id(executive.id).totp_last_step >= int(time.time() // 30):
            code = code_for(app, executive.id, offset=30)
    response = client.submit("/login/code", {"code": code})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_a_code_works_only_once(app, client, executive):
    enable(app, client, executive)
    with app.app_context():
        user = User.get_by_id(executive.id)
        from lms import second_factor

        now = time.time() + 60
        code = pyotp.TOTP(user.totp_secret).at(now)
        assert second_factor.verify(user, code, now=now)
        assert not second_factor.verify(User.get_by_id(executive.id), code, now=now)


def test_a_wrong_code_at_setup_does_not_turn_it_on(app, client, executive):
    client.login(executive.email)
    client.submit("/account/second-factor", {"action": "start"})
    response = client.submit("/account/second-factor", {"action": "enable", "code": "123456"})
    assert response.status_code == 400
    with app.app_context():
        assert User.get_by_id(executive.id).totp_enabled_at is None


def test_learners_cannot_turn_it_on(logged_in):
    assert logged_in.get("/account/second-factor").status_code == 403


def test_guessing_codes_is_throttled(app, client, executive):
    enable(app, client, executive)
    client.submit("/login", {"email": executive.email, "password": PASSWORD})  # attempt 1 of 5 from here
    for _ in range(4):
        assert client.submit("/login/code", {"code": "111111"}).status_code == 200
    token = client.csrf_token("/login")
    response = client.post("/login/code", data={"csrf_token": token, "code": code_for(app, executive.id, 30)})
    assert response.status_code == 429  # even the right code: too many wrong ones before
    assert "Zu viele Anmeldeversuche von diesem Gerät" in response.get_data(as_text=True)
    assert client.get("/dashboard/").status_code == 302

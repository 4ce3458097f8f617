"""Accounts: register, verify, log in/out, remember me, reset, admin set-up."""
import logging
import re

import pytest
from freezegun import freeze_time

from lms import accounts
from lms.models import Membership, Unit, User

from .helpers import PASSWORD, make_user

NEW_PASSWORD = "ein-ganz-neues-passwort"


def register(client, email="neu@example.org", unit="Köln", function="officer", **extra):
    data = {"name": "Neue Person", "email": email, "password": PASSWORD, "password_confirm": PASSWORD,
            "unit": str(Unit.get(Unit.name == unit).id) if unit else "0", "function": function, "consent": "y"}
    data.update(extra)
    return client.submit("/register", data)


def flashes(response):
    return " ".join(re.findall(r'class="flash flash-\w+"[^>]*>([^<]*)<', response.get_data(as_text=True)))


def test_registration_creates_an_unverified_account_with_unit_and_function(client, mail_sink):
    response = register(client, email="Neu@Example.ORG", function="team")
    assert response.status_code == 302
    user = User.get(User.email == "neu@example.org")
    assert not user.is_verified
    assert user.password_hash.startswith("scrypt:")
    membership = Membership.get(Membership.user == user)
    assert (membership.unit.name, membership.function, membership.ended_at) == ("Köln", "team", None)
    assert mail_sink.to("neu@example.org")[0]["Subject"] == "Bitte bestätige deine E-Mail-Adresse"


def test_registration_without_unit_is_possible(client):
    register(client, unit=None)
    assert not Membership.select().exists()


def test_registration_errors_are_shown_in_german(client):
    response = client.submit("/register", {"name": "", "email": "kaputt", "password": "kurz",
                                           "password_confirm": "anders", "unit": "0", "function": "officer"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bitte gib deinen Namen an." in html
    assert "Bitte gib eine gültige E-Mail-Adresse an." in html
    assert "mindestens 10 Zeichen" in html
    assert "Die Passwörter stimmen nicht überein." in html
    assert 'aria-invalid="true"' in html
    assert not User.select().exists()


def test_registration_with_a_taken_email_looks_the_same_and_informs_the_owner(client, mail_sink, learner):
    fresh = register(client, email="frisch@example.org")
    fresh_message = flashes(client.get(fresh.headers["Location"])).replace("frisch@example.org", "X")
    taken = register(client, email=learner.email)
    taken_message = flashes(client.get(taken.headers["Location"])).replace(learner.email, "X")
    assert taken.headers["Location"] == fresh.headers["Location"]
    assert taken_message == fresh_message != ""
    assert User.select().where(User.email == learner.email).count() == 1
    assert mail_sink.to(learner.email)[0]["Subject"] == "Registrierung mit deiner E-Mail-Adresse"


def test_verification_link_verifies_and_bad_links_are_refused(client, mail_sink):
    register(client)
    response = client.get("/verify-email/kaputt")
    assert response.headers["Location"].endswith("/resend-verification")
    client.get(mail_sink.last_link_to("neu@example.org"))
    assert User.get(User.email == "neu@example.org").is_verified


def test_verification_link_expires(client, mail_sink):
    with freeze_time("2026-01-01"):
        register(client)
    link = mail_sink.last_link_to("neu@example.org")
    with freeze_time("2026-01-09"):
        client.get(link)
    assert not User.get(User.email == "neu@example.org").is_verified


def test_login_with_wrong_password_or_unknown_email_gives_the_same_message(client, learner):
    wrong = client.submit("/login", {"email": learner.email, "password": "falsch-falsch-falsch"})
    unknown = client.submit("/login", {"email": "niemand@example.org", "password": "falsch-falsch-falsch"})
    assert flashes(wrong) == flashes(unknown) == "E-Mail-Adresse oder Passwort ist falsch."


def test_login_and_logout(client, learner):
    client.login(learner.email)
    assert "Hallo Lena Lernende" in client.text("/")[1]
    client.submit("/logout", page="/")
    assert client.get("/learn/demo").status_code == 302


def test_remember_me_sets_a_long_lived_cookie(client, learner):
    response = client.login(learner.email, remember=True)
    cookie = response.headers.getlist("Set-Cookie")
    assert any(c.startswith("remember_token=") and "HttpOnly" in c for c in cookie)
    # A new browser session with only the remember cookie is still logged in.
    remember = next(c for c in cookie if c.startswith("remember_token="))
    fresh = client.application.test_client()
    fresh.set_cookie("remember_token", remember.split(";")[0].split("=", 1)[1])
    assert fresh.get("/learn/demo").status_code == 200


def test_login_redirects_only_to_local_next_urls(client, learner):
    for target, expected in [("/learn/demo", "/learn/demo"), ("https://evil.example/", "/"),
                             ("//evil.example/", "/"), ("/\\evil.example", "/")]:
        response = client.submit(f"/login?next={target}", {"email": learner.email, "password": PASSWORD},
                                 page="/login")
        assert response.headers["Location"] == expected, target
        client.submit("/logout", page="/")


def test_post_without_csrf_token_is_rejected(client, learner):
    response = client.client.post("/login", data={"email": learner.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.get_data(as_text=True)


def test_pages_that_need_login_redirect_there(client):
    response = client.get("/learn/demo")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_password_reset_by_email_works_once(client, mail_sink, learner):
    response = client.submit("/forgot-password", {"email": learner.email})
    assert "Wenn zu dieser Adresse ein Konto gehört" in flashes(client.get("/login"))
    link = mail_sink.last_link_to(learner.email)
    response = client.submit(link, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/login"
    client.login(learner.email, NEW_PASSWORD)
    client.submit("/logout", page="/")
    # The same link again: refused.
    response = client.get(link)
    assert response.headers["Location"] == "/forgot-password"


def test_password_reset_for_unknown_email_answers_the_same_and_sends_nothing(client, mail_sink):
    response = client.submit("/forgot-password", {"email": "niemand@example.org"})
    assert response.headers["Location"] == "/login"
    assert "Wenn zu dieser Adresse ein Konto gehört" in flashes(client.get("/login"))
    assert mail_sink.messages == []


def test_password_reset_link_expires(client, mail_sink, learner):
    with freeze_time("2026-01-01 10:00"):
        client.submit("/forgot-password", {"email": learner.email})
    with freeze_time("2026-01-01 12:01"):
        response = client.get(mail_sink.last_link_to(learner.email))
    assert response.headers["Location"] == "/forgot-password"


def test_changing_the_password_logs_out_other_sessions(app, learner):
    first, second = app.test_client(), app.test_client()
    from .helpers import Browser

    Browser(first).login(learner.email)
    Browser(second).login(learner.email, remember=True)
    accounts.set_password(User.get_by_id(learner.id), NEW_PASSWORD)
    assert first.get("/learn/demo").status_code == 302
    assert second.get("/learn/demo").status_code == 302


def test_mail_goes_to_the_log_without_mail_server(app, client, caplog):
    app.config["MAIL_SERVER"] = None
    with caplog.at_level(logging.WARNING):
        register(client)
    assert "MAIL_SERVER ist nicht gesetzt" in caplog.text
    assert "http://localhost/verify-email/" in caplog.text


def test_failed_smtp_delivery_keeps_the_account_and_answers_as_always(app, client, caplog):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    response = register(client)
    # The same answer as when the mail went out (and as for a taken address):
    # the page must not tell anything about the address; the log tells the admin.
    assert response.headers["Location"] == "/login"
    assert User.select().where(User.email == "neu@example.org").exists()
    assert "konnte nicht versendet werden" in caplog.text


def test_create_admin_command(runner):
    result = runner.invoke(args=["lms", "create-admin", "--email", "Admin@Example.org", "--name", "Ada Admin",
                                 "--password", NEW_PASSWORD])
    assert result.exit_code == 0, result.output
    admin = User.get(User.email == "admin@example.org")
    assert admin.is_admin and admin.is_verified


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(args=["lms", "create-admin", "--email", "a@example.org", "--name", "A", "--password", "kurz"])
    assert result.exit_code == 1
    assert "mindestens 10 Zeichen" in result.output


def test_setup_prints_a_one_time_admin_link_that_works_once(app, runner, client):
    result = runner.invoke(args=["lms", "setup"])
    assert result.exit_code == 0, result.output
    link = re.search(r"http://localhost(/setup/\S+)", result.output).group(1)
    response = client.submit(link, {"name": "Ada Admin", "email": "ada@example.org", "password": NEW_PASSWORD,
                                    "password_confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert User.get(User.email == "ada@example.org").is_admin
    client.submit("/logout", page="/")
    assert client.get(link).status_code == 404
    assert "kein Admin-Konto" not in runner.invoke(args=["lms", "setup"]).output


def test_setup_link_cannot_take_over_an_existing_account(client, learner, app):
    with app.app_context():
        link = "/setup/" + accounts.admin_setup_token()
    response = client.submit(link, {"name": "X", "email": learner.email, "password": "ein-anderes-passwort",
                                    "password_confirm": "ein-anderes-passwort"})
    assert response.status_code == 200
    assert "Gib dessen Passwort ein" in response.get_data(as_text=True)
    assert not User.get_by_id(learner.id).is_admin


def test_an_unverified_user_cannot_log_in(client, mail_sink):
    make_user("offen@example.org", verified=False)
    response = client.submit("/login", {"email": "offen@example.org", "password": PASSWORD})
    assert "Bitte bestätige zuerst" in flashes(response)
    assert client.get("/learn/demo").status_code == 302
    assert mail_sink.to("offen@example.org")


@pytest.mark.parametrize("address", ["admin@x.test", "admin@localhost", "ohne-at.example.org", "a@example.org",
                                     "Ada.Admin@Jusos-NRW.de", "zu@lang" + "g" * 250 + ".de"])
def test_the_command_line_and_the_forms_accept_the_same_addresses(runner, client, address):
    cli = runner.invoke(args=["lms", "create-admin", "--email", address, "--name", "Ada Admin",
                              "--password", NEW_PASSWORD])
    login = client.submit("/login", {"email": address, "password": NEW_PASSWORD})
    form_refused = "gültige E-Mail-Adresse" in login.get_data(as_text=True) or "zu lang" in login.get_data(as_text=True)
    assert (cli.exit_code == 0) == (not form_refused), cli.output
    if cli.exit_code == 0:  # and the account it made can log in
        assert login.status_code == 302
    else:
        assert "E-Mail-Adresse" in cli.output

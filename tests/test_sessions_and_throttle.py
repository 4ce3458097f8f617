"""Sessions the server can end, and login throttling nobody can use to lock
someone else out. Through HTTP with CSRF on; the concurrency checks against
a real server on loopback."""
import threading
from datetime import datetime, timedelta

from freezegun import freeze_time

from lms import accounts
from lms.models import LoginAttempts, LoginSession, User
from lms.timeutil import format_datetime

from .helpers import Browser, HttpUser, PASSWORD, make_user

WRONG = "falsch-falsch-falsch"


def fail_login(client, email, password=WRONG, address=None):
    data = {"email": email, "password": password, "csrf_token": client.csrf_token("/login")}
    environ = {"REMOTE_ADDR": address} if address else {}
    return client.client.post("/login", data=data, environ_overrides=environ)


def cookie_jar(browser):
    """The browser's cookies, to copy into another client (a stolen cookie)."""
    return {cookie.key: cookie.value for cookie in browser.client._cookies.values()}


def with_cookies(app, cookies):
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


# --- sessions ------------------------------------------------------------------------------


def test_logout_ends_the_session_and_a_copied_cookie_opens_nothing(app, client, learner):
    client.login(learner.email)
    stolen = cookie_jar(client)
    assert with_cookies(app, stolen).get("/account").status_code == 200
    client.submit("/logout", page="/account")
    thief = with_cookies(app, stolen)
    assert thief.get("/account").status_code == 302  # to the login
    assert thief.get("/account/data.zip").status_code == 302
    assert LoginSession.get(LoginSession.user == learner.id).ended_at is not None


def test_a_copied_remember_me_cookie_stops_working_after_logout(app, client, learner):
    client.login(learner.email, remember=True)
    remember = {"remember_token": cookie_jar(client)["remember_token"]}
    assert with_cookies(app, remember).get("/account").status_code == 200
    client.submit("/logout", page="/account")
    assert with_cookies(app, remember).get("/account").status_code == 302


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, client, learner):
    client.login(learner.email)
    other = Browser(app.test_client())
    other.login(learner.email, remember=True)
    response = client.submit("/account/password", {"pw-current_password": PASSWORD, "pw-password": "ein-neues-passwort-2026",
                                                   "pw-password_confirm": "ein-neues-passwort-2026"}, page="/account")
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302
    assert with_cookies(app, {"remember_token": cookie_jar(other)["remember_token"]}).get("/account").status_code == 302


def test_a_password_reset_ends_every_session(app, client, learner, mail_sink):
    client.login(learner.email)
    stranger = Browser(app.test_client())
    stranger.submit("/forgot-password", {"email": learner.email})
    link = mail_sink.last_link_to(learner.email)
    stranger.submit(link, {"password": "ganz-neues-passwort-1", "password_confirm": "ganz-neues-passwort-1"})
    assert client.get("/account").status_code == 302


def test_deleting_the_account_ends_every_session(app, client, learner):
    client.login(learner.email)
    other = Browser(app.test_client())
    other.login(learner.email)
    client.submit("/account/delete", {"password": PASSWORD}, page="/account/delete")
    assert other.get("/account").status_code == 302


def test_removing_a_role_ends_that_persons_sessions(app, client):
    executive = make_user("lavo@example.org", is_executive=True)
    admin = make_user("admin@example.org", is_admin=True)
    as_executive = Browser(app.test_client())
    as_executive.login(executive.email)
    assert as_executive.get("/dashboard/").status_code == 200
    client.login(admin.email)
    client.submit(f"/admin/users/{executive.id}/roles", {}, page="/admin/users")
    assert as_executive.get("/dashboard/").status_code == 302  # logged out, not just refused


def test_mein_konto_lists_the_sessions_and_ends_one(app, client, learner):
    client.client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    client.login(learner.email)
    phone = Browser(app.test_client())
    phone.client.environ_base["HTTP_USER_AGENT"] = ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 "
                                                    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36")
    phone.login(learner.email)
    html = client.text("/account")[1]
    assert "Firefox unter Linux</strong> (dieses Gerät)" in html and "Chrome unter Android" in html
    phone_session = LoginSession.get((LoginSession.user == learner.id) & LoginSession.user_agent.contains("Android"))
    client.submit(f"/account/sessions/{phone_session.id}/end", page="/account")
    assert phone.get("/account").status_code == 302
    assert client.get("/account").status_code == 200
    assert "Chrome unter Android" not in client.text("/account")[1]


def test_nobody_ends_someone_elses_session(app, client, learner):
    other = make_user("other@example.org")
    as_other = Browser(app.test_client())
    as_other.login(other.email)
    client.login(learner.email)
    session = LoginSession.get(LoginSession.user == other.id)
    client.submit(f"/account/sessions/{session.id}/end", page="/account")
    assert as_other.get("/account").status_code == 200


def test_a_page_view_does_not_write_the_last_use_every_time(app, client, learner, count_queries):
    client.login(learner.email)
    client.get("/account")
    with count_queries() as queries:
        client.get("/account")
    assert not any(q.lstrip().upper().startswith("UPDATE") and "login_session" in q for q in queries)


# --- throttling ---------------------------------------------------------------------------------


def test_five_wrong_passwords_delay_only_that_device_and_the_owner_still_gets_in(client, learner):
    for _ in range(5):
        assert fail_login(client, learner.email, address="10.0.0.66").status_code == 200
    response = fail_login(client, learner.email, PASSWORD, address="10.0.0.66")
    assert response.status_code == 429
    assert "Zu viele Anmeldeversuche von diesem Gerät" in response.get_data(as_text=True)
    # The owner, from their own address, is not locked out by the stranger.
    assert fail_login(client, learner.email, PASSWORD, address="10.0.0.7").status_code == 302


def test_the_delay_grows_and_the_message_says_until_when(app, learner):
    client = Browser(app.test_client())
    start = datetime(2026, 3, 1, 22, 30)
    with freeze_time(start):
        for _ in range(5):
            fail_login(client, learner.email)
        response = fail_login(client, learner.email)
        opens = format_datetime(start + timedelta(minutes=1), "Europe/Berlin")
        assert response.status_code == 429 and f"ab {opens}" in response.get_data(as_text=True)
    with freeze_time(start + timedelta(minutes=1, seconds=1)):
        assert fail_login(client, learner.email).status_code == 200  # the 6th check, after 1 minute
        assert fail_login(client, learner.email).status_code == 429
    with freeze_time(start + timedelta(minutes=2, seconds=30)):
        assert fail_login(client, learner.email).status_code == 429  # now 2 minutes
    with freeze_time(start + timedelta(minutes=3, seconds=2)):
        assert fail_login(client, learner.email, PASSWORD).status_code == 302


def test_a_successful_login_clears_the_pair(client, learner):
    for _ in range(4):
        fail_login(client, learner.email)
    client.login(learner.email)
    client.submit("/logout", page="/")
    for _ in range(4):
        assert fail_login(client, learner.email).status_code == 200


def test_a_successful_login_forgets_keys_unused_for_a_day(app, client, learner):
    """The table does not grow forever: old keys that hold nobody back go."""
    with freeze_time(datetime.utcnow() - timedelta(days=2)):
        fail_login(client, "fremd@example.org", address="203.0.113.9")
    fail_login(client, "fremd@example.org", address="203.0.113.10")
    assert LoginAttempts.select().count() == 4  # a pair and an address each
    client.login(learner.email)
    assert LoginAttempts.select().count() == 2  # today's stay


def test_a_password_reset_clears_the_accounts_delays(app, client, learner, mail_sink):
    for _ in range(6):
        fail_login(client, learner.email)
    assert fail_login(client, learner.email, PASSWORD).status_code == 429
    client.submit("/forgot-password", {"email": learner.email})
    client.submit(mail_sink.last_link_to(learner.email), {"password": "ganz-neues-passwort-1",
                                                          "password_confirm": "ganz-neues-passwort-1"})
    assert fail_login(client, learner.email, "ganz-neues-passwort-1").status_code == 302
    assert not LoginAttempts.select().where(LoginAttempts.account.is_null(False)).exists()


def test_one_address_guessing_many_accounts_is_slowed(tmp_path, template_database, mail_sink):
    import shutil

    from lms import create_app

    from .conftest import app_config

    path = tmp_path / "throttle.sqlite3"
    shutil.copy(template_database, path)
    app = create_app(app_config(path, mail_sink, LOGIN_FREE_ATTEMPTS_PER_ADDRESS=3))
    with app.app_context():
        make_user("victim@example.org")
    client = Browser(app.test_client())
    for number in range(3):
        assert fail_login(client, f"guess{number}@example.org").status_code == 200
    assert fail_login(client, "victim@example.org", PASSWORD).status_code == 429
    assert fail_login(client, "victim@example.org", PASSWORD, address="10.0.0.2").status_code == 302


def test_no_email_address_is_stored_for_throttling(client, learner):
    fail_login(client, learner.email)
    assert all(learner.email not in row.key for row in LoginAttempts.select())


def test_twenty_simultaneous_wrong_logins_make_exactly_five_password_checks(app, live_server, monkeypatch):
    with app.app_context():
        user = make_user("target@example.org")
    checks = []
    real_check = accounts.check_password_hash

    def counting_check(stored, password):
        checks.append(password)
        return real_check(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting_check)
    attackers = [HttpUser(live_server, user.email) for _ in range(20)]
    tokens = [attacker.token("/login") for attacker in attackers]
    barrier = threading.Barrier(len(attackers))
    statuses = []

    def attack(index):
        barrier.wait()
        statuses.append(attackers[index].request("/login", {"email": user.email, "password": WRONG,
                                                            "csrf_token": tokens[index]})[0])

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(len(attackers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checks) == 5
    assert sorted(statuses) == [200] * 5 + [429] * 15
    with app.app_context():
        [row] = LoginAttempts.select().where(LoginAttempts.key.startswith("pair:"))
        assert row.attempts == 5
        assert User.get_by_id(user.id).email == "target@example.org"

"""Hostile input: markup and SQL metacharacters in every kind of field,
oversized bodies, mass assignment. Each gets a clear answer, nothing runs,
nothing is written half."""
import pytest

from lms.models import Membership, Unit, User

from .helpers import Browser, make_user
from .quiz_helpers import start_quiz
from .test_auth import register

NASTY = "<script>alert(1)</script>' OR 1=1; DROP TABLE user; --\" <img src=x onerror=alert(2)>"


def test_markup_and_sql_in_a_name_are_stored_as_text_and_shown_escaped(client, app):
    assert register(client, email="nasty@example.org", name=NASTY).status_code == 302
    with app.app_context():
        user = User.get(User.email == "nasty@example.org")
        assert user.name == NASTY.strip()
        admin = make_user("admin@example.org", is_admin=True)
        User.update(email_verified_at=admin.created_at).where(User.id == user.id).execute()
    browser = Browser(app.test_client())
    browser.login("admin@example.org")
    for url in ("/admin/users?q=nasty", "/dashboard/people", "/dashboard/units?q=K%C3%B6ln"):
        html = browser.text(url)[1]
        assert "<script>alert(1)" not in html and "<img src=x" not in html, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.text("/admin/users?q=nasty")[1]


@pytest.mark.parametrize("url", ["/dashboard/units?q={}", "/dashboard/people?q={}", "/admin/users?q={}",
                                 "/dashboard/units?region={}&status={}", "/verify/{}"])
def test_sql_metacharacters_in_searches_are_harmless(app, url):
    with app.app_context():
        make_user("admin@example.org", is_admin=True)
        users_before = User.select().count()
    browser = Browser(app.test_client())
    browser.login("admin@example.org")
    response = browser.get(url.format("%27%3B%20DROP%20TABLE%20user%3B%20--", "%27%20OR%20%271%27%3D%271"))
    assert response.status_code in (200, 404)
    with app.app_context():
        assert User.select().count() == users_before


def test_registration_ignores_role_and_foreign_fields(client, app):
    with app.app_context():
        bonn = Unit.get(Unit.name == "Bonn").id
    response = register(client, email="mass@example.org", is_admin="y", is_executive="1", is_trainer="on",
                        role="admin", unit_id=str(bonn), email_verified_at="2020-01-01", deleted_at="x")
    assert response.status_code == 302
    with app.app_context():
        user = User.get(User.email == "mass@example.org")
        assert not (user.is_admin or user.is_executive or user.is_trainer)
        assert user.email_verified_at is None and user.deleted_at is None
        assert [m.unit.name for m in Membership.select().where(Membership.user == user.id)] == ["Köln"]


def test_profile_edit_changes_only_the_name(logged_in, app, learner):
    response = logged_in.submit("/account", {"name": "Neuer Name", "email": "hijack@example.org", "is_admin": "y",
                                             "password_hash": "x", "session_token": "x"})
    assert response.status_code == 302
    with app.app_context():
        user = User.get_by_id(learner.id)
        assert (user.name, user.email, user.is_admin) == ("Neuer Name", learner.email, False)
        assert user.password_hash == learner.password_hash
    assert logged_in.get("/account").status_code == 200  # still the same session


def test_oversized_fields_are_refused_and_nothing_is_written(client, app):
    response = register(client, email="long@example.org", name="x" * 10_000)
    assert response.status_code == 200 and "Der Name ist zu lang" in response.get_data(as_text=True)
    with app.app_context():
        assert not User.select().where(User.email == "long@example.org").exists()


def test_a_body_over_the_limit_gets_413(client):
    response = client.post("/login", data={"email": "a" * (17 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Zu groß" in response.get_data(as_text=True)


def test_a_typed_quiz_answer_with_markup_is_shown_as_text(logged_in, app):
    with app.app_context():
        attempt = start_quiz(logged_in, "demo", "grundlagen")
        text_question = next(q for q in attempt.questions if q["type"] == "short_text")
    from .quiz_helpers import correct_form
    form = correct_form(attempt)
    form[f"q-{text_question['id']}"] = NASTY
    response = logged_in.submit(f"/quiz/attempt/{attempt.token}", form)
    assert response.status_code == 302
    html = logged_in.text(response.headers["Location"])[1]
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_a_learner_cannot_submit_into_another_learners_attempt(logged_in, app):
    with app.app_context():
        other = make_user("other@example.org")
    other_browser = Browser(app.test_client())
    other_browser.login(other.email)
    with app.app_context():
        attempt = start_quiz(other_browser, "demo", "grundlagen")
    assert logged_in.submit(f"/quiz/attempt/{attempt.token}", {}, page="/").status_code == 404
    with app.app_context():
        from lms.models import QuizAttempt
        assert QuizAttempt.get_by_id(attempt.id).submitted_at is None

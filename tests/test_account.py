"""The user's own account: name, password, unit and function."""
from lms.models import Membership, Unit, User

from .helpers import PASSWORD, Browser

NEW_PASSWORD = "ein-ganz-neues-passwort"


def test_changing_the_name(logged_in, learner):
    logged_in.submit("/account", {"name": "Lena Neu"})
    assert User.get_by_id(learner.id).name == "Lena Neu"


def test_changing_the_password_needs_the_old_one_and_ends_other_sessions(app, logged_in, learner):
    other = Browser(app.test_client())
    other.login(learner.email)
    response = logged_in.submit("/account/password", {"pw-current_password": "falsch-falsch",
                                                      "pw-password": NEW_PASSWORD, "pw-password_confirm": NEW_PASSWORD},
                                page="/account")
    assert "Das bisherige Passwort stimmt nicht." in response.get_data(as_text=True)
    response = logged_in.submit("/account/password", {"pw-current_password": PASSWORD, "pw-password": NEW_PASSWORD,
                                                      "pw-password_confirm": NEW_PASSWORD}, page="/account")
    assert response.status_code == 302
    assert logged_in.get("/learn/demo").status_code == 200  # this session goes on
    assert other.get("/learn/demo").status_code == 302  # the other one is logged out


def test_taking_on_and_leaving_a_function_keeps_the_history(logged_in, learner):
    logged_in.submit("/account/memberships", {"join-unit": str(Unit.get(Unit.name == "Bonn").id),
                                              "join-function": "team"}, page="/account")
    html = logged_in.text("/account")[1]
    assert "Team Mitgliederbetreuung in <strong>UB Bonn</strong>" in html
    koeln = Membership.get((Membership.user == learner) & (Membership.unit == Unit.get(Unit.name == "Köln")))
    logged_in.submit(f"/account/memberships/{koeln.id}/end", page="/account")
    assert Membership.get_by_id(koeln.id).ended_at is not None
    assert Membership.select().where(Membership.user == learner).count() == 2


def test_a_user_cannot_end_someone_elses_membership(app, logged_in):
    from .helpers import make_user

    other = make_user("o@example.org", unit_name="Hagen")
    membership = Membership.get(Membership.user == other)
    assert logged_in.submit(f"/account/memberships/{membership.id}/end", page="/account").status_code == 404
    assert Membership.get_by_id(membership.id).ended_at is None

"""Every registered URL, as every kind of user: who may see what.

The expectation is written per area (blueprint) here, independently of the
code, so a new view that forgets its check, or an access check that is
wider than intended, fails this test. GET and POST are both walked; POSTs
carry a valid CSRF token, so what answers is the access check, not CSRF.
"""
import pytest

from lms.invitations import create_invitation
from lms.models import Membership, Unit
from lms.people import request_membership

from .helpers import Browser, make_user

# Who may use each area. "public": anyone; "user": any logged-in account.
AREA_ACCESS = {
    "admin": {"admin"},
    "authoring": {"trainer", "admin"},
    "dashboard": {"executive", "admin"},
    "learn": {"user"},
    "quiz": {"user"},
    "certificates": {"user"},
    "auth": {"user"},
    "dataprotection": {"user"},
}
PUBLIC_ENDPOINTS = {
    "static", "learn.index", "auth.login", "auth.register", "auth.forgot_password", "auth.resend_verification",
    "auth.reset_password", "auth.setup_admin", "auth.verify_email", "certificates.verify", "certificates.verify_form",
    "dataprotection.notice", "auth.invitation",
}
# Confirmers: executives, admins, and the confirmed board of a unit whose
# board may confirm ("board"; its requests and invitations only).
CONFIRMERS = {"executive", "admin", "board"}
# Other than the area: only these roles.
ENDPOINT_ACCESS = {
    "auth.second_factor_settings": {"executive", "admin"},
    "dashboard.unit": CONFIRMERS,  # the board reads its own unit's page; a pending board request does not
    "dashboard.requests": CONFIRMERS,
    "dashboard.decide_requests": CONFIRMERS,
    "dashboard.invitations": CONFIRMERS,
    "dashboard.invitation": CONFIRMERS,
    "dashboard.create_invitation": CONFIRMERS,
    "dashboard.revoke_invitation": CONFIRMERS,
}
# The second login step answers everyone with a redirect to the login unless
# a password was just entered; tests/test_second_factor.py covers it.
NOT_WALKED = {"auth.logout", "auth.login_code"}
# "board": a confirmed board member of the walked unit, whose board the state
# executive lets confirm; "board_pending": someone who only asked to be on it.
ROLES = ["anonymous", "learner", "trainer", "executive", "admin", "board", "board_pending"]

# Values for URL parameters: real objects where they exist, else values that
# simply do not exist (a 404 still proves the access check let the user in).
VALUES = {
    "course_slug": "demo", "module_slug": "grundlagen", "lesson_slug": "erste-schritte", "quiz_slug": "grundlagen",
    "handout_slug": "checkliste", "key": "course.yaml", "number": 1, "question_id": "einzel",
    "token": "kein-gueltiges-token", "code": "KEIN-CODE", "name": "0" * 24 + ".png", "filename": "css/app.css",
    "file_format": "csv", "user_id": 1, "membership_id": 1, "invitation_id": 1, "session_id": 999999,
}


def _url(rule, unit_id, invitation_id):
    values = {name: {"unit_id": unit_id, "invitation_id": invitation_id}.get(name, VALUES.get(name))
              for name in rule.arguments}
    return rule.endpoint, rule.build(values, append_unknown=False)[1]


def _allowed(endpoint, role):
    if endpoint in PUBLIC_ENDPOINTS:
        return True
    access = ENDPOINT_ACCESS.get(endpoint) or AREA_ACCESS[endpoint.split(".")[0]]
    if role == "anonymous":
        return False
    return "user" in access or role in access


@pytest.fixture
def browsers(app):
    with app.app_context():
        unit = Unit.get(Unit.name == "Köln")
        Unit.update(board_confirms=True).where(Unit.id == unit.id).execute()
        accounts = {
            "learner": make_user("learner@example.org", unit_name="Köln"),
            "trainer": make_user("trainer@example.org", is_trainer=True),
            "executive": make_user("executive@example.org", is_executive=True),
            "admin": make_user("admin@example.org", is_admin=True),
            "board": make_user("board@example.org", unit_name="Köln", function="board"),
            "board_pending": make_user("pending@example.org"),
        }
        request_membership(accounts["board_pending"], unit, "board")
        invitation = create_invitation(unit, "officer", accounts["executive"])
        unit_id, invitation_id = unit.id, invitation.id
    browsers = {"anonymous": Browser(app.test_client())}
    for role, user in accounts.items():
        browsers[role] = Browser(app.test_client())
        browsers[role].login(user.email)
    return browsers, unit_id, invitation_id


def _denied(response, role):
    if role == "anonymous":
        return response.status_code == 302 and "/login" in response.headers["Location"]
    return response.status_code == 403


def test_every_url_as_every_role(app, browsers):
    browsers, unit_id, invitation_id = browsers
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in NOT_WALKED]
    checked, wrong = 0, []
    for rule in rules:
        endpoint, url = _url(rule, unit_id, invitation_id)
        for role in ROLES:
            browser = browsers[role]
            for method in sorted(rule.methods & {"GET", "POST"}):
                if method == "GET":
                    response = browser.get(url)
                else:
                    response = browser.submit(url, {}, page="/login" if role == "anonymous" else "/")
                checked += 1
                allowed = _allowed(endpoint, role)
                if allowed and _denied(response, role) or not allowed and not _denied(response, role):
                    wrong.append(f"{method} {url} as {role}: {response.status_code} (expected "
                                 f"{'access' if allowed else 'denied'})")
                assert response.status_code != 500, f"{method} {url} as {role}"
    print(f"authorisation walk: {checked} URL x role x method checks over {len(rules)} URLs")
    assert not wrong, "\n".join(wrong)
    assert checked > 300


def test_a_board_member_reads_only_the_own_units_page(app, browsers):
    browsers, unit_id, _ = browsers
    with app.app_context():
        board = make_user("board-reader@example.org", unit_name="Köln", function="board")
        other = Unit.get(Unit.name != "Köln").id
        assert Membership.select().where(Membership.user == board.id).count() == 1
    browser = Browser(app.test_client())
    browser.login(board.email)
    assert browser.get(f"/dashboard/units/{unit_id}").status_code == 200
    assert browser.get(f"/dashboard/units/{other}").status_code == 403
    assert browser.get("/dashboard/").status_code == 403
    assert browser.submit(f"/dashboard/units/{unit_id}/edit", {"name": "X"}, page="/").status_code == 403

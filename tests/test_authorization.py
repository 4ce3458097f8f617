"""Every registered URL, as every kind of user: who may see what.

The expectation is written per area (blueprint) here, independently of the
code, so a new view that forgets its check, or an access check that is
wider than intended, fails this test. GET and POST are both walked; POSTs
carry a valid CSRF token, so what answers is the access check, not CSRF.
"""
import re
from urllib.parse import quote, urlencode

import pytest

from lms.invitations import create_invitation
from lms.models import Membership, Unit
from lms.people import request_membership

from .helpers import Browser, gen_training, make_user

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
    "trainings": {"user"},
    "training_admin": {"trainer", "executive", "admin"},
}
PUBLIC_ENDPOINTS = {
    "static", "learn.index", "auth.login", "auth.register", "auth.forgot_password", "auth.resend_verification",
    "auth.reset_password", "auth.setup_admin", "auth.verify_email", "certificates.verify", "certificates.verify_form",
    "dataprotection.notice", "auth.invitation", "trainings.calendar_feed",
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


def _url(rule, ids):
    values = {name: ids.get(name, VALUES.get(name)) for name in rule.arguments}
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
        training = gen_training(capacity=3)
        unit_id, invitation_id, training_id = unit.id, invitation.id, training.id
    browsers = {"anonymous": Browser(app.test_client())}
    for role, user in accounts.items():
        browsers[role] = Browser(app.test_client())
        browsers[role].login(user.email)
    return browsers, {"unit_id": unit_id, "invitation_id": invitation_id, "training_id": training_id}


def _denied(response, role):
    if role == "anonymous":
        return response.status_code == 302 and "/login" in response.headers["Location"]
    return response.status_code == 403


def test_every_url_as_every_role(app, browsers):
    browsers, ids = browsers
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in NOT_WALKED]
    checked, wrong = 0, []
    for rule in rules:
        endpoint, url = _url(rule, ids)
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
    browsers, ids = browsers
    unit_id = ids["unit_id"]
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


# --- odd input: never a server error -------------------------------------------------------

HOSTILE = ["²", "-1", "99999999999999999999", "0001-01-01", "9999-12-31", "", "x" * 10_000]
# The query arguments each area reads.
QUERY_ARGS = {
    "auth": ["unit", "function", "invite", "next"],
    "dashboard": ["at", "q", "region", "status", "sort", "order", "unit", "function", "certificate", "page"],
    "admin": ["q", "role", "page"],
    "authoring": ["a", "b", "type"],
    "certificates": ["code"],
    "learn": [], "quiz": [], "dataprotection": [],
}
ROUTE_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def _url_with(rule, values, hostile_name=None, hostile=None):
    """The rule's URL with ``values``, one argument replaced by ``hostile``
    (put into the path as it is, even where the converter would refuse it)."""
    def fill(match):
        converter, name = match.groups()
        value = hostile if name == hostile_name else values[name]
        return quote(str(value), safe="/" if converter == "path" else "")
    return ROUTE_ARGUMENT.sub(fill, rule.rule)


def test_hostile_values_in_every_url_and_query_argument_never_give_a_server_error(app, browsers):
    browsers, ids = browsers
    defaults = dict(VALUES, **ids)
    walkers = {"anonymous": browsers["anonymous"], "admin": browsers["admin"], "board": browsers["board"]}
    sent, errors = 0, []

    def send(browser, method, url, role):
        nonlocal sent
        sent += 1
        if method == "GET":
            response = browser.get(url)
        else:
            response = browser.submit(url, {}, page="/login" if role == "anonymous" else "/")
        if response.status_code >= 500:
            errors.append(f"{method} {url[:120]} as {role}: {response.status_code}")

    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in NOT_WALKED | {"static"}]
    for rule in rules:
        methods = sorted(rule.methods & {"GET", "POST"})
        area = rule.endpoint.split(".")[0]
        for role, browser in walkers.items():
            for method in methods:
                for name in rule.arguments:
                    for hostile in HOSTILE:
                        send(browser, method, _url_with(rule, defaults, name, hostile), role)
                if method == "GET" and role == "admin":  # the others are mostly sent to the login
                    base = _url_with(rule, defaults)
                    for argument in QUERY_ARGS.get(area, []):
                        for hostile in HOSTILE:
                            send(browser, method, f"{base}?{urlencode({argument: hostile})}", role)
    print(f"hostile walk: {sent} requests")
    assert not errors, "\n".join(errors[:40])
    assert sent > 2000


@pytest.mark.parametrize("url", [
    "/register?unit=%C2%B2", "/dashboard/people?page=%C2%B2", "/dashboard/people?unit=99999999999999999999",
    "/dashboard/audit?page=99999999999999999999", "/dashboard/units/99999999999999999999",
    "/dashboard/units/99999999999999999999/edit", "/dashboard/?at=0001-01-01", "/dashboard/?at=9999-12-31",
    "/admin/users?page=99999999999999999999", "/author/demo/history/course.yaml/diff?a=%C2%B2&b=1",
    "/author/demo/history/course.yaml/99999999999999999999",
])
def test_the_reported_odd_urls_answer_400_or_404(app, browsers, url):
    browsers, _ = browsers
    response = browsers["admin"].get(url)
    assert response.status_code in (200, 302, 400, 404), (url, response.status_code)
    if response.status_code == 400:
        assert "Prüfe die Adresse" in response.get_data(as_text=True) or "fehlerhaft" in response.get_data(as_text=True)


def test_odd_posts_answer_404_not_500(app, browsers):
    browsers, _ = browsers
    assert browsers["learner"].submit("/account/memberships/99999999999999999999/end", {},
                                      page="/account").status_code == 404

"""A function in a unit is a request until someone responsible confirms it.

Every way a function becomes confirmed has a test here (see the README):
an invitation link, an executive or a delegated board member confirming a
request, an executive adding, moving or merging, "Andere Funktion" (which
grants nothing) and the migration of memberships made under the old rules.
Everything else leaves a function pending: registration, *Mein Konto*, plain
and tampered links. All through HTTP with CSRF on.
"""
import re
import threading
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from itsdangerous import URLSafeSerializer

from lms.coverage import unit_coverage
from lms.database import migrate, migration_runner, open_database
from lms.invitations import check_invitation, create_invitation, invitation_token
from lms.models import AuditLog, Course, Invitation, Membership, Unit, User, db
from lms.privacy import set_dashboard_shows_names
from lms.reminders import plan_reminders

from .helpers import Browser, HttpUser, PASSWORD, gen_certificate, make_user

LINK = re.compile(r'id="invite-link" value="http://localhost(/invite/[^"]+)"')


def unit(name):
    return Unit.get(Unit.name == name)


def status_of(unit_name, at=None):
    [row] = unit_coverage(Course.get(Course.slug == "demo"), at=at, unit_ids=[unit(unit_name).id])
    return row.status


def browser_for(app, user):
    browser = Browser(app.test_client())
    browser.login(user.email)
    return browser


@pytest.fixture
def as_executive(app, executive):
    """The executive in a browser of their own: these tests register people
    with ``client`` at the same time (conftest's ``as_executive`` is ``client``)."""
    return browser_for(app, executive)


def register(client, email, unit_name, function, **extra):
    return client.submit("/register", {
        "name": email.split("@")[0].title(), "email": email, "password": PASSWORD, "password_confirm": PASSWORD,
        "unit": str(unit(unit_name).id), "function": function, "consent": "y", **extra})


def verify_and_login(client, mail_sink, email):
    [verification] = [m for m in mail_sink.to(email) if m["Subject"] == "Bitte bestätige deine E-Mail-Adresse"]
    client.get(re.search(r"http://localhost(\S+)", verification.get_content()).group(1))
    client.login(email)


def membership_of(email):
    return Membership.get(Membership.user == User.get(User.email == email))


def invitation_link(as_executive, unit_name, function="officer", days="14", uses="1"):
    response = as_executive.submit(f"/dashboard/units/{unit(unit_name).id}/invitations",
                                   {"invite-function": function, "invite-days": days, "invite-uses": uses},
                                   page=f"/dashboard/units/{unit(unit_name).id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "<svg" in html  # the QR code stays
    return LINK.search(html).group(1)


def token_of(link):
    return link.rsplit("/", 1)[1]


# --- requests stay pending ------------------------------------------------------------


def test_registering_as_officer_is_a_request_that_counts_for_nothing(app, client, mail_sink):
    assert register(client, "neu@example.org", "Köln", "officer").status_code == 302
    membership = membership_of("neu@example.org")
    assert membership.pending and membership.confirmed_at is None
    assert "wartet auf Bestätigung" in mail_sink.to("neu@example.org")[-1].get_content()
    assert status_of("Köln") == "open"
    verify_and_login(client, mail_sink, "neu@example.org")
    html = client.text("/account")[1]
    assert "wartet auf Bestätigung" in html and "UB Köln" in html


def test_registering_as_board_grants_no_access_until_confirmed(app, client, mail_sink, as_executive):
    register(client, "vorstand@example.org", "Bonn", "board")
    verify_and_login(client, mail_sink, "vorstand@example.org")
    bonn = unit("Bonn").id
    assert client.get(f"/dashboard/units/{bonn}").status_code == 403
    as_executive.submit("/dashboard/requests", {"confirm": str(membership_of("vorstand@example.org").id)},
                        page="/dashboard/requests")
    assert client.get(f"/dashboard/units/{bonn}").status_code == 200
    assert client.get(f"/dashboard/units/{unit('Köln').id}").status_code == 403


def test_a_certified_learner_joining_a_second_unit_does_not_make_it_trained(app, logged_in, learner, as_executive):
    gen_certificate(learner, Course.get(Course.slug == "demo"), datetime.utcnow() - timedelta(days=1))
    assert status_of("Köln") == "trained"  # the learner's confirmed unit
    response = logged_in.submit("/account/memberships", {"join-unit": str(unit("Bonn").id),
                                                         "join-function": "officer"}, page="/account",
                                follow_redirects=True)
    assert "wartet auf Bestätigung" in response.get_data(as_text=True)
    assert status_of("Bonn") == "open"
    pending = Membership.get((Membership.unit == unit("Bonn")) & (Membership.user == learner.id))
    as_executive.submit("/dashboard/requests", {"confirm": str(pending.id)}, page="/dashboard/requests")
    assert status_of("Bonn") == "trained"


def test_joining_as_board_under_mein_konto_grants_no_access(app, logged_in):
    logged_in.submit("/account/memberships", {"join-unit": str(unit("Essen").id), "join-function": "board"},
                     page="/account")
    assert logged_in.get(f"/dashboard/units/{unit('Essen').id}").status_code == 403


def test_other_function_is_self_service_and_grants_nothing(app, logged_in, learner):
    logged_in.submit("/account/memberships", {"join-unit": str(unit("Essen").id), "join-function": "other"},
                     page="/account")
    membership = Membership.get((Membership.user == learner.id) & (Membership.function == "other"))
    assert membership.confirmed_via == "self" and not membership.pending
    assert status_of("Essen") == "open"
    assert logged_in.get(f"/dashboard/units/{unit('Essen').id}").status_code == 403


def test_a_plain_link_prefills_but_confirms_nothing(app, client, mail_sink):
    form = client.text(f"/register?unit={unit('Hagen').id}&function=team")[1]
    assert f'<option selected value="{unit("Hagen").id}">UB Hagen</option>' in form
    assert '<option selected value="team">' in form
    register(client, "plain@example.org", "Hagen", "team")
    assert membership_of("plain@example.org").pending


def test_registration_starts_without_a_unit_and_officers_need_one(client):
    form = client.text("/register")[1]
    assert '<option selected value="-1">Bitte wählen</option>' in form
    response = client.submit("/register", {"name": "X", "email": "x@example.org", "password": PASSWORD,
                                           "password_confirm": PASSWORD, "unit": "-1", "function": "other",
                                           "consent": "y"})
    assert response.status_code == 200 and "Bitte wähle deinen UB/KV" in response.get_data(as_text=True)
    response = client.submit("/register", {"name": "X", "email": "x@example.org", "password": PASSWORD,
                                           "password_confirm": PASSWORD, "unit": "0", "function": "officer",
                                           "consent": "y"})
    assert "Diese Funktion hast du in einem UB/KV" in response.get_data(as_text=True)
    assert not User.select().where(User.email == "x@example.org").exists()


# --- the queue ---------------------------------------------------------------------------


def test_the_queue_shows_requests_and_confirms_with_one_click(app, client, mail_sink, as_executive):
    register(client, "mia@example.org", "Köln", "officer")
    html = as_executive.text("/dashboard/requests")[1]
    assert "Mia" in html and "UB Köln" in html and "Mitgliederbeauftragte*r" in html and "Angefragt am" in html
    membership = membership_of("mia@example.org")
    as_executive.submit("/dashboard/requests", {"confirm": str(membership.id)}, page="/dashboard/requests")
    confirmed = Membership.get_by_id(membership.id)
    assert confirmed.confirmed_via == "executive" and confirmed.decided_by.email == "lavo@example.org"
    assert mail_sink.to("mia@example.org")[-1]["Subject"] == "Deine Funktion ist bestätigt"
    assert status_of("Köln") == "registered"
    assert "Keine offenen Anfragen" in as_executive.text("/dashboard/requests")[1]


def test_declining_a_request_keeps_it_declined_and_tells_the_person(app, client, mail_sink, as_executive):
    register(client, "tom@example.org", "Köln", "board")
    membership = membership_of("tom@example.org")
    as_executive.submit("/dashboard/requests", {"decline": str(membership.id)}, page="/dashboard/requests")
    declined = Membership.get_by_id(membership.id)
    assert declined.declined_at is not None and declined.confirmed_at is None and declined.state_label == "abgelehnt"
    assert mail_sink.to("tom@example.org")[-1]["Subject"] == "Deine Anfrage wurde nicht bestätigt"
    verify_and_login(client, mail_sink, "tom@example.org")
    assert client.get(f"/dashboard/units/{unit('Köln').id}").status_code == 403
    # A second decision on the same request changes nothing.
    as_executive.submit("/dashboard/requests", {"confirm": str(membership.id)}, page="/dashboard/requests")
    assert Membership.get_by_id(membership.id).confirmed_at is None


def test_a_seminar_is_confirmed_in_bulk(app, client, mail_sink, as_executive):
    for n in range(4):
        register(client, f"seminar{n}@example.org", "Essen", "team")
    ids = [str(membership_of(f"seminar{n}@example.org").id) for n in range(3)]
    as_executive.submit("/dashboard/requests", {"selected": ids, "bulk": "confirm"}, page="/dashboard/requests")
    assert [membership_of(f"seminar{n}@example.org").confirmed_via for n in range(4)] == ["executive"] * 3 + [None]
    assert all(mail_sink.to(f"seminar{n}@example.org")[-1]["Subject"] == "Deine Funktion ist bestätigt"
               for n in range(3))


def test_the_state_executive_lets_a_units_board_confirm_for_its_own_unit(app, client, as_executive):
    board = make_user("board@example.org", "Bea Board", unit_name="Köln", function="board")
    as_board = browser_for(app, board)
    register(client, "koeln-neu@example.org", "Köln", "officer")
    register(client, "bonn-neu@example.org", "Bonn", "officer")
    assert as_board.get("/dashboard/requests").status_code == 403  # not yet allowed
    as_executive.submit(f"/dashboard/units/{unit('Köln').id}/board-confirms", {"allowed": "yes"},
                        page=f"/dashboard/units/{unit('Köln').id}")
    html = as_board.text("/dashboard/requests")[1]
    assert "Koeln-Neu" in html and "Bonn-Neu" not in html
    koeln_request, bonn_request = membership_of("koeln-neu@example.org"), membership_of("bonn-neu@example.org")
    as_board.submit("/dashboard/requests", {"selected": [str(koeln_request.id), str(bonn_request.id)],
                                            "bulk": "confirm"}, page="/dashboard/requests")
    assert Membership.get_by_id(koeln_request.id).confirmed_via == "board"
    assert Membership.get_by_id(bonn_request.id).pending  # not the board's unit
    # The board's unit page offers invitations now, for its unit only.
    assert "Einladungslink" in as_board.text(f"/dashboard/units/{unit('Köln').id}")[1]
    assert as_board.submit(f"/dashboard/units/{unit('Bonn').id}/invitations",
                           {"invite-function": "officer", "invite-days": "14", "invite-uses": "1"},
                           page=f"/dashboard/units/{unit('Köln').id}").status_code == 403


def test_the_queue_never_sends_anyone_to_another_site(as_executive):
    for form in ({"back": "https://evil.example/"}, {"back": "//evil.example/", "bulk": "confirm"}):
        response = as_executive.submit("/dashboard/requests", form, page="/dashboard/requests")
        assert response.status_code == 302 and response.headers["Location"].endswith("/dashboard/requests")


def test_a_board_member_never_confirms_their_own_request(app, as_executive):
    """Delegation lets a board vouch for others, not for itself: a board
    member who asks to be the unit's officer too waits for someone else."""
    board = make_user("board@example.org", "Bea Board", unit_name="Köln", function="board")
    Unit.update(board_confirms=True).where(Unit.name == "Köln").execute()
    own = Membership.create(user=board, unit=unit("Köln"), function="officer", started_at=datetime.utcnow())
    as_board = browser_for(app, board)
    queue = as_board.text("/dashboard/requests")[1]
    assert "Deine eigene Anfrage bestätigt jemand anderes." in queue
    assert f'name="confirm" value="{own.id}"' not in queue
    assert "Deine eigene Anfrage" in as_board.text(f"/dashboard/units/{unit('Köln').id}")[1]
    for form in ({"confirm": str(own.id)}, {"selected": [str(own.id)], "bulk": "confirm"}):
        response = as_board.submit("/dashboard/requests", form, page="/dashboard/requests", follow_redirects=True)
        assert "deine eigenen" in response.get_data(as_text=True)
        assert Membership.get_by_id(own.id).pending
    assert status_of("Köln") == "open"
    # Another board member of the unit, or the state executive, may.
    as_executive.submit("/dashboard/requests", {"confirm": str(own.id)}, page="/dashboard/requests")
    assert Membership.get_by_id(own.id).confirmed_via == "executive"


def test_a_pending_board_member_confirms_nothing_even_when_the_board_may(app, client, mail_sink):
    Unit.update(board_confirms=True).where(Unit.name == "Köln").execute()
    register(client, "fake-board@example.org", "Köln", "board")
    verify_and_login(client, mail_sink, "fake-board@example.org")
    assert client.get("/dashboard/requests").status_code == 403
    assert client.submit("/dashboard/requests", {"confirm": str(membership_of("fake-board@example.org").id)},
                         page="/").status_code == 403
    assert membership_of("fake-board@example.org").pending


def test_confirmers_get_one_short_mail_a_day_while_requests_wait(app, client, executive, mail_sink):
    runner = app.test_cli_runner()
    assert "Anfragen" not in runner.invoke(args=["lms", "send-reminders", "--dry-run"]).output
    board = make_user("board@example.org", "Bea Board", unit_name="Köln", function="board")
    Unit.update(board_confirms=True).where(Unit.name == "Köln").execute()
    register(client, "wartet@example.org", "Köln", "officer")
    register(client, "auch@example.org", "Bonn", "team")
    with freeze_time(datetime.utcnow()):
        runner.invoke(args=["lms", "send-reminders"])
        to_executive = [m for m in mail_sink.to(executive.email) if m["Subject"] == "Anfragen warten auf Bestätigung"]
        to_board = [m for m in mail_sink.to(board.email) if m["Subject"] == "Anfragen warten auf Bestätigung"]
        assert len(to_executive) == 1 and "Wartet" in to_executive[0].get_content()
        assert "Auch" in to_executive[0].get_content()
        assert len(to_board) == 1 and "Wartet" in to_board[0].get_content() and "Auch" not in to_board[0].get_content()
        runner.invoke(args=["lms", "send-reminders"])  # same day: nothing new
        assert len([m for m in mail_sink.to(executive.email) if "Anfragen" in m["Subject"]]) == 1
    with freeze_time(datetime.utcnow() + timedelta(days=1)):
        runner.invoke(args=["lms", "send-reminders"])
        assert len([m for m in mail_sink.to(executive.email) if "Anfragen" in m["Subject"]]) == 2


# --- invitation links ---------------------------------------------------------------------


def test_registering_through_a_valid_invitation_confirms_at_once(app, client, as_executive, mail_sink):
    link = invitation_link(as_executive, "Hagen", "team")
    html = client.text(link)[1]
    assert "Team Mitgliederbetreuung" in html and "UB Hagen" in html and "sofort bestätigt" in html
    register(client, "team@example.org", "Hagen", "team", invite=token_of(link))
    membership = membership_of("team@example.org")
    assert membership.confirmed_via == "invitation" and membership.invitation.uses == 1
    assert status_of("Hagen") == "registered"
    assert "bestätigt" in mail_sink.to("team@example.org")[-1].get_content()
    # Used up: gone from the open invitations, and the next person only requests.
    assert "UB Hagen" not in as_executive.text("/dashboard/invitations")[1]
    register(client, "second@example.org", "Hagen", "team", invite=token_of(link))
    assert membership_of("second@example.org").pending


def test_a_logged_in_person_takes_up_an_invitation(app, logged_in, learner, as_executive):
    link = invitation_link(as_executive, "Bonn", "board")
    assert "Funktion übernehmen" in logged_in.text(link)[1]
    response = logged_in.submit(link, page=link, follow_redirects=True)
    assert "Du bist jetzt als Vorstand in UB Bonn eingetragen" in response.get_data(as_text=True)
    assert logged_in.get(f"/dashboard/units/{unit('Bonn').id}").status_code == 200


def test_nobody_confirms_themselves_with_a_link_they_created(app, as_executive):
    """A delegated board member's own officer link, used by themselves, is a
    plain request; the link keeps its use for the person it was meant for."""
    board = make_user("board@example.org", "Bea Board", unit_name="Köln", function="board")
    Unit.update(board_confirms=True).where(Unit.name == "Köln").execute()
    as_board = browser_for(app, board)
    link = invitation_link(as_board, "Köln", "officer")
    assert "den du selbst erstellt hast" in as_board.text(link)[1]  # the link's page says so first
    response = as_board.submit(link, page=link, follow_redirects=True)
    assert "Einen Einladungslink, den du selbst erstellt hast, kannst du nicht für dich nutzen." \
        in response.get_data(as_text=True)
    own = Membership.get((Membership.user == board) & (Membership.function == "officer"))
    assert own.pending and Invitation.get().uses == 0
    assert status_of("Köln") == "open"


def test_choosing_another_unit_than_the_invitation_names_only_requests(app, client, as_executive):
    link = invitation_link(as_executive, "Hagen", "officer")
    register(client, "other@example.org", "Bonn", "officer", invite=token_of(link))
    assert membership_of("other@example.org").pending
    assert Invitation.get().uses == 0


def _tampered_tokens(app, invitation):
    """Links someone edited or that stopped working, by what went wrong."""
    token = invitation_token(invitation)
    payload, signature = token.rsplit(".", 1)
    forge = URLSafeSerializer("guessed-secret", salt="invitation")
    other_unit = Unit.get(Unit.name == "Bonn").id
    return {
        "unit changed": forge.dumps([invitation.id, other_unit, invitation.function]),
        "function changed": forge.dumps([invitation.id, invitation.unit_id, "board"]),
        "payload edited, signature kept": URLSafeSerializer("x").dump_payload(
            [invitation.id, other_unit, invitation.function]).decode() + "." + signature,
        "signature cut": payload,
        "signature truncated": token[:-4],
    }


def test_a_tampered_invitation_never_confirms_anything(app, client, executive, mail_sink):
    with app.app_context():
        invitation = create_invitation(unit("Hagen"), "officer", executive)
        tokens = _tampered_tokens(app, invitation)
        for what, token in tokens.items():
            check = check_invitation(token)
            assert check.problem == "tampered" and check.invitation is None, what
    for number, (what, token) in enumerate(tokens.items()):
        html = client.text(f"/invite/{token}")[1]
        assert "unvollständig oder wurde verändert" in html, what
        assert "unvollständig oder wurde verändert" in client.text(f"/register?invite={token}")[1], what
        email = f"tamper{number}@example.org"
        register(client, email, "Hagen", "officer", invite=token)
        assert membership_of(email).pending, what
    assert Invitation.get_by_id(invitation.id).uses == 0
    # A logged-in person fares no better.
    user = make_user("logged@example.org")
    browser = browser_for(app, user)
    for what, token in tokens.items():
        browser.submit(f"/invite/{token}", page="/account")
    assert not Membership.select().where((Membership.user == user.id) & Membership.confirmed_at.is_null(False)).exists()


@pytest.mark.parametrize("problem, message", [
    ("expired", "abgelaufen"), ("used_up", "schon so oft benutzt"), ("revoked", "zurückgezogen")])
def test_an_invitation_that_stopped_working_leads_to_a_pending_request(app, client, as_executive, problem, message):
    link = invitation_link(as_executive, "Hagen", "officer", uses="2")
    invitation = Invitation.get()
    if problem == "expired":
        Invitation.update(expires_at=datetime.utcnow() - timedelta(minutes=1)).execute()
    elif problem == "used_up":
        Invitation.update(uses=2).execute()
    else:
        as_executive.submit(f"/dashboard/invitations/{invitation.id}/revoke", page="/dashboard/invitations")
    assert message in client.text(link)[1]
    register_page = client.text(f"/register?invite={token_of(link)}")[1]
    assert message in register_page and f'<option selected value="{unit("Hagen").id}">' in register_page
    register(client, "late@example.org", "Hagen", "officer", invite=token_of(link))
    assert membership_of("late@example.org").pending


def test_an_invitation_expires_after_the_days_it_was_made_for(app, app_context, client, as_executive):
    link = invitation_link(as_executive, "Hagen", "officer")  # default: 14 days
    with freeze_time(datetime.utcnow() + timedelta(days=13, hours=23)):
        assert check_invitation(token_of(link)).valid
    with freeze_time(datetime.utcnow() + timedelta(days=14, minutes=1)):
        assert check_invitation(token_of(link)).problem == "expired"


def test_executives_see_open_invitations_and_revoke_them(app, as_executive):
    invitation_link(as_executive, "Hagen", "officer", uses="25")
    html = as_executive.text("/dashboard/invitations")[1]
    assert "UB Hagen" in html and "0 von 25" in html
    as_executive.submit(f"/dashboard/invitations/{Invitation.get().id}/revoke", page="/dashboard/invitations")
    assert "UB Hagen" not in as_executive.text("/dashboard/invitations")[1]
    assert AuditLog.select().where(AuditLog.action == "invitation.revoke").count() == 1


def test_two_people_using_a_single_use_link_at_once_exactly_one_is_confirmed(app, live_server, executive):
    with app.app_context():
        invitations = [create_invitation(unit("Hagen"), "officer", executive) for _ in range(3)]
        links = [f"/invite/{invitation_token(i)}" for i in invitations]
        people = [make_user(f"race{n}@example.org", f"Race {n}") for n in range(6)]
    browsers = [HttpUser(live_server, person.email) for person in people]
    for browser in browsers:
        assert browser.post("/login", {"email": browser.email, "password": PASSWORD}, "/login")[0] == 302
    for link in links:  # three rounds, each with every person racing for one link
        barrier = threading.Barrier(len(browsers))
        tokens = [browser.token(link) for browser in browsers]

        def race(index):
            barrier.wait()
            browsers[index].request(link, {"csrf_token": tokens[index]})

        threads = [threading.Thread(target=race, args=(n,)) for n in range(len(browsers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    with app.app_context():
        confirmed = Membership.select().where(Membership.confirmed_via == "invitation").count()
        assert confirmed == 3  # one per link
        assert [Invitation.get_by_id(i.id).uses for i in invitations] == [1, 1, 1]
        db.close()


# --- handover --------------------------------------------------------------------------------


def test_an_officer_hands_over_and_the_history_shows_both(app, client, mail_sink, as_executive):
    old = make_user("alt@example.org", "Alma Alt", unit_name="Münster")
    as_old = browser_for(app, old)
    own = Membership.get(Membership.user == old.id)
    response = as_old.submit(f"/account/memberships/{own.id}/handover", page="/account", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Amt übergeben" in html and "<svg" in html
    link = LINK.search(html).group(1)
    assert "Übergabe-Link anzeigen" in as_old.text("/account")[1]
    register(client, "neu@example.org", "Münster", "officer", invite=token_of(link))
    successor = membership_of("neu@example.org")
    assert successor.confirmed_via == "invitation" and successor.succeeds_id == own.id
    ended = Membership.get_by_id(own.id)
    assert ended.ended_at == successor.confirmed_at  # the same day, the same moment
    history = as_executive.text(f"/dashboard/units/{unit('Münster').id}")[1]
    assert "Alma Alt" in history and "Neu" in history and "Nachfolge per Übergabe" in history
    assert "an Neu übergeben" in AuditLog.get(AuditLog.action == "membership.handover").summary


def test_a_handover_request_from_an_expired_link_ends_the_predecessor_once_confirmed(app, client, as_executive):
    old = make_user("alt@example.org", "Alma Alt", unit_name="Münster")
    own = Membership.get(Membership.user == old.id)
    with app.app_context():
        invitation = create_invitation(unit("Münster"), "officer", old, handover_from=own)
        token = invitation_token(invitation)
    Invitation.update(expires_at=datetime.utcnow() - timedelta(days=1)).execute()
    register(client, "spaet@example.org", "Münster", "officer", invite=token)
    request = membership_of("spaet@example.org")
    assert request.pending and Membership.get_by_id(own.id).ended_at is None
    assert "Nachfolge per Übergabe-Link" in as_executive.text("/dashboard/requests")[1]
    as_executive.submit("/dashboard/requests", {"confirm": str(request.id)}, page="/dashboard/requests")
    assert Membership.get_by_id(own.id).ended_at is not None


# --- coverage and dates -----------------------------------------------------------------------


def test_coverage_counts_from_the_confirmation_today_and_at_past_dates(app, client, mail_sink, executive):
    Unit.update(created_at=datetime(2026, 1, 1)).execute()
    with freeze_time("2026-03-02 10:00:00"):
        register(client, "kim@example.org", "Köln", "officer")
    kim = User.get(User.email == "kim@example.org")
    gen_certificate(kim, Course.get(Course.slug == "demo"), datetime(2026, 2, 1), months=24)
    assert status_of("Köln") == "open"
    with freeze_time("2026-03-10 10:00:00"):  # signed cookies must not come from the future: log in then
        browser_for(app, executive).submit("/dashboard/requests",
                                           {"confirm": str(membership_of("kim@example.org").id)},
                                           page="/dashboard/requests")
    assert status_of("Köln", at=datetime(2026, 3, 5)) == "open"  # requested, not yet confirmed
    assert status_of("Köln", at=datetime(2026, 3, 11)) == "trained"
    assert status_of("Köln") == "trained"
    as_executive = browser_for(app, executive)
    before = as_executive.text("/dashboard/units?at=2026-03-05&q=k%C3%B6ln")[1]
    after = as_executive.text("/dashboard/units?at=2026-03-11&q=k%C3%B6ln")[1]
    assert "status-open" in before and "status-trained" in after


def test_memberships_made_under_the_old_rules_stay_confirmed(fresh_database_url):
    database = open_database(fresh_database_url)
    migration_runner(database).up(target="0007_quiz_pools")
    p = database.param
    database.execute_sql("INSERT INTO region (name) VALUES ('Mittelrhein')")
    database.execute_sql("INSERT INTO unit (name, kind, region_id, area_type, administrative_district, created_at) "
                         "VALUES ('Köln', 'UB', 1, '', '', '2025-01-01 00:00:00')")
    database.execute_sql('INSERT INTO "user" (email, name, password_hash, login_token, is_trainer, is_executive, '
                         f"is_admin, created_at) VALUES ('a@example.org', 'A', 'x', 't', {p}, {p}, {p}, "
                         "'2025-01-01 00:00:00')", (False, False, False))
    database.execute_sql("INSERT INTO membership (user_id, unit_id, function, started_at) "
                         "VALUES (1, 1, 'officer', '2025-03-01 12:00:00')")
    assert migrate(database)[0] == "0008_confirmed_functions"
    started, confirmed, via = database.execute_sql(
        "SELECT started_at, confirmed_at, confirmed_via FROM membership").fetchone()
    assert str(confirmed) == str(started) and via == "migration"


# --- the bugs found tried as a user would ------------------------------------------------------


def test_merging_coalesces_identical_memberships_and_keeps_the_history(app, as_executive):
    both = make_user("both@example.org", "Bo Beide", unit_name="Köln")
    Membership.create(user=both, unit=unit("Leverkusen"), function="officer", started_at=datetime(2026, 1, 1),
                      confirmed_at=datetime(2026, 1, 1), confirmed_via="executive")
    moved = make_user("moved@example.org", "Mo Umzug", unit_name="Köln")
    Membership.update(started_at=datetime(2025, 5, 1), confirmed_at=datetime(2025, 5, 1)).where(
        Membership.user == moved.id).execute()
    pending = make_user("pending@example.org", "Pia Pending", unit_name="Köln", confirmed=False)
    koeln, leverkusen = unit("Köln").id, unit("Leverkusen").id
    as_executive.submit(f"/dashboard/units/{koeln}/merge", {"merge-into": str(leverkusen), "confirmed": "yes"},
                        page=f"/dashboard/units/{koeln}/edit")
    running = Membership.select().where((Membership.unit == leverkusen) & Membership.ended_at.is_null())
    assert sorted(m.user.email for m in running) == ["both@example.org", "moved@example.org", "pending@example.org"]
    assert Membership.get((Membership.unit == leverkusen) & (Membership.user == pending.id)
                          & Membership.ended_at.is_null()).pending
    html = as_executive.text(f"/dashboard/units/{leverkusen}")[1]
    assert "zuvor in UB Köln seit 01.05.2025" in html
    people = as_executive.text("/dashboard/people?q=beide")[1]
    assert people.count("both@example.org") == 1


def test_someone_out_of_office_gets_no_officer_reminder(app, app_context, as_executive):
    officer = make_user("bald@example.org", "Bald Weg", unit_name="Köln")
    gen_certificate(officer, Course.get(Course.slug == "demo"), datetime.utcnow() - timedelta(days=700), months=24)
    course = Course.get(Course.slug == "demo")
    assert ("expiring", officer.id) in {(r.kind, r.user.id) for r in plan_reminders(course)}
    membership = Membership.get(Membership.user == officer.id)
    as_executive.submit(f"/dashboard/memberships/{membership.id}/end", {"confirmed": "yes"},
                        page=f"/dashboard/units/{unit('Köln').id}")
    assert ("expiring", officer.id) not in {(r.kind, r.user.id) for r in plan_reminders(course)}


def test_the_audit_log_hides_names_with_the_dashboard(app, as_executive, executive):
    person = make_user("vic@example.org", "Vic Tim")
    as_executive.submit(f"/dashboard/units/{unit('Aachen (Stadt)').id}/people",
                        {"add-email": "vic@example.org", "add-function": "team"},
                        page=f"/dashboard/units/{unit('Aachen (Stadt)').id}")
    assert "Vic Tim ist jetzt Team Mitgliederbetreuung" in as_executive.text("/dashboard/audit")[1]
    set_dashboard_shows_names(False, executive)
    html = as_executive.text("/dashboard/audit")[1]
    assert "Vic Tim" not in html and "Lea Vorstand" not in html
    assert "eine Person ist jetzt Team Mitgliederbetreuung in UB Aachen (Stadt)" in html
    assert person.name == "Vic Tim"


def test_out_of_office_can_be_undone_the_same_day_only(app, as_executive):
    officer = make_user("kurz@example.org", "Kai Kurz", unit_name="Köln")
    membership = Membership.get(Membership.user == officer.id)
    as_executive.submit(f"/dashboard/memberships/{membership.id}/end", {"confirmed": "yes"},
                        page=f"/dashboard/units/{unit('Köln').id}")
    assert "Rückgängig machen" in as_executive.text(f"/dashboard/units/{unit('Köln').id}")[1]
    as_executive.submit(f"/dashboard/memberships/{membership.id}/reopen", page=f"/dashboard/units/{unit('Köln').id}")
    assert Membership.get_by_id(membership.id).ended_at is None
    as_executive.submit(f"/dashboard/memberships/{membership.id}/end", {"confirmed": "yes"},
                        page=f"/dashboard/units/{unit('Köln').id}")
    with freeze_time(datetime.utcnow() + timedelta(days=1)):
        response = as_executive.submit(f"/dashboard/memberships/{membership.id}/reopen",
                                       page=f"/dashboard/units/{unit('Köln').id}", follow_redirects=True)
        assert "nur am selben Tag" in response.get_data(as_text=True)
    assert Membership.get_by_id(membership.id).ended_at is not None

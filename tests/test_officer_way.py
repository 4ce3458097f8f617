"""No dead ends on the officer's way: every result page says where to go
next, an incomplete quiz leads to the open question, and the e-mail link
ends on a login form that is already filled in."""
import re

from lms.models import Certificate

from .quiz_helpers import correct_form, pass_quiz, start_quiz
from .test_auth import register

LESSONS = ["grundlagen/erste-schritte", "grundlagen/zweiter-schritt", "praxis/anwenden"]


def complete(client, path):
    return client.submit(f"/learn/demo/{path}/done", page=f"/learn/demo/{path}")


def result_page(client, attempt):
    return client.get(f"/quiz/attempt/{attempt.token}/result").get_data(as_text=True)


def buttons(html):
    """(href, text) of the links styled as buttons in the page's action row."""
    actions = html[html.index('<div class="actions">'):]
    actions = actions[:actions.index("</div>")]
    return [(href, re.sub(r"\s+", " ", text).strip())
            for href, text in re.findall(r'<a class="button[^"]*" href="([^"]+)">(.*?)</a>', actions, re.S)]


def test_passing_a_module_quiz_leads_on_to_the_next_module(logged_in):
    for path in LESSONS[:2]:
        complete(logged_in, path)
    attempt = pass_quiz(logged_in, "demo", "grundlagen")
    assert buttons(result_page(logged_in, attempt)) == [
        ("/learn/demo/praxis/anwenden", "Weiter mit dem nächsten Modul: Praxis"),
        ("/learn/demo", "Zur Kursübersicht"),
    ]


def test_the_next_module_step_skips_what_is_done_and_falls_back_to_what_is_open(logged_in):
    complete(logged_in, "praxis/anwenden")  # the next module's lesson is done already
    attempt = pass_quiz(logged_in, "demo", "grundlagen")
    first, _ = buttons(result_page(logged_in, attempt))
    assert first[0] == "/quiz/demo/praxis" and first[1].startswith("Weiter zum Quiz")


def test_the_quiz_that_completes_the_course_leads_to_the_certificate(logged_in, learner):
    for path in LESSONS:
        complete(logged_in, path)
    pass_quiz(logged_in, "demo", "grundlagen")
    attempt = start_quiz(logged_in, "demo", "praxis")
    response = logged_in.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt), follow_redirects=True)
    html = response.get_data(as_text=True)
    certificate = Certificate.get(Certificate.user == learner)
    assert "Dein Zertifikat ist fertig!" in html
    assert buttons(html)[0] == (f"/certificates/{certificate.code}", "Zum Zertifikat")


def test_an_incomplete_quiz_links_to_and_focuses_the_first_open_question(logged_in):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    answers = correct_form(attempt)
    open_ids = [q["id"] for q in attempt.questions[1:3]]
    for question_id in open_ids:
        answers = {name: value for name, value in answers.items()
                   if name != f"q-{question_id}" and not name.startswith(f"q-{question_id}-")}
    response = logged_in.submit(f"/quiz/attempt/{attempt.token}", answers)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html[html.index('class="error-summary"'):html.index('<form method="post" class="quiz-form"')]
    assert re.findall(r'href="#question-([^"]+)">Frage (\d)</a>', summary) == [(open_ids[0], "2"), (open_ids[1], "3")]
    focused = re.findall(r'<fieldset[^>]*id="question-([^"]+)"[^>]*tabindex="-1" autofocus', html)
    assert focused == [open_ids[0]]


def test_after_the_email_link_the_login_form_has_the_address_and_awaits_the_password(client, mail_sink):
    register(client)
    response = client.get(mail_sink.last_link_to("neu@example.org"))
    assert response.headers["Location"].endswith("/login")
    html = client.get("/login").get_data(as_text=True)
    assert "Deine E-Mail-Adresse neu@example.org ist bestätigt" in html
    assert re.search(r'<input[^>]*id="email"[^>]*value="neu@example.org"', html)
    assert re.search(r'<input[^>]*autofocus[^>]*id="password"|<input[^>]*id="password"[^>]*autofocus', html)
    # Only once: the next visit starts empty.
    assert 'value="neu@example.org"' not in client.get("/login").get_data(as_text=True)

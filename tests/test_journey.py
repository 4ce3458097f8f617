"""The whole journey of an officer, through the web UI, in one test."""
import io

from pypdf import PdfReader

import re

from lms.models import Certificate, Membership, Unit

from .helpers import PASSWORD, Browser, make_user
from .quiz_helpers import correct_form, start_quiz


def test_officer_registers_learns_passes_and_gets_a_verifiable_certificate(app, client, mail_sink):
    koeln = Unit.get(Unit.name == "Köln")

    # The state executive creates an invitation link for Köln's officer.
    executive = Browser(app.test_client())
    executive.login(make_user("lavo@example.org", is_executive=True).email)
    response = executive.submit(f"/dashboard/units/{koeln.id}/invitations",
                                {"invite-function": "officer", "invite-days": "14", "invite-uses": "1"},
                                page=f"/dashboard/units/{koeln.id}", follow_redirects=True)
    link = re.search(r'id="invite-link" value="http://localhost(/invite/[^"]+)"', response.get_data(as_text=True))
    assert link, "no invitation link on the page"

    # The link leads to registration with unit and function chosen.
    status, html = client.text(link.group(1))
    assert "Mitgliederbeauftragte*r" in html and "UB Köln" in html
    register_url = re.search(r'href="(/register\?invite=[^"]+)"', html).group(1).replace("&amp;", "&")
    status, html = client.text(register_url)
    assert "Mit dieser Auswahl ist deine Funktion sofort bestätigt" in html
    token = register_url.split("invite=", 1)[1]
    response = client.submit(register_url, {
        "name": "Jana Müller-Özdemir", "email": "Jana@Example.org", "password": PASSWORD,
        "password_confirm": PASSWORD, "unit": str(koeln.id), "function": "officer", "consent": "y",
        "invite": token,
    })
    assert response.status_code == 302
    assert Membership.get(Membership.unit == koeln).confirmed_via == "invitation"

    # Not verified yet: logging in sends the link again instead.
    response = client.submit("/login", {"email": "jana@example.org", "password": PASSWORD}, follow_redirects=True)
    assert "Bitte bestätige zuerst deine E-Mail-Adresse" in response.get_data(as_text=True)

    # Verify through the link that arrived over SMTP, then log in.
    client.get(mail_sink.last_link_to("jana@example.org"))
    client.login("jana@example.org")

    # The start page offers to begin the course.
    status, html = client.text("/")
    assert "Kurs beginnen" in html

    # Read every lesson and mark it done, module by module; pass each quiz.
    for lesson_path in ("grundlagen/erste-schritte", "grundlagen/zweiter-schritt"):
        assert client.get(f"/learn/demo/{lesson_path}").status_code == 200
        client.submit(f"/learn/demo/{lesson_path}/done", page=f"/learn/demo/{lesson_path}")
    status, html = client.text("/")
    assert "Weiter, wo du aufgehört hast" in html

    attempt = start_quiz(client, "demo", "grundlagen")
    response = client.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt), follow_redirects=True)
    assert "Bestanden!" in response.get_data(as_text=True)

    client.get("/learn/demo/praxis/anwenden")
    client.submit("/learn/demo/praxis/anwenden/done", page="/learn/demo/praxis/anwenden")
    assert not Certificate.select().exists()  # the praxis quiz is still open

    attempt = start_quiz(client, "demo", "praxis")
    response = client.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt), follow_redirects=True)
    assert "Dein Zertifikat ist fertig" in response.get_data(as_text=True)

    # The certificate: listed, downloadable as PDF, verifiable without login.
    certificate = Certificate.get()
    status, html = client.text("/certificates/")
    assert certificate.code in html
    pdf = client.get(f"/certificates/{certificate.code}.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Jana Müller-Özdemir" in text
    assert "UB Köln" in text
    assert certificate.code in text

    client.submit("/logout", page="/")
    status, html = client.text(f"/verify/{certificate.code}")
    assert status == 200
    assert "Gültig" in html
    assert "Jana Müller-Özdemir" in html

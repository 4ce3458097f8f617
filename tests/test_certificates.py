"""Certificates: issued on completion, PDF, codes, public verification."""
import io
import re
from datetime import datetime
from pathlib import Path

import segno
from freezegun import freeze_time
from PIL import Image
from pypdf import PdfReader

from lms.certificates.issuing import (CODE_ALPHABET, generate_code, issue_certificate_if_complete,
                                      normalize_code)
from lms.models import Certificate, Course, Lesson, LessonProgress, Membership, Quiz, Unit
from lms.timeutil import format_date, utcnow

from .helpers import Browser, gen_attempt, make_user


def complete_course(user):
    """Mark every lesson done and every quiz passed, straight in the database."""
    now = utcnow()
    for lesson in Lesson.select():
        LessonProgress.create(user=user, lesson=lesson, completed_at=now)
    for quiz in Quiz.select():
        gen_attempt(user, quiz, submitted_at=now)


def demo():
    return Course.get(Course.slug == "demo")


def issue_for(user):
    complete_course(user)
    return issue_certificate_if_complete(user, demo())


def pdf_text(data):
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_dates_the_certificate_in_berlin_time(app, client, learner):
    with freeze_time("2026-03-31 22:30"):  # already 1 April in Berlin
        certificate = issue_for(learner)
    client.login(learner.email)
    text = pdf_text(client.get(f"/certificates/{certificate.code}.pdf").data)
    assert "Ausgestellt am 01.04.2026" in text and "Gültig bis 01.04.2027" in text
    assert "01.04.2026\nOrt, Datum" in text


def test_no_certificate_before_the_rule_is_met(app, learner):
    LessonProgress.create(user=learner, lesson=Lesson.get(), completed_at=utcnow())
    assert issue_certificate_if_complete(learner, demo()) is None


def test_certificate_snapshots_name_unit_course_and_validity(app, learner):
    with freeze_time("2026-01-31 12:00"):
        certificate = issue_for(learner)
    assert (certificate.holder_name, certificate.unit_name) == ("Lena Lernende", "UB Köln")
    assert (certificate.course_title, certificate.course_version) == ("Demo-Kurs", "1.0")
    assert certificate.issued_at == datetime(2026, 1, 31, 12, 0)
    assert certificate.expires_at == datetime(2027, 1, 31, 12, 0)  # valid for 12 months


def test_the_snapshot_does_not_change_when_the_world_does(app, learner):
    certificate = issue_for(learner)
    learner.name = "Lena Umbenannt"
    learner.save()
    Unit.update(name="Köln-Neu").where(Unit.name == "Köln").execute()
    Course.update(title="Neuer Titel", version="2.0").execute()
    reloaded = Certificate.get_by_id(certificate.id)
    assert (reloaded.holder_name, reloaded.unit_name, reloaded.course_title, reloaded.course_version) == \
        ("Lena Lernende", "UB Köln", "Demo-Kurs", "1.0")


def test_only_one_valid_certificate_is_issued(app, learner):
    assert issue_for(learner) is not None
    assert issue_certificate_if_complete(learner, demo()) is None
    assert Certificate.select().count() == 1


def test_codes_are_readable_random_and_not_sequential():
    codes = [generate_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", c) for c in codes)
    assert not set("".join(codes).replace("-", "")) - set(CODE_ALPHABET)
    assert not {"0", "O", "1", "I", "L"} & set("".join(codes))
    assert codes != sorted(codes)


def test_codes_typed_by_hand_are_normalised():
    assert normalize_code(" k7qx m2pd 9wta ") == "K7QX-M2PD-9WTA"
    assert normalize_code("K7QX-M2PD") is None


def test_pdf_contains_everything_and_a_qr_code_to_the_verify_page(app, client, learner):
    certificate = issue_for(learner)
    client.login(learner.email)
    response = client.get(f"/certificates/{certificate.code}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="Zertifikat-{certificate.code}.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    issued, expires = format_date(certificate.issued_at), format_date(certificate.expires_at)  # Berlin dates
    for expected in ("Zertifikat\n", "Lena Lernende", "UB Köln", "Demo-Kurs", "Kursversion 1.0",
                     f"Ausgestellt am {issued}", f"Gültig bis {expires}", f"Zertifikatscode {certificate.code}",
                     "Landesvorstand der NRW Jusos", "Ort, Datum", "bestätigt"):
        assert expected in text, expected
    assert "Teilnahmebescheinigung" not in text
    # The address to check the certificate has a line of its own, so no word is left alone after it.
    assert text.rstrip().endswith(f"aufrufen:\nhttp://localhost/verify/{certificate.code}")
    metadata = PdfReader(io.BytesIO(response.data)).metadata
    assert metadata.title == "Zertifikat – Demo-Kurs"

    # The QR code encodes the public verification URL.
    reader = PdfReader(io.BytesIO(response.data))
    [image] = reader.pages[0].images
    embedded = Image.open(io.BytesIO(image.data)).convert("1")
    expected_png = io.BytesIO()
    segno.make(f"http://localhost/verify/{certificate.code}", error="m").save(expected_png, kind="png", scale=8, border=2)
    expected = Image.open(expected_png).convert("1")
    assert embedded.size == expected.size
    assert embedded.tobytes() == expected.tobytes()


def test_umlauts_and_typographic_characters_survive_in_the_pdf(app, client):
    user = make_user("oe@example.org", "Özlem Weiß-Jürgensen", unit_name="Mönchengladbach")
    certificate = issue_for(user)
    client.login(user.email)
    text = pdf_text(client.get(f"/certificates/{certificate.code}.pdf").data)
    assert "Özlem Weiß-Jürgensen" in text
    assert "UB Mönchengladbach" in text
    assert "„Demo-Kurs“" in text


def test_pages_call_it_zertifikat_and_never_break_the_code(app, client, learner):
    certificate = issue_for(learner)
    client.login(learner.email)
    pages = [client.text(path)[1] for path in (f"/certificates/{certificate.code}", f"/verify/{certificate.code}",
                                               "/verify", "/verify/AAAA-BBBB-CCCC")]
    for html in pages:
        assert "Teilnahmebescheinigung" not in html
    assert f'<code class="certificate-code">{certificate.code}</code>' in pages[0]
    assert f'<code class="certificate-code">{certificate.code}</code>' in pages[1]
    assert '<code class="certificate-code">K7QX-M2PD-9WTA</code>' in pages[2]
    assert '<code class="certificate-code">AAAA-BBBB-CCCC</code>' in pages[3]
    css = (Path(app.static_folder) / "css" / "app.css").read_text(encoding="utf-8")
    assert ".certificate-code { white-space: nowrap; }" in css


def test_verify_page_needs_no_login_and_shows_only_certificate_data(app, client, learner):
    certificate = issue_for(learner)
    status, html = client.text(f"/verify/{certificate.code}")
    assert status == 200
    assert "Gültig" in html and "Lena Lernende" in html and "UB Köln" in html
    assert learner.email not in html
    assert "Mitgliederbeauftragte" not in html  # the function is not on the certificate


def test_verify_page_says_expired_and_revoked(app, client, learner):
    with freeze_time("2024-01-01"):
        old = issue_for(learner)
    assert "Abgelaufen" in client.text(f"/verify/{old.code}")[1]
    Certificate.update(revoked_at=utcnow()).where(Certificate.id == old.id).execute()
    assert "Widerrufen" in client.text(f"/verify/{old.code}")[1]


def test_unknown_code_is_404_and_the_form_normalises_input(app, client, learner):
    certificate = issue_for(learner)
    assert client.get("/verify/AAAA-BBBB-CCCC").status_code == 404
    response = client.get("/verify?code=" + certificate.code.lower().replace("-", " "))
    assert response.headers["Location"] == f"/verify/{certificate.code}"
    assert client.get("/verify?code=zu-kurz").status_code == 400


def test_a_learner_cannot_open_another_learners_certificate(app, learner):
    certificate = issue_for(learner)
    other = make_user("other@example.org")
    intruder = Browser(app.test_client())
    intruder.login(other.email)
    assert intruder.get(f"/certificates/{certificate.code}").status_code == 404
    assert intruder.get(f"/certificates/{certificate.code}.pdf").status_code == 404
    assert certificate.code not in intruder.text("/certificates/")[1]


def test_certificate_without_unit_omits_the_unit_line(app):
    user = make_user("lv@example.org", "Landes Vorstand")
    certificate = issue_for(user)
    assert certificate.unit_name == ""
    assert not Membership.select().where(Membership.user == user).exists()


def redo_course(client):
    """Go through the whole demo course again through the UI."""
    from .quiz_helpers import pass_quiz

    for path in ("grundlagen/erste-schritte", "grundlagen/zweiter-schritt", "praxis/anwenden"):
        client.submit(f"/learn/demo/{path}/done", page=f"/learn/demo/{path}")
    pass_quiz(client, "demo", "grundlagen")
    pass_quiz(client, "demo", "praxis")


def test_renewal_before_expiry_issues_a_new_certificate_and_supersedes_the_old(app, client, learner):
    with freeze_time("2026-01-10"):
        old = issue_for(learner)
    with freeze_time("2026-02-01"):
        client.login(learner.email)
        html = client.text("/learn/demo")[1]
        assert "Du kannst den Kurs jederzeit noch einmal durchgehen" in html
        redo_course(client)
    new = Certificate.select().where(Certificate.id != old.id).get()
    assert new.issued_at == datetime(2026, 2, 1)
    assert new.expires_at == datetime(2027, 2, 1)
    assert Certificate.get_by_id(old.id).superseded_by_id == new.id
    with freeze_time("2026-02-02"):
        assert "Ersetzt" in client.text(f"/verify/{old.code}")[1]
        assert "Gültig" in client.text(f"/verify/{new.code}")[1]


def test_an_expired_certificate_is_renewed_after_expiry(app, client, learner):
    with freeze_time("2024-01-10"):
        old = issue_for(learner)
    with freeze_time("2026-03-01"):
        client.login(learner.email)
        html = client.text("/learn/demo")[1]
        assert "Auffrischung" in html and 'value="0"' in html  # progress counts from the old certificate on
        assert "Auffrischung beginnen" in client.text("/")[1]
        redo_course(client)
        assert "Abgelaufen" in client.text(f"/verify/{old.code}")[1]
    assert Certificate.select().count() == 2


def test_partial_work_after_a_certificate_issues_nothing(app, client, learner):
    with freeze_time("2026-01-10"):
        issue_for(learner)
    with freeze_time("2026-02-01"):
        client.login(learner.email)
        client.submit("/learn/demo/grundlagen/erste-schritte/done", page="/learn/demo/grundlagen/erste-schritte")
        assert "Auffrischung" in client.text("/learn/demo")[1]
    assert Certificate.select().count() == 1


def test_a_renewal_starts_with_fresh_quiz_attempts(app, client, learner):
    from .quiz_helpers import start_quiz, wrong_form

    with freeze_time("2026-01-01 08:00"):
        client.login(learner.email)
    for day in range(3):  # all three attempts used up (the limit is 3)
        with freeze_time(f"2026-01-0{day + 1} 10:00"):
            attempt = start_quiz(client, "demo", "praxis")
            client.submit(f"/quiz/attempt/{attempt.token}", wrong_form(attempt))
    with freeze_time("2026-01-05 10:00"):
        issue_for(learner)  # e.g. certified after a later pass
    with freeze_time("2026-02-01 10:00"):
        client.submit("/logout", page="/")
        client.login(learner.email)  # the old session has expired by now
        assert start_quiz(client, "demo", "praxis").submitted_at is None

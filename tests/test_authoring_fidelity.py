"""Authoring tells trainers the truth in their own terms: what is stored is
what they typed (LF line ends), an import that changes the course gets a
new version, and problems are named as the browser shows the content
(the editor's line, the question, "stillgelegt"), not as files."""
import re

from lms.models import ContentRevision, Course, MediaFile

from .test_authoring import GIFT_UNSUPPORTED, png_bytes, publish, rezip, save_lesson, upload


def import_preview(client, data):
    html = upload(client, "/author/demo/import", "kurs.zip", data).get_data(as_text=True)
    assert "Import: Vorschau" in html, html
    return html, re.findall(r'/author/demo/import/([\w-]+)/cancel"', html)[0]


def confirm_import(client, token):
    return client.submit(f"/author/demo/import/{token}", {}, page="/author/demo/import", follow_redirects=True)


def version():
    return Course.get(Course.slug == "demo").version


def test_a_lesson_saved_in_the_browser_is_stored_with_lf_and_its_export_imports_unchanged(as_trainer, app):
    body = "## Neu\r\n\r\nEin Text aus dem Browser.\r\n\r\n## Kurz gesagt\r\n\r\n- Zeilen enden mit CRLF.\r\n"
    assert save_lesson(as_trainer, body=body).status_code == 302
    stored = ContentRevision.select().order_by(ContentRevision.id.desc()).first()
    assert stored.key == "lessons/grundlagen/erste-schritte"
    assert "\r" not in stored.text and "Ein Text aus dem Browser.\n" in stored.text
    assert publish(as_trainer).status_code == 302
    html, _ = import_preview(as_trainer, as_trainer.get("/author/demo/export.zip").data)
    assert "Der Inhalt entspricht genau der veröffentlichten Fassung." in html
    assert "Die Version bleibt 1.1." in html


def test_a_file_with_crlf_line_ends_imports_like_one_with_lf(as_trainer):
    exported = as_trainer.get("/author/demo/export.zip").data
    windows = rezip(exported, lambda name, data: data.replace(b"\n", b"\r\n") if name.endswith((".md", ".yaml")) else data)
    html, _ = import_preview(as_trainer, windows)
    assert "Der Inhalt entspricht genau der veröffentlichten Fassung." in html


def changed_lesson(text):
    def change(name, data):
        if name.endswith("01-erste-schritte.md"):
            return data.replace(b"Willkommen", text.encode())
        return data
    return change


def test_an_import_that_changes_the_course_raises_its_version_like_a_publish(as_trainer, app):
    exported = as_trainer.get("/author/demo/export.zip").data  # version 1.0
    html, token = import_preview(as_trainer, rezip(exported, changed_lesson("Hallo")))
    assert "als <strong>Version 1.1</strong> veröffentlicht (bisher 1.0)" in html
    assert "als Version 1.1 veröffentlicht" in confirm_import(as_trainer, token).get_data(as_text=True)
    assert version() == "1.1"
    # The same old export, changed differently, must not carry 1.1 (or 1.0) again.
    _, token = import_preview(as_trainer, rezip(exported, changed_lesson("Servus")))
    confirm_import(as_trainer, token)
    assert version() == "1.2"
    course_yaml = ContentRevision.select().where(ContentRevision.key == "course.yaml").order_by(
        ContentRevision.id.desc()).first().text
    assert 'version: "1.2"' in course_yaml


def test_an_import_keeps_a_version_the_trainer_raised_on_purpose(as_trainer):
    exported = as_trainer.get("/author/demo/export.zip").data
    def change(name, data):
        data = changed_lesson("Moin")(name, data)
        return data.replace(b'version: "1.0"', b'version: "2.0"') if name.endswith("course.yaml") else data
    _, token = import_preview(as_trainer, rezip(exported, change))
    confirm_import(as_trainer, token)
    assert version() == "2.0"


def test_an_unchanged_import_keeps_the_version(as_trainer):
    _, token = import_preview(as_trainer, as_trainer.get("/author/demo/export.zip").data)
    confirm_import(as_trainer, token)
    assert version() == "1.0"


def test_a_link_to_a_retired_lesson_is_called_retired_and_named_as_the_editor_shows_it(as_trainer):
    as_trainer.submit("/author/demo/lessons/grundlagen/zweiter-schritt/retire", {}, page="/author/demo/")
    html = as_trainer.submit("/author/demo/publish", {}, follow_redirects=True).get_data(as_text=True)
    assert "Nicht veröffentlicht" in html
    # "Willkommen … (lesson:grundlagen/zweiter-schritt)" is the third line of the lesson's text box.
    assert ("Lektion „Erste Schritte“, Zeile 3 im Text: Link auf die stillgelegte Lektion "
            "&#39;lesson:grundlagen/zweiter-schritt&#39;") in html
    assert "unbekannte Lektion" not in html and ".md:" not in html


def test_gift_hints_name_the_question_not_a_file(as_trainer):
    html = as_trainer.submit("/author/demo/quizzes/praxis/gift", {"text": GIFT_UNSUPPORTED},
                             follow_redirects=True).get_data(as_text=True)
    assert "1 Frage(n) übernommen" in html
    hints = re.findall(r'class="flash flash-info"[^>]*>([^<]*)<', html)
    assert any(hint.startswith("Hinweis: Frage „gift-1“: Die Frage hat keine Erklärung") for hint in hints), hints
    assert "praxis.yaml" not in html and "quizzes/demo/praxis.yaml" not in html


def test_the_image_list_shows_the_uploaded_file_name(as_trainer):
    upload(as_trainer, "/author/media", "Sommerfest Gruppenfoto.png", png_bytes())
    html = as_trainer.text("/author/media")[1]
    stored = MediaFile.get()
    assert "Sommerfest Gruppenfoto.png" in html and f"gespeichert als {stored.name}" in html

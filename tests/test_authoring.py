"""Trainers author the course in the browser: drafts, publishing, history,
quiz forms, images, zip and GIFT exchange, item statistics."""
import io
import os
import re
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from lms.content.publishing import MAX_ENTRY_BYTES, read_zip
from lms.content.revisions import draft_tree, history, pending_changes, published_tree
from lms.content.source import ContentErrors
from lms.models import AuditLog, Course, Lesson, LessonProgress, MediaFile, Module, Quiz

from .helpers import gen_attempt, gen_question, gen_quiz, make_user

LESSON_URL = "/author/demo/lessons/grundlagen/erste-schritte"
LEARNER_LESSON_URL = "/learn/demo/grundlagen/erste-schritte"


def lesson_form(**overrides):
    data = {"title": "Erste Schritte", "minutes": "7", "goals": "Du kennst den ersten Schritt.",
            "body": "## Neu\n\nEin ganz neuer Text für die Lektion.\n\n## Kurz gesagt\n\n- Neu ist besser.\n"}
    data.update(overrides)
    return data


def save_lesson(client, url=LESSON_URL, **overrides):
    return client.submit(url, lesson_form(**overrides))


def publish(client):
    return client.submit("/author/demo/publish", {}, follow_redirects=False)


# --- access -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/author/", "/author/demo/", LESSON_URL, "/author/demo/quizzes/grundlagen",
                                 "/author/demo/publish", "/author/demo/export.zip", "/author/media",
                                 "/author/demo/quizzes/grundlagen/statistics", "/author/demo/history/course.yaml"])
def test_only_trainers_reach_the_authoring_area(client, app, learner, url):
    assert client.get(url).status_code == 302  # anonymous: to the login
    client.login(learner.email)
    assert client.get(url).status_code == 403


def test_a_learner_cannot_post_to_the_authoring_area(logged_in):
    response = logged_in.submit("/author/demo/preview", {"body": "x"}, page="/")
    assert response.status_code == 403
    assert logged_in.submit(LESSON_URL, lesson_form(), page="/").status_code == 403


# --- drafts and publishing ----------------------------------------------------------


def test_learners_see_a_change_only_after_it_is_published(as_trainer, app, learner):
    response = save_lesson(as_trainer)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert [c.key for c in pending_changes("demo")] == ["lessons/grundlagen/erste-schritte"]
        version_before = Course.get(Course.slug == "demo").version

    learner_client = app.test_client()
    from .helpers import Browser
    learner_browser = Browser(learner_client)
    learner_browser.login(learner.email)
    assert "ganz neuer Text" not in learner_browser.text(LEARNER_LESSON_URL)[1]

    response = publish(as_trainer)
    assert response.status_code == 302
    status, html = learner_browser.text(LEARNER_LESSON_URL)
    assert status == 200 and "ganz neuer Text" in html
    with app.app_context():
        course = Course.get(Course.slug == "demo")
        assert course.version != version_before
        assert pending_changes("demo") == []
        assert AuditLog.select().where(AuditLog.action == "content.publish").count() == 1


def test_publishing_keeps_progress(as_trainer, app, learner):
    with app.app_context():
        lesson = Lesson.select().join(Module).where(Lesson.slug == "erste-schritte").get()
        LessonProgress.create(user=learner, lesson=lesson, completed_at=lesson.module.course.loaded_at)
    save_lesson(as_trainer)
    publish(as_trainer)
    with app.app_context():
        assert LessonProgress.select().where(LessonProgress.user == learner.id).count() == 1
        assert Lesson.get_by_id(lesson.id).title == "Erste Schritte"


def test_an_invalid_lesson_is_not_saved_and_the_error_names_the_line_in_the_text_box(as_trainer, app):
    # Sent with CRLF, as a browser's textarea does; line 5 of the text box
    # is far below line 5 of the file (the front matter comes first).
    body = "Ein Absatz.\r\n\r\nNoch einer.\r\n\r\n## Leer\r\n\r\n## Kurz gesagt\r\n\r\n- x\r\n"
    response = save_lesson(as_trainer, body=body)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Zeile 5 im Text: " in html
    assert "01-erste-schritte.md" not in html
    with app.app_context():
        assert pending_changes("demo") == []


def test_a_lesson_over_the_size_limit_is_not_saved(as_trainer, app):
    paragraph = "Ein Absatz mit **fettem** Text und einem [Link](https://example.org).\n\n"
    body = "## Viel\n\n" + paragraph * (5 * 1024 * 1024 // len(paragraph))  # 5 MB
    response = save_lesson(as_trainer, body=body)
    assert response.status_code == 200
    assert "Der Text ist größer als 200 KB. Kürze ihn oder teile ihn auf." in response.get_data(as_text=True)
    with app.app_context():
        assert pending_changes("demo") == []


def test_a_broken_draft_blocks_the_publish_and_changes_nothing(as_trainer, app):
    # A new module without lessons is a valid draft of course.yaml, but not a valid course.
    response = as_trainer.submit("/author/demo/modules/new", {"slug": "leer", "title": "Leeres Modul"})
    assert response.status_code == 302
    with app.app_context():
        before = Course.get(Course.slug == "demo").version
    response = as_trainer.submit("/author/demo/publish", {}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Nicht veröffentlicht" in html and "keine Lektion" in html
    with app.app_context():
        assert Course.get(Course.slug == "demo").version == before
        assert not Module.select().where(Module.slug == "leer").exists()


def test_create_reorder_and_retire_modules_and_lessons(as_trainer, app):
    assert as_trainer.submit("/author/demo/modules/new", {"slug": "vertiefung", "title": "Vertiefung"}).status_code == 302
    response = as_trainer.submit("/author/demo/modules/vertiefung/lessons/new",
                                 lesson_form(slug="mehr-wissen", title="Mehr wissen"))
    assert response.status_code == 302, response.get_data(as_text=True)
    as_trainer.submit("/author/demo/modules/vertiefung/lessons/new", lesson_form(slug="noch-mehr", title="Noch mehr"))
    as_trainer.submit("/author/demo/lessons/vertiefung/noch-mehr/move", {"direction": "up"}, page="/author/demo/")
    as_trainer.submit("/author/demo/modules/vertiefung/move", {"direction": "up"}, page="/author/demo/")
    as_trainer.submit("/author/demo/modules/praxis/edit", {"title": "Praxis neu", "summary": ""})
    save_lesson(as_trainer)  # drops the link to the lesson retired next; a dangling link would stop the publish
    as_trainer.submit("/author/demo/lessons/grundlagen/zweiter-schritt/retire", {}, page="/author/demo/")
    response = publish(as_trainer)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        modules = {m.slug: m for m in Module.select().where(~Module.is_retired)}
        assert [m.slug for m in sorted(modules.values(), key=lambda m: m.position)] == ["grundlagen", "vertiefung", "praxis"]
        assert modules["praxis"].title == "Praxis neu"
        lessons = {l.slug: l for l in Lesson.select().where(Lesson.module == modules["vertiefung"])}
        assert lessons["noch-mehr"].position < lessons["mehr-wissen"].position
        retired = Lesson.get(Lesson.slug == "zweiter-schritt")
        assert retired.is_retired
    assert as_trainer.get("/learn/demo/grundlagen/zweiter-schritt").status_code == 404


def test_retiring_a_module_keeps_its_rows(as_trainer, app):
    as_trainer.submit("/author/demo/modules/praxis/retire", {}, page="/author/demo/")
    assert publish(as_trainer).status_code == 302
    with app.app_context():
        assert Module.get(Module.slug == "praxis").is_retired
        assert Quiz.get(Quiz.slug == "praxis").is_retired


# --- preview ----------------------------------------------------------------------


def test_preview_is_sanitised_like_the_lesson(as_trainer):
    body = ('Text <script>alert(1)</script> <img src="x" onerror="alert(2)"> '
            '[klick](javascript:alert(3)) **fett**')
    response = as_trainer.submit("/author/demo/preview", {"body": body}, page=LESSON_URL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>fett</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html


def test_preview_button_renders_without_saving(as_trainer, app):
    response = as_trainer.submit(LESSON_URL, {**lesson_form(body="## Vorschau\n\nNur *ansehen*."), "preview": "1"})
    assert response.status_code == 200
    assert "<em>ansehen</em>" in response.get_data(as_text=True)
    with app.app_context():
        assert pending_changes("demo") == []


# --- history --------------------------------------------------------------------------


def test_history_diff_and_restore(as_trainer, app):
    key = "lessons/grundlagen/erste-schritte"
    with app.app_context():
        original = draft_tree("demo")[key].text
    save_lesson(as_trainer, body="## Eins\n\nErste Fassung.\n\n## Kurz gesagt\n\n- eins\n")
    save_lesson(as_trainer, body="## Zwei\n\nZweite Fassung.\n\n## Kurz gesagt\n\n- zwei\n")
    with app.app_context():
        revisions = history("demo", key)
        assert [r.number for r in revisions] == [3, 2, 1]
        assert revisions[0].author.email == "tina@example.org" and revisions[2].author is None

    status, html = as_trainer.text(f"/author/demo/history/{key}")
    assert status == 200 and "Tina Trainerin" in html
    status, html = as_trainer.text(f"/author/demo/history/{key}/diff?a=2&b=3")
    assert status == 200 and "Eins" in html and "Zwei" in html and "diff_chg" in html

    response = as_trainer.submit(f"/author/demo/history/{key}/1/restore", {}, page=f"/author/demo/history/{key}")
    assert response.status_code == 302
    with app.app_context():
        revisions = history("demo", key)
        assert revisions[0].number == 4 and revisions[0].text == original
        assert "Wiederhergestellt aus Version 1" in revisions[0].note
        assert pending_changes("demo") == []  # back to what is published


# --- quizzes ----------------------------------------------------------------------------


def question_url(quiz, type_name):
    return f"/author/demo/quizzes/{quiz}/questions/new?type={type_name}"


def test_every_question_type_can_be_written_through_the_form(as_trainer, app):
    forms = {
        "single_choice": {"id": "neu-sc", "prompt": "Was zuerst?", "explanation": "Darum.",
                          "choices-0-text": "Anrufen", "choices-0-correct": "y", "choices-0-feedback": "Ja.",
                          "choices-1-text": "Warten", "choices-1-feedback": "Nein."},
        "multiple_choice": {"id": "neu-mc", "prompt": "Was hilft?", "choices-0-text": "A", "choices-0-correct": "y",
                            "choices-0-feedback": "Ja.", "choices-1-text": "B", "choices-1-correct": "y",
                            "choices-1-feedback": "Ja.", "choices-2-text": "C", "choices-2-feedback": "Nein."},
        "true_false": {"id": "neu-tf", "prompt": "Stimmt das?", "answer": "false", "feedback_true": "Nein.",
                       "feedback_false": "Richtig."},
        "short_text": {"id": "neu-st", "prompt": "Wie heißt es?", "accepted": "Parteibuch\ndas Parteibuch",
                       "feedback_correct": "Genau.", "feedback_wrong": "Das Parteibuch."},
        "ordering": {"id": "neu-or", "prompt": "Ordne.", "items": "Eins\nZwei\nDrei"},
        "matching": {"id": "neu-ma", "prompt": "Ordne zu.", "pairs": "UB -> Unterbezirk\nKV -> Kreisverband"},
    }
    for type_name, data in forms.items():
        response = as_trainer.submit(question_url("praxis", type_name), data)
        assert response.status_code == 302, (type_name, response.get_data(as_text=True))
    response = as_trainer.submit("/author/demo/quizzes/praxis", {
        "title": "Quiz: Praxis", "pass_mark": "80", "shuffle_questions": "y", "max_attempts": "3",
        "cooldown_minutes": "10"})
    assert response.status_code == 302
    assert publish(as_trainer).status_code == 302
    with app.app_context():
        quiz = Quiz.get(Quiz.slug == "praxis")
        by_id = {q["id"]: q for q in quiz.questions}
        assert {"neu-sc", "neu-mc", "neu-tf", "neu-st", "neu-or", "neu-ma"} <= set(by_id)
        assert [(p["left"], p["right"]) for p in by_id["neu-ma"]["pairs"]] == [("UB", "Unterbezirk"), ("KV", "Kreisverband")]
        assert by_id["neu-tf"]["answer"] is False
        assert by_id["neu-st"]["accepted"] == ["Parteibuch", "das Parteibuch"]
        assert [i["text"] for i in by_id["neu-or"]["items"]] == ["Eins", "Zwei", "Drei"]
        assert (quiz.pass_mark, quiz.shuffle_questions, quiz.shuffle_choices, quiz.max_attempts,
                quiz.cooldown_minutes) == (80, True, False, 3, 10)


def test_a_single_choice_with_two_correct_answers_is_refused(as_trainer, app):
    response = as_trainer.submit(question_url("praxis", "single_choice"), {
        "id": "doppelt", "prompt": "Welche?", "choices-0-text": "A", "choices-0-correct": "y",
        "choices-0-feedback": "x", "choices-1-text": "B", "choices-1-correct": "y", "choices-1-feedback": "y"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "genau eine richtige Antwort" in html and "doppelt" in html
    with app.app_context():
        assert pending_changes("demo") == []


def test_edit_move_and_delete_a_question(as_trainer, app):
    url = "/author/demo/quizzes/grundlagen/questions/einzel"
    status, html = as_trainer.text(url)
    assert status == 200 and "Welche Antwort ist richtig?" in html
    response = as_trainer.submit(url, {"id": "einzel", "prompt": "Neu formuliert?", "choices-0-text": "Richtig",
                                       "choices-0-correct": "y", "choices-0-feedback": "Ja.",
                                       "choices-1-text": "Falsch", "choices-1-feedback": "Nein."})
    assert response.status_code == 302
    as_trainer.submit("/author/demo/quizzes/grundlagen/questions/einzel/move", {"direction": "down"},
                      page="/author/demo/quizzes/grundlagen")
    as_trainer.submit("/author/demo/quizzes/grundlagen/questions/wahr/delete", {},
                      page="/author/demo/quizzes/grundlagen")
    with app.app_context():
        from lms.content.authoring import quiz_data
        questions = quiz_data("demo", "grundlagen")["questions"]
        ids = [q["id"] for q in questions]
        assert ids[:2] == ["mehrfach", "einzel"] and "wahr" not in ids
        assert questions[1]["prompt"] == "Neu formuliert?"
        assert len(questions[1]["choices"]) == 2


# --- images -------------------------------------------------------------------------


def png_bytes(size=(40, 30), color=(200, 0, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, url, name, data, field="file"):
    token = client.csrf_token(url)
    return client.post(url, data={"csrf_token": token, field: (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_an_uploaded_image_is_re_encoded_and_served_safely(as_trainer, app):
    response = upload(as_trainer, "/author/media", "foto.png", png_bytes())
    assert response.status_code == 302
    with app.app_context():
        row = MediaFile.get()
        assert (row.width, row.height, row.mime_type) == (40, 30, "image/png")
    response = as_trainer.get(f"/media/{row.name}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    Image.open(io.BytesIO(response.data)).verify()

    save_lesson(as_trainer, body=f"## Bild\n\n![Ein rotes Rechteck](/media/{row.name})\n\n## Kurz gesagt\n\n- Bild.\n")
    publish(as_trainer)
    html = as_trainer.text(LEARNER_LESSON_URL)[1]
    assert f'<img alt="Ein rotes Rechteck" src="/media/{row.name}"' in html


@pytest.mark.parametrize("name,data,message", [
    ("seite.png", b"<html><script>alert(1)</script></html>", "kein gültiges Bild"),
    ("leer.png", b"", "Die Datei ist leer"),
    ("kaputt.png", png_bytes()[:60], "kein gültiges Bild"),
])
def test_files_that_are_not_images_are_refused(as_trainer, app, name, data, message):
    response = upload(as_trainer, "/author/media", name, data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert MediaFile.select().count() == 0


def test_unknown_media_is_not_found(as_trainer):
    assert as_trainer.get("/media/../../secret_key").status_code == 404
    assert as_trainer.get("/media/nichtda.png").status_code == 404


# --- zip round trip -------------------------------------------------------------------


def test_export_and_import_on_a_fresh_instance_give_the_same_course(as_trainer, app, tmp_path, template_database,
                                                                     mail_sink, trainer):
    import shutil

    from lms import create_app

    from .conftest import app_config
    from .helpers import Browser

    upload(as_trainer, "/author/media", "foto.png", png_bytes())
    with app.app_context():
        image = MediaFile.get().name
    save_lesson(as_trainer, body=f"## Bild\n\n![Rot](/media/{image})\n\n## Kurz gesagt\n\n- Bild.\n")
    as_trainer.submit(question_url("praxis", "true_false"), {"id": "neu", "prompt": "Ja?", "answer": "true",
                                                            "feedback_true": "Ja.", "feedback_false": "Nein."})
    publish(as_trainer)
    response = as_trainer.get("/author/demo/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    exported = response.data
    names = zipfile.ZipFile(io.BytesIO(exported)).namelist()
    assert "course/demo/course.yaml" in names and "quizzes/demo/praxis.yaml" in names and f"media/{image}" in names
    with app.app_context():
        source_tree = published_tree("demo")
        source_lessons = {(l.slug, l.title, l.body_html) for l in Lesson.select().where(~Lesson.is_retired)}
        source_questions = Quiz.get(Quiz.slug == "praxis").questions

    fresh_path = tmp_path / "fresh" / "lms.sqlite3"
    fresh_path.parent.mkdir()
    shutil.copy(template_database, fresh_path)
    fresh = create_app(app_config(fresh_path, mail_sink))
    with fresh.app_context():
        make_user("tom@example.org", "Tom Trainer", is_trainer=True)
    browser = Browser(fresh.test_client())
    browser.login("tom@example.org")
    response = upload(browser, "/author/demo/import", "kurs.zip", exported)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vorschau" in html and "Lektion grundlagen/erste-schritte" in html
    token = html.split("/author/demo/import/")[1].split('"')[0]
    response = browser.submit(f"/author/demo/import/{token}", {}, page="/author/demo/import")
    assert response.status_code == 302
    with fresh.app_context():
        assert published_tree("demo") == source_tree
        assert {(l.slug, l.title, l.body_html) for l in Lesson.select().where(~Lesson.is_retired)} == source_lessons
        assert Quiz.get(Quiz.slug == "praxis").questions == source_questions
        assert MediaFile.get().name == image
    assert browser.get(f"/media/{image}").status_code == 200


def zip_of(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@pytest.mark.parametrize("data,message", [
    (b"das ist kein zip", "keine gültige Zip-Datei"),
    (zip_of({"../../etc/passwd": "x"}), "Unsicherer Pfad"),
    (zip_of({"course/demo/course.yaml": "title: [kaputt"}), "course/demo/course.yaml:1"),
    (zip_of({"anderes/datei.txt": "x"}), "Nur die Ordner"),
    (zip_of({"media/bild.png": "x"}), "Unerwarteter Dateiname"),
])
def test_a_bad_zip_is_refused_and_changes_nothing(as_trainer, app, data, message):
    with app.app_context():
        before = published_tree("demo")
    response = upload(as_trainer, "/author/demo/import", "kurs.zip", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert published_tree("demo") == before


def test_a_truncated_export_is_refused(as_trainer, app):
    exported = as_trainer.get("/author/demo/export.zip").data
    response = upload(as_trainer, "/author/demo/import", "kurs.zip", exported[: len(exported) // 2])
    assert "keine gültige Zip-Datei" in response.get_data(as_text=True)


def rezip(data, change):
    """The zip ``data`` again, each entry's bytes passed through ``change(name, data)``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            target.writestr(name, change(name, source.read(name)))
    return buffer.getvalue()


def test_files_with_a_byte_order_mark_import_like_files_without(as_trainer):
    exported = as_trainer.get("/author/demo/export.zip").data
    marked = rezip(exported, lambda name, data: b"\xef\xbb\xbf" + data)  # as Windows editors save UTF-8
    html = upload(as_trainer, "/author/demo/import", "kurs.zip", marked).get_data(as_text=True)
    assert "Import: Vorschau" in html
    assert "Der Inhalt entspricht genau der veröffentlichten Fassung." in html


# --- import previews are not kept forever ----------------------------------------------------


def previews(app):
    folder = Path(app.instance_path) / "imports"
    return sorted(path.name for path in folder.glob("*.zip")) if folder.is_dir() else []


def upload_for_preview(client, app):
    """Upload the course's own export; return the preview's token."""
    exported = client.get("/author/demo/export.zip").data
    html = upload(client, "/author/demo/import", "kurs.zip", exported).get_data(as_text=True)
    assert "Import: Vorschau" in html
    [token] = re.findall(r'/author/demo/import/([\w-]+)/cancel"', html)
    assert f"{token}.zip" in previews(app)
    return token


@pytest.mark.parametrize("action", ["", "/cancel"])
def test_a_preview_is_removed_once_confirmed_or_cancelled(as_trainer, app, action):
    token = upload_for_preview(as_trainer, app)
    response = as_trainer.submit(f"/author/demo/import/{token}{action}", {}, page="/author/demo/import",
                                 follow_redirects=True)
    assert response.status_code == 200
    assert ("Import abgebrochen. Nichts wurde geändert." in response.get_data(as_text=True)) == (action == "/cancel")
    assert previews(app) == []


def test_previews_older_than_a_day_are_swept_when_a_new_import_starts(as_trainer, app):
    old, recent = upload_for_preview(as_trainer, app), upload_for_preview(as_trainer, app)
    folder = Path(app.instance_path) / "imports"
    now = time.time()
    os.utime(folder / f"{old}.zip", (now - 25 * 3600, now - 25 * 3600))
    os.utime(folder / f"{recent}.zip", (now - 23 * 3600, now - 23 * 3600))
    response = upload(as_trainer, "/author/demo/import", "kurs.zip", b"kein zip")  # even one that is refused
    assert "keine gültige Zip-Datei" in response.get_data(as_text=True)
    assert previews(app) == [f"{recent}.zip"]
    response = as_trainer.submit(f"/author/demo/import/{old}", {}, page="/author/demo/import", follow_redirects=True)
    assert "Diese Vorschau ist abgelaufen." in response.get_data(as_text=True)


# --- forged zips: declared sizes and checksums are not trusted ----------------------------

MB = 1024 * 1024
COURSE_YAML = "course/demo/course.yaml"


def zip_of_zeros(sizes):
    """A real zip of entries full of zeros (``{name: size}``), written in 1 MB steps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, size in sizes.items():
            with archive.open(name, "w") as entry:
                for _ in range(size // MB):
                    entry.write(bytes(MB))
    return buffer.getvalue()


def forge(data, size=None, crc=None):
    """``data`` with the declared size and/or CRC of every entry replaced,
    in its local header and in the central directory alike."""
    data = bytearray(data)
    for signature, crc_at, size_at in ((b"PK\x03\x04", 14, 22), (b"PK\x01\x02", 16, 24)):
        start = data.find(signature)
        while start != -1:
            if size is not None:
                struct.pack_into("<L", data, start + size_at, size)
            if crc is not None:
                struct.pack_into("<L", data, start + crc_at, crc)
            start = data.find(signature, start + 4)
    return bytes(data)


def zip_of_packed_entry(name, packed, crc, size, method=zipfile.ZIP_DEFLATED):
    """A zip of one entry whose packed bytes, CRC and size are taken as given."""
    encoded = name.encode()
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 33, crc, len(packed), size, len(encoded), 0)
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 33, crc, len(packed), size,
                          len(encoded), 0, 0, 0, 0, 0, 0)
    directory_at = len(local) + len(encoded) + len(packed)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(encoded), directory_at, 0)
    return local + encoded + packed + central + encoded + end


def refused_import(client, app, data):
    """Upload ``data``; return the page's text after checking that nothing changed."""
    with app.app_context():
        before = published_tree("demo")
    response = upload(client, "/author/demo/import", "kurs.zip", data)
    assert response.status_code == 200
    with app.app_context():
        assert published_tree("demo") == before
    return response.get_data(as_text=True)


def peak_memory_of(function, *args):
    tracemalloc.start()
    try:
        function(*args)
    except ContentErrors:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


@pytest.mark.parametrize("bomb, message", [
    (forge(zip_of_zeros({COURSE_YAML: 50 * MB}), size=100),  # declares 100 bytes
     f"{COURSE_YAML}: Entpackt ist die Datei größer als 5 MB."),
    (zip_of_zeros({f"course/demo/datei-{n}.md": 4 * MB for n in range(13)}),
     "Zip-Datei: Entpackt wäre die Zip-Datei größer als 50 MB."),
])
def test_a_zip_bomb_is_refused_with_little_memory(as_trainer, app, bomb, message):
    assert len(bomb) < MB
    assert message in refused_import(as_trainer, app, bomb)
    with app.app_context():
        assert peak_memory_of(read_zip, bomb) < MAX_ENTRY_BYTES + 2 * MB


def test_a_zip_entry_with_a_wrong_checksum_is_refused(as_trainer, app):
    exported = as_trainer.get("/author/demo/export.zip").data
    html = refused_import(as_trainer, app, forge(exported, crc=12345))
    assert "Die Prüfsumme (CRC) stimmt nicht: die Datei ist beschädigt. Erstelle die Zip-Datei neu." in html


def test_a_zip_entry_whose_size_is_declared_wrong_is_refused(as_trainer, app):
    html = refused_import(as_trainer, app, forge(zip_of({COURSE_YAML: "title: Demo\n"}), size=5))
    assert f"{COURSE_YAML}: Die angegebene Größe stimmt nicht" in html


def test_a_cut_deflate_stream_is_refused_even_with_matching_size_and_checksum(as_trainer, app):
    text = "".join(f"Zeile {n}: {n * 7919 % 10007} Mitglieder\n" for n in range(20000)).encode()
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = packer.compress(text) + packer.flush()
    cut = packed[: len(packed) // 2]  # ends before the stream's end marker
    unpacker = zlib.decompressobj(-zlib.MAX_WBITS)
    prefix = unpacker.decompress(cut) + unpacker.flush()  # what the cut stream yields
    forged = zip_of_packed_entry(COURSE_YAML, cut, zlib.crc32(prefix), len(prefix))
    assert zipfile.ZipFile(io.BytesIO(forged)).read(COURSE_YAML) == prefix  # consistent to zipfile
    html = refused_import(as_trainer, app, forged)
    assert f"{COURSE_YAML}: Die Datei ist unvollständig (abgeschnitten). Erstelle die Zip-Datei neu." in html


def test_an_encrypted_zip_entry_is_refused(as_trainer, app):
    exported = bytearray(as_trainer.get("/author/demo/export.zip").data)
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = exported.find(signature)
        exported[start + flags_at] |= 0x1
    html = refused_import(as_trainer, app, bytes(exported))
    assert "Die Datei ist verschlüsselt. Erstelle die Zip-Datei ohne Passwort neu." in html


# --- GIFT -------------------------------------------------------------------------------

GIFT_SUPPORTED = """// Aus Moodle exportiert
::Erster Kontakt::Wann meldest du dich bei einem neuen Mitglied? {
  =Im ersten Monat#Genau, so will es der Standard 1-3-6.
  ~Nach einem Jahr#Viel zu spät.
  ####Der erste persönliche Kontakt gehört in den ersten Monat.
}

::Parteibuch::Die 3 im Standard 1-3-6 steht für das Parteibuch. {T#Doch, das stimmt.#Richtig.}

Was gehört zur Kompetenzanalyse? {
  ~%50%Motive#Ja.
  ~%50%Verfügbare Zeit#Ja.
  ~%-100%Kontostand#Nein, das geht niemanden etwas an.
}

Wie heißt das Gespräch über Motive und Stärken? {=Kompetenzanalyse =Kompetenz-Analyse#Genau.}

Ein Mitglied kam einmal und nicht wieder. Was zuerst? {=Persönlich nachfragen ~Rundmail schicken ~Abwarten}

::Abkürzungen::Ordne die Abkürzungen zu. {
  =UB -> Unterbezirk
  =KV -> Kreisverband
}
"""

GIFT_UNSUPPORTED = """Ordne zu. {
  =UB -> Unterbezirk
  = -> Ortsverein
}

Wie viele Regionen? {#4}

Erzähl von dir. {}

Wie groß ist Pi? {#3.1415:0.0005}.

Nur eine Beschreibung ohne Antwort.

Was stimmt? {=Ja ~Nein}
"""


def test_gift_import_maps_every_supported_construct(as_trainer, app):
    response = as_trainer.submit("/author/demo/quizzes/praxis/gift", {"text": GIFT_SUPPORTED})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "6 Frage(n) übernommen" in html
    with app.app_context():
        from lms.content.authoring import quiz_data
        imported = {q["id"]: q for q in quiz_data("demo", "praxis")["questions"]}
    first = imported["erster-kontakt"]
    assert first["type"] == "single_choice" and first["explanation"].startswith("Der erste persönliche")
    assert first["choices"][0] == {"text": "Im ersten Monat", "correct": True,
                                   "feedback": "Genau, so will es der Standard 1-3-6."}
    assert imported["parteibuch"]["type"] == "true_false" and imported["parteibuch"]["answer"] is True
    assert imported["parteibuch"]["feedback_true"] == "Richtig."
    assert imported["parteibuch"]["feedback_false"] == "Doch, das stimmt."
    multiple = next(q for q in imported.values() if q["type"] == "multiple_choice")
    assert [c["correct"] for c in multiple["choices"]] == [True, True, False]
    short = next(q for q in imported.values() if q["type"] == "short_text")
    assert short["accepted"] == ["Kompetenzanalyse", "Kompetenz-Analyse"]
    assert imported["abkuerzungen"]["pairs"] == [{"left": "UB", "right": "Unterbezirk"},
                                                  {"left": "KV", "right": "Kreisverband"}]
    assert publish(as_trainer).status_code == 302


def test_gift_import_reports_unsupported_constructs_by_line(as_trainer, app):
    response = as_trainer.submit("/author/demo/quizzes/praxis/gift", {"text": GIFT_UNSUPPORTED})
    html = response.get_data(as_text=True)
    assert "1 Frage(n) übernommen" in html
    for line, words in [(1, "Zuordnungsfragen"), (6, "Numerische"), (8, "Freitext"), (10, "Numerische"),
                        (12, "Eine Beschreibung")]:
        assert f"Zeile {line}: {words}" in html, line


def test_gift_file_upload_that_is_not_utf8_is_refused(as_trainer):
    response = upload(as_trainer, "/author/demo/quizzes/praxis/gift", "fragen.gift",
                      "Frage? {=Ja ~Nein}".encode("utf-16"))
    assert "nicht UTF-8" in response.get_data(as_text=True)


# --- item statistics ----------------------------------------------------------------------


def test_item_statistics_on_constructed_attempts(app, as_trainer):
    from lms.item_statistics import quiz_statistics
    from lms.models import AttemptAnswer, User

    with app.app_context():
        quiz = gen_quiz("statistik", questions=[gen_question("welche")])
        users = [make_user(f"l{i}@example.org", f"Lernende {i}") for i in range(4)]
        choices = [{"key": 0, "html": "Richtig", "correct": True, "feedback_html": ""},
                   {"key": 1, "html": "Falsch", "correct": False, "feedback_html": ""},
                   {"key": 2, "html": "Auch falsch", "correct": False, "feedback_html": ""}]
        presented = [{"id": "welche", "type": "single_choice", "prompt_html": "<p>Welche?</p>",
                      "explanation_html": "", "choices": choices}]
        # passed: right, right, wrong(1); failed: wrong(1)
        for user, passed, pick in zip(users, [True, True, True, False], [0, 0, 1, 1]):
            attempt = gen_attempt(user, quiz, passed=passed, questions=presented, score=int(pick == 0))
            AttemptAnswer.create(attempt=attempt, question_key="welche", is_correct=pick == 0, response=[pick])
        gen_attempt(users[0], quiz, submitted=False, questions=presented)  # not submitted
        stats = quiz_statistics(quiz)
        assert (stats.attempts, stats.passed) == (4, 3)
        item = next(i for i in stats.items if i.question_id == "welche")
        assert item.answered == 4 and item.correct == 2
        assert item.correct_share == 0.5
        assert item.discrimination == pytest.approx(2 / 3 - 0)
        assert [(c.label_html, c.picked) for c in item.choices] == [("Richtig", 2), ("Falsch", 2), ("Auch falsch", 0)]
        names = [u.name for u in User.select()]

    html = as_trainer.text("/author/demo/quizzes/statistik/statistics")[1]
    assert "0,67" in html and "50&nbsp;%" in html
    assert not any(name in html for name in names if name.startswith("Lernende"))


# --- files and browser edits ------------------------------------------------------------


def test_loading_files_does_not_overwrite_browser_edits(as_trainer, app, runner):
    save_lesson(as_trainer)
    publish(as_trainer)
    result = runner.invoke(args=["lms", "load-content"])
    assert result.exit_code != 0 and "im Browser bearbeitet" in result.output
    with app.app_context():
        assert "ganz neuer Text" in Lesson.get(Lesson.slug == "erste-schritte").body_html
    result = runner.invoke(args=["lms", "setup"])
    assert result.exit_code == 0 and "nicht aus Dateien geladen" in result.output
    result = runner.invoke(args=["lms", "load-content", "--force"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "ganz neuer Text" not in Lesson.get(Lesson.slug == "erste-schritte").body_html
        assert len(history("demo", "lessons/grundlagen/erste-schritte")) == 3


def test_lesson_images_appear_in_the_guide_pdf(as_trainer, app):
    from pypdf import PdfReader

    upload(as_trainer, "/author/media", "foto.png", png_bytes((900, 300)))
    with app.app_context():
        image = MediaFile.get().name
    save_lesson(as_trainer, body=f"## Bild\n\n![Rot](/media/{image})\n\n![Fehlt](/media/{'0' * 24}.png)\n\n"
                                 "## Kurz gesagt\n\n- Bild.\n")
    publish(as_trainer)
    response = as_trainer.get("/learn/demo/guide.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    assert sum(len(page.images) for page in reader.pages) == 1
    assert "[Bild: Fehlt]" in "".join(page.extract_text() for page in reader.pages)


def test_a_published_matching_question_can_be_taken_and_graded(as_trainer, app):
    from .quiz_helpers import correct_form, start_quiz, wrong_form

    as_trainer.submit(question_url("praxis", "matching"), {
        "id": "zuordnen", "prompt": "Ordne zu.", "pairs": "UB -> Unterbezirk\nKV -> Kreisverband\nAG -> Arbeitsgemeinschaft"})
    assert publish(as_trainer).status_code == 302
    with app.app_context():
        attempt = start_quiz(as_trainer, "demo", "praxis")
        question = next(q for q in attempt.questions if q["id"] == "zuordnen")
        assert len(question["lefts"]) == len(question["rights"]) == 3
    status, html = as_trainer.text(f"/quiz/attempt/{attempt.token}")
    assert status == 200 and "Arbeitsgemeinschaft" in html
    form = wrong_form(attempt)
    form.update({k: v for k, v in correct_form(attempt).items() if not k.startswith("q-zuordnen")})
    response = as_trainer.submit(f"/quiz/attempt/{attempt.token}", form)
    assert response.status_code == 302
    with app.app_context():
        from lms.models import AttemptAnswer
        answer = AttemptAnswer.get((AttemptAnswer.attempt == attempt.id) & (AttemptAnswer.question_key == "zuordnen"))
        assert answer.is_correct is False
        others = AttemptAnswer.select().where((AttemptAnswer.attempt == attempt.id) & (AttemptAnswer.question_key != "zuordnen"))
        assert all(a.is_correct for a in others)
    status, html = as_trainer.text(response.headers["Location"])
    assert status == 200 and "Ordne zu." in html
    assert "Kreisverband" not in html  # a failed attempt does not reveal the pairs


def test_matching_needs_two_distinct_pairs():
    from lms.content.source import Fields
    from lms.question_types import QUESTION_TYPES

    errors = []
    fields = Fields({"id": "x", "type": "matching", "prompt": "P", "explanation": "E",
                     "pairs": [{"left": "A", "right": "1"}, {"left": "A", "right": "2"}]}, "quiz.yaml", errors)
    QUESTION_TYPES["matching"].parse(fields)
    assert any("links denselben Text" in e.message for e in errors)


def test_problems_are_told_by_quiz_question_and_lesson_line_reading_each_file_once(app, monkeypatch):
    from lms.content import authoring, quiz_data
    from lms.content.source import ContentError
    from lms.content.tree import lesson_key, module_positions, relative_path

    with app.app_context():
        tree = draft_tree("demo")
    assert module_positions(tree) == {"grundlagen": 1, "praxis": 2}
    assert module_positions({}) == {}
    quiz = "quizzes/demo/grundlagen.yaml"
    key = lesson_key("grundlagen", "erste-schritte")
    lesson = relative_path("demo", key, tree[key], module_positions(tree))
    title = authoring.parse_lesson(tree[key].text)[0]
    parsed = []
    for module in (authoring, quiz_data):
        monkeypatch.setattr(module, "parse_yaml", lambda text, *args, real=module.parse_yaml: parsed.append(text)
                            or real(text, *args))
    problems = [ContentError(quiz, 7, "Zu kurz."), ContentError(quiz, 21, "Zu lang."),
                ContentError(quiz, 2, "Zu niedrig."), ContentError(quiz, 8, "Frage 'einzel': Schon benannt."),
                ContentError(lesson, 1, "Oben."), ContentError(lesson, None, "Ganz."),
                ContentError("anderswo.md", 3, "Fremd.")]
    assert authoring.describe_problems("demo", tree, problems) == [
        "Quiz „Quiz: Grundlagen“, Frage „einzel“: Zu kurz.",
        "Quiz „Quiz: Grundlagen“, Frage „mehrfach“: Zu lang.",
        "Quiz „Quiz: Grundlagen“: Zu niedrig.",
        "Quiz „Quiz: Grundlagen“: Frage 'einzel': Schon benannt.",
        f"Lektion „{title}“, in den Angaben über dem Text: Oben.",
        f"Lektion „{title}“: Ganz.",
        str(problems[-1])]
    assert len(parsed) == 2  # the quiz and the lesson, once each
    parsed.clear()
    assert authoring.describe_problems("demo", tree, problems[:2], own_key="quizzes/grundlagen") == [
        "Frage „einzel“: Zu kurz.", "Frage „mehrfach“: Zu lang."]
    assert len(parsed) == 1
    parsed.clear()
    assert authoring.describe_problems("demo", tree, problems[4:6], own_key=key) == [
        "in den Angaben über dem Text: Oben.", "Ganz."]
    assert parsed == []  # its own title is not shown, so not read


def test_the_question_editor_reads_the_drafts_once_per_request(as_trainer, app, monkeypatch):
    from lms.content import authoring

    reads = []
    real = authoring.draft_tree
    monkeypatch.setattr(authoring, "draft_tree", lambda slug: reads.append(slug) or real(slug))
    url = question_url("praxis", "true_false")
    status, html = as_trainer.text(url)
    assert status == 200 and "Grundlagen › " in html and reads == ["demo"]
    response = as_trainer.client.post(url, data={"csrf_token": as_trainer.csrf_token(url), "id": "neu-tf",
                                                 "prompt": "Stimmt das?", "answer": "true"})
    assert response.status_code == 302 and reads == ["demo"] * 3  # the page for the token, then the save
    with app.app_context():
        assert "neu-tf" in [q["id"] for q in authoring.quiz_data("demo", "praxis")["questions"]]

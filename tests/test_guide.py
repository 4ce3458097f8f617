"""The guide (Leitfaden): HTML print view, PDF, handouts one by one."""
import io
from pathlib import Path

from pypdf import PdfReader

from lms.guide import compile_guide, guide_pdf
from lms.models import Course, Handout, Lesson

from .test_pages import check_page


def pdf_pages(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_course_page_links_the_guide_and_each_template(logged_in):
    html = logged_in.text("/learn/demo")[1]
    assert 'href="/learn/demo/guide.pdf"' in html
    assert 'href="/learn/demo/guide"' in html
    assert 'href="/learn/demo/templates/checkliste.pdf"' in html


def test_guide_print_view_holds_everything_in_order(logged_in):
    status, html = logged_in.text("/learn/demo/guide")
    assert status == 200
    check_page("/learn/demo/guide", html)
    positions = [html.index(text) for text in (
        "Inhalt", "Der Demo-Kurs auf einen Blick", "Modul 1: Grundlagen", "Erste Schritte", "Zweiter Schritt",
        "Modul 2: Praxis", "Anwenden", "Anhang: Vorlagen", "Checkliste")]
    assert positions == sorted(positions)
    assert "Kursversion 1.0" in html
    # Links between lessons point inside the guide.
    assert 'href="#lektion-grundlagen-zweiter-schritt"' in html
    assert 'href="#vorlage-checkliste"' in html
    assert 'id="lektion-grundlagen-zweiter-schritt"' in html


def test_guide_pdf_has_contents_every_module_lessons_and_templates(logged_in):
    response = logged_in.get("/learn/demo/guide.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="Leitfaden-demo-v1.0.pdf"' in response.headers["Content-Disposition"]
    pages = pdf_pages(response.data)
    text = "\n".join(pages)
    assert "Leitfaden" in pages[0] and "Kursversion 1.0" in pages[0]
    assert "Inhalt" in pages[1]
    for title in ("Der Demo-Kurs auf einen Blick", "Modul 1: Grundlagen", "Modul 2: Praxis", "Erste Schritte",
                  "Anhang: Vorlagen", "Checkliste"):
        assert title in pages[1], f"{title} missing from the contents"
        assert text.count(title) >= 2, f"{title} missing from the body"
    assert "äöü ß" in text  # umlauts
    assert "Genoss*innen" in text
    assert "☐ Anrufen" in text  # checklist items
    assert "Spalte" in text and "Wert" in text  # table cells
    assert "Tipp" in text  # admonition title kept


def test_guide_pdf_is_cached_until_the_content_changes(app, logged_in):
    first = logged_in.get("/learn/demo/guide.pdf").data
    cache = list((Path(app.instance_path) / "cache").glob("guide-demo-*.pdf"))
    assert len(cache) == 1
    assert logged_in.get("/learn/demo/guide.pdf").data == first
    Lesson.update(title="Erste Schritte, überarbeitet", content_hash="changed").where(
        Lesson.slug == "erste-schritte").execute()
    second = logged_in.get("/learn/demo/guide.pdf").data
    assert "Erste Schritte, überarbeitet" in "\n".join(pdf_pages(second))
    assert len(list(cache[0].parent.glob("guide-demo-*.pdf"))) == 1  # the stale file is gone


def test_each_template_downloads_on_its_own(logged_in):
    for handout in list(Handout.select()):  # list(): requests close the thread's connection
        response = logged_in.get(f"/learn/demo/templates/{handout.slug}.pdf")
        assert response.status_code == 200
        text = "\n".join(pdf_pages(response.data))
        assert handout.title in text
        assert "Version 1.0" in text
    assert logged_in.get("/learn/demo/templates/gibt-es-nicht.pdf").status_code == 404


def test_guide_needs_a_login(client):
    for url in ("/learn/demo/guide", "/learn/demo/guide.pdf", "/learn/demo/templates/checkliste.pdf"):
        assert client.get(url).status_code == 302


def test_retired_lessons_are_left_out(app):
    Lesson.update(is_retired=True).where(Lesson.slug == "anwenden").execute()
    guide = compile_guide(Course.get(Course.slug == "demo"))
    assert [l.slug for c in guide.chapters for l in c.lessons] == ["erste-schritte", "zweiter-schritt"]
    text = "\n".join(pdf_pages(guide_pdf(guide)))
    assert "Praxistext" not in text and "Text der zweiten Lektion" in text

"""The guide (Leitfaden): HTML print view, PDF, handouts one by one."""
import io
from pathlib import Path

from pypdf import PdfReader

from lms.catalog import new_revision
from lms.content.rendering import render_markdown
from lms.guide import WRITING_LINE_HEIGHT, GuideDocument, _pdf_html, compile_guide, guide_pdf
from lms.models import Course, Handout, Lesson

from .test_pages import check_page


def pdf_pages(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def text_runs(page):
    """(x, font name, text) of each piece of text on a pypdf page."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((round(tm[4]), font["/BaseFont"].split("+")[-1] if font else "", text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


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


def test_guide_contents_sets_modules_bold_and_lessons_indented_in_regular_weight(logged_in):
    reader = PdfReader(io.BytesIO(logged_in.get("/learn/demo/guide.pdf").data))
    runs = text_runs(reader.pages[1])
    [(heading_x, _, _)] = [run for run in runs if run[2] == "Inhalt"]
    chapters = [run for run in runs if run[2] in ("Der Demo-Kurs auf einen Blick", "Modul 1: Grundlagen",
                                                  "Modul 2: Praxis", "Anhang: Vorlagen")]
    sections = [run for run in runs if run[2] in ("Erste Schritte", "Zweiter Schritt", "Anwenden", "Checkliste")]
    assert len(chapters) == 4 and len(sections) == 4
    assert {(x, font) for x, font, _ in chapters} == {(heading_x, "DejaVuSansBold")}
    assert {font for _, font, _ in sections} == {"DejaVuSansBook"}
    assert len({x for x, _, _ in sections}) == 1 and sections[0][0] > heading_x
    # Each line's page number leads to the page that starts with its title.
    pages = pdf_pages(logged_in.get("/learn/demo/guide.pdf").data)
    for line in pages[1].splitlines():
        title, dots, number = line.rpartition(" ")[0].rstrip(" ."), "..." in line, line.rpartition(" ")[2]
        if dots:
            assert title in pages[int(number) - 1], line


def test_template_pdf_marks_checklist_items_by_their_box_alone(logged_in):
    text = "\n".join(pdf_pages(logged_in.get("/learn/demo/templates/checkliste.pdf").data))
    assert "☐ Anrufen" in text and "☐ Einladen" in text
    assert "•" not in text


def test_lines_of_underscores_and_empty_cells_become_room_to_write(app):
    html = _pdf_html(render_markdown("**Motive**\n\n____\n____\n____\n\n| Angabe | Eintrag |\n|---|---|\n"
                                     "| Datum | ________ |\n| Ort |  |\n"), 0)
    assert "<table data-field>" + "<tr><td></td></tr>" * 3 + "</table>" in html
    assert "________" not in html
    # A field stays on one page with its label, and each line is as high as handwriting needs.
    pdf = GuideDocument("Test", "Fußzeile")
    pdf.add_page()
    pdf.write_content("<p>Absatz</p>" * 29 + "<p><strong>Motive</strong></p><hr><hr><hr>")
    reader = PdfReader(io.BytesIO(pdf.to_bytes()))
    assert "Motive" not in reader.pages[0].extract_text() and "Motive" in reader.pages[1].extract_text()
    pdf = GuideDocument("Test", "Fußzeile")
    pdf.add_page()
    top = pdf.y
    pdf.write_content("<hr><hr><hr>")
    assert pdf.y - top >= 3 * WRITING_LINE_HEIGHT


def test_guide_pdf_is_cached_until_the_content_changes(app, logged_in):
    first = logged_in.get("/learn/demo/guide.pdf").data
    cache = list((Path(app.instance_path) / "cache").glob("guide-demo-*.pdf"))
    assert len(cache) == 1
    assert logged_in.get("/learn/demo/guide.pdf").data == first
    Lesson.update(title="Erste Schritte, überarbeitet", content_hash="changed").where(
        Lesson.slug == "erste-schritte").execute()
    new_revision()  # as apply_content does: the guide is built from the catalog
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
    new_revision()  # as apply_content does: the guide is built from the catalog
    guide = compile_guide(Course.get(Course.slug == "demo"))
    assert [l.slug for c in guide.chapters for l in c.lessons] == ["erste-schritte", "zweiter-schritt"]
    text = "\n".join(pdf_pages(guide_pdf(guide)))
    assert "Praxistext" not in text and "Text der zweiten Lektion" in text

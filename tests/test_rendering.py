"""Markdown rendering and the bleach allow-list."""
import pytest

from lms.content.rendering import render_inline_markdown, render_markdown


@pytest.mark.parametrize("markdown, forbidden", [
    ("Hallo <script>alert('x')</script>", "<script"),
    ('<img src="/media/a.png" onerror="alert(1)">', "onerror"),
    ('<a href="#" onclick="steal()">klick</a>', "onclick"),
    ("[klick](javascript:alert(1))", "javascript:"),
    ('<a href="javascript:alert(1)">klick</a>', "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">klick</a>', "alert(1)\""),
    ('<p style="background:url(x)">x</p>', "style="),
    ('<iframe src="https://example.org"></iframe>', "<iframe"),
    ('<form action="/logout"><button>x</button></form>', "<form"),
    ("<svg onload=alert(1)>", "<svg"),
    ('![x](https://tracker.example/pixel.gif)', "tracker.example"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
])
def test_dangerous_markup_is_removed(markdown, forbidden):
    assert forbidden.lower() not in render_markdown(markdown).lower()


def test_external_links_get_noopener():
    html = render_markdown("[SPD](https://www.spd.de)")
    assert 'href="https://www.spd.de"' in html
    assert 'rel="noopener noreferrer"' in html


def test_internal_links_get_no_rel():
    assert "rel=" not in render_markdown("[Start](/learn/demo)")


def test_rel_cannot_be_forged_on_internal_links():
    html = render_markdown('<a href="/x" rel="opener">x</a>')
    assert "opener" not in html


def test_tables_footnotes_admonitions_and_code_render():
    html = render_markdown(
        "| A | B |\n|---|--:|\n| 1 | 2 |\n\n"
        "Text[^1]\n\n[^1]: Fußnote\n\n"
        '!!! warning "Achtung"\n    Vorsicht.\n\n'
        "```\n<b>roh</b>\n```\n"
    )
    assert "<table>" in html and '<td align="right">2</td>' in html
    assert 'class="footnote-ref"' in html and 'id="fn:1"' in html
    assert '<div class="admonition warning">' in html and "Achtung" in html
    assert "&lt;b&gt;roh&lt;/b&gt;" in html


def test_checklist_items_become_checkboxes():
    html = render_markdown("- [ ] offen\n- [x] erledigt\n")
    assert '<li class="checkbox">☐ offen</li>' in html
    assert '<li class="checkbox">☑ erledigt</li>' in html


def test_images_only_from_the_platform():
    assert '<img alt="Plan" src="/media/plan.png">' in render_markdown("![Plan](/media/plan.png)")


def test_content_links_are_resolved_by_the_callback():
    html = render_markdown("[L](lesson:a/b)", lambda href: "/learn/x/a/b" if href == "lesson:a/b" else None)
    assert 'href="/learn/x/a/b"' in html


def test_inline_rendering_drops_the_paragraph():
    assert render_inline_markdown("**fett**") == "<strong>fett</strong>"


def test_the_gender_star_stays_a_star_and_never_starts_emphasis():
    html = render_markdown("Liebe Genoss*innen, jede*r Mitgliederbeauftragte*r ist willkommen.")
    assert html == "<p>Liebe Genoss*innen, jede*r Mitgliederbeauftragte*r ist willkommen.</p>"
    assert "<em>" not in render_markdown("ein*e Beauftragte*n")


def test_emphasis_still_works_next_to_gender_stars():
    assert render_markdown("*kursiv* und **fett** für Genoss*innen") == \
        "<p><em>kursiv</em> und <strong>fett</strong> für Genoss*innen</p>"
    assert render_markdown("*Genoss*innen*") == "<p><em>Genoss*innen</em></p>"
    assert "<code>a*b*c</code>" in render_markdown("`a*b*c`")

"""The guide (Leitfaden): the course compiled into one printable document.

Nothing is written twice: the guide is assembled from the stored, rendered
lessons, handouts and the course's one-page summary. ``compile_guide``
gathers the parts from the in-memory catalog of published courses (no
query); the HTML print view and the PDF are two renderings of the same
``Guide``.
"""
import hashlib
import os
import re
from dataclasses import dataclass, field

from flask import current_app, has_app_context
from fpdf.errors import FPDFException
from fpdf.fonts import TextStyle
from fpdf.html import HTML2FPDF
from fpdf.outline import TableOfContents
from PIL import Image

from .media import media_dir
from .catalog import published_course
from .models import Module
from .pdf import FONT, JUSOS_RED, TEXT_GREY, Document
from .timeutil import format_date

TOC_LEVELS = 2  # modules and lessons; deeper headings stay out of the contents
SUMMARY_HEADING = re.compile(r"<h2[^>]*>(.*?)</h2>", re.S)
TAG = re.compile(r"<[^>]+>")
HEADING = re.compile(r"<(/?)h([1-6])([ >])")
ADMONITION = re.compile(
    r'<div class="admonition[^"]*">\s*<p class="admonition-title">(.*?)</p>(.*?)</div>', re.S)
CLASS_OR_ID = re.compile(r'\s(?:class|id|rel|title)="[^"]*"')
LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)
# bleach writes attributes in alphabetical order: alt before src.
IMAGE = re.compile(r'<img(?: alt="(?P<alt>[^"]*)")? src="/media/(?P<src>[\w.-]+)"[^>]*>')
PDF_IMAGE_MAX_WIDTH = 600  # pixels, as fpdf2's write_html counts them: about the text width
CHECKBOX_ITEM = re.compile(r'<li class="checkbox">([\u2610\u2611]) ?')
WRITING_LINES = re.compile(r"(?:<hr>\s*)+")  # a Markdown line of underscores ("____") becomes <hr>
# Where a block starts that must not begin at the foot of a page: a heading,
# or a field's label; and how much of the block has to fit under it: the
# heading with a paragraph (a field's label), then a whole field, a table's
# first two rows or a list's first item.
BLOCK_START = re.compile(r"(?=<h[1-6]>)|(?=<p>(?:(?!</p>).)*</p>\s*<table data-field>)", re.S)
BLOCK_OPENING = re.compile(r"(?:<h[1-6]>.*?</h[1-6]>\s*)?(?:<p>(?:(?!</p>).)*</p>\s*)?"
                           r"(?:<table data-field>.*?</table>|<table>(?:.*?</tr>){1,2}|<[uo]l>.*?</li>)?", re.S)
SURELY_FITS = 100  # mm: any block's opening fits into this much room; tried only when less is left
UNDERSCORES_CELL = re.compile(r"(<td[^>]*>)\s*_{3,}\s*</td>")
SPACE_BEFORE_LIST_TAG = re.compile(r"\s+(?=</?(?:ul|ol|li)\b)")  # fpdf2 would append it to the item before
BODY_LEADING = 1.4  # line height of body text, in multiples of the font size
WRITING_LINE_HEIGHT = 9  # mm: room for one handwritten line


@dataclass
class GuideChapter:
    module: Module
    lessons: list = field(default_factory=list)


@dataclass
class Guide:
    course: object
    chapters: list
    handouts: list

    @property
    def summary_title(self):
        return self.course.guide_summary_title or "Auf einen Blick"

    @property
    def summary_html(self):
        return self.course.guide_summary_html

    @property
    def date(self):
        """When this revision of the content was loaded."""
        return self.course.loaded_at

    def fingerprint(self):
        """Changes whenever anything printed in the guide changes."""
        parts = [self.course.version, self.course.title, self.summary_html, str(self.date)]
        parts += [f"{c.module.id}:{c.module.title}:{l.content_hash}:{l.title}" for c in self.chapters for l in c.lessons]
        parts += [f"{h.id}:{h.content_hash}:{h.title}" for h in self.handouts]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def compile_guide(course):
    """The Guide of ``course``: its published modules, lessons and handouts,
    in course order, from the catalog (a retired course has none)."""
    published = published_course(course.slug)
    if published is None:
        return Guide(course, [], [])
    chapters = [GuideChapter(module, list(published.lessons_by_module[module.id])) for module in published.modules]
    return Guide(course, chapters, list(published.handouts))


def shift_headings(html, by):
    """Move every heading ``by`` levels down (h2 -> h4 for by=2), capped at h6,
    so a lesson's own headings nest under the guide's."""
    return HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + by, 6)}{m.group(3)}", html)


def lesson_anchor(module_slug, lesson_slug):
    return f"lektion-{module_slug}-{lesson_slug}"


def link_within_guide(html, course_slug):
    """Point links to lessons and handouts of this course at their place in
    the guide instead of at the online course."""
    lesson_prefix = f"/learn/{course_slug}/"

    def replace(match):
        href, text = match.group(1), match.group(2)
        if href.startswith(lesson_prefix + "templates/"):
            return f'<a href="#vorlage-{href.rsplit("/", 1)[-1]}">{text}</a>'
        if href.startswith(lesson_prefix) and href.count("/") == 4:
            module_slug, lesson_slug = href[len(lesson_prefix):].split("/")
            return f'<a href="#{lesson_anchor(module_slug, lesson_slug)}">{text}</a>'
        return match.group(0)

    return LINK.sub(replace, html)


# --- PDF ---------------------------------------------------------------------


def _pdf_html(html, heading_shift):
    """Our sanitised HTML in the subset fpdf2's write_html understands."""
    html = ADMONITION.sub(lambda m: f"<blockquote><p><b>{m.group(1)}</b></p>{m.group(2)}</blockquote>", html)
    html = shift_headings(html, heading_shift)
    # Links into the online course mean nothing on paper: keep their text.
    html = LINK.sub(lambda m: m.group(0) if m.group(1).startswith(("http://", "https://", "mailto:")) else m.group(2), html)
    html = IMAGE.sub(_pdf_image, html)
    html = CHECKBOX_ITEM.sub(r'<li data-box="\1">', html)
    html = WRITING_LINES.sub(lambda m: "<table data-field>" + "<tr><td></td></tr>" * m.group(0).count("<hr>") + "</table>", html)
    html = UNDERSCORES_CELL.sub(r"\1</td>", html)
    html = CLASS_OR_ID.sub("", html)
    html = SPACE_BEFORE_LIST_TAG.sub("", html)
    html = re.sub(r"</?(div|span|thead|tbody|abbr|mark|small|caption|kbd)[^>]*>", "", html)
    return html


def _pdf_image(match):
    """Uploaded images from the instance folder, at most a column wide;
    an image that cannot be found is replaced by its description."""
    name, alt = match.group("src"), match.group("alt") or "Bild"
    path = media_dir(current_app.instance_path) / name if has_app_context() else None
    if path is None or not path.is_file():
        return f"<p><i>[Bild: {alt}]</i></p>"
    with Image.open(path) as image:
        width = min(image.width, PDF_IMAGE_MAX_WIDTH)
    return f'<img src="{path}" width="{width}">'


HTML_OPTIONS = dict(
    font_family=FONT,
    li_prefix_color=JUSOS_RED,
    table_line_separators=True,
    warn_on_tags_not_matching=False,
    tag_styles={
        # A heading's b_margin counts in its own font height (fpdf2's way), the other margins in mm.
        "h1": TextStyle(font_family=FONT, font_style="B", font_size_pt=20, color=JUSOS_RED, t_margin=0, b_margin=0.5),
        "h2": TextStyle(font_family=FONT, font_style="B", font_size_pt=15, color=(0, 0, 0), t_margin=7, b_margin=0.35),
        "h3": TextStyle(font_family=FONT, font_style="B", font_size_pt=12.5, color=(0, 0, 0), t_margin=6, b_margin=0.3),
        "h4": TextStyle(font_family=FONT, font_style="B", font_size_pt=11, color=(0, 0, 0), t_margin=5, b_margin=0.25),
        "h5": TextStyle(font_family=FONT, font_style="B", font_size_pt=10.5, color=(0, 0, 0), t_margin=4, b_margin=0.2),
        "h6": TextStyle(font_family=FONT, font_style="BI", font_size_pt=10.5, color=(0, 0, 0), t_margin=4, b_margin=0.2),
        "li": TextStyle(l_margin=5, b_margin=1.5),
        "blockquote": TextStyle(font_family=FONT, color=(40, 40, 40), t_margin=2, b_margin=2, l_margin=6),
        "code": TextStyle(font_family=FONT),
        "pre": TextStyle(font_family=FONT),
    },
)


class PrintHTML(HTML2FPDF):
    """fpdf2's HTML renderer, set for print: body text with leading; tables
    ruled as a grid (as on screen) with text set left; a checklist item
    marked by its box alone, in place of the bullet; and an empty table
    cell made room to write in by hand."""

    PRINT_ATTRIBUTES = {
        "p": ("style", f"line-height: {BODY_LEADING}"),
        "ul": ("style", f"line-height: {BODY_LEADING}"),
        "ol": ("style", f"line-height: {BODY_LEADING}"),
        "table": ("border", "1"),
        "td": ("align", "left"),
        "th": ("align", "left"),
    }

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        default = self.PRINT_ATTRIBUTES.get(tag)
        if default and default[0] not in names:
            attrs = [*attrs, default]
        box = dict(attrs).get("data-box")
        if tag == "li" and box and self.bullet:
            bullet, color = self.bullet[-1], self.li_prefix_color
            self.bullet[-1], self.li_prefix_color = box, self.pdf.text_color
            super().handle_starttag(tag, attrs)
            self.bullet[-1], self.li_prefix_color = bullet, color
            return
        super().handle_starttag(tag, attrs)
        if tag == "table" and not self.follows_heading and "data-field" not in names:
            self.pdf.y += self.font_size_pt / self.pdf.k  # as much space as above a paragraph; a field sits under its label

    def handle_endtag(self, tag):
        if tag == "td" and self.td_th is not None and "inserted" not in self.td_th:
            self.table_row.min_height = WRITING_LINE_HEIGHT
        super().handle_endtag(tag)
        if tag == "table":
            self.follows_heading = True  # fpdf2 ends a table with an empty line: no paragraph margin on top of it


class GuideDocument(Document):
    HTML2FPDF_CLASS = PrintHTML

    def __init__(self, title, footer_text):
        super().__init__(title=title, subject="Leitfaden Mitgliederbetreuung")
        self.footer_text = footer_text
        self._scratch = None
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, "", 8)
        self.set_text_color(*TEXT_GREY)
        self.cell(0, 6, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 6, f"Seite {self.page_no()}", align="R")
        self.set_text_color(0, 0, 0)

    def write_content(self, html, heading_shift=0):
        """Write our HTML. A heading or a field to fill in that would
        begin at the foot of a page (see BLOCK_OPENING) starts the next one."""
        for block in BLOCK_START.split(_pdf_html(html, heading_shift)):
            if not block.strip():
                continue
            opening = BLOCK_OPENING.match(block).group(0)
            kept = opening.startswith("<h") or "<table data-field>" in opening
            if kept and self.will_page_break(SURELY_FITS) and not self._fits_on_this_page(_closed(opening)):
                self.add_page()
            self.set_font(FONT, "", 10.5)
            self.write_html(block, **HTML_OPTIONS)

    def _fits_on_this_page(self, html):
        """Whether ``html``, written from here on, ends on this page: tried on
        a page of a scratch document (cheaper than fpdf2's offset_rendering,
        which copies the whole document)."""
        if self._scratch is None:
            self._scratch = GuideDocument("", "")
        self._scratch.add_page()
        page = self._scratch.page
        self._scratch.set_y(self.y)
        self._scratch.set_font(FONT, "", 10.5)
        self._scratch.write_html(html, **HTML_OPTIONS)
        return self._scratch.page == page


def _closed(html):
    """``html`` cut off inside a table or list, closed again."""
    for tag in ("table", "ul", "ol"):
        html += f"</{tag}>" * (html.count(f"<{tag}") - html.count(f"</{tag}>"))
    return html


class GuideContents(TableOfContents):
    """Modules (and the other chapters) in bold, their lessons indented in
    regular weight; fpdf2 sets the page numbers flush right."""

    CHAPTER = TextStyle(font_family=FONT, font_style="B", font_size_pt=10.5, color=(0, 0, 0), t_margin=2.5)
    SECTION = TextStyle(font_family=FONT, font_style="", font_size_pt=10, color=(0, 0, 0))

    def get_text_style(self, pdf, item):
        return self.CHAPTER if item.level == 0 else self.SECTION


def _render_toc(pdf, outline):
    pdf.set_x(pdf.l_margin)  # fpdf2 hands over the position where the document ended
    pdf.set_font(FONT, "B", 20)
    pdf.set_text_color(*JUSOS_RED)
    pdf.cell(0, 12, "Inhalt", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    sections = [s for s in outline if s.level < TOC_LEVELS]
    GuideContents(level_indent=7, line_spacing=1.45).render_toc(pdf, sections)


def _contents_entries(guide):
    """(level, title) of every line of the contents, as guide_pdf's headings make them."""
    yield 0, guide.summary_title
    for heading in SUMMARY_HEADING.findall(guide.summary_html or ""):
        for text in TAG.split(heading):  # fpdf2 starts a section for each piece of text
            if text.strip():
                yield 1, text
    for number, chapter in enumerate(guide.chapters, start=1):
        yield 0, f"Modul {number}: {chapter.module.title}"
        for lesson in chapter.lessons:
            yield 1, lesson.title
    if guide.handouts:
        yield 0, "Anhang: Vorlagen"
        for handout in guide.handouts:
            yield 1, handout.title


def _contents_pages(guide):
    """How many pages the contents fill, found by setting them once in a
    scratch document. Reserving exactly that many keeps the page numbers
    right (pages fpdf2 adds to the contents later are numbered out of order)."""
    scratch = GuideDocument("", "")
    scratch.add_page()
    scratch.insert_toc_placeholder(_render_toc, allow_extra_pages=True)  # adds each page it needs
    for level, title in _contents_entries(guide):
        scratch.start_section(title, level, strict=False)
    pages_before = scratch.pages_count
    scratch.output()
    return 1 + scratch.pages_count - pages_before


def _cover(pdf, guide):
    course = guide.course
    pdf.add_page()
    pdf.set_fill_color(*JUSOS_RED)
    pdf.rect(0, 0, pdf.w, 70, style="F")
    pdf.set_fill_color(255, 255, 255)  # else every table of the guide is filled red
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(20, 24)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 8, "NRW Jusos · Landesvorstand", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 28)
    pdf.cell(0, 16, "Leitfaden", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(20, 85)
    pdf.set_font(FONT, "B", 20)
    pdf.multi_cell(0, 10, course.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 12)
    pdf.multi_cell(0, 6.5, course.summary, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(FONT, "", 11)
    pdf.set_text_color(*TEXT_GREY)
    pdf.cell(0, 6, f"Kursversion {course.version} · Stand {format_date(guide.date)}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"{len(guide.chapters)} Module · {sum(len(c.lessons) for c in guide.chapters)} Lektionen · "
                   f"{len(guide.handouts)} Vorlagen", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def guide_pdf(guide):
    """The guide as PDF. The contents get the pages they fill, counted
    beforehand; should the count be off, fpdf2 says so and the guide is set
    again with contents that add pages as they need them."""
    try:
        return _guide_pdf(guide, _contents_pages(guide))
    except FPDFException:
        return _guide_pdf(guide, None)


def _guide_pdf(guide, contents_pages):
    course = guide.course
    pdf = GuideDocument(f"Leitfaden – {course.title}", f"Leitfaden „{course.title}“ · Version {course.version}")
    _cover(pdf, guide)
    pdf.add_page()
    pdf.insert_toc_placeholder(_render_toc, pages=contents_pages or 1,
                               allow_extra_pages=contents_pages is None)  # breaks the page itself
    pdf.write_content(f"<h1>{guide.summary_title}</h1>{guide.summary_html}")
    for number, chapter in enumerate(guide.chapters, start=1):
        pdf.add_page()
        pdf.write_content(f"<h1>Modul {number}: {chapter.module.title}</h1>"
                          + (f"<p><i>{chapter.module.summary}</i></p>" if chapter.module.summary else ""))
        for lesson in chapter.lessons:
            goals = "".join(f"<li>{goal}</li>" for goal in lesson.goals)
            pdf.write_content(f"<h2>{lesson.title}</h2><p><i>Etwa {lesson.minutes} Minuten. Das lernst du hier:</i></p>"
                              f"<ul>{goals}</ul>")
            pdf.write_content(lesson.body_html, heading_shift=1)
    if guide.handouts:
        pdf.add_page()
        pdf.write_content("<h1>Anhang: Vorlagen</h1><p>Zum Kopieren, Ausfüllen und Anpassen an euren UB/KV.</p>")
        for handout in guide.handouts:
            pdf.add_page()
            _write_handout(pdf, handout)
    return pdf.to_bytes()


def _write_handout(pdf, handout, heading_level=2):
    pdf.write_content(f"<h{heading_level}>{handout.title}</h{heading_level}><p><i>{handout.summary}</i></p>")
    pdf.write_content(handout.body_html, heading_shift=heading_level - 1)


def handout_pdf(course, handout):
    pdf = GuideDocument(f"{handout.title} – {course.title}", f"Vorlage aus „{course.title}“ · Version {course.version}")
    pdf.add_page()
    _write_handout(pdf, handout, heading_level=1)
    return pdf.to_bytes()


def cached_guide_pdf(guide, cache_dir):
    """The guide PDF, built once per content revision and kept in
    ``cache_dir`` (written atomically, so concurrent workers never serve a
    half-written file)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"guide-{guide.course.slug}-{guide.fingerprint()}.pdf"
    if path.exists():
        return path.read_bytes()
    data = guide_pdf(guide)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    for stale in cache_dir.glob(f"guide-{guide.course.slug}-*.pdf"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return data

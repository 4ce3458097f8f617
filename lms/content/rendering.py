"""Markdown to safe HTML.

Every piece of Markdown a browser will show (lessons, handouts, quiz prompts
and feedback, the trainer's live preview) goes through ``render_markdown``:
python-markdown renders it, then bleach cleans the result against a strict
allow-list. Content is rendered once per revision and stored; page views
never render Markdown.

Some inputs make python-markdown or bleach's HTML parser quadratic: a run
of 20,000 "[" took 54 s, 30,000 "<div>" 33 s, and deeply nested lists end in
a RecursionError. ``markdown_problem`` refuses such text up front (size,
HTML tags, long runs of one character, nesting), and link parsing looks at
most ``LINK_WINDOW`` characters past a "[", so every text that passes
renders in well under two seconds (tests/test_hardening.py).
"""
import re
from functools import partial
from urllib.parse import urlparse

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor, LinkInlineProcessor
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6",
    "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "code", "pre", "kbd", "blockquote", "abbr",
    "ul", "ol", "li", "dl", "dt", "dd",
    "a", "img",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "div", "span",
}

# Classes that python-markdown's extensions emit and our CSS styles.
ALLOWED_CLASSES = {
    "admonition", "admonition-title", "tip", "note", "warning", "important", "hint",
    "danger", "caution", "attention", "footnote", "footnote-ref", "footnote-backref",
    "checkbox", "checked",
}
FOOTNOTE_ID = re.compile(r"^(fn|fnref)(:|-)[\w-]+$")
INTERNAL_IMAGE = re.compile(r"^/media/[\w.-]+$")

CHECKBOX_OPEN = "\u2610 "  # ☐
CHECKBOX_DONE = "\u2611 "  # ☑

# Limits for one Markdown text (a lesson, a template, a preview). The
# longest shipped lesson has about 16,000 characters and a dozen tags.
MAX_MARKDOWN_CHARS = 50_000
MAX_HTML_TAGS = 1_000
MAX_REPEATED_CHARACTER = 200  # "((((…" and "[[[[…" are quadratic to parse
MAX_BRACKETS = 1_000  # every "[" may start a link (a lesson has a few dozen)
MAX_NESTING = 12  # list levels (by indentation) and ">" quote levels
LINK_WINDOW = 300  # a link's text and target must close within this
HTML_TAG = re.compile(r"<[A-Za-z/!]")
REPEATED_CHARACTER = re.compile(r"([^\s\w])\1{%d,}" % MAX_REPEATED_CHARACTER)
NESTED_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<quotes>(?:>[ \t]?)*)[ \t]*(?:[-*+]|\d+[.)])?")


class MarkdownTooComplex(ValueError):
    """Text the renderer refuses (German message, with the line if known)."""


def markdown_problem(text):
    """Why ``text`` must not be rendered: (line or None, German message), or
    None when it may."""
    if len(text) > MAX_MARKDOWN_CHARS:
        return None, (f"Der Text ist {len(text):,} Zeichen lang; erlaubt sind höchstens {MAX_MARKDOWN_CHARS:,}. "
                      "Teile ihn auf mehrere Lektionen auf.").replace(",", ".")
    tags = len(HTML_TAG.findall(text))
    if tags > MAX_HTML_TAGS:
        return None, f"Der Text enthält {tags} HTML-Tags; erlaubt sind höchstens {MAX_HTML_TAGS}. Schreib ihn in Markdown."
    brackets = text.count("[")
    if brackets > MAX_BRACKETS:
        return None, (f"Der Text enthält {brackets} eckige Klammern „[“; erlaubt sind höchstens {MAX_BRACKETS} "
                      "(für Links und Checklisten).")
    for number, line in enumerate(text.splitlines(), start=1):
        run = REPEATED_CHARACTER.search(line)
        if run:
            return number, f"Das Zeichen „{run.group(1)}“ steht über {MAX_REPEATED_CHARACTER}-mal hintereinander."
        match = NESTED_LINE.match(line)
        indent = len(match.group("indent").expandtabs(4))
        quotes = match.group("quotes").count(">")
        if indent // 4 > MAX_NESTING or quotes > MAX_NESTING:
            return number, f"Listen oder Zitate sind tiefer als {MAX_NESTING} Ebenen verschachtelt."
    return None


class _NearbyOnly(InlineProcessor):
    """A link or image processor that looks at most ``LINK_WINDOW``
    characters past its "[": python-markdown otherwise scans to the end of
    the paragraph for every "[", which is quadratic."""

    def __init__(self, inner):
        super().__init__(inner.pattern, inner.md)
        self.inner = inner

    def handleMatch(self, match, data):
        return self.inner.handleMatch(match, data[:match.end(0) + LINK_WINDOW])


def _allowed_attribute(tag, name, value):
    if name == "class":
        return all(c in ALLOWED_CLASSES for c in value.split())
    if name == "id":
        return bool(FOOTNOTE_ID.match(value))
    if tag == "a":
        return name in {"href", "title", "rel"}
    if tag == "img":
        if name == "src":
            # Only images the platform serves itself: nothing is fetched from
            # third parties when a learner opens a lesson.
            return bool(INTERNAL_IMAGE.match(value))
        return name in {"alt", "title", "width", "height"}
    if tag in {"th", "td"}:
        return name in {"align", "colspan", "rowspan"}
    if tag == "abbr":
        return name == "title"
    if tag == "ol":
        return name == "start"
    return False


def _external_link_rel(attrs, new=False):
    """Give links that leave the platform rel="noopener noreferrer"."""
    href = attrs.get((None, "href"), "")
    if urlparse(href).scheme in {"http", "https"}:
        attrs[(None, "rel")] = "noopener noreferrer"
    else:
        attrs.pop((None, "rel"), None)
    return attrs


_cleaner = bleach.sanitizer.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=_allowed_attribute,
    protocols={"http", "https", "mailto"},
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_external_link_rel], skip_tags={"pre", "code"}, parse_email=False)],
)


def sanitize_html(html):
    return _cleaner.clean(html)


class _ContentLinks(Treeprocessor):
    """Resolve ``lesson:`` / ``template:`` links and mark list checkboxes."""

    def __init__(self, md, resolve_link):
        super().__init__(md)
        self.resolve_link = resolve_link

    def run(self, root):
        for element in root.iter():
            if element.tag == "a" and self.resolve_link is not None:
                href = element.get("href", "")
                resolved = self.resolve_link(href)
                if resolved is not None:
                    element.set("href", resolved)
            elif element.tag == "li":
                self._checkbox(element)

    @staticmethod
    def _checkbox(item):
        text = item.text or ""
        for marker, symbol in (("[ ] ", CHECKBOX_OPEN), ("[x] ", CHECKBOX_DONE), ("[X] ", CHECKBOX_DONE)):
            if text.startswith(marker):
                item.text = symbol + text[len(marker):]
                item.set("class", "checkbox")
                return


class _GenderStar(InlineProcessor):
    """A '*' between two letters is the gender star (Genoss*innen, jede*r),
    never the start or end of emphasis: otherwise two gendered words in one
    paragraph would turn the text between them italic."""

    PATTERN = r"(?<=[^\W_])\*(?=[^\W_])"

    def handleMatch(self, match, data):
        return "*", match.start(0), match.end(0)


class _ContentLinksExtension(Extension):
    def __init__(self, resolve_link=None, **kwargs):
        self.resolve_link = resolve_link
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # The registry keeps priorities only in a private list; read them
        # there rather than repeating python-markdown's numbers here.
        for item in list(md.inlinePatterns._priority):
            if isinstance(md.inlinePatterns[item.name], LinkInlineProcessor):
                md.inlinePatterns.register(_NearbyOnly(md.inlinePatterns[item.name]), item.name, item.priority)
        md.treeprocessors.register(_ContentLinks(md, self.resolve_link), "lms_content_links", 1)
        # Above emphasis (priority 60), below code spans and escapes.
        md.inlinePatterns.register(_GenderStar(_GenderStar.PATTERN, md), "lms_gender_star", 65)


def render_markdown(text, resolve_link=None):
    """Render Markdown to sanitised HTML.

    ``resolve_link(href)`` may map an href (e.g. ``lesson:mod/lesson``) to a
    URL; returning None leaves the href as it is (bleach then drops hrefs
    with unknown schemes). Raises MarkdownTooComplex for text that
    ``markdown_problem`` refuses.
    """
    problem = markdown_problem(text)
    if problem:
        line, message = problem
        raise MarkdownTooComplex(f"Zeile {line}: {message}" if line else message)
    renderer = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "footnotes",
            "admonition",
            "sane_lists",
            _ContentLinksExtension(resolve_link),
        ],
        extension_configs={
            "tables": {"use_align_attribute": True},
            "footnotes": {"BACKLINK_TITLE": "Zurück zum Text (Fußnote %d)"},
        },
        output_format="html",
    )
    try:
        return _scrollable_tables(sanitize_html(renderer.convert(text)))
    except RecursionError:
        raise MarkdownTooComplex("Der Text ist zu tief verschachtelt, um ihn darzustellen.") from None


def _scrollable_tables(html):
    """Wrap tables in a scroll container a keyboard can reach, so a wide
    table scrolls sideways on a phone instead of widening the page. Added
    after sanitising: the wrapper is ours, not the author's."""
    return (html.replace("<table>", '<div class="table-scroll" tabindex="0" role="region" aria-label="Tabelle">'
                                    "<table>")
                .replace("</table>", "</table></div>"))


def render_inline_markdown(text):
    """Render a short text (a quiz choice, a feedback line) without the
    surrounding paragraph."""
    html = render_markdown(text)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html

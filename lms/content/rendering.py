"""Markdown to safe HTML.

Every piece of Markdown a browser will show (lessons, handouts, quiz prompts
and feedback, the trainer's live preview) goes through ``render_markdown``:
python-markdown renders it, then bleach cleans the result against a strict
allow-list. Content is rendered once per revision and stored; page views
never render Markdown.
"""
import re
from functools import partial
from urllib.parse import urlparse

import bleach
import markdown
from bleach.linkifier import LinkifyFilter
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
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
        md.treeprocessors.register(_ContentLinks(md, self.resolve_link), "lms_content_links", 1)
        # Above emphasis (priority 60), below code spans and escapes.
        md.inlinePatterns.register(_GenderStar(_GenderStar.PATTERN, md), "lms_gender_star", 65)


def render_markdown(text, resolve_link=None):
    """Render Markdown to sanitised HTML.

    ``resolve_link(href)`` may map an href (e.g. ``lesson:mod/lesson``) to a
    URL; returning None leaves the href as it is (bleach then drops hrefs
    with unknown schemes).
    """
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
    return _scrollable_tables(sanitize_html(renderer.convert(text)))


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

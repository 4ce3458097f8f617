"""Look and feel: German, phone-ready, accessible basics, no third-party assets."""
from html.parser import HTMLParser

import pytest

from lms.certificates.issuing import issue_certificate_if_complete
from lms.models import Course

from .quiz_helpers import start_quiz
from .test_certificates import complete_course

ANONYMOUS_PAGES = ["/", "/login", "/register", "/forgot-password", "/resend-verification", "/verify"]
LEARNER_PAGES = ["/", "/learn/demo", "/learn/demo/grundlagen/erste-schritte", "/learn/demo/templates/checkliste",
                 "/quiz/demo/grundlagen", "/certificates/"]


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.lang = None
        self.viewport = False
        self.assets = []  # URLs the browser would fetch
        self.inputs = []  # (id, has aria-label)
        self.label_targets = set()
        self.headings = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "meta" and attrs.get("name") == "viewport":
            self.viewport = True
        if tag in {"script", "img", "iframe", "source", "video", "audio"} and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit", "button"}:
            self.inputs.append((attrs.get("id"), "aria-label" in attrs))
        if tag == "label" and attrs.get("for"):
            self.label_targets.add(attrs["for"])
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.headings.append(int(tag[1]))


def audit(html):
    parser = PageAudit()
    parser.feed(html)
    return parser


def check_page(url, html):
    page = audit(html)
    assert page.lang == "de", url
    assert page.viewport, url
    for asset in page.assets:
        assert asset.startswith("/") and not asset.startswith("//"), f"{url} loads {asset} from elsewhere"
    for input_id, has_aria_label in page.inputs:
        assert has_aria_label or input_id in page.label_targets, f"{url}: input {input_id} has no label"
    assert page.headings and page.headings[0] == 1, f"{url}: first heading is not h1"
    assert page.headings.count(1) == 1, f"{url}: more than one h1"
    for before, after in zip(page.headings, page.headings[1:]):
        assert after <= before + 1, f"{url}: heading level jumps from h{before} to h{after}"


@pytest.mark.parametrize("url", ANONYMOUS_PAGES)
def test_anonymous_pages(client, url):
    status, html = client.text(url)
    assert status == 200
    check_page(url, html)


@pytest.mark.parametrize("url", LEARNER_PAGES)
def test_learner_pages(logged_in, url):
    status, html = logged_in.text(url)
    assert status == 200
    check_page(url, html)


def test_quiz_and_certificate_pages(logged_in, learner):
    attempt = start_quiz(logged_in, "demo", "grundlagen")
    check_page("take", logged_in.text(f"/quiz/attempt/{attempt.token}")[1])
    complete_course(learner)
    certificate = issue_certificate_if_complete(learner, Course.get(Course.slug == "demo"))
    for url in (f"/certificates/{certificate.code}", f"/verify/{certificate.code}"):
        status, html = logged_in.text(url)
        assert status == 200
        check_page(url, html)


def test_error_pages_are_german_and_styled(client):
    status, html = client.text("/gibt-es-nicht")
    assert status == 404
    assert "Nicht gefunden" in html
    check_page("404", html)


def test_static_assets_are_served_by_the_app(client):
    for path in ("/static/css/app.css", "/static/favicon.svg"):
        assert client.get(path).status_code == 200

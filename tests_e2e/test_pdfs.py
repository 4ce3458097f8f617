"""Every PDF the platform makes, downloaded through the running server by a
logged-in graduate and rendered page by page to PNG with pdftoppm (Debian's
poppler-utils; tests_e2e/setup_browser.sh installs it).

The images stay in tests_e2e/artifacts/pdf/<document>/ to be looked at:
the certificate, the guide (Leitfaden) and each template (Vorlage).
"""
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader
from werkzeug.datastructures import MultiDict

from lms.certificates.issuing import issue_certificate_if_complete
from lms.models import Certificate, Course, Handout
from lms.progress import complete_lesson, course_outline
from lms.quiz.attempts import read_responses, start_attempt, submit_attempt
from tests.quiz_helpers import correct_form

PDF_ARTIFACTS = Path(__file__).parent / "artifacts" / "pdf"
COURSE = "mitgliederbetreuung"  # the shipped course
SETUP_HINT = "Run tests_e2e/setup_browser.sh (or `make test-e2e`) first."
DPI = 60
A4_PORTRAIT = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))  # pixels, as pdftoppm rounds them
A4_LANDSCAPE = A4_PORTRAIT[::-1]


@pytest.fixture(scope="module")
def graduate(app, create_user):
    """A learner who has finished the shipped course and holds its certificate."""
    course = Course.get(Course.slug == COURSE)
    user = create_user("Paula Prüfling-Öztürk", unit_name="Mönchengladbach")
    for module in course_outline(course, user).modules:
        for lesson, _ in module.lessons:
            complete_lesson(user, lesson, course)
        attempt = start_attempt(user, module.quiz)
        responses, problems = read_responses(attempt, MultiDict(correct_form(attempt)))
        assert not problems, problems
        assert submit_attempt(attempt, responses)[0].passed
    assert issue_certificate_if_complete(user, course) is not None
    return user


@pytest.fixture(scope="module")
def documents(graduate):
    """{name: (path, expected page size)} of every PDF to download."""
    course = Course.get(Course.slug == COURSE)
    certificate = Certificate.get(Certificate.user == graduate)
    found = {
        "zertifikat": (f"/certificates/{certificate.code}.pdf", A4_LANDSCAPE),
        "leitfaden": (f"/learn/{COURSE}/guide.pdf", A4_PORTRAIT),
    }
    for handout in Handout.select().where((Handout.course == course) & ~Handout.is_retired):
        found[f"vorlage-{handout.slug}"] = (f"/learn/{COURSE}/templates/{handout.slug}.pdf", A4_PORTRAIT)
    return found


@pytest.fixture(scope="module")
def pdftoppm():
    path = shutil.which("pdftoppm")
    if path is None:
        pytest.fail(f"pdftoppm (Debian: poppler-utils) is missing. {SETUP_HINT}")
    return path


def test_every_pdf_renders_page_by_page(browser, server, login_state, graduate, documents, pdftoppm):
    context = browser.new_context(base_url=server.url, storage_state=login_state(graduate))
    try:
        for name, (path, page_size) in documents.items():
            response = context.request.get(path)
            assert response.status == 200, f"{name}: {path} answered {response.status}"
            assert response.headers["content-type"] == "application/pdf", name
            data = response.body()
            pages = len(PdfReader(io.BytesIO(data)).pages)

            folder = PDF_ARTIFACTS / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            (folder / f"{name}.pdf").write_bytes(data)
            rendered = subprocess.run([pdftoppm, "-png", "-r", str(DPI), f"{name}.pdf", "seite"], cwd=folder,
                                      capture_output=True, text=True, timeout=300)
            # pdftoppm also reports broken drawing commands on stderr while exiting 0.
            assert rendered.returncode == 0 and not rendered.stderr.strip(), f"{name}: {rendered.stderr}"

            images = sorted(folder.glob("seite-*.png"))
            assert len(images) == pages, f"{name}: {len(images)} images for {pages} pages"
            for image_path in images:
                with Image.open(image_path) as image:
                    assert abs(image.width - page_size[0]) <= 1 and abs(image.height - page_size[1]) <= 1, \
                        f"{image_path.name} of {name} is {image.size}, not {page_size}"
                    assert image.convert("L").getextrema()[0] < 128, f"{image_path.name} of {name} is blank"
    finally:
        context.close()

    assert len(list((PDF_ARTIFACTS / "zertifikat").glob("seite-*.png"))) == 1
    course = Course.get(Course.slug == COURSE)
    modules = len(course_outline(course, graduate).modules)
    assert len(list((PDF_ARTIFACTS / "leitfaden").glob("seite-*.png"))) > modules + 2  # cover, contents, modules

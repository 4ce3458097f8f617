"""Adding a question type means one class and its two templates, nothing
else: this test defines a throwaway type ("Zahl": the answer is a whole
number) and its templates here alone, and walks it through the app: a
trainer writes and edits such a question in the editor and publishes it,
a learner answers it, it is graded and reviewed."""
import pytest
from jinja2 import ChoiceLoader, DictLoader
from wtforms import StringField
from wtforms.validators import Optional, Regexp

from lms.models import Quiz
from lms.question_types import QUESTION_TYPES, Grading, QuestionType

from .helpers import make_user
from .quiz_helpers import correct_form, start_quiz


class Number(QuestionType):
    name = "zahl"
    label = "Eine ganze Zahl"
    extra_keys = {"number"}
    editor_fields = {"number": StringField("Richtige Zahl", validators=[
        Optional(), Regexp(r"^-?[0-9]{1,9}$", message="Bitte eine ganze Zahl.")])}

    def parse_specific(self, fields):
        return {"number": fields.integer("number", -10**9, 10**9)}

    def present(self, definition, rng, shuffle_choices):
        return {**super().present(definition, rng, shuffle_choices), "number": definition["number"]}

    def read_response(self, presented, form):
        value = (form.get(self.field_name(presented)) or "").strip()
        if not value.lstrip("-").isdigit() or len(value) > 10:
            return None, "Bitte gib eine ganze Zahl ein."
        return int(value), None

    def grade(self, presented, response):
        return Grading(response == presented["number"])

    def read_editor(self, form):
        return {"number": int(form.number.data)} if form.number.data else {}


TEMPLATES = {
    "quiz/questions/zahl.html": """{% set name = 'q-' ~ q.id %}
{% if mode == 'take' %}<label for="{{ name }}">Deine Zahl</label>
<input type="text" inputmode="numeric" name="{{ name }}" id="{{ name }}" value="{{ answers.get(name, '') }}">
{% else %}<p class="zahl-review">Richtig ist {{ q.number }}.</p>{% endif %}""",
    "authoring/questions/zahl.html": """{% from "_macros.html" import field %}{{ field(form.number) }}""",
}


@pytest.fixture
def number_type(app, monkeypatch):
    monkeypatch.setitem(QUESTION_TYPES, "zahl", Number())
    app.jinja_loader = ChoiceLoader([app.jinja_loader, DictLoader(TEMPLATES)])
    return QUESTION_TYPES["zahl"]


def test_a_question_type_defined_in_one_place_works_from_editor_to_grading(app, client, number_type):
    make_user("tina@example.org", "Tina Trainerin", is_trainer=True)
    client.login("tina@example.org")

    # The quiz page offers the new type; its editor shows the type's field.
    assert "Eine ganze Zahl" in client.text("/author/demo/quizzes/praxis")[1]
    new = "/author/demo/quizzes/praxis/questions/new?type=zahl"
    status, html = client.text(new)
    assert status == 200 and "Richtige Zahl" in html
    answer = {"id": "gruendung", "prompt": "In welchem Jahr …?", "explanation": "Weil."}
    refused = client.submit(new, {**answer, "number": "neunzehnhundert"})
    assert "Bitte eine ganze Zahl." in refused.get_data(as_text=True)
    assert client.submit(new, {**answer, "number": "1899"}).status_code == 302

    # Editing fills the type's field from the stored question.
    edit = "/author/demo/quizzes/praxis/questions/gruendung"
    assert 'value="1899"' in client.text(edit)[1]
    assert client.submit(edit, {**answer, "number": "1900"}).status_code == 302
    assert client.submit("/author/demo/publish", {}).status_code == 302
    stored = next(q for q in Quiz.get(Quiz.slug == "praxis").questions if q["id"] == "gruendung")
    assert (stored["type"], stored["number"]) == ("zahl", 1900)

    # A learner answers it; it is graded and shown in the review.
    client.post("/logout", data={"csrf_token": client.csrf_token("/")})
    make_user("lena@example.org", "Lena Lernende", unit_name="Köln")
    client.login("lena@example.org")
    attempt = start_quiz(client, "demo", "praxis")
    assert 'inputmode="numeric" name="q-gruendung"' in client.text(f"/quiz/attempt/{attempt.token}")[1]
    answers = {**correct_form(attempt), "q-gruendung": "1900"}
    result = client.submit(f"/quiz/attempt/{attempt.token}", answers, follow_redirects=True).get_data(as_text=True)
    assert "Bestanden!" in result and "Richtig ist 1900." in result


def test_a_new_choice_question_offers_two_empty_answers(app, client):
    make_user("tina@example.org", "Tina Trainerin", is_trainer=True)
    client.login("tina@example.org")
    html = client.text("/author/demo/quizzes/praxis/questions/new?type=single_choice")[1]
    assert html.count('name="choices-0-text"') == 1 and 'name="choices-1-text"' in html
    assert 'name="choices-2-text"' not in html

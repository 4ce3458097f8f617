"""The trainers' question editor: the fields every question has.

Each question type (``lms.question_types``) adds its own fields, fills them
from a stored question and reads them back, and names the template that
shows them; ``QuestionForm.for_type`` puts the two together. So the editor
never asks which type it is editing.
"""
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .content.source import SLUG
from .forms import LmsForm, LmsSubform

SLUG_VALIDATOR = Regexp(SLUG,
                        message="Nur Kleinbuchstaben, Ziffern und einzelne Bindestriche (z. B. erster-kontakt).")


def text_lines(text):
    """The non-empty lines of a text box, stripped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def stripped(field):
    return (field.data or "").strip()


class ChoiceForm(LmsSubform):
    """One answer row of a choice question."""

    text = TextAreaField("Antwort", validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    correct = BooleanField("richtig")
    feedback = TextAreaField("Rückmeldung zu dieser Antwort", validators=[Optional(), Length(max=1000)],
                             render_kw={"rows": 2})


class QuestionForm(LmsForm):
    """The fields of every question. Use ``for_type``: the form class of one
    type adds that type's ``editor_fields``."""

    question_type = None  # set on the classes for_type makes

    id = StringField("Kennung", validators=[DataRequired("Bitte gib eine Kennung an."), Length(max=60), SLUG_VALIDATOR])
    lesson = SelectField("Lektion, die das lehrt", choices=[], validate_choice=False,
                         description="Nach einem Fehlversuch verweist die Auswertung auf diese Lektion.")
    topic = StringField("Thema (optional)", validators=[Optional(), Length(max=80)],
                        description="Die Ziehung je Versuch verteilt sich gleichmäßig über die Themen; ohne Thema "
                                    "zählt die Lektion.")
    prompt = TextAreaField("Frage (Markdown)", validators=[DataRequired("Bitte gib den Fragetext ein."),
                                                           Length(max=4000)], render_kw={"rows": 4})
    explanation = TextAreaField("Erklärung nach der Abgabe", validators=[Optional(), Length(max=4000)],
                                render_kw={"rows": 3})

    _classes = {}

    @classmethod
    def for_type(cls, question_type):
        """The form class for ``question_type`` (made once per type)."""
        form_class = cls._classes.get(question_type.name)
        if form_class is None or form_class.question_type is not question_type:
            form_class = type(f"{type(question_type).__name__}Form", (cls,),
                              {**question_type.editor_fields, "question_type": question_type})
            cls._classes[question_type.name] = form_class
        return form_class

    def set_lesson_choices(self, lessons):
        """``lessons``: [("module/lesson", label)] of the course."""
        self.lesson.choices = [SelectChoice("", "keine")] + [SelectChoice(value, label) for value, label in lessons]

    def fill(self, question, module_slug):
        """Put a stored question into the form (GET)."""
        self.id.data = question.get("id")
        lesson = str(question.get("lesson") or "")
        self.lesson.data = lesson if "/" in lesson or not lesson else f"{module_slug}/{lesson}"
        self.topic.data = question.get("topic", "")
        self.prompt.data = question.get("prompt", "")
        self.explanation.data = question.get("explanation", "")
        self.question_type.fill_editor(self, question)

    def to_question(self, module_slug):
        """The question as quiz data. A lesson of the quiz's own module is
        written as its bare slug."""
        question = {"id": self.id.data, "type": self.question_type.name, "prompt": stripped(self.prompt)}
        lesson = self.lesson.data or ""
        if lesson:
            question["lesson"] = lesson.split("/", 1)[1] if lesson.startswith(f"{module_slug}/") else lesson
        if stripped(self.topic):
            question["topic"] = stripped(self.topic)
        question.update(self.question_type.read_editor(self))
        if stripped(self.explanation):
            question["explanation"] = stripped(self.explanation)
        return question

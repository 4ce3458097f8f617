from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, FieldList, FormField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..forms import LmsForm, LmsSubform
from ..models import Quiz

SLUG_VALIDATOR = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                        message="Nur Kleinbuchstaben, Ziffern und einzelne Bindestriche (z. B. erster-kontakt).")
EMPTY_CHOICE_ROWS = 2


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class LessonForm(LmsForm):
    slug = StringField("Slug (Teil der Adresse, später nicht änderbar)",
                       validators=[Optional(), Length(max=60), SLUG_VALIDATOR])
    title = StringField("Titel", validators=[DataRequired("Bitte gib einen Titel an."), Length(max=200)])
    minutes = IntegerField("Lesezeit in Minuten", validators=[
        DataRequired("Bitte gib die Lesezeit an."), NumberRange(1, 60, "Zwischen 1 und 60 Minuten.")])
    goals = TextAreaField("Lernziele (eins pro Zeile)", validators=[DataRequired("Bitte nenne mindestens ein Lernziel.")],
                          render_kw={"rows": 4})
    body = TextAreaField("Text (Markdown)", validators=[DataRequired("Die Lektion braucht einen Text.")],
                         render_kw={"rows": 24, "class": "markdown-editor", "spellcheck": "true"})

    @property
    def goal_list(self):
        return _lines(self.goals.data)


class ModuleForm(LmsForm):
    slug = StringField("Slug (Teil der Adresse, später nicht änderbar)",
                       validators=[Optional(), Length(max=60), SLUG_VALIDATOR])
    title = StringField("Titel", validators=[DataRequired("Bitte gib einen Titel an."), Length(max=200)])
    summary = TextAreaField("Kurzbeschreibung", validators=[Optional(), Length(max=500)], render_kw={"rows": 2})


class QuizSettingsForm(LmsForm):
    title = StringField("Titel", validators=[DataRequired("Bitte gib einen Titel an."), Length(max=200)])
    pass_mark = IntegerField("Bestehensgrenze in Prozent", validators=[
        DataRequired("Bitte gib die Bestehensgrenze an."), NumberRange(1, 100, "Zwischen 1 und 100 Prozent.")])
    shuffle_questions = BooleanField("Fragen mischen")
    shuffle_choices = BooleanField("Antworten mischen")
    questions_per_attempt = IntegerField(
        "Fragen je Versuch (0 = alle)", validators=[Optional(), NumberRange(0, 1000, "Zwischen 0 und 1000.")],
        default=0, description="Jeder Versuch zieht so viele Fragen aus dem Pool, ausgewogen über die Themen. "
                               "Der Pool sollte mindestens doppelt so groß sein.")
    review = SelectField("Auswertung nach der Abgabe",
                         choices=[SelectChoice(value, label) for value, label in Quiz.REVIEW_MODES.items()],
                         default=Quiz.DEFAULT_REVIEW)
    max_attempts = IntegerField("Höchstzahl Versuche (0 = unbegrenzt)", validators=[NumberRange(0, 1000)], default=0)
    cooldown_minutes = IntegerField("Wartezeit nach einem nicht bestandenen Versuch in Minuten",
                                    validators=[NumberRange(0, 43200)], default=0,
                                    description="Ein paar Minuten genügen, damit niemand durch Raten besteht.")

    def apply_to(self, data):
        for name in ("title", "pass_mark", "shuffle_questions", "shuffle_choices", "max_attempts", "cooldown_minutes",
                     "review"):
            data[name] = getattr(self, name).data
        data["questions_per_attempt"] = self.questions_per_attempt.data or 0
        return data


class ChoiceForm(LmsSubform):
    text = TextAreaField("Antwort", validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    correct = BooleanField("richtig")
    feedback = TextAreaField("Rückmeldung zu dieser Antwort", validators=[Optional(), Length(max=1000)],
                             render_kw={"rows": 2})


class QuestionForm(LmsForm):
    """One form for every question type; the template shows the fields of
    the question's type, ``to_question`` keeps only those."""

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
    choices = FieldList(FormField(ChoiceForm), min_entries=0)
    answer = RadioField("Richtige Antwort", choices=[SelectChoice("true", "Wahr"), SelectChoice("false", "Falsch")],
                        validators=[Optional()])
    feedback_true = StringField("Rückmeldung für „Wahr“", validators=[Optional(), Length(max=1000)])
    feedback_false = StringField("Rückmeldung für „Falsch“", validators=[Optional(), Length(max=1000)])
    accepted = TextAreaField("Akzeptierte Antworten (eine pro Zeile)", validators=[Optional(), Length(max=4000)],
                             render_kw={"rows": 3})
    feedback_correct = StringField("Rückmeldung bei richtiger Antwort", validators=[Optional(), Length(max=1000)])
    feedback_wrong = StringField("Rückmeldung bei falscher Antwort", validators=[Optional(), Length(max=1000)])
    items = TextAreaField("Einträge in der richtigen Reihenfolge (einer pro Zeile)",
                          validators=[Optional(), Length(max=4000)], render_kw={"rows": 5})
    pairs = TextAreaField("Paare (eines pro Zeile, links und rechts getrennt durch ->)",
                          validators=[Optional(), Length(max=4000)], render_kw={"rows": 5},
                          description="Zum Beispiel: UB -> Unterbezirk")

    def validate_pairs(self, field):
        for number, line in enumerate(_lines(field.data), start=1):
            if "->" not in line:
                raise ValidationError(f"Zeile {number}: links und rechts mit -> trennen.")

    def fill(self, question, module_slug):
        """Put a stored question into the form (GET)."""
        self.id.data = question.get("id")
        lesson = str(question.get("lesson") or "")
        self.lesson.data = lesson if "/" in lesson or not lesson else f"{module_slug}/{lesson}"
        self.topic.data = question.get("topic", "")
        self.prompt.data = question.get("prompt", "")
        self.explanation.data = question.get("explanation", "")
        for choice in question.get("choices", []):
            self.choices.append_entry({"text": choice.get("text", ""), "correct": bool(choice.get("correct")),
                                       "feedback": choice.get("feedback", "")})
        if "answer" in question:
            self.answer.data = "true" if question["answer"] else "false"
        for name in ("feedback_true", "feedback_false", "feedback_correct", "feedback_wrong"):
            getattr(self, name).data = question.get(name, "")
        self.accepted.data = "\n".join(question.get("accepted", []))
        self.items.data = "\n".join(question.get("items", []))
        self.pairs.data = "\n".join(f"{p.get('left', '')} -> {p.get('right', '')}" for p in question.get("pairs", []))

    def add_empty_choices(self, type_name):
        if type_name in ("single_choice", "multiple_choice"):
            for _ in range(EMPTY_CHOICE_ROWS):
                self.choices.append_entry()

    def number_choices(self):
        """'Antwort 1', 'Antwort 2' …: labels a screen reader can tell apart."""
        for number, choice in enumerate(self.choices, start=1):
            choice.text.label.text = f"Antwort {number}"
            choice.correct.label.text = f"Antwort {number} ist richtig"
            choice.feedback.label.text = f"Rückmeldung zu Antwort {number}"

    def set_lesson_choices(self, lessons):
        """``lessons``: [("module/lesson", label)] of the course."""
        self.lesson.choices = [SelectChoice("", "keine")] + [SelectChoice(value, label) for value, label in lessons]

    def to_question(self, type_name, module_slug):
        """The question as quiz data; empty choice rows are dropped. A
        lesson of the quiz's own module is written as its bare slug."""
        question = {"id": self.id.data, "type": type_name, "prompt": self.prompt.data.strip()}
        lesson = self.lesson.data or ""
        if lesson:
            question["lesson"] = lesson.split("/", 1)[1] if lesson.startswith(f"{module_slug}/") else lesson
        if (self.topic.data or "").strip():
            question["topic"] = self.topic.data.strip()
        if type_name in ("single_choice", "multiple_choice"):
            question["choices"] = [
                {"text": c.text.data.strip(), "correct": bool(c.correct.data), "feedback": (c.feedback.data or "").strip()}
                for c in self.choices if (c.text.data or "").strip()]
        elif type_name == "true_false":
            question["answer"] = self.answer.data == "true"
            question["feedback_true"] = (self.feedback_true.data or "").strip()
            question["feedback_false"] = (self.feedback_false.data or "").strip()
        elif type_name == "short_text":
            question["accepted"] = _lines(self.accepted.data)
            question["feedback_correct"] = (self.feedback_correct.data or "").strip()
            question["feedback_wrong"] = (self.feedback_wrong.data or "").strip()
        elif type_name == "ordering":
            question["items"] = _lines(self.items.data)
        elif type_name == "matching":
            question["pairs"] = [{"left": left.strip(), "right": right.strip()}
                                 for left, _, right in (line.partition("->") for line in _lines(self.pairs.data))]
        if (self.explanation.data or "").strip():
            question["explanation"] = self.explanation.data.strip()
        return question

class GiftForm(LmsForm):
    file = FileField("GIFT-Datei (.txt oder .gift)")
    text = TextAreaField("… oder GIFT-Text einfügen", validators=[Optional(), Length(max=500_000)],
                         render_kw={"rows": 8})


class ZipUploadForm(LmsForm):
    file = FileField("Zip-Datei aus einem Export", validators=[FileRequired("Bitte wähle eine Zip-Datei aus.")])


class ImageUploadForm(LmsForm):
    file = FileField("Bild (PNG, JPEG, WebP oder GIF, höchstens 5 MB)",
                     validators=[FileRequired("Bitte wähle ein Bild aus.")])

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import LmsForm
from ..models import Quiz
from ..question_editor import SLUG_VALIDATOR, text_lines



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
        return text_lines(self.goals.data)


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


class GiftForm(LmsForm):
    file = FileField("GIFT-Datei (.txt oder .gift)")
    text = TextAreaField("… oder GIFT-Text einfügen", validators=[Optional(), Length(max=500_000)],
                         render_kw={"rows": 8})


class ZipUploadForm(LmsForm):
    file = FileField("Zip-Datei aus einem Export", validators=[FileRequired("Bitte wähle eine Zip-Datei aus.")])


class ImageUploadForm(LmsForm):
    file = FileField("Bild (PNG, JPEG, WebP oder GIF, höchstens 5 MB)",
                     validators=[FileRequired("Bitte wähle ein Bild aus.")])

from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms import TextAreaField, URLField, widgets
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import LmsForm
from .dates import MAX_DESCRIPTION

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CheckboxList(SelectMultipleField):
    """Several choices as checkboxes (easier on a phone than a multiple
    select); the template draws each option."""

    option_widget = widgets.CheckboxInput()


class TrainingForm(LmsForm):
    title = StringField("Titel", validators=[DataRequired("Bitte gib einen Titel an."), Length(max=200)],
                        description="z. B. „Grundlagenseminar Mitgliederbetreuung Ruhr“")
    modules = CheckboxList("Module, die der Termin behandelt", validate_choice=True,
                           validators=[DataRequired("Wähle mindestens ein Modul.")])
    starts_at = DateTimeLocalField("Beginn", format=DATETIME_FORMAT,
                                   validators=[DataRequired("Bitte gib Datum und Uhrzeit des Beginns an.")])
    ends_at = DateTimeLocalField("Ende", format=DATETIME_FORMAT,
                                 validators=[DataRequired("Bitte gib Datum und Uhrzeit des Endes an.")])
    place = StringField("Ort", validators=[Optional(), Length(max=300)],
                        description="Adresse und Raum; leer lassen bei einer Videokonferenz.")
    video_url = URLField("Link zur Videokonferenz", validators=[
        Optional(), Length(max=500), URL(require_tld=True, message="Bitte gib einen vollständigen Link an (https://…).")])
    capacity = IntegerField("Plätze", validators=[InputRequired("Bitte gib die Zahl der Plätze an."),
                                                   NumberRange(1, 1000, "1 bis 1000 Plätze.")])
    registration_deadline = DateTimeLocalField("Anmeldeschluss", format=DATETIME_FORMAT, validators=[Optional()],
                                               description="Leer: bis zum Beginn.")
    region = SelectField("Region", coerce=int, description="Kommt der Termin einer Region zugute, sehen ihn "
                                                           "deren Mitgliederbeauftragte zuerst.")
    description = TextAreaField("Beschreibung (Markdown)", validators=[Optional(), Length(max=MAX_DESCRIPTION)],
                                render_kw={"rows": 6})
    walk_ins_allowed = BooleanField("Auch Personen ohne Anmeldung dürfen den Anwesenheitscode eingeben")

    def validate_video_url(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError("Der Link muss mit https:// beginnen.")


class AttendanceCodeForm(LmsForm):
    code = StringField("Anwesenheitscode", validators=[DataRequired("Bitte gib den Code ein."), Length(max=20)],
                       description="Die Leitung des Termins zeigt ihn während des Termins.",
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})

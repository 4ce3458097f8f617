from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from ..auth.forms import FUNCTION_CHOICES, unit_choices


def active_unit_choices():
    return unit_choices(include_none=False)


class AddPersonForm(FlaskForm):
    email = EmailField("E-Mail-Adresse des Kontos", validators=[
        DataRequired("Bitte gib die E-Mail-Adresse an."), Email("Bitte gib eine gültige E-Mail-Adresse an.")])
    function = SelectField("Funktion", choices=FUNCTION_CHOICES, default="officer")


class MoveForm(FlaskForm):
    unit = SelectField("Neue Gliederung", coerce=int)
    function = SelectField("Funktion dort", choices=FUNCTION_CHOICES)


class InviteForm(FlaskForm):
    function = SelectField("Einladen als", choices=FUNCTION_CHOICES, default="officer")


class UnitForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Bitte gib einen Namen an."), Length(max=120)])
    kind = SelectField("Art", choices=[SelectChoice("UB", "Unterbezirk (UB)"), SelectChoice("KV", "Kreisverband (KV)")])
    region = StringField("Region", validators=[DataRequired("Bitte gib die Region an."), Length(max=80)],
                         description="z. B. Niederrhein, Mittelrhein, Westliches Westfalen, Ostwestfalen-Lippe")


class MergeForm(FlaskForm):
    into = SelectField("Zusammenführen mit", coerce=int)

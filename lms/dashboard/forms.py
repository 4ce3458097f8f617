from wtforms import EmailField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..auth.forms import FUNCTION_CHOICES, unit_choices
from ..forms import LmsForm, ValidEmail
from ..invitations import DEFAULT_DAYS, DEFAULT_USES, MAX_DAYS, MAX_USES
from ..models import Membership


def active_unit_choices():
    return unit_choices(include_none=False)


class AddPersonForm(LmsForm):
    email = EmailField("E-Mail-Adresse des Kontos", validators=[ValidEmail()])
    function = SelectField("Funktion", choices=FUNCTION_CHOICES, default="officer")


class MoveForm(LmsForm):
    unit = SelectField("Neue Gliederung", coerce=int)
    function = SelectField("Funktion dort", choices=FUNCTION_CHOICES)


class InviteForm(LmsForm):
    function = SelectField("Einladen als", default="officer", choices=[
        SelectChoice(value, label) for value, label in Membership.FUNCTIONS.items()
        if value in Membership.CONFIRMED_FUNCTIONS])
    days = IntegerField("Gültig (Tage)", default=DEFAULT_DAYS, validators=[
        DataRequired("Bitte gib an, wie viele Tage der Link gilt."),
        NumberRange(1, MAX_DAYS, f"Ein Link gilt 1 bis {MAX_DAYS} Tage.")])
    uses = IntegerField("Wie oft nutzbar", default=DEFAULT_USES, validators=[
        DataRequired("Bitte gib an, wie oft der Link genutzt werden kann."),
        NumberRange(1, MAX_USES, f"1 bis {MAX_USES}; für ein Seminar so viele wie Teilnehmende.")],
        description="1 für eine Person, mehr für ein Seminar.")
    note = StringField("Notiz (optional)", validators=[Optional(), Length(max=120)],
                       description="z. B. „Seminar Köln, 12. März“")


class UnitForm(LmsForm):
    name = StringField("Name", validators=[DataRequired("Bitte gib einen Namen an."), Length(max=120)])
    kind = SelectField("Art", choices=[SelectChoice("UB", "Unterbezirk (UB)"), SelectChoice("KV", "Kreisverband (KV)")])
    region = StringField("Region", validators=[DataRequired("Bitte gib die Region an."), Length(max=80)],
                         description="z. B. Niederrhein, Mittelrhein, Westliches Westfalen, Ostwestfalen-Lippe")


class MergeForm(LmsForm):
    into = SelectField("Zusammenführen mit", coerce=int)

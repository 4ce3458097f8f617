from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..accounts import MIN_PASSWORD_LENGTH, password_problem
from ..forms import LmsForm, ValidEmail
from ..models import Membership
from ..units import all_units

EMAIL_VALIDATORS = [ValidEmail()]
NO_UNIT = 0
PLEASE_CHOOSE = -1


FUNCTION_CHOICES = [SelectChoice(value, label) for value, label in Membership.FUNCTIONS.items()]
FUNCTION_HELP = ("Mitgliederbeauftragte*r, Team und Vorstand zählen erst, wenn der Landesvorstand (oder euer "
                 "Vorstand) sie bestätigt hat; über einen Einladungslink sofort.")


def unit_choices(include_none=True, please_choose=False):
    """Active units grouped by region, for a <select> with optgroups."""
    choices = []
    if please_choose:
        choices.append(SelectChoice(PLEASE_CHOOSE, "Bitte wählen"))
    if include_none:
        choices.append(SelectChoice(NO_UNIT, "Keine Gliederung (z. B. Landesvorstand)", optgroup="Ohne Gliederung"))
    # all_units() comes by name (in the database's collation); a stable sort keeps that within a region.
    active = sorted((unit for unit in all_units() if unit.is_active), key=lambda unit: unit.region.name)
    choices += [SelectChoice(unit.id, unit.display_name, optgroup=unit.region.name) for unit in active]
    return choices


class _NewPasswordMixin:
    def validate_password(self, field):
        email = getattr(self, "email", None)
        problem = password_problem(field.data or "", email.data if email else "")
        if problem:
            raise ValidationError(problem)


class RegisterForm(_NewPasswordMixin, LmsForm):
    name = StringField("Vor- und Nachname", validators=[
        DataRequired("Bitte gib deinen Namen an."), Length(max=100, message="Der Name ist zu lang.")])
    email = EmailField("E-Mail-Adresse", validators=EMAIL_VALIDATORS)
    password = PasswordField("Passwort", validators=[DataRequired("Bitte wähle ein Passwort.")],
                             description=f"Mindestens {MIN_PASSWORD_LENGTH} Zeichen, gern mehrere Wörter.")
    password_confirm = PasswordField("Passwort wiederholen", validators=[
        DataRequired("Bitte wiederhole das Passwort."), EqualTo("password", "Die Passwörter stimmen nicht überein.")])
    unit = SelectField("Dein Unterbezirk / Kreisverband", coerce=int, default=PLEASE_CHOOSE)
    function = SelectField("Deine Funktion dort", choices=FUNCTION_CHOICES, default="officer",
                           description=FUNCTION_HELP)
    invite = HiddenField()  # the token of the invitation link the person came with
    consent = BooleanField(
        "Ich habe die Datenschutzhinweise gelesen und willige ein, dass die Plattform meine Angaben, auch meine "
        "Funktion in meiner Gliederung, dafür verarbeitet.",
        validators=[DataRequired("Ohne deine Einwilligung können wir dein Konto nicht anlegen.")])
    submit = SubmitField("Konto anlegen")

    def validate_unit(self, field):
        if field.data == PLEASE_CHOOSE:
            raise ValidationError("Bitte wähle deinen UB/KV (oder „Keine Gliederung“).")

    def validate_function(self, field):
        if field.data in Membership.CONFIRMED_FUNCTIONS and self.unit.data == NO_UNIT:
            raise ValidationError("Diese Funktion hast du in einem UB/KV: bitte wähle ihn oben aus. Ohne "
                                  "Gliederung passt „Andere Funktion / interessiert“.")


class LoginForm(LmsForm):
    email = EmailField("E-Mail-Adresse", validators=EMAIL_VALIDATORS)
    password = PasswordField("Passwort", validators=[DataRequired("Bitte gib dein Passwort ein.")])
    remember = BooleanField("Angemeldet bleiben (30 Tage)")
    submit = SubmitField("Anmelden")


class EmailOnlyForm(LmsForm):
    email = EmailField("E-Mail-Adresse", validators=EMAIL_VALIDATORS)
    submit = SubmitField("Link schicken")


class ResetPasswordForm(_NewPasswordMixin, LmsForm):
    password = PasswordField("Neues Passwort", validators=[DataRequired("Bitte wähle ein Passwort.")],
                             description=f"Mindestens {MIN_PASSWORD_LENGTH} Zeichen.")
    password_confirm = PasswordField("Neues Passwort wiederholen", validators=[
        DataRequired("Bitte wiederhole das Passwort."), EqualTo("password", "Die Passwörter stimmen nicht überein.")])
    submit = SubmitField("Passwort speichern")


class AdminSetupForm(_NewPasswordMixin, LmsForm):
    name = StringField("Vor- und Nachname", validators=[DataRequired("Bitte gib deinen Namen an."), Length(max=100)])
    email = EmailField("E-Mail-Adresse", validators=EMAIL_VALIDATORS)
    password = PasswordField("Passwort", validators=[DataRequired("Bitte wähle ein Passwort.")],
                             description=f"Mindestens {MIN_PASSWORD_LENGTH} Zeichen.")
    password_confirm = PasswordField("Passwort wiederholen", validators=[
        DataRequired("Bitte wiederhole das Passwort."), EqualTo("password", "Die Passwörter stimmen nicht überein.")])
    submit = SubmitField("Admin-Konto anlegen")



class ProfileForm(LmsForm):
    name = StringField("Vor- und Nachname", validators=[
        DataRequired("Bitte gib deinen Namen an."), Length(max=100, message="Der Name ist zu lang.")])


class ChangePasswordForm(_NewPasswordMixin, LmsForm):
    current_password = PasswordField("Bisheriges Passwort", validators=[DataRequired("Bitte gib dein bisheriges Passwort ein.")])
    password = PasswordField("Neues Passwort", validators=[DataRequired("Bitte wähle ein Passwort.")],
                             description=f"Mindestens {MIN_PASSWORD_LENGTH} Zeichen. Andere Geräte werden danach abgemeldet.")
    password_confirm = PasswordField("Neues Passwort wiederholen", validators=[
        DataRequired("Bitte wiederhole das Passwort."), EqualTo("password", "Die Passwörter stimmen nicht überein.")])


class JoinUnitForm(LmsForm):
    unit = SelectField("Gliederung", coerce=int)
    function = SelectField("Funktion", choices=FUNCTION_CHOICES, default="officer", description=FUNCTION_HELP)


class CodeForm(LmsForm):
    code = StringField("Code aus deiner Authenticator-App (6 Ziffern)", validators=[
        DataRequired("Bitte gib den Code ein."), Length(max=10)], render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"})

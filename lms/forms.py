"""The base of every form: Flask-WTF (CSRF) plus one rule for all text.

No text a person types may contain control characters: they break the
spreadsheet exports (openpyxl refuses them) and never belong in a name, a
title or a lesson. One-line fields refuse all of them; multi-line fields
allow line breaks and tabs. The rule is checked here once, so no form can
forget it.
"""
import re

from flask_wtf import FlaskForm
from wtforms import Form
from wtforms.fields import TextAreaField
from wtforms.validators import StopValidation

from .accounts import email_problem

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_CHARACTERS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTER_MESSAGE = "Der Text enthält unsichtbare Steuerzeichen. Bitte tippe ihn neu ein, statt ihn einzufügen."


def has_control_characters(text, multiline=False):
    pattern = CONTROL_CHARACTERS_IN_TEXT if multiline else CONTROL_CHARACTERS
    return isinstance(text, str) and bool(pattern.search(text))


def _check_text(form):
    ok = True
    for field in form:
        if isinstance(field.data, str) and has_control_characters(field.data, isinstance(field, TextAreaField)):
            field.errors = list(field.errors) + [CONTROL_CHARACTER_MESSAGE]
            ok = False
    return ok


class LmsForm(FlaskForm):
    """FlaskForm that also refuses control characters in every text field."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return _check_text(self) and valid


class LmsSubform(Form):
    """The same rule for forms nested in a FieldList (no CSRF of their own)."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        return _check_text(self) and valid


class ValidEmail:
    """Validator: an address ``accounts.email_problem`` accepts (the rule
    the command line uses too)."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        problem = email_problem(field.data)
        if problem:
            raise StopValidation(problem)

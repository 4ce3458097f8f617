"""Asking before an action that is hard to undo, on a page of its own.

Works without JavaScript: the first POST answers with the question, whose
form posts again with ``confirmed=yes``; only then does the view act.
"""
from flask import render_template, request


def confirmed():
    """Whether this POST carries the confirmation."""
    return request.form.get("confirmed") == "yes"


def confirm_step(title, question, action, button, cancel, fields=None):
    """The question page: ``action`` is where the confirmed form posts (with
    ``fields`` as hidden inputs), ``cancel`` where "Abbrechen" leads."""
    return render_template("confirm.html", title=title, question=question, action=action, button=button,
                           cancel=cancel, fields=fields or {})

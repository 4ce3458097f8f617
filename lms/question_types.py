"""Quiz question types: one class each, registered in ``QUESTION_TYPES``.

A type knows how to
- validate its YAML definition (``parse``), reporting errors with lines,
- present itself for one attempt (``present``: a snapshot with the choice
  order of that attempt, stored on the attempt),
- read a learner's answer from the submitted form (``read_response``),
- grade that answer (``grade``),
- be edited by trainers: its fields in the question editor
  (``editor_fields``), filling them from a stored question and reading them
  back (``fill_editor``, ``read_editor``),
and which templates show it: ``template`` to learners, ``editor_template``
to trainers. Adding a type means one class here, decorated with
``@register_question_type``, and its two templates
(``templates/quiz/questions/<name>.html``,
``templates/authoring/questions/<name>.html``); nothing else changes.
"""
import re
import unicodedata
from dataclasses import dataclass, field

from wtforms import FieldList, FormField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from .content.rendering import MarkdownTooComplex, render_inline_markdown, render_markdown
from .question_editor import ChoiceForm, stripped, text_lines

MAX_TEXT_ANSWER = 500


def checked_markdown(fields, key, text, inline=False):
    """``text`` rendered, or "" with an error on ``key`` when the renderer
    refuses it (too long, too deeply nested …)."""
    try:
        return render_inline_markdown(text) if inline else render_markdown(text)
    except MarkdownTooComplex as problem:
        fields.error(f"'{key}': {problem}", key)
        return ""


@dataclass
class Grading:
    correct: bool
    feedback_html: list = field(default_factory=list)


QUESTION_TYPES = {}


def register_question_type(cls):
    """Class decorator: make a question type known by its ``name``."""
    QUESTION_TYPES[cls.name] = cls()
    return cls


class UnknownQuestionType(KeyError):
    """A question type that no class handles (German message)."""


def get_question_type(name):
    """The registered type called ``name``; a clear error for an unknown one
    (a quiz stored before a type was removed, or a typo in code)."""
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        raise UnknownQuestionType(f"Unbekannter Fragetyp '{name}' (bekannt: {', '.join(QUESTION_TYPES)}).") from None


class QuestionType:
    name = ""
    label = ""
    common_keys = {"id", "type", "prompt", "explanation", "topic", "lesson"}
    extra_keys = set()
    # The type's own fields in the question editor (name -> WTForms field);
    # the editor adds them to the fields every question has.
    editor_fields = {}

    @property
    def template(self):
        """Shows the question to learners (taking a quiz, reviewing it)."""
        return f"quiz/questions/{self.name}.html"

    @property
    def editor_template(self):
        """Shows the type's ``editor_fields`` in the question editor."""
        return f"authoring/questions/{self.name}.html"

    # -- definition ----------------------------------------------------------

    def parse(self, fields):
        """Validate a question's fields; return the stored definition."""
        fields.unknown_keys(self.common_keys | self.extra_keys)
        prompt = fields.text("prompt")
        explanation = fields.text("explanation", required=False)
        if not explanation:
            fields.warn("Die Frage hat keine Erklärung ('explanation'), die nach der Abgabe erscheint.")
        definition = {
            "id": fields.mapping.get("id"),
            "type": self.name,
            "prompt": prompt or "",
            "prompt_html": checked_markdown(fields, "prompt", prompt or ""),
            "explanation": explanation or "",
            "explanation_html": checked_markdown(fields, "explanation", explanation) if explanation else "",
            # Optional: what the question is about (pools are drawn evenly
            # across topics) and the lesson that teaches it ("module/lesson",
            # resolved by the loader; a failed attempt points there).
            "topic": fields.text("topic", required=False, max_length=80) or "",
            "lesson": fields.text("lesson", required=False) or "",
        }
        definition.update(self.parse_specific(fields))
        return definition

    def parse_specific(self, fields):
        return {}

    # -- attempts --------------------------------------------------------------

    def present(self, definition, rng, shuffle_choices):
        """A snapshot of the question as one attempt shows it."""
        return {
            "id": definition["id"],
            "type": self.name,
            "prompt_html": definition["prompt_html"],
            "explanation_html": definition["explanation_html"],
            "lesson": definition.get("lesson", ""),
        }

    def read_response(self, presented, form):
        """(response, error message or None) from the submitted form."""
        raise NotImplementedError

    def grade(self, presented, response):
        raise NotImplementedError

    @staticmethod
    def field_name(presented):
        return f"q-{presented['id']}"

    # -- authoring -------------------------------------------------------------

    def fill_editor(self, form, question):
        """Put the type's part of a stored ``question`` into the editor form."""
        for name in self.editor_fields:
            getattr(form, name).data = question.get(name, "")

    def read_editor(self, form):
        """The type's part of the question as quiz data, from the editor form."""
        return {name: stripped(getattr(form, name)) for name in self.editor_fields}

    def prepare_editor(self, form):
        """Before the editor is shown for a GET (say, empty rows to fill in)."""

    def editor_action(self, form, formdata):
        """Handle a button in the editor that changes the form rather than
        saving it ("Weitere Antwort"); True when one was pressed."""
        return False

    def before_render(self, form):
        """Last touches before the editor is rendered (labels and the like)."""


class _ChoiceQuestion(QuestionType):
    extra_keys = {"choices"}
    needs_exactly_one = False
    rule = ""  # how many answers are right, shown in the editor
    editor_fields = {"choices": FieldList(FormField(ChoiceForm), min_entries=0)}
    empty_rows = 2  # offered to fill in, on top of the stored answers

    @property
    def editor_template(self):
        return "authoring/questions/choices.html"

    def parse_specific(self, fields):
        choices = []
        for choice in fields.mapping_list("choices"):
            choice.unknown_keys({"text", "correct", "feedback"})
            text = choice.text("text")
            feedback = choice.text("feedback", required=False)
            if not feedback:
                choice.warn("Die Antwort hat kein 'feedback', das erklärt, warum sie richtig oder falsch ist.")
            choices.append({
                "text": text or "",
                "html": checked_markdown(choice, "text", text or "", inline=True),
                "correct": choice.boolean("correct"),
                "feedback": feedback or "",
                "feedback_html": checked_markdown(choice, "feedback", feedback, inline=True) if feedback else "",
            })
        if fields.has("choices"):
            correct = sum(1 for c in choices if c["correct"])
            if len(choices) < 2:
                fields.error("Eine Auswahlfrage braucht mindestens zwei Antworten.", "choices")
            if self.needs_exactly_one and correct != 1:
                fields.error(
                    f"Eine Single-Choice-Frage braucht genau eine richtige Antwort, hat aber {correct}.", "choices"
                )
            elif not self.needs_exactly_one and correct < 1:
                fields.error("Eine Multiple-Choice-Frage braucht mindestens eine richtige Antwort.", "choices")
            texts = [c["text"] for c in choices]
            if len(set(texts)) != len(texts):
                fields.error("Zwei Antworten haben denselben Text.", "choices")
        return {"choices": choices}

    def present(self, definition, rng, shuffle_choices):
        snapshot = super().present(definition, rng, shuffle_choices)
        choices = [
            {"key": index, "html": c["html"], "correct": c["correct"], "feedback_html": c["feedback_html"]}
            for index, c in enumerate(definition["choices"])
        ]
        if shuffle_choices:
            rng.shuffle(choices)
        snapshot["choices"] = choices
        return snapshot

    def _chosen_keys(self, presented, form):
        valid = {str(c["key"]): c["key"] for c in presented["choices"]}
        return sorted({valid[v] for v in form.getlist(self.field_name(presented)) if v in valid})

    def grade(self, presented, response):
        chosen = set(response or [])
        correct = {c["key"] for c in presented["choices"] if c["correct"]}
        feedback = [c["feedback_html"] for c in presented["choices"] if c["key"] in chosen and c["feedback_html"]]
        return Grading(correct=chosen == correct, feedback_html=feedback)

    def fill_editor(self, form, question):
        for choice in question.get("choices", []):
            form.choices.append_entry({"text": choice.get("text", ""), "correct": bool(choice.get("correct")),
                                       "feedback": choice.get("feedback", "")})

    def read_editor(self, form):
        """The answers; rows left empty are dropped."""
        return {"choices": [{"text": stripped(c.text), "correct": bool(c.correct.data), "feedback": stripped(c.feedback)}
                            for c in form.choices if stripped(c.text)]}

    def prepare_editor(self, form):
        for _ in range(self.empty_rows):
            form.choices.append_entry()

    def editor_action(self, form, formdata):
        if "add_choice" in formdata:
            form.choices.append_entry()
            return True
        return False

    def before_render(self, form):
        """'Antwort 1', 'Antwort 2' …: labels a screen reader can tell apart."""
        for number, choice in enumerate(form.choices, start=1):
            choice.text.label.text = f"Antwort {number}"
            choice.correct.label.text = f"Antwort {number} ist richtig"
            choice.feedback.label.text = f"Rückmeldung zu Antwort {number}"


@register_question_type
class SingleChoice(_ChoiceQuestion):
    name = "single_choice"
    label = "Eine Antwort ist richtig"
    needs_exactly_one = True
    rule = "genau eine richtig"

    def read_response(self, presented, form):
        chosen = self._chosen_keys(presented, form)
        if len(chosen) != 1:
            return None, "Bitte wähle eine Antwort."
        return chosen, None


@register_question_type
class MultipleChoice(_ChoiceQuestion):
    name = "multiple_choice"
    label = "Mehrere Antworten können richtig sein"
    rule = "mindestens eine richtig"

    def read_response(self, presented, form):
        chosen = self._chosen_keys(presented, form)
        if not chosen:
            return None, "Bitte wähle mindestens eine Antwort."
        return chosen, None


@register_question_type
class TrueFalse(QuestionType):
    name = "true_false"
    label = "Wahr oder falsch?"
    extra_keys = {"answer", "feedback_true", "feedback_false"}
    editor_fields = {
        "answer": RadioField("Richtige Antwort", choices=[SelectChoice("true", "Wahr"), SelectChoice("false", "Falsch")],
                             validators=[Optional()]),
        "feedback_true": StringField("Rückmeldung für „Wahr“", validators=[Optional(), Length(max=1000)]),
        "feedback_false": StringField("Rückmeldung für „Falsch“", validators=[Optional(), Length(max=1000)]),
    }

    def parse_specific(self, fields):
        answer = fields.boolean("answer", required=True)
        result = {"answer": answer}
        for key in ("feedback_true", "feedback_false"):
            text = fields.text(key, required=False)
            if not text:
                fields.warn(f"'{key}' fehlt: wer so antwortet, bekommt keine Rückmeldung.")
            result[key + "_html"] = checked_markdown(fields, key, text, inline=True) if text else ""
            result[key] = text or ""
        return result

    def present(self, definition, rng, shuffle_choices):
        snapshot = super().present(definition, rng, shuffle_choices)
        # Wahr before Falsch, always: shuffling two options only confuses.
        snapshot["choices"] = [
            {"key": "true", "html": "Wahr", "correct": definition["answer"] is True,
             "feedback_html": definition["feedback_true_html"]},
            {"key": "false", "html": "Falsch", "correct": definition["answer"] is False,
             "feedback_html": definition["feedback_false_html"]},
        ]
        return snapshot

    def read_response(self, presented, form):
        value = form.get(self.field_name(presented))
        if value not in {"true", "false"}:
            return None, "Bitte wähle „Wahr“ oder „Falsch“."
        return value, None

    def grade(self, presented, response):
        choice = next((c for c in presented["choices"] if c["key"] == response), None)
        if choice is None:
            return Grading(False)
        return Grading(choice["correct"], [choice["feedback_html"]] if choice["feedback_html"] else [])

    def fill_editor(self, form, question):
        super().fill_editor(form, question)
        form.answer.data = "true" if question.get("answer") else "false" if "answer" in question else None

    def read_editor(self, form):
        return {**super().read_editor(form), "answer": form.answer.data == "true"}


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
# A gender mark between two letters: Pat*innen, Pat:innen, Pat_innen, Pat/innen.
_GENDER_MARK = re.compile(r"(?<=\w)[*:_/](?=\w)")


def normalize_text_answer(text):
    """Compare typed answers leniently: case, surrounding punctuation,
    repeated spaces, umlaut spellings (ä = ae), ß = ss and gender marks
    (Pat*innenschaft = Pat:innenschaft = Patinnenschaft) don't matter."""
    text = unicodedata.normalize("NFKC", text or "").casefold().translate(_UMLAUTS)
    text = _GENDER_MARK.sub("", text)
    text = re.sub(r"[\s\u00a0]+", " ", text)
    return text.strip(" .,;:!?\"'„“”‚‘’«»()-")


@register_question_type
class ShortText(QuestionType):
    name = "short_text"
    label = "Kurze Textantwort"
    extra_keys = {"accepted", "feedback_correct", "feedback_wrong"}
    editor_fields = {
        "accepted": TextAreaField("Akzeptierte Antworten (eine pro Zeile)", validators=[Optional(), Length(max=4000)],
                                  render_kw={"rows": 3}),
        "feedback_correct": StringField("Rückmeldung bei richtiger Antwort", validators=[Optional(), Length(max=1000)]),
        "feedback_wrong": StringField("Rückmeldung bei falscher Antwort", validators=[Optional(), Length(max=1000)]),
    }

    def parse_specific(self, fields):
        accepted = fields.text_list("accepted")
        normalized = [normalize_text_answer(a) for a in accepted]
        for index, (value, original) in enumerate(zip(normalized, accepted)):
            if not value:
                fields.error("Eine akzeptierte Antwort besteht nur aus Satzzeichen.", line=fields.item_line("accepted", index))
            elif len(original) > MAX_TEXT_ANSWER:
                fields.error(f"Eine akzeptierte Antwort ist länger als die {MAX_TEXT_ANSWER} Zeichen, "
                             "die man eintippen kann.", line=fields.item_line("accepted", index))
        result = {"accepted": accepted, "accepted_normalized": sorted(set(filter(None, normalized)))}
        for key in ("feedback_correct", "feedback_wrong"):
            text = fields.text(key, required=False)
            if not text:
                fields.warn(f"'{key}' fehlt: wer so antwortet, bekommt keine Rückmeldung.")
            result[key] = text or ""
            result[key + "_html"] = checked_markdown(fields, key, text, inline=True) if text else ""
        return result

    def present(self, definition, rng, shuffle_choices):
        snapshot = super().present(definition, rng, shuffle_choices)
        snapshot.update(
            accepted=definition["accepted"],
            accepted_normalized=definition["accepted_normalized"],
            feedback_correct_html=definition["feedback_correct_html"],
            feedback_wrong_html=definition["feedback_wrong_html"],
        )
        return snapshot

    def read_response(self, presented, form):
        value = (form.get(self.field_name(presented)) or "").strip()
        if not value:
            return None, "Bitte gib eine Antwort ein."
        if len(value) > MAX_TEXT_ANSWER:
            return None, f"Die Antwort ist zu lang (höchstens {MAX_TEXT_ANSWER} Zeichen)."
        return value, None

    def grade(self, presented, response):
        # Normalised here rather than trusting the snapshot's stored form, so
        # attempts snapshotted under older rules are graded by today's.
        accepted = {normalize_text_answer(a) for a in presented["accepted"]}
        correct = normalize_text_answer(response) in accepted
        html = presented["feedback_correct_html"] if correct else presented["feedback_wrong_html"]
        return Grading(correct, [html] if html else [])

    def fill_editor(self, form, question):
        super().fill_editor(form, question)
        form.accepted.data = "\n".join(question.get("accepted", []))

    def read_editor(self, form):
        return {**super().read_editor(form), "accepted": text_lines(form.accepted.data)}


@register_question_type
class Ordering(QuestionType):
    name = "ordering"
    label = "Reihenfolge"
    extra_keys = {"items"}
    editor_fields = {
        "items": TextAreaField("Einträge in der richtigen Reihenfolge (einer pro Zeile)",
                               validators=[Optional(), Length(max=4000)], render_kw={"rows": 5}),
    }

    def parse_specific(self, fields):
        items = fields.text_list("items", min_items=2)
        if len(set(items)) != len(items):
            fields.error("Zwei Einträge in 'items' sind gleich: die richtige Reihenfolge wäre nicht eindeutig.", "items")
        return {"items": [{"text": text, "html": checked_markdown(fields, "items", text, inline=True)} for text in items]}

    def present(self, definition, rng, shuffle_choices):
        snapshot = super().present(definition, rng, shuffle_choices)
        items = [{"key": index, "html": item["html"]} for index, item in enumerate(definition["items"])]
        shown = list(items)
        # Always shuffle (an ordering task shown in order answers itself),
        # and never show the correct order.
        for _ in range(10):
            rng.shuffle(shown)
            if [i["key"] for i in shown] != list(range(len(items))):
                break
        snapshot["items"] = shown
        snapshot["correct_order"] = [i["key"] for i in items]
        snapshot["correct_html"] = [i["html"] for i in items]
        return snapshot

    def item_field_name(self, presented, key):
        return f"{self.field_name(presented)}-{key}"

    def read_response(self, presented, form):
        count = len(presented["items"])
        positions = {}
        for item in presented["items"]:
            raw = form.get(self.item_field_name(presented, item["key"]), "")
            if not (raw.isascii() and raw.isdigit() and len(raw) < 4) or not 1 <= int(raw) <= count:
                return None, "Bitte gib jedem Eintrag eine Position."
            positions[item["key"]] = int(raw)
        if len(set(positions.values())) != count:
            return None, "Jede Position darf nur einmal vorkommen."
        return [key for key, _ in sorted(positions.items(), key=lambda kv: kv[1])], None

    def grade(self, presented, response):
        return Grading(list(response or []) == presented["correct_order"])

    def fill_editor(self, form, question):
        form.items.data = "\n".join(question.get("items", []))

    def read_editor(self, form):
        return {"items": text_lines(form.items.data)}


def _pairs_separated(form, field):
    for number, line in enumerate(text_lines(field.data), start=1):
        if "->" not in line:
            raise ValidationError(f"Zeile {number}: links und rechts mit -> trennen.")


@register_question_type
class Matching(QuestionType):
    """Pairs to match: each left entry gets one of the right entries."""

    name = "matching"
    label = "Zuordnung"
    extra_keys = {"pairs"}
    editor_fields = {
        "pairs": TextAreaField("Paare (eines pro Zeile, links und rechts getrennt durch ->)",
                               validators=[Optional(), Length(max=4000), _pairs_separated], render_kw={"rows": 5},
                               description="Zum Beispiel: UB -> Unterbezirk"),
    }

    def parse_specific(self, fields):
        pairs = []
        for pair in fields.mapping_list("pairs"):
            pair.unknown_keys({"left", "right"})
            pairs.append((pair.text("left") or "", pair.text("right") or ""))
        if fields.has("pairs"):
            if len(pairs) < 2:
                fields.error("Eine Zuordnung braucht mindestens zwei Paare.", "pairs")
            for side, index in (("links", 0), ("rechts", 1)):
                texts = [pair[index] for pair in pairs]
                if len(set(texts)) != len(texts):
                    fields.error(f"Zwei Paare haben {side} denselben Text: die Zuordnung wäre nicht eindeutig.", "pairs")
        return {"pairs": [{"left": left, "left_html": checked_markdown(fields, "pairs", left, inline=True), "right": right,
                           "right_html": checked_markdown(fields, "pairs", right, inline=True)} for left, right in pairs]}

    def present(self, definition, rng, shuffle_choices):
        snapshot = super().present(definition, rng, shuffle_choices)
        lefts = [{"key": index, "html": pair["left_html"]} for index, pair in enumerate(definition["pairs"])]
        rights = [{"key": index, "html": pair["right_html"]} for index, pair in enumerate(definition["pairs"])]
        if shuffle_choices:
            rng.shuffle(lefts)
        rng.shuffle(rights)  # always: in definition order, the answer would be the same row
        snapshot["lefts"] = lefts
        snapshot["rights"] = rights
        return snapshot

    def item_field_name(self, presented, key):
        return f"{self.field_name(presented)}-{key}"

    def read_response(self, presented, form):
        valid = {str(right["key"]): right["key"] for right in presented["rights"]}
        response = {}
        for left in presented["lefts"]:
            value = form.get(self.item_field_name(presented, left["key"]), "")
            if value not in valid:
                return None, "Bitte ordne jedem Eintrag etwas zu."
            response[str(left["key"])] = valid[value]
        return response, None

    def grade(self, presented, response):
        response = response or {}
        return Grading(all(response.get(str(left["key"])) == left["key"] for left in presented["lefts"]))

    def fill_editor(self, form, question):
        form.pairs.data = "\n".join(f"{p.get('left', '')} -> {p.get('right', '')}" for p in question.get("pairs", []))

    def read_editor(self, form):
        return {"pairs": [{"left": left.strip(), "right": right.strip()}
                          for left, _, right in (line.partition("->") for line in text_lines(form.pairs.data))]}


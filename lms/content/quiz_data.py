"""Quiz files as plain data, for the form-based quiz editor.

The editor reads a quiz's YAML into dicts and lists, changes them, and
writes YAML again in the layout docs/content-format.md shows (keys in a
fixed order, Unicode kept, long texts unwrapped). Whether the result is a
valid quiz is decided by the loader, as for every other content file.
"""
import io

from ruamel.yaml import YAML

from ..models import Quiz
from .source import parse_yaml

QUIZ_KEYS = ["title", "final", "pass_mark", "questions_per_attempt", "review", "shuffle_questions", "shuffle_choices",
             "max_attempts", "cooldown_minutes", "questions"]
QUESTION_KEYS = ["id", "type", "topic", "lesson", "prompt", "choices", "answer", "feedback_true", "feedback_false", "accepted",
                 "feedback_correct", "feedback_wrong", "items", "pairs", "explanation"]
CHOICE_KEYS = ["text", "correct", "feedback"]
# The settings a quiz started in the browser begins with; the trainer adjusts
# them on the quiz page. A few minutes' wait after a failed attempt, so
# nobody passes by guessing again at once.
NEW_QUIZ_SETTINGS = {"pass_mark": 70, "questions_per_attempt": 0, "review": Quiz.DEFAULT_REVIEW,
                     "shuffle_questions": True, "shuffle_choices": True, "max_attempts": 0, "cooldown_minutes": 5}


def new_quiz(title, final=False):
    """Quiz data for a quiz that has no file yet."""
    return {"title": title, **({"final": True} if final else {}), **NEW_QUIZ_SETTINGS, "questions": []}


def _plain(value):
    """ruamel's commented maps and sequences as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_quiz(text, path="quiz.yaml"):
    return _quiz(parse_yaml(text, path))


def _quiz(parsed):
    """The quiz as plain data from parse_yaml's result."""
    data = _plain(parsed)
    if not isinstance(data, dict):
        data = {}
    if not isinstance(data.get("questions"), list):
        data["questions"] = []
    return data


def _ordered(mapping, keys):
    result = {k: mapping[k] for k in keys if k in mapping and mapping[k] not in (None, "", [])}
    result.update({k: v for k, v in mapping.items() if k not in result and k not in keys})
    return result


def dump_quiz(data):
    quiz = _ordered(data, QUIZ_KEYS)
    quiz["questions"] = [
        _ordered({**q, "choices": [_ordered(c, CHOICE_KEYS) for c in q.get("choices", [])]}, QUESTION_KEYS)
        for q in data.get("questions", [])
    ]
    if quiz.get("final") is False:
        del quiz["final"]
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(quiz, buffer)
    return buffer.getvalue()


def new_question_id(data, base="frage"):
    used = {str(q.get("id")) for q in data.get("questions", [])}
    number = len(used) + 1
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def quiz_outline(text):
    """(the quiz as ``load_quiz`` gives it, ``question_starts``) from a
    single parse of the quiz file ``text``; raises ContentError for text
    that is not valid YAML."""
    parsed = parse_yaml(text, "quiz.yaml")
    return _quiz(parsed), question_starts(parsed)


def question_starts(parsed):
    """[(first line, id or None)] of the questions in a parsed quiz file
    (``parse_yaml``'s result, which knows its lines); [] without them."""
    questions = parsed.get("questions") if isinstance(parsed, dict) else None
    if not isinstance(questions, list) or not hasattr(questions, "lc"):
        return []
    return [(questions.lc.item(index)[0] + 1, question.get("id") if isinstance(question, dict) else None)
            for index, question in enumerate(questions)]


def question_in(starts, line):
    """The id (as text) of the question whose YAML contains ``line``, from
    ``question_starts``; None for the quiz settings or no line."""
    if not line:
        return None
    current = None
    for first_line, question_id in starts:
        if first_line > line:
            break
        current = question_id
    return None if current is None else str(current)

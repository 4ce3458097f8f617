"""Reading quiz questions in Moodle's GIFT text format.

Supported, mapped to our question types:

- ``{=richtig ~falsch ~falsch}``: single_choice
- ``{~%50%a ~%50%b ~%-100%c}`` (weights): multiple_choice, positive weight = correct
- ``{T}`` / ``{TRUE}`` / ``{F}`` / ``{FALSE}``: true_false
- ``{=UB -> Unterbezirk =KV -> Kreisverband}``: matching
- ``{=Antwort =andere Schreibweise}``: short_text
- ``#feedback`` after an answer, ``####general feedback`` (our explanation),
  ``::title::`` (our question id), ``// comments``, ``[markdown]`` /
  ``[plain]`` / ``[moodle]`` / ``[html]`` format markers, ``\\`` escapes.

Not supported, reported with the line of the question: matching with
extra answers that have no pair, numeric (``{#…}``), essay (``{}``), missing-word questions
(text after the answer block), descriptions without answers, and
``$CATEGORY`` lines. Nothing is dropped silently.
"""
import re
from dataclasses import dataclass, field

from .source import SLUG

ESCAPABLE = "~=#{}:\\"
FORMAT_MARKER = re.compile(r"^\[(markdown|plain|moodle|html)\]\s*", re.IGNORECASE)
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")


@dataclass
class GiftIssue:
    line: int
    message: str

    def __str__(self):
        return f"Zeile {self.line}: {self.message}"


@dataclass
class GiftResult:
    questions: list = field(default_factory=list)  # dicts in the quiz YAML format
    issues: list = field(default_factory=list)


def _unescape(text):
    return re.sub(r"\\(.)", lambda m: m.group(1) if m.group(1) in ESCAPABLE else "\\" + m.group(1), text).strip()


def _split_unescaped(text, separators):
    """Split at unescaped separator characters, keeping each separator
    with the part it starts: '=a ~b' -> ['=a ', '~b']."""
    parts, current, index = [], "", 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current += text[index:index + 2]
            index += 2
            continue
        if char in separators and current.strip():
            parts.append(current)
            current = ""
        current += char
        index += 1
    if current.strip():
        parts.append(current)
    return parts


def _find_unescaped(text, char, start=0):
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == char:
            return index
        index += 1
    return -1


def _blocks(source):
    """Questions as (first line number, text), split at blank lines, without comments."""
    blocks, current, first = [], [], None
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if current:
                blocks.append((first, "\n".join(current)))
                current, first = [], None
            continue
        if first is None:
            first = number
        current.append(line)
    if current:
        blocks.append((first, "\n".join(current)))
    return blocks


def _text_and_feedback(part):
    """'Antwort#Rückmeldung' -> ('Antwort', 'Rückmeldung')."""
    cut = _find_unescaped(part, "#")
    if cut < 0:
        return _unescape(part), ""
    return _unescape(part[:cut]), _unescape(part[cut + 1:])


def parse_gift(source, existing_ids=()):
    """Parse GIFT text; return the questions we can import and an issue
    (with line) for everything we cannot."""
    result = GiftResult()
    used_ids = set(existing_ids)
    for line, block in _blocks(source):
        if block.lstrip().startswith("$CATEGORY"):
            result.issues.append(GiftIssue(line, "Kategorien ($CATEGORY) gibt es hier nicht; die Zeile wurde übersprungen."))
            continue
        question, problem = _parse_block(block)
        if problem:
            result.issues.append(GiftIssue(line, problem))
            continue
        question["id"] = _unique_id(question.pop("title", ""), len(result.questions) + 1, used_ids)
        result.questions.append(question)
    return result


def _unique_id(title, number, used):
    base = re.sub(r"[^a-z0-9]+", "-", title.lower().translate(UMLAUTS)).strip("-")[:40]
    base = base.strip("-") if base and SLUG.match(base.strip("-")) else f"gift-{number}"
    candidate, counter = base, 2
    while candidate in used:
        candidate, counter = f"{base}-{counter}", counter + 1
    used.add(candidate)
    return candidate


def _parse_block(block):
    text = block.strip()
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            return None, "Der Titel (::Titel::) wird nicht geschlossen."
        title, text = text[2:end].strip(), text[end + 2:].strip()
    open_at = _find_unescaped(text, "{")
    if open_at < 0:
        return None, "Eine Beschreibung ohne Antworten ist keine Frage; sie wurde nicht übernommen."
    close_at = _find_unescaped(text, "}", open_at)
    if close_at < 0:
        return None, "Der Antwortblock wird nicht mit } geschlossen."
    prompt = _unescape(FORMAT_MARKER.sub("", text[:open_at]))
    after = text[close_at + 1:].strip()
    answers = text[open_at + 1:close_at].strip()
    if after:
        return None, "Lückentext-Fragen (Text nach dem Antwortblock) werden nicht unterstützt."
    if not prompt:
        return None, "Die Frage hat keinen Text."
    explanation = ""
    general = answers.find("####")
    if general >= 0:
        explanation, answers = _unescape(answers[general + 4:]), answers[:general].strip()
    answers = FORMAT_MARKER.sub("", answers)
    question = {"title": title, "prompt": prompt}
    if explanation:
        question["explanation"] = explanation
    if not answers:
        return None, "Freitext-Fragen (Essay, {}) werden nicht unterstützt."
    if answers.startswith("#"):
        return None, "Numerische Fragen ({#…}) werden nicht unterstützt."
    true_false = re.match(r"^(T|TRUE|F|FALSE)\s*(#.*)?$", answers, re.DOTALL)
    if true_false:
        return _true_false(question, true_false), None
    parts = _split_unescaped(answers, "=~")
    if any(not p.strip().startswith(("=", "~")) for p in parts):
        return None, "Der Antwortblock ist unverständlich: jede Antwort beginnt mit = oder ~."
    if any("->" in p for p in parts):
        return _matching(question, parts)
    if all(p.strip().startswith("=") for p in parts) and not any(WEIGHT.match(p.strip()[1:].strip()) for p in parts):
        return _short_text(question, parts)
    return _choices(question, parts)


def _true_false(question, match):
    answer = match.group(1).startswith("T")
    question.update(type="true_false", answer=answer)
    feedback = [_unescape(f) for f in (match.group(2) or "").split("#")[1:]]
    # GIFT: the first feedback is for a wrong answer, the second for a right one.
    wrong, right = (feedback + ["", ""])[:2]
    question["feedback_true"], question["feedback_false"] = (right, wrong) if answer else (wrong, right)
    for key in ("feedback_true", "feedback_false"):
        if not question[key]:
            del question[key]
    return question


def _short_text(question, parts):
    """Only '=' answers: a short-answer question (all accepted spellings)."""
    accepted, feedback = [], []
    for part in parts:
        text, note = _text_and_feedback(part.strip()[1:])
        accepted.append(text)
        if note:
            feedback.append(note)
    question.update(type="short_text", accepted=accepted)
    if feedback:
        question["feedback_correct"] = feedback[0]
    return question, None


def _choices(question, parts):
    choices, weighted = [], False
    for part in parts:
        marker, body = part.strip()[0], part.strip()[1:].strip()
        weight = WEIGHT.match(body)
        if weight:
            weighted = True
            body = body[weight.end():]
            correct = float(weight.group(1)) > 0
        else:
            correct = marker == "="
        text, feedback = _text_and_feedback(body)
        if not text:
            return None, "Eine Antwort ist leer."
        choice = {"text": text, "correct": correct}
        if feedback:
            choice["feedback"] = feedback
        choices.append(choice)
    correct_count = sum(c["correct"] for c in choices)
    if correct_count == 0:
        return None, "Keine Antwort ist als richtig markiert (= oder positive %-Gewichtung)."
    if len(choices) < 2:
        return None, "Eine Auswahlfrage braucht mindestens zwei Antworten."
    question["type"] = "multiple_choice" if weighted or correct_count > 1 else "single_choice"
    question["choices"] = choices
    return question, None


def _matching(question, parts):
    """'=UB -> Unterbezirk =KV -> Kreisverband': a matching question. Moodle
    allows extra right-hand answers without a left side; we don't."""
    pairs = []
    for part in parts:
        body = part.strip()
        if not body.startswith("=") or "->" not in body:
            return None, "Zuordnungsfragen brauchen Paare der Form =links -> rechts; Zusatzantworten ohne Paar werden nicht unterstützt."
        left, _, right = body[1:].partition("->")
        left, right = _unescape(left), _unescape(right)
        if not left or not right:
            return None, "Zuordnungsfragen brauchen Paare der Form =links -> rechts; Zusatzantworten ohne Paar werden nicht unterstützt."
        pairs.append({"left": left, "right": right})
    if len(pairs) < 2:
        return None, "Eine Zuordnung braucht mindestens zwei Paare."
    question.update(type="matching", pairs=pairs)
    return question, None

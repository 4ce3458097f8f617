"""Reading quiz questions in Moodle's GIFT text format.

We read GIFT the way Moodle's own importer does
(``question/format/gift/format.php``): questions are separated by blank
lines, and the type is decided in Moodle's order: empty block (essay), ``#``
(numerical), any ``~`` (choice), ``=`` with ``->`` (matching), ``T``/``F``,
otherwise short answer. Our quizzes have no partial credit (a question is
right or wrong), so weights are mapped like this:

- ``{=richtig ~falsch ~falsch}``: single_choice; only the ``=`` answer is
  correct. ``~%50%halb`` next to an ``=`` answer (partial credit in Moodle)
  becomes a wrong choice, and a note with the line says so. Several full
  answers (``=a =b ~c``, or ``~%100%``: in Moodle each one alone is right)
  are reported, as is ``=%50%…`` (Moodle reads that weight as answer text).
- ``{~%50%a ~%50%b ~%-50%c}``: no ``=`` answer, so Moodle shows check
  boxes: multiple_choice, exactly the positively weighted choices are
  correct. Their weights must add up to 100 %, otherwise it is reported.
- ``{=Antwort =andere Schreibweise}``: short_text; the 100 % answers (``=``
  without weight or ``=%100%``) are ``accepted``. Answers with less
  (``=%75%Nazereth``, ``=%0%Bethlehem``) are not accepted and are named in a
  note with the line: accepting a 75 % misspelling would grade it fully
  right, dropping it silently would hide it, so the trainer decides. The note
  says when our grading accepts such a spelling anyway (case, punctuation at
  the edges, umlaut spellings and gender marks do not matter there).
- ``{T}`` / ``{TRUE}`` / ``{F}`` / ``{FALSE}``: true_false; ``{F#a#b}``: the
  first feedback is for a wrong answer, the second for a right one.
- ``{=UB -> Unterbezirk =KV->Kreisverband}``: matching.
- Missing word: when text follows the answer block (``Die Jusos sind die
  {=Jugendorganisation ~Seniorenorganisation} der SPD.``), the prompt gets
  ``_____`` where the block was. Moodle does this for every type, so we do
  too; for true/false a note points it out (often an accident).
- ``#feedback`` after an answer, ``####general feedback`` (our explanation),
  ``::title::`` (our question id), ``// comments``, ``[markdown]`` /
  ``[plain]`` / ``[moodle]`` / ``[html]`` format markers, the escapes
  ``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` (a line break). Line breaks inside
  an answer or its feedback are only layout and become spaces.

Not imported, reported with the line of the question and the reason:
numerical questions (``{#…}``; we have no numeric type, whatever follows the
block), essays (``{}``), descriptions (no answer block), ``$CATEGORY`` lines,
matching with extra answers without a left side, more than one answer block,
malformed weights (``~%abc%a``, ``~%150%a``) and the weight cases above.
Nothing is dropped silently: ``GiftResult.issues`` lists what was not
imported, ``GiftResult.notes`` what was imported but is graded differently.
"""
import re
from dataclasses import dataclass, field

from ..question_types import normalize_text_answer
from .source import SLUG

ESCAPES = {"~": "~", "=": "=", "#": "#", "{": "{", "}": "}", ":": ":", "\\": "\\", "n": "\n"}
FORMAT_MARKER = re.compile(r"^\[(markdown|plain|moodle|html)\]\s*", re.IGNORECASE)
GAP = "_____"
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
TRUE_FALSE = re.compile(r"^(T|TRUE|F|FALSE)\s*(#.*)?$", re.DOTALL)
TRUE_FALSE_GAP = ("Nach {T}/{F} steht noch Text: wie in Moodle steht dort, wo der Antwortblock war, eine Lücke "
                  "„_____“ in der Aussage. Ist keine Lücke gemeint, setze {T} oder {F} ans Ende.")
PAIR_FORMAT = "Zuordnungsfragen brauchen Paare der Form =links -> rechts; Zusatzantworten ohne Paar werden nicht unterstützt."


@dataclass
class GiftIssue:
    line: int
    message: str

    def __str__(self):
        return f"Zeile {self.line}: {self.message}"


@dataclass
class GiftResult:
    questions: list = field(default_factory=list)  # dicts in the quiz YAML format
    issues: list = field(default_factory=list)  # questions not imported, with the reason
    notes: list = field(default_factory=list)  # imported questions that differ from Moodle's


class NotImported(Exception):
    """The question cannot be imported; the message says why (German)."""


@dataclass(eq=False)
class Answer:
    marker: str  # "=" or "~"
    weight: float | None  # the %…% weight, None when there is none
    text: str
    feedback: str

    @property
    def percent(self):
        """The weight as written, else 100 for '=' and 0 for '~'."""
        if self.weight is not None:
            return self.weight
        return 100.0 if self.marker == "=" else 0.0


# --- text ------------------------------------------------------------------------------


def _unescape(text):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text).strip()


def _block_text(raw):
    """Prompt or explanation: may span lines (Markdown)."""
    return _unescape(FORMAT_MARKER.sub("", raw.strip()))


def _inline_text(raw):
    """Answer or feedback: line breaks in the GIFT layout become spaces."""
    return _unescape(FORMAT_MARKER.sub("", re.sub(r"\s*\n\s*", " ", raw.strip())))


def _find_unescaped(text, token, start=0):
    index = start
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text.startswith(token, index):
            return index
        index += 1
    return -1


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


def _text_and_feedback(body):
    """'Antwort#Rückmeldung' -> ('Antwort', 'Rückmeldung')."""
    cut = _find_unescaped(body, "#")
    if cut < 0:
        return _inline_text(body), ""
    return _inline_text(body[:cut]), _inline_text(body[cut + 1:])


def _quoted(answers):
    """'„Nazereth“ (75 %) zählt' or '„a“ (50 %), „b“ (25 %) zählen'."""
    listed = ", ".join(f"„{a.text}“ ({a.percent:g} %)" for a in answers)
    return listed + (" zählt" if len(answers) == 1 else " zählen")


# --- blocks ----------------------------------------------------------------------------


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


MAX_GIFT_BYTES = 1_000_000


class GiftFileError(ValueError):
    """An uploaded GIFT file that cannot be read (German message)."""


def read_gift_file(handle):
    """The text of an uploaded GIFT file (``handle``: a file object), read
    up to MAX_GIFT_BYTES; GiftFileError when it is bigger or not UTF-8."""
    data = handle.read(MAX_GIFT_BYTES + 1)
    if len(data) > MAX_GIFT_BYTES:
        raise GiftFileError(f"Die Datei ist größer als {MAX_GIFT_BYTES // 1_000_000} MB. Teile sie auf.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GiftFileError("Die Datei ist nicht UTF-8-kodiert. Speichere sie als UTF-8 und versuche es noch einmal.") from None


def parse_gift(source, existing_ids=()):
    """Parse GIFT text; return the questions we can import, an issue (with
    line) for everything we cannot, and a note for what we changed."""
    result = GiftResult()
    used_ids = set(existing_ids)
    for line, block in _blocks(source):
        if block.lstrip().startswith("$CATEGORY"):
            result.issues.append(GiftIssue(line, "Kategorien ($CATEGORY) gibt es hier nicht; die Zeile wurde übersprungen."))
            continue
        try:
            question, notes = _parse_block(block)
        except NotImported as problem:
            result.issues.append(GiftIssue(line, str(problem)))
            continue
        question["id"] = _unique_id(question.pop("title"), len(result.questions) + 1, used_ids)
        result.questions.append(question)
        result.notes.extend(GiftIssue(line, note) for note in notes)
    return result


def _unique_id(title, number, used):
    base = re.sub(r"[^a-z0-9]+", "-", title.lower().translate(UMLAUTS)).strip("-")[:40].strip("-")
    base = base if base and SLUG.match(base) else f"gift-{number}"
    candidate, counter = base, 2
    while candidate in used:
        candidate, counter = f"{base}-{counter}", counter + 1
    used.add(candidate)
    return candidate


def _split_title(text):
    """'::Titel::Frage {…}' -> ('Titel', 'Frage {…}')."""
    if not text.startswith("::"):
        return "", text
    end = _find_unescaped(text, "::", 2)
    if end < 0:
        raise NotImported("Der Titel (::Titel::) wird nicht geschlossen.")
    return _unescape(text[2:end]), text[end + 2:].strip()


def _split_answer_block(text):
    """'Vor {Antworten} nach' -> ('Vor ', 'Antworten', ' nach')."""
    open_at = _find_unescaped(text, "{")
    if open_at < 0 and _find_unescaped(text, "}") < 0:
        raise NotImported("Eine Beschreibung ohne Antworten ist keine Frage; sie wurde nicht übernommen.")
    if open_at < 0:
        raise NotImported("Der Antwortblock beginnt nicht mit {. Eine Klammer im Text schreibe als \\}.")
    if _find_unescaped(text[:open_at], "}") >= 0:
        raise NotImported("Eine Klammer } steht vor dem Antwortblock. Schreibe eine Klammer im Text als \\}.")
    close_at = _find_unescaped(text, "}", open_at)
    if close_at < 0:
        raise NotImported("Der Antwortblock wird nicht mit } geschlossen.")
    before, answers, after = text[:open_at], text[open_at + 1:close_at], text[close_at + 1:]
    if _find_unescaped(after, "{") >= 0 or _find_unescaped(after, "}") >= 0:
        raise NotImported("Mehr als ein Antwortblock: Fragen mit mehreren Lücken gibt es hier nicht. "
                          "Eine Klammer im Text schreibe als \\{ oder \\}.")
    return before, answers, after


def _prompt(before, after):
    """Moodle's rule: text after the answer block makes a missing-word
    question, with a gap where the block was."""
    if after.strip():
        return _block_text(before + GAP + after)
    return _block_text(before)


def _split_explanation(answers):
    """'~a ~b ####Erklärung' -> ('~a ~b', 'Erklärung'): Moodle takes the last ####."""
    general = answers.rfind("####")
    if general < 0:
        return answers.strip(), ""
    return answers[:general].strip(), _block_text(answers[general + 4:])


def _parse_block(block):
    """One question block -> (question dict, notes); raises NotImported."""
    title, text = _split_title(block.strip())
    before, answers, after = _split_answer_block(text)
    answers, explanation = _split_explanation(answers)
    answers = FORMAT_MARKER.sub("", answers)
    question = {"title": title, "prompt": _prompt(before, after)}
    if explanation:
        question["explanation"] = explanation
    if not answers:
        raise NotImported("Freitext-Fragen (Essay, {}) werden nicht unterstützt.")
    if answers.startswith("#"):
        raise NotImported("Numerische Fragen ({#…}) werden nicht unterstützt, weil es keinen Zahlen-Fragetyp gibt. "
                          "Schreibe sie als Kurzantwort ({=1863}) oder als Auswahlfrage um.")
    if not question["prompt"]:
        raise NotImported("Die Frage hat keinen Text.")
    if _find_unescaped(answers, "~") >= 0:
        return _choices(question, _read_answers(answers))
    if _find_unescaped(answers, "=") >= 0 and "->" in answers:
        return _matching(question, _split_unescaped(answers, "="))
    true_false = TRUE_FALSE.match(answers)
    if true_false:
        notes = [TRUE_FALSE_GAP] if after.strip() else []
        return _true_false(question, true_false.group(1), true_false.group(2) or ""), notes
    return _short_text(question, _read_answers(answers))


# --- answers ---------------------------------------------------------------------------


def _read_answers(answers):
    """'=a#gut ~%50%b' -> Answers; raises NotImported for a malformed weight."""
    parsed = []
    for part in _split_unescaped(answers, "=~"):
        part = part.strip()
        if part[0] not in "=~":
            raise NotImported("Der Antwortblock ist unverständlich: jede Antwort beginnt mit = oder ~.")
        parsed.append(_read_answer(part))
    return parsed


def _read_answer(part):
    marker, body = part[0], part[1:].strip()
    weight = None
    if body.startswith("%"):
        weight = _read_weight(body, part)
        body = WEIGHT.sub("", body, count=1)
    text, feedback = _text_and_feedback(body)
    return Answer(marker, weight, text, feedback)


def _read_weight(body, part):
    match = WEIGHT.match(body)
    if not match or not -100 <= float(match.group(1)) <= 100:
        shown = part if len(part) <= 40 else part[:40] + "…"
        raise NotImported(f"Die Gewichtung in „{shown}“ ist unlesbar. Schreibe eine Zahl von -100 bis 100 "
                          "zwischen zwei %, z. B. ~%50%Antwort.")
    return float(match.group(1))


# --- question types --------------------------------------------------------------------


def _true_false(question, letter, feedback):
    answer = letter.startswith("T")
    question.update(type="true_false", answer=answer)
    # Moodle: the first feedback is for a wrong answer, the second for a right one.
    wrong, right = _text_and_feedback(feedback[1:])  # '#falsch#richtig'; a third # belongs to the second
    question["feedback_true"], question["feedback_false"] = (right, wrong) if answer else (wrong, right)
    for key in ("feedback_true", "feedback_false"):
        if not question[key]:
            del question[key]
    return question


def _short_text(question, answers):
    """Only '=' answers: the 100 % ones are accepted; the others are named in a note."""
    accepted = [a for a in answers if a.percent == 100]
    if not accepted:
        raise NotImported("Keine Antwort zählt voll (100 %). Gib mindestens eine Antwort mit = ohne Gewichtung an.")
    if any(not a.text for a in answers):
        raise NotImported("Eine Antwort ist leer.")
    question.update(type="short_text", accepted=[a.text for a in accepted])
    feedback = next((a.feedback for a in accepted if a.feedback), "")
    if feedback:
        question["feedback_correct"] = feedback
    others = [a for a in answers if a not in accepted]
    return question, _short_text_notes(accepted, others)


def _short_text_notes(accepted, others):
    if not others:
        return []
    spellings = {normalize_text_answer(a.text) for a in accepted}
    covered = [a for a in others if normalize_text_answer(a.text) in spellings]
    dropped = [a for a in others if a not in covered]
    notes = []
    if dropped:
        notes.append(f"Nur Antworten mit 100 % gelten als richtig: {_quoted(dropped)} hier als falsch. "
                     "Trage Schreibweisen, die gelten sollen, bei den akzeptierten Antworten ein.")
    if covered:
        notes.append(f"{_quoted(covered)} hier trotzdem als richtig: Groß- und Kleinschreibung, "
                     "Satzzeichen am Rand, Umlaut-Schreibweisen und Genderzeichen spielen keine Rolle.")
    return notes


def _choices(question, answers):
    """'=' answers make a single choice (radio buttons in Moodle), weights
    without '=' a multiple choice (check boxes)."""
    weighted_full = next((a for a in answers if a.marker == "=" and a.weight is not None), None)
    if weighted_full:
        written = f"%{weighted_full.weight:g}%{weighted_full.text}"
        raise NotImported(f"„={written}“: in Auswahlfragen steht eine Gewichtung nach ~ (~{written}); "
                          "nach = würde Moodle sie als Teil des Antworttexts lesen.")
    if any(not a.text for a in answers):
        raise NotImported("Eine Antwort ist leer.")
    if len(answers) < 2:
        raise NotImported("Eine Auswahlfrage braucht mindestens zwei Antworten.")
    texts = [a.text for a in answers]
    if len(set(texts)) != len(texts):
        raise NotImported("Zwei Antworten haben denselben Text.")
    if any(a.marker == "=" for a in answers):
        return _single_choice(question, answers)
    return _multiple_choice(question, answers)


def _choice(answer, correct):
    choice = {"text": answer.text, "correct": correct}
    if answer.feedback:
        choice["feedback"] = answer.feedback
    return choice


def _single_choice(question, answers):
    full = [a for a in answers if a.percent == 100]
    if len(full) > 1:
        raise NotImported("Mehrere Antworten zählen voll (= oder ~%100%), jede für sich. Hier hat eine "
                          "Single-Choice-Frage genau eine richtige Antwort: lass eine stehen, oder gewichte "
                          "die richtigen mit ~%50% (dann müssen alle gewählt werden).")
    question.update(type="single_choice", choices=[_choice(a, a in full) for a in answers])
    partial = [a for a in answers if 0 < a.percent < 100]
    if not partial:
        return question, []
    return question, [f"Teilpunkte gibt es hier nicht: {_quoted(partial)} hier als falsch; "
                      f"richtig ist nur „{full[0].text}“."]


def _multiple_choice(question, answers):
    positive = [a for a in answers if a.percent > 0]
    if not positive:
        raise NotImported("Keine Antwort ist als richtig markiert (= oder positive %-Gewichtung).")
    total = sum(a.percent for a in positive)
    if abs(total - 100) > 0.01:
        raise NotImported(f"Die positiven Gewichtungen ergeben zusammen {total:g} %, nicht 100 %. "
                          "Gewichte die richtigen Antworten so, dass sie 100 % ergeben (z. B. zweimal ~%50%).")
    question.update(type="multiple_choice", choices=[_choice(a, a in positive) for a in answers])
    return question, []


def _matching(question, parts):
    """'=UB -> Unterbezirk =KV -> Kreisverband': a matching question. Moodle
    allows extra right-hand answers without a left side; we don't."""
    pairs = []
    for part in parts:
        body = part.strip()
        if not body.startswith("=") or "->" not in body:
            raise NotImported(PAIR_FORMAT)
        left, _, right = body[1:].partition("->")
        left, right = _inline_text(left), _inline_text(right)
        if not left or not right:
            raise NotImported(PAIR_FORMAT)
        pairs.append({"left": left, "right": right})
    if len(pairs) < 2:
        raise NotImported("Eine Zuordnung braucht mindestens zwei Paare.")
    for side in ("left", "right"):
        texts = [pair[side] for pair in pairs]
        if len(set(texts)) != len(texts):
            raise NotImported("Zwei Paare haben auf einer Seite denselben Text: die Zuordnung wäre nicht eindeutig.")
    question.update(type="matching", pairs=pairs)
    return question, []

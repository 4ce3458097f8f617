"""Quiz quality: can a quiz be passed without knowing the subject?

A certificate says that an officer can do the job, so a quiz must not give
its answers away. This module looks for the cues test-wise guessers use and
reports them as *Hinweise* (hints): they never stop a load or a save, but
``flask lms load-content --check`` and the quiz editor show them, with a
summary per quiz.

The cues:

- the correct single-choice option is clearly the longest (more than
  ``LENGTH_CUE_FACTOR`` times the mean length of the wrong ones);
- across the course, the share of true statements in true/false questions
  lies outside ``TRUE_SHARE_RANGE``;
- a prompt or an option nearly repeats one of another quiz (the same
  scenario asked twice);
- absolute words ("immer", "nie", "alle", "automatisch") appear only in
  wrong options, or in a false statement;
- the pool holds fewer than twice the questions an attempt shows, so a
  retry is nearly a replay.
"""
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .source import ContentError

LENGTH_CUE_FACTOR = 1.3
TRUE_SHARE_RANGE = (0.35, 0.65)
# Texts shorter than this many words ("Wahr", "Ja, immer") repeat harmlessly.
MIN_WORDS_FOR_REPEATS = 4
# Share of shared word pairs (Jaccard over word bigrams) above which two texts
# count as nearly the same: one changed word in ten still counts.
REPEAT_SIMILARITY = 0.6
ABSOLUTE_WORDS = re.compile(r"\b(immer|nie|niemals|alle|allen|aller|alles|automatisch|ausnahmslos)\b",
                            re.IGNORECASE)
_GENDER_MARK = re.compile(r"(?<=\w)[*:_/](?=\w)")
_NON_WORD = re.compile(r"[^\w]+")


@dataclass
class QuizQuality:
    """The figures of one quiz and the hints about it."""

    slug: str
    title: str
    path: str
    pool: int
    per_attempt: int  # what one attempt shows (the pool when not set)
    single_choice: int = 0
    longest_correct: int = 0  # single-choice questions whose correct option is the longest
    length_cues: int = 0  # ... and clearly so (the hint's threshold)
    true_false: int = 0
    true_statements: int = 0
    hints: list = field(default_factory=list)

    @property
    def longest_correct_share(self):
        return self.longest_correct / self.single_choice if self.single_choice else 0.0

    @property
    def true_share(self):
        return self.true_statements / self.true_false if self.true_false else None


@dataclass
class CourseQuality:
    quizzes: list
    hints: list  # about the course as a whole (the true/false balance)
    true_false: int = 0
    true_statements: int = 0

    @property
    def true_share(self):
        return self.true_statements / self.true_false if self.true_false else None

    def all_hints(self):
        return self.hints + [hint for quiz in self.quizzes for hint in quiz.hints]


def normalized_words(text):
    """Lower-case words without punctuation, umlaut spellings or gender marks."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = _GENDER_MARK.sub("", text)
    return [word for word in _NON_WORD.split(text) if word]


def assess_course(quizzes):
    """CourseQuality for the QuizSources of one course (see ``loader``)."""
    results = [_assess_quiz(quiz) for quiz in quizzes]
    _find_repeats(quizzes, results)
    course = CourseQuality(results, [], sum(q.true_false for q in results), sum(q.true_statements for q in results))
    share = course.true_share
    if share is not None and not TRUE_SHARE_RANGE[0] <= share <= TRUE_SHARE_RANGE[1] and quizzes:
        where = quizzes[0].path.rsplit("/", 1)[0]
        course.hints.append(ContentError(where, None, (
            f"Wahr/Falsch im ganzen Kurs: {course.true_statements} von {course.true_false} Aussagen sind wahr "
            f"({share:.0%}). Wer immer „Falsch“ (oder „Wahr“) wählt, liegt zu oft richtig; gut ist ein Anteil "
            f"zwischen {TRUE_SHARE_RANGE[0]:.0%} und {TRUE_SHARE_RANGE[1]:.0%}.").replace("%", " %")))
    return course


def _assess_quiz(quiz):
    per_attempt = quiz.questions_per_attempt or len(quiz.questions)
    result = QuizQuality(quiz.slug, quiz.title, quiz.path, len(quiz.questions), per_attempt)
    lines = quiz.question_lines or [None] * len(quiz.questions)
    for question, line in zip(quiz.questions, lines):
        def hint(message, line=line, question=question):
            result.hints.append(ContentError(quiz.path, line, f"Frage '{question['id']}': {message}"))

        if question["type"] == "single_choice":
            _length_cue(question, result, hint)
        if question["type"] in ("single_choice", "multiple_choice"):
            _absolute_words_in_choices(question, hint)
        if question["type"] == "true_false":
            result.true_false += 1
            result.true_statements += question["answer"] is True
            words = ABSOLUTE_WORDS.findall(question["prompt"])
            if words and question["answer"] is False:
                hint(f"Die falsche Aussage enthält „{words[0]}“. Absolute Wörter verraten falsche Aussagen; "
                     "formuliere sie ohne oder schreibe auch wahre Aussagen so.")
    if result.pool < 2 * per_attempt:
        if quiz.questions_per_attempt:
            message = (f"Der Pool hat {result.pool} Fragen, ein Versuch zeigt {per_attempt}. Damit ein neuer Versuch "
                       f"keine Wiederholung ist, braucht der Pool mindestens {2 * per_attempt} Fragen.")
        else:
            message = (f"Jeder Versuch zeigt alle {result.pool} Fragen, ein neuer Versuch ist also eine Wiederholung. "
                       "Setze 'questions_per_attempt' und lege mindestens doppelt so viele Fragen an.")
        result.hints.append(ContentError(quiz.path, None, message))
    return result


def _length_cue(question, result, hint):
    correct = [len(c["text"]) for c in question["choices"] if c["correct"]]
    wrong = [len(c["text"]) for c in question["choices"] if not c["correct"]]
    if len(correct) != 1 or not wrong:
        return
    result.single_choice += 1
    if correct[0] > max(wrong):
        result.longest_correct += 1
    mean_wrong = sum(wrong) / len(wrong)
    if correct[0] > LENGTH_CUE_FACTOR * mean_wrong:
        result.length_cues += 1
        hint(f"Die richtige Antwort ist mit {correct[0]} Zeichen deutlich länger als die falschen "
             f"(im Schnitt {mean_wrong:.0f}). Wer rät, nimmt die längste: gleiche die Längen an.")


def _absolute_words_in_choices(question, hint):
    in_correct = [w for c in question["choices"] if c["correct"] for w in ABSOLUTE_WORDS.findall(c["text"])]
    in_wrong = [w for c in question["choices"] if not c["correct"] for w in ABSOLUTE_WORDS.findall(c["text"])]
    if in_wrong and not in_correct:
        words = ", ".join(sorted({w.lower() for w in in_wrong}))
        hint(f"Absolute Wörter ({words}) stehen nur in falschen Antworten und verraten sie.")


def _texts_of(question):
    """(kind, text) pairs compared across quizzes: the prompt and every option."""
    yield "prompt", question["prompt"]
    for choice in question.get("choices", []):
        if question["type"] != "true_false":
            yield "option", choice["text"]
    for item in question.get("items", []):
        yield "option", item["text"]


def _bigrams(words):
    return {(a, b) for a, b in zip(words, words[1:])} or {tuple(words)}


def _find_repeats(quizzes, results):
    """Hints for prompts and options that nearly repeat one of another quiz.

    Texts are compared as sets of word bigrams (Jaccard similarity), found
    through an index of bigrams, so the work grows with the number of
    similar pairs, not with all pairs."""
    entries = []  # (quiz index, question id, kind, bigrams)
    for quiz_index, quiz in enumerate(quizzes):
        for question in quiz.questions:
            for kind, text in _texts_of(question):
                words = normalized_words(text)
                if len(words) >= MIN_WORDS_FOR_REPEATS:
                    entries.append((quiz_index, question["id"], kind, _bigrams(words)))
    index = defaultdict(list)
    for number, (_, _, kind, grams) in enumerate(entries):
        for gram in grams:
            index[(kind, gram)].append(number)
    reported = set()
    for number, (quiz_index, question_id, kind, grams) in enumerate(entries):
        shared = Counter(other for gram in grams for other in index[(kind, gram)] if other > number)
        for other, count in shared.items():
            other_quiz, other_id, _, other_grams = entries[other]
            if other_quiz == quiz_index:
                continue
            if count / (len(grams) + len(other_grams) - count) < REPEAT_SIMILARITY:
                continue
            key = (quiz_index, question_id, other_quiz, other_id, kind)
            if key in reported:
                continue
            reported.add(key)
            what = "Die Frage" if kind == "prompt" else "Eine Antwort"
            for here, here_id, there, there_id in ((quiz_index, question_id, other_quiz, other_id),
                                                   (other_quiz, other_id, quiz_index, question_id)):
                target = quizzes[there]
                results[here].hints.append(ContentError(
                    quizzes[here].path, _question_line(quizzes[here], here_id),
                    f"Frage '{here_id}': {what} wiederholt fast wörtlich Frage '{there_id}' im Quiz "
                    f"„{target.title}“ ({target.slug}). Frag jede Situation nur in einem Quiz."))


def _question_line(quiz, question_id):
    for question, line in zip(quiz.questions, quiz.question_lines or []):
        if question["id"] == question_id:
            return line
    return None


def summary_lines(course_quality):
    """A table of the figures per quiz, for the command line."""
    rows = [("Quiz", "Pool", "je Versuch", "richtige Antwort am längsten", "wahre Aussagen", "Hinweise")]
    for quiz in course_quality.quizzes:
        rows.append((quiz.slug, str(quiz.pool), str(quiz.per_attempt),
                     f"{quiz.longest_correct} von {quiz.single_choice}" if quiz.single_choice else "–",
                     f"{quiz.true_statements} von {quiz.true_false}" if quiz.true_false else "–",
                     str(len(quiz.hints))))
    total = course_quality
    rows.append(("Kurs", "", "", "", f"{total.true_statements} von {total.true_false}" if total.true_false else "–",
                 str(len(total.all_hints()))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]

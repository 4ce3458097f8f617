"""Item statistics for trainers: which quiz questions work, which don't.

Per question, over all submitted attempts of a quiz:

- how often it was drawn (attempts show ``questions_per_attempt`` questions
  of the pool, so not every attempt shows every question),
- how often it was answered and the share answered correctly (difficulty),
- for choice questions, how often each answer was picked,
- a discrimination index: the share correct among attempts that passed the
  quiz minus the share correct among attempts that failed it. Near 0 or
  negative means the question does not separate those who know the
  material from those who don't (ambiguous wording, wrong key, trivia).

Anonymous by construction: only attempts' answers are read, never who gave
them. Choices are identified by the snapshot stored on each attempt, so the
figures stay right when a trainer later edits or reorders the answers.
"""
from collections import Counter
from dataclasses import dataclass, field

from .models import AttemptAnswer, QuizAttempt

LOW_DISCRIMINATION = 0.2
TOO_EASY = 0.95
TOO_HARD = 0.3


@dataclass
class ChoiceCount:
    label_html: str
    correct: bool
    picked: int


@dataclass
class ItemStatistics:
    question_id: str
    prompt_html: str
    type: str
    drawn: int = 0  # submitted attempts that showed it
    answered: int = 0
    correct: int = 0
    correct_passed: int = 0
    answered_passed: int = 0
    correct_failed: int = 0
    answered_failed: int = 0
    choices: list = field(default_factory=list)

    @property
    def correct_share(self):
        return self.correct / self.answered if self.answered else None

    @property
    def discrimination(self):
        if not self.answered_passed or not self.answered_failed:
            return None  # needs attempts that passed and attempts that failed
        return self.correct_passed / self.answered_passed - self.correct_failed / self.answered_failed

    @property
    def hints(self):
        hints = []
        share, index = self.correct_share, self.discrimination
        if share is not None and share >= TOO_EASY:
            hints.append("sehr leicht")
        if share is not None and share <= TOO_HARD:
            hints.append("sehr schwer")
        if index is not None and index < LOW_DISCRIMINATION:
            hints.append("trennt schlecht: Formulierung und Lösung prüfen")
        return hints


@dataclass
class QuizStatistics:
    attempts: int
    passed: int
    items: list


def quiz_statistics(quiz):
    """Statistics over all submitted attempts of ``quiz``; two queries."""
    attempts = {a.id: a for a in QuizAttempt.select(QuizAttempt.id, QuizAttempt.passed, QuizAttempt.questions)
                .where((QuizAttempt.quiz == quiz) & QuizAttempt.submitted_at.is_null(False)
                       & QuizAttempt.attendance.is_null())}
    answers = (AttemptAnswer.select(AttemptAnswer.attempt, AttemptAnswer.question_key, AttemptAnswer.is_correct,
                                    AttemptAnswer.response)
               .where(AttemptAnswer.attempt.in_(list(attempts)) if attempts else AttemptAnswer.id < 0))
    items = {}
    order = [q["id"] for q in quiz.questions]
    for question in quiz.questions:
        items[question["id"]] = ItemStatistics(question["id"], question["prompt_html"], question["type"])
    for attempt in attempts.values():
        for shown in attempt.questions:
            if shown["id"] not in items:  # a question removed since: still worth showing
                items[shown["id"]] = ItemStatistics(shown["id"], shown.get("prompt_html", ""), shown["type"])
                order.append(shown["id"])
            items[shown["id"]].drawn += 1
    picks = {}  # question id -> Counter of (label html, correct)
    presented_by_attempt = {}
    for answer in answers:
        attempt = attempts[answer.attempt_id]
        presented = presented_by_attempt.get(attempt.id)
        if presented is None:
            presented = presented_by_attempt[attempt.id] = {q["id"]: q for q in attempt.questions}
        question = presented.get(answer.question_key)
        item = items.get(answer.question_key)
        if item is None:  # answered but missing from the snapshot: kept, never lost
            item = items[answer.question_key] = ItemStatistics(answer.question_key, "", "")
            order.append(answer.question_key)
        item.answered += 1
        item.correct += answer.is_correct
        if attempt.passed:
            item.answered_passed += 1
            item.correct_passed += answer.is_correct
        else:
            item.answered_failed += 1
            item.correct_failed += answer.is_correct
        if question and "choices" in question:
            counter = picks.setdefault(answer.question_key, Counter())
            chosen = answer.response if isinstance(answer.response, list) else [answer.response]
            for choice in question["choices"]:
                counter[(choice["html"], choice["correct"])] += 0
                if choice["key"] in chosen:
                    counter[(choice["html"], choice["correct"])] += 1
    for question_id, counter in picks.items():
        items[question_id].choices = [ChoiceCount(label, correct, count)
                                      for (label, correct), count in sorted(counter.items(), key=lambda kv: -kv[1])]
    passed = sum(1 for a in attempts.values() if a.passed)
    return QuizStatistics(attempts=len(attempts), passed=passed, items=[items[i] for i in order])

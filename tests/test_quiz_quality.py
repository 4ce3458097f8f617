"""The quiz-quality check: hints for trainers where a quiz can be passed
without knowing the subject. Each hint on a small constructed quiz."""
import re
from types import SimpleNamespace

from lms.content.quiz_quality import assess_course, summary_lines

from .helpers import gen_question


def quiz(slug, questions, per_attempt=0):
    return SimpleNamespace(slug=slug, title=f"Quiz {slug}", path=f"quizzes/demo/{slug}.yaml", questions=questions,
                           questions_per_attempt=per_attempt, question_lines=[10 * (n + 1) for n in range(len(questions))])


def single(question_id, correct, *wrong, **fields):
    choices = [{"text": correct, "correct": True, "feedback": "Ja."}] + [{"text": w, "feedback": "Nein."} for w in wrong]
    return gen_question(question_id, "single_choice", choices=choices, **fields)


def big_pool(slug, extra=()):
    """A pool of 16 harmless questions, 8 per attempt, and ``extra`` ones."""
    filler = [gen_question(f"{slug}-fill-{n}", "true_false", answer=n % 2 == 0,
                           prompt=f"Aussage {slug} Nummer {n} über etwas ganz Eigenes {n * 7}") for n in range(16)]
    return quiz(slug, filler + list(extra), per_attempt=8)


def messages(course_quality):
    return [hint.message for hint in course_quality.all_hints()]


def test_a_clean_quiz_has_no_hints():
    assert messages(assess_course([big_pool("a")])) == []


def test_the_correct_option_clearly_the_longest_is_a_length_cue():
    cue = single("lang", "Ich rufe an, frage nach, höre lange zu und lade zu einem konkreten Treffen ein.",
                 "Ich warte ab.", "Ich schreibe eine Mail.")
    even = single("gleich", "Ich rufe sie an und frage nach.", "Ich schreibe ihr eine kurze Mail.",
                  "Ich warte bis zum nächsten Treffen.")
    result = assess_course([big_pool("a", [cue, even])])
    [hint] = result.quizzes[0].hints
    assert hint.message.startswith("Frage 'lang': Die richtige Antwort ist mit 79 Zeichen deutlich länger")
    assert hint.line == 170  # the question's line
    assert (result.quizzes[0].single_choice, result.quizzes[0].longest_correct, result.quizzes[0].length_cues) == (2, 1, 1)


def test_true_false_answers_outside_35_to_65_percent_true_across_the_course():
    mostly_false = [gen_question(f"f{n}", "true_false", answer=n < 2, prompt=f"Satz {n} für sich") for n in range(10)]
    result = assess_course([quiz("a", mostly_false[:5], 2), quiz("b", mostly_false[5:], 2)])
    assert any(m.startswith("Wahr/Falsch im ganzen Kurs: 2 von 10 Aussagen sind wahr (20 %)") for m in messages(result))
    balanced = [gen_question(f"t{n}", "true_false", answer=n % 2 == 0, prompt=f"Satz {n} für sich") for n in range(10)]
    assert not any("Wahr/Falsch" in m for m in messages(assess_course([quiz("a", balanced)])))


def test_a_prompt_or_option_nearly_repeating_one_of_another_quiz():
    first = single("einmal", "Ich rufe an und frage, wie es war.", "Ich warte ab.",
                   prompt="Ein neues Mitglied war einmal bei einem Treffen und kam dann nicht wieder. Was tust du?")
    again = single("nochmal", "Ich melde mich persönlich.", "Ich lasse es.",
                   prompt="Ein neues Mitglied war einmal bei einem Treffen und kam dann nie wieder. Was tust du?")
    option_a = single("opt-a", "Ich lade sie persönlich zum nächsten Treffen der Jusos ein.", "Nichts.",
                      prompt="Ganz andere Lage im Unterbezirk A?")
    option_b = single("opt-b", "Ich lade sie persönlich zum nächsten Treffen der Jusos ein!", "Gar nichts.",
                      prompt="Eine völlig neue Situation im Kreisverband B?")
    result = assess_course([big_pool("a", [first, option_a]), big_pool("b", [again, option_b])])
    found = messages(result)
    assert "Frage 'einmal': Die Frage wiederholt fast wörtlich Frage 'nochmal' im Quiz „Quiz b“ (b). " \
           "Frag jede Situation nur in einem Quiz." in found
    assert any(m.startswith("Frage 'nochmal': Die Frage wiederholt fast wörtlich Frage 'einmal'") for m in found)
    assert any(m.startswith("Frage 'opt-a': Eine Antwort wiederholt fast wörtlich Frage 'opt-b'") for m in found)
    # Within one quiz, and for short texts, nothing is reported.
    assert not [m for m in messages(assess_course([big_pool("a", [first, again])])) if "wiederholt" in m]


def test_absolute_words_only_in_wrong_options_or_in_a_false_statement():
    giveaway = single("absolut", "Ich kläre das mit dem Vorstand.", "Das machen immer alle so.",
                      "Ich lasse es einfach.")
    fair = single("fair", "Immer vorher nachfragen.", "Nie vorher nachfragen.")
    false_statement = gen_question("aussage", "true_false", answer=False,
                                   prompt="Neue Mitglieder bekommen automatisch eine Einladung.")
    true_statement = gen_question("wahr", "true_false", answer=True, prompt="Alle dürfen Anträge stellen.")
    found = messages(assess_course([big_pool("a", [giveaway, fair, false_statement, true_statement])]))
    assert "Frage 'absolut': Absolute Wörter (alle, immer) stehen nur in falschen Antworten und verraten sie." in found
    assert any(m.startswith("Frage 'aussage': Die falsche Aussage enthält „automatisch“") for m in found)
    assert not any(m.startswith(("Frage 'fair'", "Frage 'wahr'")) for m in found)


def test_a_pool_smaller_than_twice_an_attempt():
    questions = [gen_question(f"q{n}", "true_false", answer=n % 2 == 0, prompt=f"Satz {n} für sich") for n in range(10)]
    [hint] = messages(assess_course([quiz("a", questions, per_attempt=8)]))
    assert hint.startswith("Der Pool hat 10 Fragen, ein Versuch zeigt 8.") and "mindestens 16 Fragen" in hint
    [hint] = messages(assess_course([quiz("a", questions)]))
    assert hint.startswith("Jeder Versuch zeigt alle 10 Fragen")


def test_the_summary_has_a_row_per_quiz_and_the_course():
    cue = single("lang", "Eine sehr, sehr lange richtige Antwort mit vielen Worten.", "Kurz.", "Knapp.")
    lines = summary_lines(assess_course([big_pool("a", [cue]), big_pool("b")]))
    assert lines[0].split()[:3] == ["Quiz", "Pool", "je"]
    assert lines[1].split()[:3] == ["a", "17", "8"] and "1 von 1" in lines[1]
    assert lines[2].split()[:3] == ["b", "16", "8"]
    assert lines[3].startswith("Kurs") and "16 von 32" in lines[3]


def test_the_check_command_prints_hints_and_the_summary(runner):
    result = runner.invoke(args=["lms", "load-content", "--check"])
    assert result.exit_code == 0
    assert "Hinweis: " in result.output and "Jeder Versuch zeigt alle 5 Fragen" in result.output
    assert "Quiz-Qualität (demo):" in result.output


def test_the_editor_shows_the_quizs_hints_and_figures(app, client):
    from .helpers import make_user

    client.login(make_user("trainer@example.org", is_trainer=True).email)
    html = client.text("/author/demo/quizzes/grundlagen")[1]
    assert "Qualität: Kann man ohne Wissen bestehen?" in html
    assert "5 Fragen, 5 je Versuch" in html
    assert "Jeder Versuch zeigt alle 5 Fragen" in html
    assert "Lektion: erste-schritte" in html


def without_tokens(html):
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def test_the_editor_checks_an_unchanged_draft_once_and_a_changed_one_again(app, client, monkeypatch):
    from lms.authoring.routes import QUALITY_CACHE
    from lms.content import authoring

    from .helpers import make_user

    checked = []
    validate_tree = authoring.validate_tree
    monkeypatch.setattr(authoring, "validate_tree", lambda *args: checked.append(args[0]) or validate_tree(*args))
    client.login(make_user("trainer@example.org", is_trainer=True).email)
    url = "/author/demo/quizzes/grundlagen"
    first = client.text(url)[1]
    # Shown again: the same page (but for the form tokens, which carry the second) and not checked again.
    assert without_tokens(client.text(url)[1]) == without_tokens(first) and len(checked) == 1
    assert "5 Fragen, 5 je Versuch" in first and "Jeder Versuch zeigt alle 5 Fragen" in first
    response = client.submit(url, {"title": "Quiz: Grundlagen", "pass_mark": "60", "questions_per_attempt": "2",
                                   "review": "after_pass", "max_attempts": "0", "cooldown_minutes": "0"})
    assert response.status_code == 302
    html = client.text(url)[1]
    assert "5 Fragen, 2 je Versuch" in html and "Jeder Versuch zeigt alle 5 Fragen" not in html
    assert len(app.extensions[QUALITY_CACHE]) <= authoring.QUALITY_CACHE_SIZE


def test_the_quality_cache_keeps_only_the_latest_draft_states(app):
    from lms.content import authoring
    from lms.content.revisions import draft_tree
    from lms.content.tree import Entry

    cache = {}
    with app.app_context():
        for number in range(authoring.QUALITY_CACHE_SIZE + 2):
            tree = dict(draft_tree("demo"))
            tree["summary.md"] = Entry(None, f"---\ntitle: Zusammenfassung {number}\n---\n\nText {number}.\n")
            quiz, course = authoring.quiz_quality("demo", "grundlagen", tree, cache=cache)
            assert quiz.pool == 5 and course.quizzes
        assert len(cache) == authoring.QUALITY_CACHE_SIZE
        assert authoring.quiz_quality("demo", "gibt-es-nicht", tree, cache=cache) is None

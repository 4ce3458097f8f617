"""The GIFT import reads what Moodle means: tests/fixtures/gift/alle-konstrukte.gift
holds every construct of Moodle's question/format/gift/examples.txt (own
German text), each question is checked here; plus the reported bugs."""
from pathlib import Path

import pytest
from markupsafe import escape

from lms.content.gift import parse_gift

from .helpers import make_user

FIXTURE = Path(__file__).parent / "fixtures" / "gift" / "alle-konstrukte.gift"
GIFT_URL = "/author/demo/quizzes/praxis/gift"


def wrong(text, feedback=None):
    return _choice(text, False, feedback)


def right(text, feedback=None):
    return _choice(text, True, feedback)


def _choice(text, correct, feedback):
    choice = {"text": text, "correct": correct}
    if feedback:
        choice["feedback"] = feedback
    return choice


NUMERIC = "Numerische Fragen ({#…}) werden nicht unterstützt"

# (line in the fixture, the question it becomes), in the order of the file.
EXPECTED_QUESTIONS = [
    (11, {"id": "gift-1", "type": "single_choice", "prompt": "Wer eröffnet die Mitgliederversammlung?",
          "choices": [wrong("Das neueste Mitglied"), wrong("Die Kassiererin"), right("Die oder der Vorsitzende")]}),
    # Missing word: the gap stands where the answer block was.
    (13, {"id": "gift-2", "type": "single_choice", "prompt": "Die Jusos sind die _____ der SPD.",
          "choices": [wrong("Seniorenorganisation"), right("Jugendorganisation"), wrong("Frauenorganisation")]}),
    (15, {"id": "gift-3", "type": "true_false", "prompt": "Ein Ortsverein kommt ohne Vorstand aus.", "answer": False}),
    (17, {"id": "gift-4", "type": "short_text", "prompt": "Wie heißt die Jugendorganisation der SPD?",
          "accepted": ["Jusos", "Jungsozialist*innen"]}),
    # Multi-line answer block, missing word.
    (28, {"id": "gift-5", "type": "single_choice", "prompt": "Das Grundgesetz trat im Jahr _____ in Kraft.",
          "choices": [wrong("1945"), wrong("1951"), right("1949")]}),
    # Multi-line answer block closed on the last answer's line.
    (34, {"id": "gift-6", "type": "single_choice", "prompt": "In welcher Stadt tagt der Bundestag?",
          "choices": [wrong("Bonn"), right("Berlin"), wrong("Frankfurt am Main"), wrong("Karlsruhe")]}),
    # A short answer in the middle of the text is a missing-word question too.
    (42, {"id": "gift-7", "type": "short_text", "prompt": "Zwei plus zwei ergibt _____.", "accepted": ["vier", "4"]}),
    (46, {"id": "gift-8", "type": "true_false", "prompt": "Der Bundestag tagt in Bonn.", "answer": False}),
    (48, {"id": "gift-9", "type": "true_false", "prompt": "Eine Woche hat sieben Tage.", "answer": True}),
    (52, {"id": "gift-10", "type": "matching", "prompt": "Ordne die Abkürzungen zu.",
          "pairs": [{"left": "UB", "right": "Unterbezirk"}, {"left": "KV", "right": "Kreisverband"},
                    {"left": "OV", "right": "Ortsverein"}]}),
    # Several spaces before "->".
    (58, {"id": "gift-11", "type": "matching", "prompt": "Ordne den Ländern ihre Hauptstädte zu.",
          "pairs": [{"left": "Frankreich", "right": "Paris"}, {"left": "Italien", "right": "Rom"},
                    {"left": "Polen", "right": "Warschau"}, {"left": "Spanien", "right": "Madrid"}]}),
    # ::Titel:: and a prompt over two lines; a single = answer is a short answer.
    (84, {"id": "hauptstadt", "type": "short_text", "prompt": "Wie heißt die Hauptstadt\nder Bundesrepublik?",
          "accepted": ["Berlin"]}),
    (87, {"id": "grundgesetz", "type": "single_choice", "prompt": "Das Grundgesetz trat im Jahr\n_____ in Kraft.",
          "choices": [wrong("1945"), wrong("1951"), right("1949")]}),
    # Feedback after #.
    (92, {"id": "gift-14", "type": "single_choice", "prompt": "Welche Antwort ist hier richtig?",
          "choices": [wrong("falsche Antwort", "Rückmeldung zur falschen Antwort"),
                      wrong("noch eine falsche Antwort", "Rückmeldung zu dieser falschen Antwort"),
                      right("richtige Antwort", "Sehr gut!")]}),
    (97, {"id": "gift-15", "type": "short_text", "prompt": "Wer leitet die Versammlung?",
          "accepted": ["die Versammlungsleitung", "das Präsidium"], "feedback_correct": "Genau!"}),
    # [markdown] is a format marker, not text.
    (102, {"id": "gift-16", "type": "short_text", "prompt": "Wer leitet die **Jahreshauptversammlung**?",
           "accepted": ["die Versammlungsleitung", "das Präsidium"], "feedback_correct": "Genau!"}),
    # One feedback on true/false: it is for the wrong answer (here "Wahr").
    (107, {"id": "gift-17", "type": "true_false", "prompt": "Der Bundestag tagt in Bonn.", "answer": False,
           "feedback_true": "Seit 1999 tagt er in Berlin."}),
    # = with partial credit: single choice, only = is right (a note says so).
    (109, {"id": "gift-18", "type": "single_choice", "prompt": "Schwierige Frage.",
           "choices": [wrong("falsche Antwort"), wrong("halb richtige Antwort"), right("ganz richtige Antwort")]}),
    (111, {"id": "sitz-des-bundestags", "type": "single_choice", "prompt": "Der Bundestag tagt im _____.",
           "choices": [wrong("Bundesrat", "Das ist ein anderes Verfassungsorgan."),
                       wrong("Regierungsviertel", "Ja, aber wo genau?"), wrong("Berlin", "Genauer, bitte."),
                       right("Reichstagsgebäude", "Genau!")]}),
    # Weighted short answers: only 100 % is accepted (a note names the others).
    # The block closes the text, so there is no gap (as in Moodle).
    (117, {"id": "sitz-des-bundestags-2", "type": "short_text", "prompt": "Der Bundestag tagt im",
           "accepted": ["Reichstagsgebäude"], "feedback_correct": "Genau!"}),
    # Weights without =: multiple choice, the positively weighted choices are right.
    (124, {"id": "gift-21", "type": "multiple_choice", "prompt": "Welche zwei Gremien hat jeder Ortsverein?",
           "choices": [wrong("Bundesrat"), right("Vorstand"), right("Mitgliederversammlung"), wrong("Parteitag")]}),
    (130, {"id": "gift-22", "type": "multiple_choice", "prompt": "Welche zwei Gremien hat jeder Ortsverein?",
           "choices": [wrong("Bundesrat"), right("Vorstand"), right("Mitgliederversammlung"), wrong("Parteitag")]}),
    # Escaped \= in answers.
    (137, {"id": "gift-23", "type": "single_choice", "prompt": "Welche Antwort ergibt 5?",
           "choices": [wrong("= 2 + 2"), right("= 2 + 3"), wrong("= 2 + 4")]}),
    # Every escape, and feedback continued over several lines.
    (142, {"id": "gift-steuerzeichen", "type": "single_choice",
           "prompt": "Welches Zeichen ist KEIN Steuerzeichen im GIFT-Format?",
           "choices": [wrong("~", "~ ist ein Steuerzeichen."), wrong("=", "= ist ein Steuerzeichen."),
                       wrong("#", "# ist ein Steuerzeichen."), wrong("{", "{ ist ein Steuerzeichen."),
                       wrong("}", "} ist ein Steuerzeichen."),
                       right("\\", "Richtig! \\ (Backslash) ist kein Steuerzeichen, ABER er maskiert die "
                                   "Steuerzeichen. Einen Backslash schreibst du deshalb doppelt.")]}),
    # "->" without spaces.
    (161, {"id": "gift-25", "type": "matching", "prompt": "Ordne den Ländern ihre\nHauptstädte zu.",
           "pairs": [{"left": "Frankreich", "right": "Paris"}, {"left": "Italien", "right": "Rom"},
                     {"left": "Polen", "right": "Warschau"}]}),
    # Closing brace on its own line, text after it.
    (168, {"id": "jusos", "type": "single_choice", "prompt": "Die Jusos sind die _____ der SPD.",
           "choices": [wrong("Seniorenorganisation", "Nein, das ist die AG 60 plus."),
                       right("Jugendorganisation", "Richtig!"),
                       wrong("Frauenorganisation", "Nein, das sind die SPD-Frauen.")]}),
    # Spaces between answer and #feedback.
    (174, {"id": "gift-27", "type": "single_choice", "prompt": "Schwierige Auswahlfrage.",
           "choices": [wrong("falsche Antwort", "Rückmeldung zur falschen Antwort"),
                       wrong("halb richtige Antwort", "Rückmeldung zur halben Antwort"),
                       right("ganz richtige Antwort", "Gut gemacht!")]}),
    (179, {"id": "sitz-des-bundestags-kurzantwort", "type": "short_text", "prompt": "Der Bundestag tagt im _____.",
           "accepted": ["Reichstagsgebäude"], "feedback_correct": "Genau!"}),
    # Beyond Moodle's examples: ####general feedback becomes the explanation.
    (198, {"id": "erster-kontakt", "type": "single_choice", "prompt": "Wann meldest du dich bei einem neuen Mitglied?",
           "explanation": "Der erste persönliche Kontakt gehört in den **ersten Monat**.",
           "choices": [right("Im ersten Monat", "Genau."), wrong("Nach einem Jahr", "Viel zu spät.")]}),
    # Two feedbacks on true/false: first for a wrong answer, then for a right one.
    (204, {"id": "gift-30", "type": "true_false", "prompt": "Die 3 im Standard 1-3-6 steht für das Parteibuch.",
           "answer": True, "feedback_true": "Richtig.", "feedback_false": "Doch, das stimmt."}),
    # True/false before the closing full stop: Moodle puts the gap there (a note says so).
    (206, {"id": "gift-31", "type": "true_false", "prompt": "Die Erde ist eine Scheibe _____.", "answer": False}),
    # \: in a title.
    (208, {"id": "quiz-satzung", "type": "true_false", "prompt": "Die Satzung regelt, wer Mitglied werden kann.",
           "answer": True}),
    # \n is a line break; 0 % and partial answers are not accepted.
    (222, {"id": "gift-33", "type": "short_text", "prompt": "Nachbarland\nWelches Land grenzt im Süden an Bayern?",
           "accepted": ["Österreich"], "feedback_correct": "Genau."}),
]

# (line, the start of the reason), in the order of the file.
EXPECTED_ISSUES = [
    (9, "Kategorien ($CATEGORY) gibt es hier nicht"),
    (19, NUMERIC),  # {#1863:1}
    (67, NUMERIC),  # {#1863}
    (69, NUMERIC),  # {#3.1415:0.0005}. – text after it, still numeric, not a missing word
    (71, NUMERIC),  # {#3.141..3.142}.
    (73, NUMERIC),  # several numeric answers with weights
    (80, NUMERIC),  # after a comment line: the line of the question, not of the comment
    (159, NUMERIC),  # {#1863:5}
    (186, NUMERIC),  # ::Titel:: on its own line, multi-line feedback
    (210, "„=%50%der Vorstand“: in Auswahlfragen steht eine Gewichtung nach ~"),
    (212, "Freitext-Fragen (Essay, {}) werden nicht unterstützt"),
    (214, "Eine Beschreibung ohne Antworten ist keine Frage"),
    (216, "Die Gewichtung in „~%abc%Motive“ ist unlesbar"),
    (218, "Die positiven Gewichtungen ergeben zusammen 75 %, nicht 100 %"),
    (220, "Mehrere Antworten zählen voll (= oder ~%100%)"),
    (229, "Zuordnungsfragen brauchen Paare der Form =links -> rechts"),
    (234, "Mehr als ein Antwortblock"),
]

EXPECTED_NOTES = [
    (109, "Teilpunkte gibt es hier nicht: „halb richtige Antwort“ (50 %) zählt hier als falsch; "
          "richtig ist nur „ganz richtige Antwort“."),
    (111, "Teilpunkte gibt es hier nicht: „Regierungsviertel“ (25 %), „Berlin“ (50 %) zählen hier als falsch; "
          "richtig ist nur „Reichstagsgebäude“."),
    (117, "Nur Antworten mit 100 % gelten als richtig: „Reichstagsgebeude“ (75 %), „Bundeshaus“ (25 %) zählen "
          "hier als falsch. Trage Schreibweisen, die gelten sollen, bei den akzeptierten Antworten ein."),
    (174, "Teilpunkte gibt es hier nicht: „halb richtige Antwort“ (50 %) zählt hier als falsch; "
          "richtig ist nur „ganz richtige Antwort“."),
    (179, "Nur Antworten mit 100 % gelten als richtig: „Reichstagsgebeude“ (75 %), „Bundeshaus“ (25 %) zählen "
          "hier als falsch. Trage Schreibweisen, die gelten sollen, bei den akzeptierten Antworten ein."),
    (206, "Nach {T}/{F} steht noch Text: wie in Moodle steht dort, wo der Antwortblock war, eine Lücke „_____“ "
          "in der Aussage. Ist keine Lücke gemeint, setze {T} oder {F} ans Ende."),
    (222, "Nur Antworten mit 100 % gelten als richtig: „Frankreich“ (0 %), „Tschechien“ (25 %) zählen hier als "
          "falsch. Trage Schreibweisen, die gelten sollen, bei den akzeptierten Antworten ein."),
    (222, "„Oesterreich“ (50 %) zählt hier trotzdem als richtig: Groß- und Kleinschreibung, Satzzeichen am Rand, "
          "Umlaut-Schreibweisen und Genderzeichen spielen keine Rolle."),
]


@pytest.fixture(scope="module")
def fixture_result():
    return parse_gift(FIXTURE.read_text(encoding="utf-8"))


# --- the fixture, question by question ---------------------------------------------------


@pytest.mark.parametrize("index", range(len(EXPECTED_QUESTIONS)),
                         ids=[f"Zeile {line}" for line, _ in EXPECTED_QUESTIONS])
def test_fixture_question(fixture_result, index):
    _, expected = EXPECTED_QUESTIONS[index]
    assert fixture_result.questions[index] == expected


def test_fixture_imports_exactly_the_expected_questions(fixture_result):
    assert [q["id"] for q in fixture_result.questions] == [q["id"] for _, q in EXPECTED_QUESTIONS]


@pytest.mark.parametrize("index", range(len(EXPECTED_ISSUES)), ids=[f"Zeile {line}" for line, _ in EXPECTED_ISSUES])
def test_fixture_issue(fixture_result, index):
    line, start = EXPECTED_ISSUES[index]
    issue = fixture_result.issues[index]
    assert issue.line == line and issue.message.startswith(start), str(issue)


def test_fixture_reports_exactly_the_expected_issues(fixture_result):
    assert [issue.line for issue in fixture_result.issues] == [line for line, _ in EXPECTED_ISSUES]


def test_fixture_notes(fixture_result):
    assert [(note.line, note.message) for note in fixture_result.notes] == EXPECTED_NOTES


# --- the reported bugs --------------------------------------------------------------------


def only_question(source):
    result = parse_gift(source)
    assert not result.issues and len(result.questions) == 1, result
    return result.questions[0], result.notes


def test_weights_adding_up_to_100_make_a_multiple_choice_of_the_positive_ones():
    question, notes = only_question("Who is in the tomb? {~%50%Grant ~%50%Grant's wife ~%-50%No one}")
    assert question["type"] == "multiple_choice"
    assert question["choices"] == [right("Grant"), right("Grant's wife"), wrong("No one")]
    assert notes == []


def test_partial_credit_next_to_a_full_answer_stays_single_choice_and_is_noted():
    result = parse_gift("Erste Frage? {T}\n\nDifficult question. {~wrong ~%50%half =full}\n")
    question = result.questions[1]
    assert question["type"] == "single_choice"
    assert question["choices"] == [wrong("wrong"), wrong("half"), right("full")]
    assert [(note.line, note.message) for note in result.notes] == [
        (3, "Teilpunkte gibt es hier nicht: „half“ (50 %) zählt hier als falsch; richtig ist nur „full“.")]


def test_weighted_short_answers_accept_only_the_full_ones_and_name_the_others():
    result = parse_gift("Eins? {T}\n\nJesus Christ was from {\n=Nazareth\n=%75%Nazereth\n=%25%Bethlehem\n}.\n")
    question = result.questions[1]
    assert question["type"] == "short_text" and question["accepted"] == ["Nazareth"]
    assert question["prompt"] == "Jesus Christ was from _____."
    [note] = result.notes
    assert note.line == 3
    assert "„Nazereth“ (75 %), „Bethlehem“ (25 %) zählen hier als falsch" in note.message


def test_a_partial_spelling_our_grading_accepts_anyway_is_noted_as_right():
    question, notes = only_question("Wer? {=Müller =%50%Mueller =%50%MÜLLER.}")
    assert question["accepted"] == ["Müller"]
    assert [note.message for note in notes] == [
        "„Mueller“ (50 %), „MÜLLER.“ (50 %) zählen hier trotzdem als richtig: Groß- und Kleinschreibung, "
        "Satzzeichen am Rand, Umlaut-Schreibweisen und Genderzeichen spielen keine Rolle."]


def test_a_malformed_weight_is_reported_and_the_question_not_imported():
    result = parse_gift("Eins? {T}\n\nWhich? {~%abc%a =b ~c}\n")
    assert len(result.questions) == 1
    assert [str(issue) for issue in result.issues] == [
        "Zeile 3: Die Gewichtung in „~%abc%a“ ist unlesbar. Schreibe eine Zahl von -100 bis 100 zwischen zwei %, "
        "z. B. ~%50%Antwort."]


@pytest.mark.parametrize("weight", ["%150%", "%50", "%%", "%5,5%"])
def test_other_malformed_weights_are_reported(weight):
    result = parse_gift(f"Which? {{~{weight}a =b ~c}}")
    assert not result.questions and "ist unlesbar" in result.issues[0].message


def test_a_missing_word_question_has_a_gap_where_the_answers_were():
    question, _ = only_question("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question["type"] == "single_choice" and question["prompt"] == "Grant is _____ in Grant's tomb."
    assert question["choices"] == [wrong("buried"), right("entombed"), wrong("living")]


def test_a_numerical_question_with_text_after_it_is_reported_as_numerical():
    result = parse_gift("What is the value of pi? {#3.1415:0.0005}.")
    assert not result.questions
    assert result.issues[0].line == 1 and result.issues[0].message.startswith(NUMERIC)
    assert "Lückentext" not in result.issues[0].message


def test_a_multiple_choice_whose_positive_weights_exceed_100_is_reported():
    result = parse_gift("Which? {~%50%a ~%50%b ~%50%c ~d}")
    assert not result.questions and "150 %, nicht 100 %" in result.issues[0].message


def test_thirds_add_up_to_100():
    question, _ = only_question("Which? {~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-100%d}")
    assert [c["correct"] for c in question["choices"]] == [True, True, True, False]


@pytest.mark.parametrize("source, reason", [
    ("Frage =a}", "Der Antwortblock beginnt nicht mit {"),
    ("Frage } und {=a}", "Eine Klammer } steht vor dem Antwortblock"),
    ("Frage {=a", "Der Antwortblock wird nicht mit } geschlossen"),
    ("::Titel Frage {=a}", "Der Titel (::Titel::) wird nicht geschlossen"),
    ("{=a ~b}", "Die Frage hat keinen Text"),
    ("Frage {=a ~a}", "Zwei Antworten haben denselben Text"),
    ("Frage {=a -> b =c -> b}", "Zwei Paare haben auf einer Seite denselben Text"),
    ("Frage {=%50%a =%25%b}", "Keine Antwort zählt voll (100 %)"),
])
def test_mistakes_in_a_block_are_reported(source, reason):
    result = parse_gift(source)
    assert not result.questions and result.issues[0].message.startswith(reason), result.issues


def test_escaped_braces_stay_in_the_text():
    question, _ = only_question("Was bedeutet \\{x\\}? {=eine Menge ~nichts}")
    assert question["prompt"] == "Was bedeutet {x}?"


# --- through the browser ------------------------------------------------------------------


@pytest.fixture
def as_trainer(client, app):
    trainer = make_user("tina@example.org", "Tina Trainerin", is_trainer=True)
    client.login(trainer.email)
    return client


def test_the_fixture_through_the_import_page(as_trainer, app):
    response = as_trainer.submit(GIFT_URL, {"text": FIXTURE.read_text(encoding="utf-8")})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{len(EXPECTED_QUESTIONS)} Frage(n) übernommen" in html
    for line, start in EXPECTED_ISSUES:
        assert escape(f"Zeile {line}: {start}") in html, line
    for line, message in EXPECTED_NOTES:
        assert escape(f"Zeile {line}: {message}") in html, line
    with app.app_context():
        from lms.content.authoring import quiz_data
        saved = {q["id"]: q for q in quiz_data("demo", "praxis")["questions"]}
    for _, expected in EXPECTED_QUESTIONS:
        assert {key: saved[expected["id"]].get(key) for key in expected} == expected
    assert as_trainer.submit("/author/demo/publish", {}, follow_redirects=False).status_code == 302


@pytest.mark.parametrize("answers, feedback", [
    ("{T}", {}),
    ("{T#Nein.}", {"feedback_false": "Nein."}),
    ("{F#Nein.#Ja.}", {"feedback_true": "Nein.", "feedback_false": "Ja."}),
    ("{TRUE#Nein.#Ja.#Mehr}", {"feedback_true": "Ja.#Mehr", "feedback_false": "Nein."}),  # a third # belongs to the second
    ("{F#Ne\\#in.#J\\#a.}", {"feedback_true": "Ne#in.", "feedback_false": "J#a."}),
    ("{T##Ja.}", {"feedback_true": "Ja."}),
])
def test_true_false_feedback_is_first_for_a_wrong_answer_then_for_a_right_one(answers, feedback):
    question = parse_gift(f"Frage {answers}").questions[0]
    assert {k: v for k, v in question.items() if k.startswith("feedback")} == feedback

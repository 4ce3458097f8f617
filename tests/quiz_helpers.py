"""Answering quizzes in tests, from the attempt's stored snapshot."""
from lms.models import QuizAttempt


def correct_form(attempt):
    """Form data answering every question of ``attempt`` correctly."""
    data = {}
    for q in attempt.questions:
        name = f"q-{q['id']}"
        if q["type"] in ("single_choice", "multiple_choice", "true_false"):
            data[name] = [str(c["key"]) for c in q["choices"] if c["correct"]]
        elif q["type"] == "short_text":
            data[name] = q["accepted"][0]
        elif q["type"] == "ordering":
            for position, key in enumerate(q["correct_order"], start=1):
                data[f"{name}-{key}"] = str(position)
        elif q["type"] == "matching":
            for left in q["lefts"]:
                data[f"{name}-{left['key']}"] = str(left["key"])
    return data


def wrong_form(attempt):
    """Form data answering every question of ``attempt`` wrongly."""
    data = {}
    for q in attempt.questions:
        name = f"q-{q['id']}"
        if q["type"] in ("single_choice", "true_false"):
            data[name] = [str(c["key"]) for c in q["choices"] if not c["correct"]][:1]
        elif q["type"] == "multiple_choice":
            data[name] = [str(c["key"]) for c in q["choices"] if not c["correct"]] or [str(q["choices"][0]["key"])]
        elif q["type"] == "short_text":
            data[name] = "ganz falsch"
        elif q["type"] == "ordering":
            for position, key in enumerate(reversed(q["correct_order"]), start=1):
                data[f"{name}-{key}"] = str(position)
        elif q["type"] == "matching":
            keys = [left["key"] for left in q["lefts"]]
            for left, other in zip(keys, keys[1:] + keys[:1]):
                data[f"{name}-{left}"] = str(other)
    return data


def start_quiz(client, course_slug, quiz_slug):
    """Start (or resume) an attempt through the UI; return the attempt."""
    response = client.submit(f"/quiz/{course_slug}/{quiz_slug}/start", page=f"/quiz/{course_slug}/{quiz_slug}")
    assert response.status_code == 302, response.get_data(as_text=True)
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    return QuizAttempt.get(QuizAttempt.token == token)


def pass_quiz(client, course_slug, quiz_slug):
    attempt = start_quiz(client, course_slug, quiz_slug)
    response = client.submit(f"/quiz/attempt/{attempt.token}", correct_form(attempt))
    assert response.status_code == 302
    return QuizAttempt.get_by_id(attempt.id)

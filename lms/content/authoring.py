"""What trainers do in the browser, as plain functions on a course's drafts.

Every change writes a new draft revision of the files it touches (see
``revisions``); nothing here changes what learners see, only ``publish``
does. A change to one file is checked the way the loader checks it before
it is saved: errors in that file refuse the save and name the line. Errors
that only show up across files (a module without lessons yet) are allowed
in drafts and stop the publish instead.
"""
import io
import threading

from peewee import fn
from ruamel.yaml import YAML

from ..models import ContentRevision
from .publishing import validate_tree
from .quiz_data import dump_quiz, load_quiz, question_in, quiz_outline
from .revisions import draft_tree, save_revision
from .source import MAX_FILE_BYTES, SLUG, TEXT_TOO_BIG, ContentError, ContentErrors, parse_yaml, split_front_matter
from .tree import (COURSE_FILE, Entry, key_label, lesson_key, module_positions, module_slugs, quiz_key, relative_path,
                   tree_hash)

# Draft states whose quiz quality is kept (quiz_quality's cache).
QUALITY_CACHE_SIZE = 4
_quality_lock = threading.Lock()


class AuthoringError(ValueError):
    """A change a trainer asked for that cannot be made; one or more
    German messages."""

    def __init__(self, *messages):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


def _yaml():
    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(data):
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()


# --- checking one file ------------------------------------------------------


def check_entry(course_slug, key, entry, tree=None):
    """Errors and warnings of one file within the draft tree.

    Raises AuthoringError with the errors found *in this file*; returns the
    warnings about it; both as the editor shows the file (describe_problems)."""
    tree = dict(draft_tree(course_slug) if tree is None else tree)
    tree[key] = entry
    path = relative_path(course_slug, key, entry, module_positions(tree))
    try:
        source = validate_tree(course_slug, tree)
    except ContentErrors as errors:
        own = [e for e in errors.errors if e.path == path]
        if own:
            raise AuthoringError(*describe_problems(course_slug, tree, own, own_key=key)) from None
        return []
    return describe_problems(course_slug, tree, [w for w in source.warnings if w.path == path], own_key=key)


def save_checked(course_slug, key, entry, author, note, tree=None):
    """Check (``check_entry``; ``tree``: the draft tree, if already read)
    and save one file; (the new revision or None, warnings)."""
    warnings = check_entry(course_slug, key, entry, tree)
    return save_revision(course_slug, key, entry, author, note), warnings


# --- lessons ------------------------------------------------------------------


def lesson_text(title, minutes, goals, body):
    front = _dump({"title": title, "minutes": minutes, "goals": list(goals)})
    return f"---\n{front}---\n\n{body.strip()}\n"


def parse_lesson(text):
    """(title, minutes, goals, body) of a lesson file, tolerant of errors."""
    front, body, _ = split_front_matter(text, "lesson")
    data = parse_yaml(front, "lesson") or {}
    goals = data.get("goals") or []
    return str(data.get("title") or ""), data.get("minutes"), [str(g) for g in goals], body.strip()


def lessons_of_module(tree, module_slug):
    prefix = f"lessons/{module_slug}/"
    return sorted(((key[len(prefix):], entry) for key, entry in tree.items() if key.startswith(prefix)),
                  key=lambda item: (item[1].position, item[0]))


def save_lesson(course_slug, module_slug, lesson_slug, title, minutes, goals, body, author, new=False):
    tree = draft_tree(course_slug)
    if module_slug not in _module_slugs(tree):
        raise AuthoringError("Dieses Modul gibt es nicht.")
    key = lesson_key(module_slug, lesson_slug)
    if new:
        if not SLUG.match(lesson_slug or ""):
            raise AuthoringError("Der Slug darf nur Kleinbuchstaben, Ziffern und Bindestriche enthalten (z. B. erster-kontakt).")
        if key in tree:
            raise AuthoringError(f"In diesem Modul gibt es schon eine Lektion mit dem Slug '{lesson_slug}'.")
        position = max((e.position for _, e in lessons_of_module(tree, module_slug)), default=0) + 1
    elif key not in tree:
        raise AuthoringError("Diese Lektion gibt es nicht (mehr).")
    else:
        position = tree[key].position
    entry = Entry(position, lesson_text(title, minutes, goals, body))
    if len(entry.text.encode("utf-8")) > MAX_FILE_BYTES:
        raise AuthoringError(TEXT_TOO_BIG)
    return save_checked(course_slug, key, entry, author, "Neu angelegt" if new else "Bearbeitet", tree)


def move_lesson(course_slug, module_slug, lesson_slug, direction, author):
    """Swap a lesson with its neighbour (direction -1 up, +1 down)."""
    tree = draft_tree(course_slug)
    lessons = lessons_of_module(tree, module_slug)
    slugs = [slug for slug, _ in lessons]
    if lesson_slug not in slugs:
        raise AuthoringError("Diese Lektion gibt es nicht (mehr).")
    index = slugs.index(lesson_slug)
    other = index + direction
    if not 0 <= other < len(lessons):
        return
    # Renumber the whole module 1..n in the new order, so positions stay unique.
    slugs[index], slugs[other] = slugs[other], slugs[index]
    for position, slug in enumerate(slugs, start=1):
        entry = tree[lesson_key(module_slug, slug)]
        if entry.position != position:
            save_revision(course_slug, lesson_key(module_slug, slug), Entry(position, entry.text), author, "Verschoben")


def retire_lesson(course_slug, module_slug, lesson_slug, author):
    tree = draft_tree(course_slug)
    if len(lessons_of_module(tree, module_slug)) <= 1:
        raise AuthoringError("Das ist die einzige Lektion des Moduls. Lege erst eine andere an oder lege das ganze Modul still.")
    if lesson_key(module_slug, lesson_slug) not in tree:
        raise AuthoringError("Diese Lektion gibt es nicht (mehr).")
    save_revision(course_slug, lesson_key(module_slug, lesson_slug), None, author, "Stillgelegt")


# --- modules (they live in course.yaml) ----------------------------------------


def _module_slugs(tree):
    """The draft's module slugs; AuthoringError if its course.yaml has none."""
    try:
        return module_slugs(tree[COURSE_FILE].text)
    except ContentErrors as errors:
        raise AuthoringError(*(error.message for error in errors.errors)) from None


def _course_data(tree):
    return _yaml().load(tree[COURSE_FILE].text)


def _save_course(course_slug, data, author, note):
    entry = Entry(None, _dump(data))
    return save_checked(course_slug, COURSE_FILE, entry, author, note)


def modules(tree):
    """[(slug, title, summary)] in course order."""
    data = _course_data(tree)
    return [(str(m.get("slug")), str(m.get("title") or ""), str(m.get("summary") or ""))
            for m in data.get("modules") or []]


def add_module(course_slug, slug, title, summary, author):
    tree = draft_tree(course_slug)
    data = _course_data(tree)
    if not SLUG.match(slug or ""):
        raise AuthoringError("Der Slug darf nur Kleinbuchstaben, Ziffern und Bindestriche enthalten (z. B. neue-mitglieder).")
    if any(str(m.get("slug")) == slug for m in data["modules"]):
        raise AuthoringError(f"Es gibt schon ein Modul mit dem Slug '{slug}'.")
    module = {"slug": slug, "title": title}
    if summary:
        module["summary"] = summary
    data["modules"].append(module)
    return _save_course(course_slug, data, author, f"Modul {slug} angelegt")


def update_module(course_slug, slug, title, summary, author):
    tree = draft_tree(course_slug)
    data = _course_data(tree)
    module = next((m for m in data["modules"] if str(m.get("slug")) == slug), None)
    if module is None:
        raise AuthoringError("Dieses Modul gibt es nicht (mehr).")
    module["title"] = title
    if summary:
        module["summary"] = summary
    elif "summary" in module:
        del module["summary"]
    return _save_course(course_slug, data, author, f"Modul {slug} umbenannt")


def move_module(course_slug, slug, direction, author):
    tree = draft_tree(course_slug)
    data = _course_data(tree)
    slugs = [str(m.get("slug")) for m in data["modules"]]
    if slug not in slugs:
        raise AuthoringError("Dieses Modul gibt es nicht (mehr).")
    index = slugs.index(slug)
    other = index + direction
    if not 0 <= other < len(slugs):
        return None
    items = data["modules"]
    items[index], items[other] = items[other], items[index]
    return _save_course(course_slug, data, author, f"Modul {slug} verschoben")


def retire_module(course_slug, slug, author):
    """Take a module out of the course: its entry in course.yaml, its
    lessons and its quiz. Progress and history stay."""
    tree = draft_tree(course_slug)
    data = _course_data(tree)
    remaining = [m for m in data["modules"] if str(m.get("slug")) != slug]
    if len(remaining) == len(data["modules"]):
        raise AuthoringError("Dieses Modul gibt es nicht (mehr).")
    if not remaining:
        raise AuthoringError("Der Kurs braucht mindestens ein Modul.")
    data["modules"] = remaining
    save_revision(course_slug, COURSE_FILE, Entry(None, _dump(data)), author, f"Modul {slug} stillgelegt")
    for lesson_slug, _ in lessons_of_module(tree, slug):
        save_revision(course_slug, lesson_key(slug, lesson_slug), None, author, f"Mit Modul {slug} stillgelegt")
    if quiz_key(slug) in tree:
        save_revision(course_slug, quiz_key(slug), None, author, f"Mit Modul {slug} stillgelegt")


# --- quizzes ------------------------------------------------------------------


def quiz_data(course_slug, quiz_slug, tree=None):
    """The quiz as plain data, or None when it does not exist (yet)."""
    tree = draft_tree(course_slug) if tree is None else tree
    entry = tree.get(quiz_key(quiz_slug))
    return load_quiz(entry.text, f"quizzes/{course_slug}/{quiz_slug}.yaml") if entry else None


def outline(tree):
    """[(module slug, title, summary, [(lesson slug, lesson title)])] of the
    draft, in course order. A lesson's title is "" when it has none (or its
    front matter cannot be read)."""
    result = []
    for module_slug, module_title, summary in modules(tree):
        lessons = []
        for lesson_slug, entry in lessons_of_module(tree, module_slug):
            try:
                title = parse_lesson(entry.text)[0]
            except (ContentError, ContentErrors):
                title = ""
            lessons.append((lesson_slug, title))
        result.append((module_slug, module_title, summary, lessons))
    return result


def lesson_choices(tree):
    """[("module/lesson", "Module › Lesson")] of the draft, in course order."""
    return [(f"{module_slug}/{lesson_slug}", f"{module_title} › {title or lesson_slug}")
            for module_slug, module_title, _, lessons in outline(tree) for lesson_slug, title in lessons]


def quiz_quality(course_slug, quiz_slug, tree=None, cache=None):
    """(the quiz's QuizQuality, the course's CourseQuality) for the draft,
    with hints naming questions; None while the draft has errors.

    It takes validating the whole draft. ``cache`` (a dict kept between
    calls, optional) remembers the result for the last QUALITY_CACHE_SIZE
    draft states, so a page shown again without changes is not validated
    again. Treat the figures as read-only: they are shared."""
    tree = draft_tree(course_slug) if tree is None else tree
    if cache is None:
        course_quality = _course_quality(course_slug, tree)
    else:
        # Every change to the drafts is a new revision; the newest id also
        # covers what the check reads besides the tree (the keys retired).
        newest = (ContentRevision.select(fn.MAX(ContentRevision.id))
                  .where(ContentRevision.course_slug == course_slug).scalar())
        state = (course_slug, newest, tree_hash(tree))
        with _quality_lock:
            found = state in cache
            course_quality = cache.get(state)
        if not found:
            course_quality = _course_quality(course_slug, tree)
            with _quality_lock:
                cache[state] = course_quality
                while len(cache) > QUALITY_CACHE_SIZE:
                    del cache[next(iter(cache))]
    if course_quality is None:
        return None
    quiz = next((q for q in course_quality.quizzes if q.slug == quiz_slug), None)
    return (quiz, course_quality) if quiz is not None else None


def _course_quality(course_slug, tree):
    """The draft's CourseQuality; None while the draft has errors."""
    try:
        return validate_tree(course_slug, tree).quiz_quality
    except ContentErrors:
        return None


def save_quiz(course_slug, quiz_slug, data, author, note, tree=None):
    """Save a quiz's data (``tree``: the draft tree, if already read)."""
    tree = draft_tree(course_slug) if tree is None else tree
    if quiz_slug != "final" and quiz_slug not in _module_slugs(tree):
        raise AuthoringError("Zu diesem Modul gibt es kein Quiz: das Modul fehlt.")
    return save_checked(course_slug, quiz_key(quiz_slug), Entry(None, dump_quiz(data)), author, note, tree)


def describe_problems(course_slug, tree, problems, own_key=None):
    """Errors or warnings (ContentError) told the way the authoring pages
    show content, since trainers who work in the browser never see files or
    their lines: "Lektion „Der erste Kontakt“, Zeile 12 im Text: …",
    "Quiz „…“, Frage „kontakt-3“: …". About ``own_key`` (the file being
    edited) the name is left out."""
    positions = module_positions(tree)
    keys = {relative_path(course_slug, key, entry, positions): key for key, entry in tree.items()}
    outlines = {}  # key -> (title, question starts): each file is parsed once per call
    messages = []
    for problem in problems:
        key = keys.get(problem.path)
        if key is None:
            messages.append(str(problem))
            continue
        text = tree[key].text
        name = None if key == own_key else _file_name(key, text, outlines)
        parts = [part for part in (name, _place_in_file(key, text, problem, outlines)) if part]
        messages.append(f"{', '.join(parts)}: {problem.message}" if parts else problem.message)
    return messages


def draft_problems(course_slug, errors):
    """ContentErrors about the drafts (say, from a publish) as trainers see
    the content in the browser (``describe_problems``)."""
    return describe_problems(course_slug, draft_tree(course_slug), errors.errors)


def _file_name(key, text, outlines):
    """What a file is called in the browser."""
    kind = key.partition("/")[0]
    if kind == "quizzes":
        return f"Quiz „{_outline(key, text, outlines)[0]}“"
    if kind in ("lessons", "templates"):
        what = "Lektion" if kind == "lessons" else "Vorlage"
        return f"{what} „{_outline(key, text, outlines)[0]}“"
    if key == COURSE_FILE:
        return "Kursangaben"
    return key_label(key)


def _place_in_file(key, text, problem, outlines):
    """Where in the file (as the browser shows it) the problem is, or None."""
    kind = key.partition("/")[0]
    if kind == "quizzes":
        question = question_in(_outline(key, text, outlines)[1], problem.line) if problem.line else None
        named = question is None or problem.message.startswith(f"Frage '{question}'")
        return None if named else f"Frage „{question}“"
    if kind in ("lessons", "templates"):
        return _line_in_editor(text, problem.line)
    if key == COURSE_FILE:
        return None
    return f"Zeile {problem.line}" if problem.line else None


def _outline(key, text, outlines):
    """(the title a lesson, template or quiz file gives itself, else its
    key; [(first line, id)] of a quiz's questions), parsed once per key."""
    if key not in outlines:
        outlines[key] = _read_outline(key, text)
    return outlines[key]


def _read_outline(key, text):
    try:
        if key.startswith("quizzes/"):
            data, starts = quiz_outline(text)
        else:
            data, starts = parse_yaml(split_front_matter(text, key)[0], key), []
    except ContentError:
        return key, []
    return (str(data.get("title") or key) if isinstance(data, dict) else key), starts


def _line_in_editor(text, line):
    """A file line as the editor shows it: counted in the text box (the
    body after the front matter), or the fields above it."""
    if line is None:
        return None
    try:
        _, body, body_line = split_front_matter(text, "")
    except ContentError:
        return f"Zeile {line}"
    first_text_line = body_line + len(body) - len(body.lstrip("\n"))
    if line < first_text_line:
        return "in den Angaben über dem Text"
    return f"Zeile {line - first_text_line + 1} im Text"

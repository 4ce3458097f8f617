"""A course as a set of files, independent of where they live.

The authoring area, the zip exchange and the file loader all pass a course
around as a *tree*: a dict from a key that names each file independently of
its position to an ``Entry`` (position, text). Keys:

- ``course.yaml`` and ``summary.md``
- ``lessons/<module-slug>/<lesson-slug>`` (position: the NN of ``NN-slug.md``)
- ``templates/<slug>`` (position: the NN of ``NN-slug.md``)
- ``quizzes/<slug>``

``read_tree`` reads one course from disk, ``write_tree`` writes one back in
the ``course/`` + ``quizzes/`` layout described in docs/content-format.md.
"""
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .source import ContentError, ContentErrors, ordered_name, parse_yaml, read_content_file, unix_newlines

COURSE_FILE = "course.yaml"
SUMMARY_FILE = "summary.md"
HANDOUT_DIR = "templates"


@dataclass(frozen=True)
class Entry:
    """One file of a tree. Its text always has LF line ends, however it
    arrived (a browser's textarea sends CRLF, a Windows editor saves it), so
    an unchanged file never counts as a change."""

    position: int | None
    text: str

    def __post_init__(self):
        object.__setattr__(self, "text", unix_newlines(self.text))


def lesson_key(module_slug, lesson_slug):
    return f"lessons/{module_slug}/{lesson_slug}"


def template_key(slug):
    return f"templates/{slug}"


def quiz_key(slug):
    return f"quizzes/{slug}"


def read_tree(course_dir, quiz_dir):
    """Read one course (already validated by ``read_content``) into a tree.

    Symlinks are refused here too (ContentErrors), so nothing outside the
    course's folders ends up in a revision."""
    course_dir, quiz_dir = Path(course_dir), Path(quiz_dir)
    tree = {COURSE_FILE: Entry(None, _read(course_dir / COURSE_FILE, course_dir))}
    if (course_dir / SUMMARY_FILE).exists():
        tree[SUMMARY_FILE] = Entry(None, _read(course_dir / SUMMARY_FILE, course_dir))
    for folder in sorted(p for p in course_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        parsed = ordered_name(folder.name)
        if folder.name == HANDOUT_DIR:
            for position, slug, path in _numbered_files(folder, ".md"):
                tree[template_key(slug)] = Entry(position, _read(path, course_dir))
        elif parsed is not None:
            for position, slug, path in _numbered_files(folder, ".md"):
                tree[lesson_key(parsed[1], slug)] = Entry(position, _read(path, course_dir))
    if quiz_dir.is_dir():
        for path in sorted(quiz_dir.iterdir()):
            if path.suffix in {".yaml", ".yml"} and not path.name.startswith("."):
                tree[quiz_key(path.stem)] = Entry(None, _read(path, quiz_dir))
    return tree


def _read(path, root):
    """A file's text; a symlink is refused before it is read."""
    try:
        return read_content_file(path, root)
    except ContentError as error:
        raise ContentErrors([error]) from None


def _numbered_files(folder, suffix):
    for path in sorted(folder.iterdir()):
        parsed = ordered_name(path.name)
        if path.is_file() and path.name.endswith(suffix) and parsed is not None:
            yield parsed[0], parsed[1], path


def module_slugs(course_yaml_text, path=COURSE_FILE):
    """The module slugs in the order course.yaml lists them."""
    data = parse_yaml(course_yaml_text, path)
    modules = data.get("modules") if isinstance(data, dict) else None
    if not isinstance(modules, list):
        raise ContentErrors([ContentError(path, None, "course.yaml hat keine Liste 'modules'.")])
    return [str(m.get("slug")) for m in modules if isinstance(m, dict) and m.get("slug")]


def module_positions(tree):
    """{module slug: position (1, 2, …)} in the order the tree's course.yaml
    lists the modules; empty when it has no course.yaml or no module list."""
    try:
        return {slug: index for index, slug in enumerate(module_slugs(tree[COURSE_FILE].text), start=1)}
    except (ContentErrors, KeyError):
        return {}


def relative_path(course_slug, key, entry, module_positions):
    """Where a tree entry lives below the content root, e.g.
    ``course/kurs/03-neue-mitglieder/01-der-erste-kontakt.md``."""
    if key in (COURSE_FILE, SUMMARY_FILE):
        return f"course/{course_slug}/{key}"
    kind, _, rest = key.partition("/")
    if kind == "quizzes":
        return f"quizzes/{course_slug}/{rest}.yaml"
    if kind == "templates":
        return f"course/{course_slug}/{HANDOUT_DIR}/{entry.position:02d}-{rest}.md"
    module_slug, _, lesson_slug = rest.partition("/")
    # A module missing from course.yaml gets a folder all the same, so the
    # loader can report it instead of the lesson vanishing silently.
    folder = f"{module_positions.get(module_slug, 99):02d}-{module_slug}"
    return f"course/{course_slug}/{folder}/{entry.position:02d}-{lesson_slug}.md"


def write_tree(course_slug, tree, root):
    """Write the tree below ``root`` (``root/course/<slug>/…``,
    ``root/quizzes/<slug>/…``); return the written relative paths."""
    root = Path(root)
    positions = module_positions(tree)
    (root / "course" / course_slug).mkdir(parents=True, exist_ok=True)
    (root / "quizzes" / course_slug).mkdir(parents=True, exist_ok=True)
    for slug in positions:  # empty module folders make the loader say "no lesson"
        (root / "course" / course_slug / f"{positions[slug]:02d}-{slug}").mkdir(exist_ok=True)
    written = []
    for key, entry in sorted(tree.items()):
        relative = relative_path(course_slug, key, entry, positions)
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(entry.text, encoding="utf-8")
        written.append(relative)
    return written


def tree_hash(tree):
    """A fingerprint of the whole tree (texts and positions)."""
    digest = hashlib.sha256()
    for key, entry in sorted(tree.items()):
        digest.update(f"{key}\0{entry.position}\0{entry.text}\0".encode())
    return digest.hexdigest()


def key_label(key):
    """A short German description of a key for lists and previews."""
    if key == COURSE_FILE:
        return "Kursdaten (course.yaml)"
    if key == SUMMARY_FILE:
        return "Zusammenfassung für den Leitfaden"
    kind, _, rest = key.partition("/")
    return {"lessons": "Lektion", "templates": "Vorlage", "quizzes": "Quiz"}.get(kind, kind) + f" {rest}"

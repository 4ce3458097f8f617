"""Reading content files with line numbers, so every error can say where.

YAML is parsed with ruamel.yaml's round-trip loader, which remembers the
line of every key and list item, and follows YAML 1.2: ``ja``/``nein``/``yes``
stay strings instead of silently turning into booleans.
"""
import re
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_TITLE = 200  # titles are stored in VARCHAR(255) columns
ORDERED_NAME = re.compile(r"^(\d+)-(.+)$")
# Per content file (lesson, template, summary, course.yaml, quiz). The biggest
# shipped lesson has 12 KB, the biggest quiz 25 KB. Rendering grows faster
# than linearly with the text: a 5 MB lesson took half a minute to load.
MAX_FILE_BYTES = 200 * 1024
TEXT_TOO_BIG = f"Der Text ist größer als {MAX_FILE_BYTES // 1024} KB. Kürze ihn oder teile ihn auf."


@dataclass
class ContentError(Exception):
    """A problem in a content file. ``line`` is 1-based, or None for the file as a whole."""

    path: str
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class ContentErrors(Exception):
    """All problems found in one validation run."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def link_error(path, root):
    """A ContentError when ``path`` (below ``root``) is a symlink or lies in
    a symlinked folder, else None. Content is only read from real files in
    the content folder: a link could turn any file of the server into a
    lesson, and a link to another lesson would fork silently on export."""
    path, root = Path(path), Path(root)
    real_root = root.resolve()
    resolved = path.resolve()
    try:
        if resolved == real_root / path.relative_to(root):
            return None
    except ValueError:  # not below root at all
        pass
    what = "Der Ordner" if path.is_dir() else "Die Datei"
    if resolved.is_relative_to(real_root):
        return ContentError(str(path), None, f"{what} ist ein Symlink und wird nicht gelesen. "
                                             "Ersetze den Link durch eine Kopie.")
    return ContentError(str(path), None, f"{what} zeigt außerhalb des Inhaltsordners (Symlink) und wird nicht gelesen. "
                                         "Ersetze den Link durch eine Kopie.")


def read_content_file(path, root):
    """The text of a content file below ``root``; raises ContentError naming it.

    A symlink is refused before anything is read (see ``link_error``), a
    file over MAX_FILE_BYTES once one byte past the limit is read. A leading
    byte-order mark is dropped, so a file saved by a Windows editor reads
    exactly like one without; so do its CRLF line ends."""
    path = Path(path)
    error = link_error(path, root)
    if error is not None:
        raise error
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ContentError(str(path), None, f"Die Datei kann nicht gelesen werden: {error.strerror}.") from None
    if len(data) > MAX_FILE_BYTES:
        raise ContentError(str(path), None, TEXT_TOO_BIG)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ContentError(str(path), None, f"Die Datei ist nicht UTF-8-kodiert ({error.reason}).") from None
    return unix_newlines(text)


def unix_newlines(text):
    """``text`` with LF line ends only (CRLF and lone CR become LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def parse_yaml(text, path, first_line=1):
    """Parse YAML text that starts at ``first_line`` of ``path``."""
    try:
        return YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + mark.line if mark else None
        problem = error.problem or error.context or "ungültiges YAML"
        raise ContentError(path, line, f"Ungültiges YAML: {problem}") from None
    except YAMLError as error:
        raise ContentError(path, None, f"Ungültiges YAML: {error}") from None


def split_front_matter(text, path):
    """Split a Markdown file into (front matter text, body, body's first line).

    The front matter sits between a first line ``---`` and the next ``---``.
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, "Front Matter fehlt: die Datei muss mit einer Zeile '---' beginnen.")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:]), index + 2
    raise ContentError(path, 1, "Front Matter wird nicht mit einer Zeile '---' abgeschlossen.")


def ordered_name(name):
    """'03-erster-kontakt.md' -> (3, 'erster-kontakt'); None when unnumbered."""
    stem = name[:-3] if name.endswith(".md") else name
    match = ORDERED_NAME.match(stem)
    if not match:
        return None
    return int(match.group(1)), match.group(2)


class Fields:
    """Typed access to a YAML mapping that records errors with line numbers.

    Reading a missing or mistyped field records an error and returns None,
    so one pass over a file reports every problem in it, not just the first.
    """

    def __init__(self, mapping, path, errors, first_line=1, line=None, what="Datei", warnings=None):
        self.path = path
        self.errors = errors
        # Problems that don't stop a load but that shipped content must not have.
        self.warnings = warnings if warnings is not None else []
        self.first_line = first_line
        self.own_line = line if line is not None else first_line
        if not isinstance(mapping, dict):
            self.mapping = {}
            errors.append(ContentError(path, self.own_line, f"{what} muss aus 'schlüssel: wert'-Zeilen bestehen."))
        else:
            self.mapping = mapping

    def line(self, key=None):
        """The 1-based line of ``key`` (or of the mapping itself)."""
        lc = getattr(self.mapping, "lc", None)
        if lc is None:
            return self.own_line
        if key is not None and key in self.mapping:
            return self.first_line + lc.key(key)[0]
        return self.own_line

    def item_line(self, key, index):
        sequence = self.mapping.get(key)
        lc = getattr(sequence, "lc", None)
        if lc is None:
            return self.line(key)
        return self.first_line + lc.item(index)[0]

    def error(self, message, key=None, line=None):
        self.errors.append(ContentError(self.path, line or self.line(key), message))

    def warn(self, message, key=None, line=None):
        self.warnings.append(ContentError(self.path, line or self.line(key), message))

    def has(self, key):
        return key in self.mapping and self.mapping[key] is not None

    def text(self, key, required=True, default="", max_length=None):
        value = self.mapping.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(f"Pflichtfeld '{key}' fehlt oder ist leer.", key)
            return None if required else default
        if isinstance(value, (dict, list)):
            self.error(f"'{key}' muss ein Text sein.", key)
            return None
        text = str(value).strip()
        if max_length is not None and len(text) > max_length:
            self.error(f"'{key}' ist {len(text)} Zeichen lang; erlaubt sind höchstens {max_length}.", key)
            return None
        return text

    def integer(self, key, minimum, maximum, required=True, default=None):
        value = self.mapping.get(key)
        if value is None:
            if required:
                self.error(f"Pflichtfeld '{key}' fehlt.", key)
            return default
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            self.error(f"'{key}' muss eine ganze Zahl von {minimum} bis {maximum} sein, nicht '{value}'.", key)
            return default
        return value

    def boolean(self, key, required=False, default=False):
        value = self.mapping.get(key)
        if value is None:
            if required:
                self.error(f"Pflichtfeld '{key}' fehlt (true oder false).", key)
            return default
        if not isinstance(value, bool):
            self.error(f"'{key}' muss true oder false sein, nicht '{value}'.", key)
            return default
        return value

    def choice(self, key, options, default=None):
        value = self.mapping.get(key)
        if value is None:
            if default is None:
                self.error(f"Pflichtfeld '{key}' fehlt ({' oder '.join(options)}).", key)
            return default
        if value not in options:
            self.error(f"'{key}' muss {' oder '.join(options)} sein, nicht '{value}'.", key)
            return default
        return value

    def slug(self, key):
        value = self.text(key)
        if value is not None and not SLUG.match(value):
            self.error(f"'{key}' muss ein Slug sein (Kleinbuchstaben, Ziffern, Bindestriche), nicht '{value}'.", key)
            return None
        return value

    def text_list(self, key, required=True, min_items=1):
        value = self.mapping.get(key)
        if value is None:
            if required:
                self.error(f"Pflichtfeld '{key}' fehlt.", key)
            return []
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            self.error(f"'{key}' muss eine Liste von Texten sein.", key)
            return []
        items = [str(v).strip() for v in value]
        for index, item in enumerate(items):
            if not item:
                self.error(f"'{key}' enthält einen leeren Eintrag.", line=self.item_line(key, index))
        if len(items) < min_items:
            self.error(f"'{key}' braucht mindestens {min_items} Eintrag/Einträge.", key)
        return [item for item in items if item]

    def mapping_list(self, key, required=True):
        """A list of mappings as (Fields, index) pairs."""
        value = self.mapping.get(key)
        if value is None:
            if required:
                self.error(f"Pflichtfeld '{key}' fehlt.", key)
            return []
        if not isinstance(value, list):
            self.error(f"'{key}' muss eine Liste sein.", key)
            return []
        return [
            Fields(item, self.path, self.errors, self.first_line, line=self.item_line(key, index),
                   what=f"Eintrag {index + 1} von '{key}'", warnings=self.warnings)
            for index, item in enumerate(value)
        ]

    def unknown_keys(self, known):
        for key in self.mapping:
            if key not in known:
                self.error(f"Unbekanntes Feld '{key}' (erlaubt: {', '.join(sorted(known))}).", key)


HEADING_LINE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


def markdown_structure_errors(body, path, first_line):
    """Headings that break the document: a '#' heading (the title is already
    the page's h1) and empty sections (a heading followed directly by one of
    the same or a higher level, or by the end of the file)."""
    errors = []
    open_heading = None  # (level, text, line) of a heading with no content yet
    in_fence = False
    for number, line in enumerate(body.splitlines(), start=first_line):
        if FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else HEADING_LINE.match(line)
        if match:
            level, text = len(match.group(1)), match.group(2)
            if level == 1:
                errors.append(ContentError(path, number, f"Überschrift '# {text}': Überschriften beginnen bei '##' "
                                                         "(der Titel aus dem Front Matter ist schon die Hauptüberschrift)."))
            if open_heading and level <= open_heading[0]:
                errors.append(_empty_section(path, open_heading))
            open_heading = (level, text, number)
        elif line.strip() and open_heading:
            open_heading = None
    if open_heading:
        errors.append(_empty_section(path, open_heading))
    return errors


def _empty_section(path, heading):
    level, text, line = heading
    return ContentError(path, line, f"Leerer Abschnitt '{'#' * level} {text}': unter der Überschrift steht nichts.")

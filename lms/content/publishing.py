"""Publishing drafts, and exchanging whole courses as zip files.

Both go through the same gate as the files in the repository: the tree is
written to a temporary folder in the ``course/`` + ``quizzes/`` layout and
read back with ``read_content``, so a course published from the browser or
imported from a zip passes exactly the checks ``flask lms load-content``
makes, and errors name the file and line the trainer wrote.
"""
import dataclasses
import io
import re
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from ..audit import record
from ..media import MediaError, prepare_image, store_image
from ..models import Course, db
from ..progress import refresh_enrollments
from .loader import apply_content, read_content
from .revisions import (compare_trees, draft_tree, former_link_targets, mark_published, published_tree, record_tree,
                        save_revision)
from .source import ContentError, ContentErrors
from .tree import COURSE_FILE, Entry, read_tree, write_tree

MB = 1024 * 1024
MAX_ZIP_BYTES = 20 * MB
MAX_ZIP_FILES = 500
MAX_UNPACKED_BYTES = 50 * MB
MAX_ENTRY_BYTES = 5 * MB  # an image may have 5 MB; the loader caps text files at 200 KB
UNPACK_STEP = 64 * 1024  # bytes read and written per step when unpacking
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the lengths of name and extra field
LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
TOO_BIG_UNPACKED = f"Entpackt wäre die Zip-Datei größer als {MAX_UNPACKED_BYTES // MB} MB."
REMAKE = "Erstelle die Zip-Datei neu."
VERSION_LINE = re.compile(r'^(version:\s*["\']?)([^"\'\n]*)(["\']?\s*)$', re.MULTILINE)


class NothingToPublish(Exception):
    pass


def validate_tree(course_slug, tree):
    """Check a tree as the loader would; return its CourseSource.

    Raises ContentErrors whose paths are relative (``course/<slug>/…``)."""
    with tempfile.TemporaryDirectory(prefix="lms-validate-") as folder:
        write_tree(course_slug, tree, folder)
        try:
            courses = read_content(Path(folder) / "course", Path(folder) / "quizzes",
                                   former_targets=former_link_targets)
        except ContentErrors as errors:
            raise ContentErrors([_relative(error, folder) for error in errors.errors]) from None
        for course in courses:
            course.warnings = [_relative(w, folder) for w in course.warnings]
    return courses[0]


def _relative(error, folder):
    path = error.path
    if path.startswith(str(folder)):
        path = path[len(str(folder)):].lstrip("/")
    return ContentError(path, error.line, error.message)


def next_version(version):
    """'1.0' -> '1.1', '2' -> '3', '2026-1' -> '2026-2'; anything else gets '.1'."""
    match = re.match(r"^(.*?)(\d+)$", version.strip())
    if not match:
        return f"{version.strip()}.1" if version.strip() else "1"
    return f"{match.group(1)}{int(match.group(2)) + 1}"


def with_version(course_yaml_text, version):
    if not VERSION_LINE.search(course_yaml_text):
        return f'version: "{version}"\n' + course_yaml_text
    return VERSION_LINE.sub(lambda m: f'version: "{version}"', course_yaml_text, count=1)


def publish(course, author, build_url):
    """Make the trainers' drafts what learners see, raising the version.

    All or nothing: the whole draft tree is validated first, then the
    learner tables are updated and the drafts marked published in one
    transaction. Learners' progress, attempts and certificates are kept:
    the loader updates rows by slug and retires, never deletes."""
    with db.atomic():
        draft = draft_tree(course.slug)
        changes = compare_trees(published_tree(course.slug), draft)
        if not changes:
            raise NothingToPublish()
        version = next_version(course.version)
        draft[COURSE_FILE] = Entry(None, with_version(draft[COURSE_FILE].text, version))
        source = validate_tree(course.slug, draft)
        report = apply_content([source], build_url, retire_missing_courses=False)
        save_revision(course.slug, COURSE_FILE, draft[COURSE_FILE], author, note=f"Version {version} veröffentlicht")
        mark_published(course.slug)
        course = Course.get_by_id(course.id)
        refresh_enrollments(course)
        record(author, "content.publish", course, f"Kurs „{course.title}“ als Version {version} veröffentlicht "
               f"({len(changes)} Änderung(en)).", version=version, keys=[c.key for c in changes])
    return version, changes, report


# --- zip exchange -------------------------------------------------------------


def export_zip(course_slug, media_dir=None):
    """The published course as a zip in the ``course/`` + ``quizzes/``
    layout, with the images it uses under ``media/``."""
    tree = published_tree(course_slug)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="lms-export-") as folder:
        paths = write_tree(course_slug, tree, folder)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for relative in paths:
                archive.write(Path(folder) / relative, relative)
            for name in sorted(used_media(tree)):
                if media_dir and (Path(media_dir) / name).is_file():
                    archive.write(Path(media_dir) / name, f"media/{name}")
    return buffer.getvalue()


MEDIA_REFERENCE = re.compile(r"/media/([\w.-]+)")
MEDIA_NAME = re.compile(r"^[0-9a-f]{24}\.(png|jpg|webp)$")


def used_media(tree):
    return {name for entry in tree.values() for name in MEDIA_REFERENCE.findall(entry.text)}


class ZipImport:
    """A validated zip, ready to show as a preview and to apply."""

    def __init__(self, course_slug, tree, media, changes, warnings, version):
        self.course_slug = course_slug
        self.version = version  # the version it will be published as
        self.tree = tree
        self.media = media  # name -> PreparedImage
        self.changes = changes
        self.warnings = warnings


def read_zip(data, expected_course_slug=None):
    """Unpack and validate a course zip; nothing is written to the database.

    Raises ContentErrors for anything wrong: not a zip, too big, unsafe
    paths, more or less than one course, invalid content."""
    if len(data) > MAX_ZIP_BYTES:
        _fail(f"Die Datei ist größer als {MAX_ZIP_BYTES // MB} MB.")
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError):
        _fail("Das ist keine gültige Zip-Datei (beschädigt oder abgeschnitten?).")
    if len(members) > MAX_ZIP_FILES:
        _fail(f"Die Zip-Datei enthält mehr als {MAX_ZIP_FILES} Einträge.")
    with tempfile.TemporaryDirectory(prefix="lms-import-") as folder:
        root = Path(folder)
        media = _unpack_all(data, members, root)
        if not (root / "course").is_dir():
            _fail("Die Zip-Datei enthält keinen Ordner course/.")
        try:
            courses = read_content(root / "course", root / "quizzes", former_targets=former_link_targets)
        except ContentErrors as errors:
            raise ContentErrors([_relative(error, folder) for error in errors.errors]) from None
        if len(courses) != 1:
            _fail(f"Die Zip-Datei muss genau einen Kurs enthalten, nicht {len(courses)}.")
        course = courses[0]
        if expected_course_slug and course.slug != expected_course_slug:
            _fail(f"Die Zip-Datei enthält den Kurs '{course.slug}', nicht '{expected_course_slug}'.")
        tree = read_tree(root / "course" / course.slug, root / "quizzes" / course.slug)
        warnings = [_relative(w, folder) for w in course.warnings]
    changes = compare_trees(published_tree(course.slug), tree)
    current = Course.get_or_none(Course.slug == course.slug)
    version = course.version
    if current is not None and changes:
        version = version_after_import(current.version, course.version)
        tree[COURSE_FILE] = Entry(None, with_version(tree[COURSE_FILE].text, version))
    return ZipImport(course.slug, tree, media, changes, warnings, version)


def version_after_import(current, imported):
    """The version an import that changes the course is published as: the
    zip's own version when it is newer than the current one (a trainer
    raised it on purpose), else the next one after the current, as a
    publish would do. So different contents never share a version."""
    def numbers(version):
        return tuple(int(part) for part in re.findall(r"\d+", version or ""))
    return imported if numbers(imported) > numbers(current) else next_version(current)


def _fail(message, path="Zip-Datei"):
    raise ContentErrors([ContentError(path, None, message)])


def _unpack_all(data, members, root):
    """Unpack the course files below ``root``; return the checked images by name."""
    media = {}
    unpacked = 0
    for member in members:
        name = member.filename
        parts = PurePosixPath(name).parts
        if name.startswith("/") or "\\" in name or ".." in parts or (parts and ":" in parts[0]):
            _fail("Unsicherer Pfad in der Zip-Datei.", name)
        if member.is_dir():
            continue
        is_image = parts[0] == "media" and len(parts) == 2
        if not is_image and parts[0] not in {"course", "quizzes"}:
            _fail("Nur die Ordner course/, quizzes/ und media/ sind erlaubt.", name)
        limit = min(MAX_ENTRY_BYTES, MAX_UNPACKED_BYTES - unpacked)
        content = _unpack(data, member, limit)
        if content is None and limit < MAX_ENTRY_BYTES:
            _fail(TOO_BIG_UNPACKED)
        if content is None:
            _fail(f"Entpackt ist die Datei größer als {MAX_ENTRY_BYTES // MB} MB.", name)
        unpacked += len(content)
        if is_image:
            media[parts[1]] = _checked_image(parts[1], content, name)
        else:
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        del content  # before the next entry is unpacked: one entry in memory at a time
    return media


def _unpack(data, member, limit):
    """The bytes of one entry (bytes-like), or None when it holds more than ``limit``.

    The sizes the zip declares are never trusted: the entry is unpacked in
    small steps that stop as soon as ``limit`` is passed, and only then are
    the declared size and checksum compared with what came out. A deflate
    stream must end with its end marker, or the entry was cut off."""
    if member.flag_bits & 0x1:
        _fail("Die Datei ist verschlüsselt. Erstelle die Zip-Datei ohne Passwort neu.", member.filename)
    raw = _packed_bytes(data, member)
    if member.compress_type == zipfile.ZIP_STORED:
        content = raw if len(raw) <= limit else None
        complete = len(raw) == member.compress_size
    elif member.compress_type == zipfile.ZIP_DEFLATED:
        content, complete = _inflate(raw, limit, member.filename)
    else:
        _fail("Unbekanntes Packverfahren. Erstelle die Zip-Datei mit der Standardeinstellung (Deflate) neu.",
              member.filename)
    if content is None:
        return None
    if not complete:
        _fail(f"Die Datei ist unvollständig (abgeschnitten). {REMAKE}", member.filename)
    if zlib.crc32(content) != member.CRC:
        _fail(f"Die Prüfsumme (CRC) stimmt nicht: die Datei ist beschädigt. {REMAKE}", member.filename)
    if len(content) != member.file_size:
        _fail(f"Die angegebene Größe stimmt nicht: die Datei ist beschädigt. {REMAKE}", member.filename)
    return content


def _packed_bytes(data, member):
    """The entry's packed bytes as stored after its local header (a view,
    shorter than declared when the zip is cut off)."""
    start = member.header_offset
    if not 0 <= start <= len(data) - LOCAL_HEADER.size:
        _fail(f"Die Datei ist unvollständig (abgeschnitten). {REMAKE}", member.filename)
    signature, name_length, extra_length = LOCAL_HEADER.unpack_from(data, start)
    if signature != LOCAL_HEADER_SIGNATURE:
        _fail(f"Die Datei ist beschädigt. {REMAKE}", member.filename)
    begin = start + LOCAL_HEADER.size + name_length + extra_length
    return memoryview(data)[begin:begin + member.compress_size]


def _inflate(raw, limit, name):
    """Decompress a raw deflate stream step by step: (the bytes, or None
    once more than ``limit`` come out; whether the end marker was reached)."""
    stream = zlib.decompressobj(-zlib.MAX_WBITS)
    output = bytearray()
    offset = 0
    try:
        while not stream.eof:
            pending = stream.unconsumed_tail
            if not pending:
                pending = raw[offset:offset + UNPACK_STEP]
                offset += len(pending)
            piece = stream.decompress(pending, UNPACK_STEP)
            if not piece and not pending:
                break  # the data ends before the stream does
            output += piece
            if len(output) > limit:
                return None, False
    except zlib.error:
        _fail(f"Die Datei ist beschädigt und lässt sich nicht entpacken. {REMAKE}", name)
    return output, stream.eof


def _checked_image(name, data, path):
    if not MEDIA_NAME.match(name):
        raise ContentErrors([ContentError(path, None, "Unerwarteter Dateiname für ein Bild.")])
    try:
        prepared = prepare_image(data)
    except MediaError as error:
        raise ContentErrors([ContentError(path, None, str(error))]) from None
    return dataclasses.replace(prepared, name=name)


def apply_import(imported, author, build_url, media_folder):
    """Publish an imported tree as it is (all or nothing). Its images were
    checked by ``read_zip`` and are written only once the content is valid."""
    with db.atomic():
        source = validate_tree(imported.course_slug, imported.tree)
        report = apply_content([source], build_url, retire_missing_courses=False)
        record_tree(imported.course_slug, imported.tree, author, note="Aus Zip-Datei importiert", published=True)
        for name, prepared in imported.media.items():
            store_image(media_folder, prepared, name, author)
        course = Course.get(Course.slug == imported.course_slug)
        refresh_enrollments(course)
        record(author, "content.import", course, f"Kurs „{course.title}“ aus einer Zip-Datei als Version "
               f"{imported.version} importiert ({len(imported.changes)} Änderung(en)).",
               version=imported.version, keys=[c.key for c in imported.changes])
    return report

"""Every saved state of every content file, and which one learners see.

For each (course, key) the revisions are numbered 1, 2, 3 … The newest
revision is the trainers' *draft*; the newest revision with ``published_at``
is what is *published* (and what the learner tables Lesson, Quiz … were last
built from). A draft that equals the published state is no pending change.
See ``lms.content.tree`` for the keys.
"""
from dataclasses import dataclass

from peewee import fn

from ..models import ContentRevision, db
from ..timeutil import utcnow
from .tree import Entry

NOTE_FILES = "Aus Dateien geladen"


@dataclass
class Change:
    key: str
    before: Entry | None  # published
    after: Entry | None  # draft / incoming

    @property
    def kind(self):
        if self.before is None:
            return "neu"
        if self.after is None:
            return "entfernt"
        if self.before.text != self.after.text:
            return "geändert"
        return "verschoben"


def _entry(revision):
    return None if revision.text is None else Entry(revision.position, revision.text)


def head_revisions(course_slug, published_only=False):
    """The newest (or newest published) revision per key."""
    inner = ContentRevision.select(ContentRevision.key, fn.MAX(ContentRevision.number).alias("number")).where(
        ContentRevision.course_slug == course_slug)
    if published_only:
        inner = inner.where(ContentRevision.published_at.is_null(False))
    inner = inner.group_by(ContentRevision.key).alias("head")
    query = (ContentRevision.select().join(inner, on=(ContentRevision.key == inner.c.key) & (
        ContentRevision.number == inner.c.number)).where(ContentRevision.course_slug == course_slug))
    return {revision.key: revision for revision in query}


def _tree(revisions):
    return {key: _entry(r) for key, r in revisions.items() if r.text is not None}


def published_tree(course_slug):
    return _tree(head_revisions(course_slug, published_only=True))


def draft_tree(course_slug):
    return _tree(head_revisions(course_slug))


def former_link_targets(course_slug):
    """The link targets ("lesson:<module>/<lesson>", "template:<slug>") of
    every lesson and template this course has ever had. One that is missing
    from the content now was retired, and the checks can say so instead of
    calling it unknown."""
    keys = (ContentRevision.select(ContentRevision.key).distinct()
            .where(ContentRevision.course_slug == course_slug).tuples())
    targets = set()
    for (key,) in keys:
        kind, _, rest = key.partition("/")
        if kind == "lessons":
            targets.add(f"lesson:{rest}")
        elif kind == "templates":
            targets.add(f"template:{rest}")
    return targets


def compare_trees(before, after):
    """The changes that turn ``before`` into ``after``, sorted by key."""
    changes = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes.append(Change(key, old, new))
    return changes


def pending_changes(course_slug):
    return compare_trees(published_tree(course_slug), draft_tree(course_slug))


def save_revision(course_slug, key, entry, author, note="", published=False):
    """Store a new revision of one key (``entry`` None: removed); return it,
    or None when it equals the current draft (nothing to save)."""
    with db.atomic():
        head = (ContentRevision.select().where((ContentRevision.course_slug == course_slug) &
                                               (ContentRevision.key == key))
                .order_by(ContentRevision.number.desc()).first())
        return _save_after(head, course_slug, key, entry, author, note, published)


def _save_after(head, course_slug, key, entry, author, note, published):
    """The revision following ``head`` (the key's newest revision or None)."""
    if head is not None and _entry(head) == entry:
        if published and head.published_at is None:
            head.published_at = utcnow()
            head.save()
            return head
        return None
    return ContentRevision.create(
        course_slug=course_slug, key=key, number=(head.number + 1) if head else 1,
        position=entry.position if entry else (head.position if head else None),
        text=entry.text if entry else None, author=author, note=note,
        published_at=utcnow() if published else None)


def record_tree(course_slug, tree, author, note, published):
    """Store ``tree`` as the new state: a revision for every key whose state
    differs from the current draft, a removal for keys not in ``tree``.
    Returns the number of revisions written."""
    written = 0
    with db.atomic():
        current = head_revisions(course_slug)
        for key in sorted(set(current) | set(tree)):
            entry, head = tree.get(key), current.get(key)
            if head is None and entry is None:
                continue
            if _save_after(head, course_slug, key, entry, author, note, published) is not None:
                written += 1
    return written


def mark_published(course_slug):
    """Publish every draft head: learners now see the draft tree."""
    now = utcnow()
    for revision in head_revisions(course_slug).values():
        if revision.published_at is None:
            revision.published_at = now
            revision.save()


def has_unexported_browser_edits(course_slug):
    """True when a trainer saved something after the last load from files,
    so loading the files again would overwrite work done in the browser."""
    last_file_load = (ContentRevision.select(fn.MAX(ContentRevision.id))
                      .where((ContentRevision.course_slug == course_slug) & ContentRevision.author.is_null()).scalar())
    query = ContentRevision.select().where((ContentRevision.course_slug == course_slug) &
                                           ContentRevision.author.is_null(False))
    if last_file_load is not None:
        query = query.where(ContentRevision.id > last_file_load)
    return query.exists()


def history(course_slug, key):
    return list(ContentRevision.select().where((ContentRevision.course_slug == course_slug) &
                                               (ContentRevision.key == key))
                .order_by(ContentRevision.number.desc()))


def get_revision(course_slug, key, number):
    return ContentRevision.get_or_none((ContentRevision.course_slug == course_slug) &
                                       (ContentRevision.key == key) & (ContentRevision.number == number))


def restore(course_slug, key, number, author):
    """Make an old revision the draft again, as a new revision."""
    old = get_revision(course_slug, key, number)
    if old is None:
        return None
    return save_revision(course_slug, key, _entry(old), author, note=f"Wiederhergestellt aus Version {number}")

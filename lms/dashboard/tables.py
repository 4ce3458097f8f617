"""The unit table and the people list: filtering, sorting, and the rows the
page and the CSV/XLSX exports share (so an export is exactly what the page
shows with the same filters); the live dates the overview and a unit's page
show."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, Case, fn

from ..catalog import published_course
from ..coverage import STATUS_LABELS, STATUSES, people_progress
from ..models import Membership, QuizAttempt, Region, Unit, User
from ..timeutil import utcnow
from ..search import foldings, matches
from ..trainings.dates import upcoming_dates
from ..urls import int_arg, page_arg

UNIT_SORTS = {
    "name": lambda row: row.unit.name.casefold(),
    "region": lambda row: (row.unit.region.name, row.unit.name.casefold()),
    "status": lambda row: (STATUSES.index(row.status), row.unit.name.casefold()),
    "progress": lambda row: (row.best_percent, row.unit.name.casefold()),
    "valid_until": lambda row: (row.valid_until or datetime.min, row.unit.name.casefold()),
}
CERTIFICATE_FILTERS = {"valid": "Gültiges Zertifikat", "expired": "Abgelaufen/ersetzt/widerrufen", "none": "Kein Zertifikat"}
PAGE_SIZE = 100


@dataclass
class UnitFilter:
    region: str = ""
    status: str = ""
    query: str = ""
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_args(cls, args):
        sort = args.get("sort", "name")
        status = args.get("status", "")
        return cls(region=args.get("region", "").strip(), status=status if status in STATUSES else "",
                   query=args.get("q", "").strip()[:100], sort=sort if sort in UNIT_SORTS else "name",
                   descending=args.get("order") == "desc")

    def apply(self, rows, search_names=True):
        """Filter and sort; names are searched only while the dashboard shows them."""
        needle = self.query
        selected = [
            row for row in rows
            if (not self.region or row.unit.region.name == self.region)
            and (not self.status or row.status == self.status)
            and (not needle or matches(needle, row.unit.display_name)
                 or (search_names and any(matches(needle, o.name) for o in row.officers)))
        ]
        return sorted(selected, key=UNIT_SORTS[self.sort], reverse=self.descending)

    def args(self, **changes):
        """Query arguments for links that keep the other filters."""
        values = {"region": self.region, "status": self.status, "q": self.query, "sort": self.sort,
                  "order": "desc" if self.descending else "asc"}
        values.update(changes)
        return {key: value for key, value in values.items() if value}


UNIT_COLUMNS = ["Gliederung", "Art", "Region", "Status", "Mitgliederbeauftragte", "Bester Fortschritt (%)",
                "Zertifikat gültig bis", "Letzte Aktivität"]


def unit_export_rows(rows, with_names=True):
    """Rows for the unit export; without names, the officers column says how many."""
    for row in rows:
        activity = max((o.progress.last_activity for o in row.officers if o.progress.last_activity), default=None)
        officers = (", ".join(o.name for o in row.officers) if with_names
                    else f"{len(row.officers)} Person(en)" if row.officers else "")
        yield [row.unit.name, row.unit.kind, row.unit.region.name, STATUS_LABELS[row.status],
               officers, row.best_percent if row.officers else None, row.valid_until, activity]


# --- people -------------------------------------------------------------------


@dataclass
class PeopleFilter:
    region: str = ""
    unit_id: int | None = None
    function: str = ""
    certificate: str = ""
    query: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args):
        function = args.get("function", "")
        certificate = args.get("certificate", "")
        return cls(region=args.get("region", "").strip()[:100], unit_id=int_arg("unit"),
                   function=function if function in Membership.FUNCTIONS else "",
                   certificate=certificate if certificate in CERTIFICATE_FILTERS else "",
                   query=args.get("q", "").strip()[:100], page=page_arg())

    def args(self, **changes):
        values = {"region": self.region, "unit": self.unit_id, "function": self.function,
                  "certificate": self.certificate, "q": self.query, "page": self.page}
        values.update(changes)
        return {key: value for key, value in values.items() if value and not (key == "page" and value == 1)}


@dataclass
class PersonRow:
    user: User
    membership: Membership | None
    progress: object

    @property
    def certificate_state(self):
        certificate = self.progress.latest_certificate
        if certificate is None:
            return "none"
        return "valid" if self.progress.valid_certificate is not None else "expired"


def name_matches(needle):
    """People whose name the typed ``needle`` finds (case, umlauts and accents aside)."""
    first, second = foldings(needle)
    return User.search_key.contains(first) | User.search_key.contains(second)


def people_query(people_filter):
    """Users with their running memberships (one row per membership; users
    without a unit appear once), filtered in SQL."""
    running = (Membership.ended_at.is_null())
    query = (User.select(User, Membership, Unit, Region)
             .join(Membership, JOIN.LEFT_OUTER, on=(Membership.user == User.id) & running)
             .join(Unit, JOIN.LEFT_OUTER).join(Region, JOIN.LEFT_OUTER)
             .order_by(User.search_key, User.id))
    if people_filter.region:
        query = query.where(Region.name == people_filter.region)
    if people_filter.unit_id:
        query = query.where(Unit.id == people_filter.unit_id)
    if people_filter.function:
        query = query.where(Membership.function == people_filter.function)
    if people_filter.query:
        needle = people_filter.query.lower()
        query = query.where(name_matches(needle) | User.email.contains(needle))
    return query


def _joined_membership(user):
    """The membership a LEFT JOIN attached to ``user``, or None when it found none."""
    membership = getattr(user, "membership", None)
    return membership if membership is not None and membership.id is not None else None


def people_rows(course, people_filter, paginate=True):
    """(rows, total) for the people list. Progress is computed only for the
    rows shown, unless a certificate filter needs it for everyone."""
    query = people_query(people_filter)
    needs_all = bool(people_filter.certificate) or not paginate
    selected = query if needs_all else query.paginate(people_filter.page, PAGE_SIZE)
    users = list(selected)
    ids = [u.id for u in users]
    progress = people_progress(course, User.select(User.id).where(User.id.in_(ids)), utcnow()) if ids else {}
    rows = [PersonRow(u, _joined_membership(u), progress[u.id]) for u in users]
    if people_filter.certificate:
        rows = [r for r in rows if r.certificate_state == people_filter.certificate]
        total = len(rows)
        if paginate:
            start = (people_filter.page - 1) * PAGE_SIZE
            rows = rows[start:start + PAGE_SIZE]
        return rows, total
    return rows, (query.count() if paginate else len(rows))


PEOPLE_COLUMNS = ["Name", "E-Mail", "Gliederung", "Region", "Funktion", "Seit", "Fortschritt (%)",
                  "Zertifikat", "Zertifikat gültig bis", "Letzte Aktivität", "Registriert am"]
CERTIFICATE_LABELS = {"valid": "gültig", "expiring": "läuft bald ab", "expired": "abgelaufen", "revoked": "widerrufen",
                      "superseded": "ersetzt", "none": "keins"}


def people_export_rows(rows):
    for row in rows:
        membership = row.membership
        certificate = row.progress.valid_certificate or row.progress.latest_certificate
        yield [row.user.name, row.user.email,
               membership.unit.display_name if membership else "", membership.unit.region.name if membership else "",
               (membership.function_label + (" (wartet auf Bestätigung)" if membership.pending else "")) if membership
               else "", (membership.confirmed_at or membership.started_at) if membership else None,
               row.progress.percent,
               CERTIFICATE_LABELS[certificate.status()] if certificate else CERTIFICATE_LABELS["none"],
               certificate.expires_at if certificate else None, row.progress.last_activity, row.user.created_at]



# --- a unit's page ----------------------------------------------------------------


def course_quizzes(course):
    """The course's quizzes in course order: by module, the final test last."""
    published = published_course(course.slug)
    if published is None:
        return []
    positions = {module.id: module.position for module in published.modules}
    return sorted(published.quizzes, key=lambda quiz: (quiz.is_final, positions.get(quiz.module_id, 0), quiz.id))


def quiz_results(user_ids, at=None):
    """{user id: {quiz id: {"attempts", "passed", "passed_at"}}}: how the
    people did in each quiz until ``at`` (default: now), never their answers."""
    results = defaultdict(dict)
    if not user_ids:
        return results
    submitted = QuizAttempt.submitted_at.is_null(False)
    if at is not None:
        submitted &= QuizAttempt.submitted_at <= at
    rows = (QuizAttempt
            .select(QuizAttempt.user, QuizAttempt.quiz, fn.COUNT(QuizAttempt.id),
                    # MAX over a CASE: PostgreSQL has no MAX(boolean).
                    fn.MAX(Case(None, [(QuizAttempt.passed == True, 1)], 0)),  # noqa: E712
                    fn.MIN(QuizAttempt.submitted_at).filter(QuizAttempt.passed == True))  # noqa: E712
            .where(QuizAttempt.user.in_(user_ids) & submitted)
            .group_by(QuizAttempt.user, QuizAttempt.quiz).tuples())
    for user_id, quiz_id, attempts, passed, passed_at in rows:
        results[user_id][quiz_id] = {"attempts": attempts, "passed": bool(passed), "passed_at": passed_at}
    return results


def earlier_memberships(memberships, depth=5):
    """{membership id: the membership it continues at its origin}: where a
    function moved here from (a merge or a move), with the original unit and
    date. Follows chains of merges, one query per step."""
    origin = {m.id: m.continues_id for m in memberships if m.continues_id}
    found = {}
    pending = set(origin.values())
    for _ in range(depth):
        if not pending:
            break
        rows = {m.id: m for m in Membership.select(Membership, Unit).join(Unit).where(Membership.id.in_(list(pending)))}
        found.update(rows)
        pending = {m.continues_id for m in rows.values() if m.continues_id and m.continues_id not in found}
    result = {}
    for membership_id, earlier_id in origin.items():
        earlier = found.get(earlier_id)
        while earlier is not None and earlier.continues_id in found:
            earlier = found[earlier.continues_id]
        if earlier is not None:
            result[membership_id] = earlier
    return result


# --- live dates -------------------------------------------------------------------

ALL_NRW = "ganz NRW"


def upcoming_trainings_by_region(now=None):
    """[(region name, [TrainingDate])]: the dates not cancelled that have not
    ended, soonest first, grouped by the region they are for; the dates for
    all of NRW come first, then the regions by name. Each date carries
    ``registered`` and ``waiting`` (how many people). One query
    (``upcoming_dates``)."""
    groups = defaultdict(list)
    for training in upcoming_dates(now, count_waiting=True):
        groups[training.region_name or ALL_NRW].append(training)
    return sorted(groups.items(), key=lambda group: (group[0] != ALL_NRW, group[0].casefold()))


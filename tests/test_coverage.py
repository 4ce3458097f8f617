"""Coverage status of units, now and at past dates, on constructed cases."""
from datetime import datetime, timedelta

import pytest

from lms.coverage import month_ends, summarize, trained_units_over_time, unit_coverage
from lms.models import Course, Lesson, LessonProgress, Membership, Quiz, Unit
from lms.timeutil import utcnow

from .helpers import gen_attempt, gen_certificate, make_user

NOW = datetime(2026, 6, 15, 12, 0)


@pytest.fixture
def course(app):
    # The units were loaded "now"; these tests look at 2026, so date them back.
    Unit.update(created_at=datetime(2020, 1, 1)).execute()
    return Course.get(Course.slug == "demo")


def status_of(course, unit_name, at=NOW, **kwargs):
    unit = Unit.get(Unit.name == unit_name)
    [row] = unit_coverage(course, at=at, unit_ids=[unit.id], **kwargs)
    return row.status


def officer(email, unit="Köln", function="officer", since=datetime(2026, 1, 1), until=None):
    user = make_user(email, email.split("@")[0].title())
    Membership.create(user=user, unit=Unit.get(Unit.name == unit), function=function, started_at=since,
                      confirmed_at=since, ended_at=until)
    return user


def test_a_unit_without_officers_is_open(course):
    assert status_of(course, "Köln") == "open"


def test_board_members_alone_leave_a_unit_open(course):
    officer("vorstand@example.org", function="board")
    assert status_of(course, "Köln") == "open"


def test_an_officer_with_an_account_but_no_progress_is_registered(course):
    officer("neu@example.org")
    assert status_of(course, "Köln") == "registered"


def test_an_officer_who_started_is_in_training(course):
    user = officer("lernt@example.org")
    LessonProgress.create(user=user, lesson=Lesson.get(), first_seen_at=datetime(2026, 5, 1))
    assert status_of(course, "Köln") == "in_training"


def test_a_started_quiz_alone_counts_as_in_training(course):
    user = officer("quiz@example.org")
    gen_attempt(user, submitted=False, started_at=datetime(2026, 5, 1))
    assert status_of(course, "Köln") == "in_training"


def test_a_team_member_with_a_valid_certificate_makes_the_unit_trained(course):
    user = officer("team@example.org", function="team")
    gen_certificate(user, course, datetime(2026, 3, 1))
    assert status_of(course, "Köln") == "trained"


def test_a_certificate_running_out_soon_shows_as_expiring(course):
    user = officer("bald@example.org")
    gen_certificate(user, course, datetime(2025, 7, 1), months=12)  # expires around 2026-06-26
    assert status_of(course, "Köln") == "expiring"
    assert status_of(course, "Köln", expiring_days=5) == "trained"


def test_an_expired_certificate_does_not_count(course):
    user = officer("alt@example.org", since=datetime(2024, 1, 1))
    gen_certificate(user, course, datetime(2024, 1, 1), months=12)
    assert status_of(course, "Köln") == "registered"


def test_a_revoked_certificate_does_not_count(course):
    user = officer("widerruf@example.org")
    gen_certificate(user, course, datetime(2026, 3, 1), revoked_at=datetime(2026, 4, 1))
    assert status_of(course, "Köln") == "registered"
    assert status_of(course, "Köln", at=datetime(2026, 3, 15)) == "trained"


def test_an_officer_leaving_office_makes_the_unit_open_again(course):
    user = officer("geht@example.org", until=datetime(2026, 6, 1))
    gen_certificate(user, course, datetime(2026, 3, 1))
    assert status_of(course, "Köln") == "open"
    assert status_of(course, "Köln", at=datetime(2026, 5, 1)) == "trained"  # the past is kept


def test_two_officers_in_one_unit_the_best_counts(course):
    trained, learning = officer("a@example.org"), officer("b@example.org")
    gen_certificate(trained, course, datetime(2026, 2, 1))
    LessonProgress.create(user=learning, lesson=Lesson.get(), first_seen_at=datetime(2026, 5, 1))
    [row] = unit_coverage(course, at=NOW, unit_ids=[Unit.get(Unit.name == "Köln").id])
    assert row.status == "trained"
    assert {o.email for o in row.officers} == {"a@example.org", "b@example.org"}


def test_expiry_is_judged_by_the_latest_valid_certificate_in_the_unit(course):
    soon, later = officer("soon@example.org"), officer("later@example.org")
    gen_certificate(soon, course, datetime(2025, 7, 1))
    gen_certificate(later, course, datetime(2026, 5, 1))
    assert status_of(course, "Köln") == "trained"


def test_a_membership_that_has_not_started_yet_does_not_count(course):
    user = officer("spaeter@example.org", since=datetime(2026, 7, 1))
    gen_certificate(user, course, datetime(2026, 3, 1))
    assert status_of(course, "Köln") == "open"


def test_progress_is_counted_per_officer(course):
    user = officer("fortschritt@example.org")
    for lesson in Lesson.select().limit(2):
        LessonProgress.create(user=user, lesson=lesson, first_seen_at=datetime(2026, 5, 1),
                              completed_at=datetime(2026, 5, 2))
    [row] = unit_coverage(course, at=NOW, unit_ids=[Unit.get(Unit.name == "Köln").id])
    progress = row.officers[0].progress
    assert (progress.steps_done, progress.steps_total, progress.percent) == (2, 5, 40)
    assert progress.last_activity == datetime(2026, 5, 2)


def test_retired_units_disappear_from_the_present_but_not_from_the_past(course):
    Unit.update(retired_at=datetime(2026, 4, 1)).where(Unit.name == "Köln").execute()
    names_now = {row.unit.name for row in unit_coverage(course, at=NOW)}
    names_before = {row.unit.name for row in unit_coverage(course, at=datetime(2026, 3, 1))}
    assert "Köln" not in names_now and "Köln" in names_before
    assert len(names_before) == 54


def test_summary_counts_statuses_overall_and_per_region(course):
    gen_certificate(officer("k@example.org", unit="Köln"), course, datetime(2026, 3, 1))
    officer("b@example.org", unit="Bielefeld")
    summary = summarize(unit_coverage(course, at=NOW))
    assert summary.total == 54
    assert (summary.counts["trained"], summary.counts["registered"], summary.counts["open"]) == (1, 1, 52)
    assert summary.by_region["Mittelrhein"]["trained"] == 1
    assert summary.by_region["Ostwestfalen-Lippe"]["registered"] == 1
    assert summary.percent("trained") == 2


def test_trained_units_per_month(course):
    gen_certificate(officer("k@example.org", unit="Köln", since=datetime(2026, 1, 1)), course, datetime(2026, 3, 10))
    gen_certificate(officer("d@example.org", unit="Düren", since=datetime(2026, 1, 1), until=datetime(2026, 5, 20)),
            course, datetime(2026, 4, 2))
    series = trained_units_over_time(course, months=6, now=NOW)
    assert [(at.month, count) for at, count in series] == [(1, 0), (2, 0), (3, 1), (4, 2), (5, 1), (6, 1)]


def test_month_ends_are_the_last_moments_of_each_month():
    ends = month_ends(3, now=datetime(2026, 3, 15, 8, 0))
    assert ends == [datetime(2026, 1, 31, 23, 59, 59, 999999), datetime(2026, 2, 28, 23, 59, 59, 999999),
                    datetime(2026, 3, 15, 8, 0)]


def test_coverage_runs_a_fixed_number_of_queries(course, count_queries):
    for n, unit in enumerate(Unit.select().limit(3)):
        make_user(f"q{n}@example.org", unit_name=unit.name)
    with count_queries() as few:
        unit_coverage(course)
    for n, unit in enumerate(Unit.select().limit(40)):
        user = make_user(f"r{n}@example.org", unit_name=unit.name)
        LessonProgress.create(user=user, lesson=Lesson.get(), completed_at=utcnow())
        gen_certificate(user, course, datetime(2026, 1, 1) + timedelta(days=n))
    with count_queries() as many:
        rows = unit_coverage(course)
    assert len(many) == len(few) > 0
    assert sum(1 for r in rows if r.status in ("trained", "expiring")) >= 40


def test_the_running_totals_agree_with_the_raw_records(course):
    """The present is read from Enrollment, the past from the raw records:
    for the present moment both must say the same."""
    from lms.coverage import people_progress
    from lms.progress import refresh_enrollments

    users = [officer(f"p{n}@example.org", unit=unit.name) for n, unit in enumerate(Unit.select().limit(4))]
    lessons = list(Lesson.select())
    for n, user in enumerate(users):
        for lesson in lessons[:n]:
            LessonProgress.create(user=user, lesson=lesson, first_seen_at=datetime(2026, 5, n + 1),
                                  completed_at=datetime(2026, 5, n + 2))
    module_quiz = Quiz.select().where((Quiz.course == course) & Quiz.module.is_null(False)).first()  # a step
    gen_attempt(users[3], module_quiz, started_at=datetime(2026, 5, 20), submitted_at=datetime(2026, 5, 20, 0, 10))
    refresh_enrollments(course)
    ids = Membership.select(Membership.user).where(Membership.user.in_([u.id for u in users]))
    fast, raw = people_progress(course, ids), people_progress(course, ids, utcnow())
    for user in users:
        assert (fast[user.id].steps_done, fast[user.id].started, fast[user.id].last_activity) == \
            (raw[user.id].steps_done, raw[user.id].started, raw[user.id].last_activity)
    assert fast[users[3].id].steps_done == 4
    shown = {o.user_id: o.progress for row in unit_coverage(course) for o in row.officers}
    for user in users:  # the dashboard reads the present the same way
        assert (shown[user.id].steps_done, shown[user.id].started, shown[user.id].last_activity) == \
            (raw[user.id].steps_done, raw[user.id].started, raw[user.id].last_activity)

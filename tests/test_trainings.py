"""Live training dates: setting them up in Berlin time, places and the
waiting list (also when two people take the last place at once), mails on
promotion and cancellation, the reminder the day before (once), attendance
by the trainer's list or the date's code, and completing modules by
attending, with the certificate saying so and past coverage staying right."""
import threading
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from lms.coverage import people_progress, unit_coverage
from lms.models import (Attendance, Certificate, Course, Enrollment, LessonProgress, Membership, QuizAttempt,
                        TrainingDate, TrainingRegistration, Unit, User)
from lms.reminders import send_reminders
from lms.timeutil import format_datetime, utcnow
from lms.trainings.dates import (TrainingError, attend_with_code, cancel_registration, cancel_training,
                                 record_attendance, set_attendance, sign_up, withdraw_attendance)

from .helpers import HttpUser, gen_training, make_user


def demo():
    return Course.get(Course.slug == "demo")


def status_of(user, training):
    return TrainingRegistration.get((TrainingRegistration.user == user) & (TrainingRegistration.training == training)).status


# --- setting dates up ----------------------------------------------------------------------


def date_form(**overrides):
    data = {"title": "Grundlagenseminar Ruhr", "modules": ["grundlagen"], "starts_at": "2027-03-27T18:00",
            "ends_at": "2027-03-28T12:00", "place": "Jugendzentrum Bochum", "capacity": "12",
            "registration_deadline": "", "region": "0", "description": "Wir **üben** den ersten Kontakt."}
    data.update(overrides)
    return data


def test_an_executive_sets_up_a_date_in_berlin_time_across_the_clock_change(as_executive):
    # Saturday 18:00 is still winter time (UTC+1); Sunday 12:00 is summer time (UTC+2).
    response = as_executive.submit("/trainings/manage/new", date_form())
    assert response.status_code == 302
    training = TrainingDate.get()
    assert (training.starts_at, training.ends_at) == (datetime(2027, 3, 27, 17, 0), datetime(2027, 3, 28, 10, 0))
    assert training.registration_deadline == training.starts_at  # empty: until the start
    assert training.module_slugs == ["grundlagen"] and training.region is None
    assert "<strong>üben</strong>" in training.description_html
    page = as_executive.text(f"/trainings/{training.id}")[1]
    assert "Sa., 27.03.2027" in page or "27.03.2027, 18:00" in page
    assert "28.03.2027, 12:00" in page


@pytest.mark.parametrize("overrides,message", [
    ({"ends_at": "2027-03-27T17:00"}, "Das Ende muss nach dem Beginn liegen."),
    ({"registration_deadline": "2027-03-28T09:00"}, "Der Anmeldeschluss darf nicht nach dem Beginn liegen."),
    ({"place": ""}, "Gib einen Ort oder einen Link zur Videokonferenz an."),
    ({"modules": []}, "Wähle mindestens ein Modul."),
    ({"capacity": "0"}, "1 bis 1000 Plätze."),
    ({"video_url": "javascript:alert(1)"}, "vollständigen Link"),
])
def test_a_bad_date_is_refused_with_a_clear_message(as_executive, overrides, message):
    response = as_executive.submit("/trainings/manage/new", date_form(**overrides))
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert TrainingDate.select().count() == 0


def test_a_description_is_sanitised_like_a_lesson(as_executive):
    as_executive.submit("/trainings/manage/new", date_form(description='<script>alert(1)</script>[x](javascript:y)'))
    html = TrainingDate.get().description_html
    assert "<script" not in html and "javascript:" not in html


def test_learners_cannot_set_dates_up(logged_in):
    assert logged_in.get("/trainings/manage/new").status_code == 403
    assert logged_in.submit("/trainings/manage/new", date_form(), page="/").status_code == 403


# --- places and the waiting list -------------------------------------------------------------


def test_a_full_date_offers_the_waiting_list_and_a_freed_place_goes_to_the_first_waiting(app_context, mail_sink):
    training = gen_training(capacity=2)
    people = [make_user(f"p{n}@example.org", f"Person {n}") for n in range(4)]
    statuses = [sign_up(person, training).status for person in people]
    assert statuses == ["registered", "registered", "waiting", "waiting"]
    mail_sink.clear()
    cancel_registration(people[0], training)
    assert [status_of(p, training) for p in people] == ["cancelled", "registered", "registered", "waiting"]
    [mail] = mail_sink.to("p2@example.org")
    assert mail["Subject"] == f"Du hast einen Platz: {training.title}"
    assert f"/trainings/{training.id}" in mail.get_content()
    assert mail_sink.to("p3@example.org") == []


def test_signing_up_again_after_cancelling_queues_anew(app_context):
    training = gen_training(capacity=1)
    first, second = make_user("a@example.org"), make_user("b@example.org")
    sign_up(first, training)
    sign_up(second, training)
    cancel_registration(first, training)  # second moves up
    assert sign_up(first, training).status == "waiting"
    with pytest.raises(TrainingError, match="schon auf der Warteliste"):
        sign_up(first, training)


def test_signing_up_is_closed_after_the_deadline_and_for_cancelled_dates(app):
    person = make_user("a@example.org")
    closed = gen_training(registration_deadline=utcnow() - timedelta(minutes=1))
    with pytest.raises(TrainingError, match="Anmeldung für diesen Termin ist geschlossen"):
        sign_up(person, closed)
    cancelled = gen_training(cancelled_at=utcnow())
    with pytest.raises(TrainingError, match="abgesagt"):
        sign_up(person, cancelled)


def test_more_places_move_people_up_and_fewer_push_nobody_out(as_executive, mail_sink):
    as_executive.submit("/trainings/manage/new", date_form(capacity="1", starts_at="2099-03-27T18:00",
                                                           ends_at="2099-03-27T21:00"))
    training = TrainingDate.get()
    people = [make_user(f"p{n}@example.org") for n in range(3)]
    for person in people:
        sign_up(person, training)
    response = as_executive.submit(f"/trainings/manage/{training.id}/edit",
                                   date_form(capacity="2", starts_at="2099-03-27T18:00", ends_at="2099-03-27T21:00"),
                                   follow_redirects=True)
    assert "1 Person(en) von der Warteliste sind nachgerückt" in response.get_data(as_text=True)
    assert [status_of(p, TrainingDate.get()) for p in people] == ["registered", "registered", "waiting"]
    assert mail_sink.to("p1@example.org")
    as_executive.submit(f"/trainings/manage/{training.id}/edit",
                        date_form(capacity="1", starts_at="2099-03-27T18:00", ends_at="2099-03-27T21:00"))
    assert [status_of(p, TrainingDate.get()) for p in people] == ["registered", "registered", "waiting"]


def test_officers_sign_up_and_off_on_the_date_page(logged_in, learner):
    training = gen_training(capacity=1)
    html = logged_in.text(f"/trainings/{training.id}")[1]
    assert "1 von 1 frei" in html and ">Anmelden</button>" in html
    page = logged_in.submit(f"/trainings/{training.id}/signup", page=f"/trainings/{training.id}", follow_redirects=True)
    assert "Du bist für „Grundlagenseminar“ angemeldet" in page.get_data(as_text=True)
    assert "Du bist angemeldet" in logged_in.text("/")[1]  # the start page lists it
    page = logged_in.submit(f"/trainings/{training.id}/cancel", page=f"/trainings/{training.id}", follow_redirects=True)
    assert "abgemeldet" in page.get_data(as_text=True) and status_of(learner, training) == "cancelled"


def test_the_officers_region_comes_first(logged_in, learner):
    koeln_region = Unit.get(Unit.name == "Köln").region
    other_region = Unit.get(Unit.region != koeln_region).region
    gen_training("Anderswo", starts_in=timedelta(days=1), region=other_region)
    gen_training("Für alle", starts_in=timedelta(days=2))
    gen_training("Bei uns", starts_in=timedelta(days=3), region=koeln_region)
    html = logged_in.text("/trainings/")[1]
    assert html.index("Bei uns") < html.index("Für alle") < html.index("Anderswo")
    assert f"Region {koeln_region.name}" in html and f"Region {other_region.name}" in html
    # The course page shows the first few in the same order.
    html = logged_in.text("/learn/demo")[1]
    assert html.index("Bei uns") < html.index("Für alle") < html.index("Anderswo")


def test_two_people_taking_the_last_place_at_once_one_gets_it(app, live_server):
    with app.app_context():
        training = gen_training(capacity=1)
        people = [make_user(f"race{n}@example.org") for n in range(8)]
    browsers = [HttpUser(live_server, person.email) for person in people]
    for browser in browsers:
        assert browser.post("/login", {"email": browser.email, "password": "richtig-gutes-passwort"}, "/login")[0] == 302
    tokens = [browser.token(f"/trainings/{training.id}") for browser in browsers]
    barrier = threading.Barrier(len(browsers))
    statuses = []

    def take(index):
        barrier.wait()
        statuses.append(browsers[index].request(f"/trainings/{training.id}/signup",
                                                {"csrf_token": tokens[index]})[0])

    threads = [threading.Thread(target=take, args=(n,)) for n in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * len(browsers)
    with app.app_context():
        rows = list(TrainingRegistration.select().where(TrainingRegistration.training == training.id))
        assert sorted(r.status for r in rows) == ["registered"] + ["waiting"] * 7


# --- mails -----------------------------------------------------------------------------------


def test_cancelling_a_date_mails_everyone_registered_or_waiting(as_executive, mail_sink):
    training = gen_training(capacity=1)
    registered, waiting, gone = (make_user(f"{name}@example.org") for name in ("da", "wartet", "weg"))
    sign_up(registered, training)
    sign_up(waiting, training)
    sign_up(gone, training)
    cancel_registration(gone, training)  # no: cancelled before, told nothing
    mail_sink.clear()
    asked = as_executive.submit(f"/trainings/manage/{training.id}/cancel", page=f"/trainings/manage/{training.id}")
    assert "absagen?" in asked.get_data(as_text=True) and TrainingDate.get_by_id(training.id).cancelled_at is None
    as_executive.submit(f"/trainings/manage/{training.id}/cancel", {"confirmed": "yes"},
                        page=f"/trainings/manage/{training.id}")
    assert TrainingDate.get_by_id(training.id).cancelled_at is not None
    assert [m["Subject"] for m in mail_sink.to("da@example.org")] == ["Abgesagt: Grundlagenseminar"]
    assert "auf der Warteliste" in mail_sink.to("wartet@example.org")[0].get_content()
    assert mail_sink.to("weg@example.org") == []
    with pytest.raises(TrainingError):
        cancel_training(TrainingDate.get_by_id(training.id), None)


def test_the_reminder_goes_out_the_day_before_and_only_once(app_context, mail_sink):
    # 23:30 UTC on 1 March is already 2 March in Berlin: "tomorrow" is 3 March,
    # and a date at 18:30 Berlin time on 2 March is today, not tomorrow.
    with freeze_time("2026-03-01 23:30:00"):
        today = gen_training("Heute", starts_in=timedelta(hours=18))  # 2 March, 18:30 Berlin
        tomorrow = gen_training("Morgen", starts_in=timedelta(hours=42))  # 3 March, 18:30 Berlin
        later = gen_training("Übermorgen", starts_in=timedelta(hours=66))
        person = make_user("p@example.org")
        for training in (today, tomorrow, later):
            sign_up(person, training)
        first = send_reminders(demo())
    assert [m["Subject"] for m in mail_sink.to("p@example.org")] == ["Morgen: Morgen"]
    body = mail_sink.to("p@example.org")[0].get_content()
    assert format_datetime(tomorrow.starts_at).replace(" Uhr", "") in body and "Haus der Jugend" in body
    with freeze_time("2026-03-02 08:00:00"):
        again = send_reminders(demo())
    assert first.sent >= 1 and len(mail_sink.to("p@example.org")) == 1 and again.skipped == 0


# --- attendance ----------------------------------------------------------------------------


def test_the_code_works_only_while_the_date_runs_and_only_for_people_registered(app_context):
    training = gen_training(starts_in=timedelta(hours=1), hours=2)
    registered, stranger = make_user("da@example.org"), make_user("fremd@example.org")
    sign_up(registered, training)
    with pytest.raises(TrainingError, match="nur während des Termins"):
        attend_with_code(registered, training.attendance_code)  # an hour too early
    during = training.starts_at + timedelta(minutes=30)
    with pytest.raises(TrainingError, match="nicht angemeldet"):
        attend_with_code(stranger, training.attendance_code, now=during)
    with pytest.raises(TrainingError, match="Diesen Code gibt es nicht"):
        attend_with_code(registered, "XXXXXX", now=during)
    attendance = attend_with_code(registered, training.attendance_code.lower(), now=during)
    assert attendance.recorded_via == "code"
    with pytest.raises(TrainingError, match="nur während des Termins"):
        attend_with_code(registered, training.attendance_code, now=training.ends_at + timedelta(seconds=1))


def test_walk_ins_may_use_the_code_when_the_date_allows_it(app):
    training = gen_training(starts_in=timedelta(hours=-1), walk_ins_allowed=True)
    attendance = attend_with_code(make_user("spontan@example.org"), training.attendance_code)
    assert attendance.training_id == training.id


def test_attendees_enter_the_code_on_a_page(logged_in, learner):
    training = gen_training(starts_in=timedelta(minutes=-10))
    sign_up(learner, training, now=training.starts_at - timedelta(days=1))
    response = logged_in.submit("/trainings/attend", {"code": training.attendance_code}, follow_redirects=True)
    assert "Deine Teilnahme an „Grundlagenseminar“ ist eingetragen" in response.get_data(as_text=True)
    wrong = logged_in.submit("/trainings/attend", {"code": "ABCDEF"})
    assert "Diesen Code gibt es nicht" in wrong.get_data(as_text=True)


def test_the_trainer_ticks_who_came_and_a_tick_taken_back_is_kept_as_withdrawn(app, client):
    trainer = make_user("tina@example.org", is_trainer=True)
    training = gen_training(starts_in=timedelta(hours=-2))
    people = [make_user(f"p{n}@example.org", f"Person {n}") for n in range(3)]
    for person in people:
        sign_up(person, training, now=training.starts_at - timedelta(days=1))
    client.login(trainer.email)
    page = client.text(f"/trainings/manage/{training.id}")[1]
    assert all(f'value="{p.id}"' in page for p in people) and training.attendance_code in page
    client.submit(f"/trainings/manage/{training.id}", {"present": [str(people[0].id), str(people[1].id)]})
    assert {a.user_id for a in Attendance.select().where(Attendance.withdrawn_at.is_null())} == {people[0].id,
                                                                                                 people[1].id}
    client.submit(f"/trainings/manage/{training.id}", {"present": [str(people[0].id)]})
    withdrawn = Attendance.get(Attendance.user == people[1])
    assert withdrawn.withdrawn_at is not None and withdrawn.withdrawn_by_id == trainer.id
    assert Attendance.select().count() == 2  # nothing deleted


# --- completion through attendance -----------------------------------------------------------


def set_rule(value):
    course = demo()
    course.completion = {**course.completion, "attendance": value}
    course.save()
    from lms.catalog import new_revision
    new_revision()


def module_lessons(slug):
    from lms.catalog import published_course
    published = published_course("demo")
    module = next(m for m in published.modules if m.slug == slug)
    return [lesson.id for lesson in published.lessons_by_module[module.id]]


def test_without_a_rule_attending_completes_nothing(app):
    person = make_user("p@example.org")
    record_attendance(gen_training(starts_in=timedelta(hours=-1)), person, "trainer")
    assert LessonProgress.select().where(LessonProgress.user == person).count() == 0


def test_with_lessons_attending_completes_the_modules_lessons_but_not_its_quiz(app):
    set_rule("lessons")
    person = make_user("p@example.org")
    training = gen_training(starts_in=timedelta(hours=-1), modules=["grundlagen"])
    attendance = record_attendance(training, person, "trainer")
    done = {p.lesson_id for p in LessonProgress.select().where((LessonProgress.user == person)
                                                                & LessonProgress.completed_at.is_null(False))}
    assert done == set(module_lessons("grundlagen"))
    assert all(p.attendance_id == attendance.id for p in LessonProgress.select())
    assert QuizAttempt.select().count() == 0


def test_with_module_attending_completes_the_quiz_too_and_the_certificate_says_how(app):
    set_rule("module")
    person = make_user("p@example.org", "Paula Präsenz", unit_name="Köln")
    first = gen_training("Grundlagen live", starts_in=timedelta(days=-2), modules=["grundlagen"])
    second = gen_training("Praxis live", starts_in=timedelta(hours=-1), modules=["praxis"])
    record_attendance(first, person, "trainer")
    assert Certificate.select().count() == 0
    record_attendance(second, person, "code")
    certificate = Certificate.get(Certificate.user == person)
    assert "durch Teilnahme an „Grundlagen live“" in certificate.completed_via
    assert "„Praxis live“" in certificate.completed_via
    # Counted passes for attending are no answered attempts: quiz pages and statistics leave them out.
    assert QuizAttempt.select().where(QuizAttempt.attendance.is_null(False)).count() == 2
    from lms.quiz.attempts import submitted_attempts
    assert list(submitted_attempts(person, first.course.quizzes.first())) == []


def test_a_withdrawn_tick_withdraws_what_it_completed(app):
    set_rule("module")
    person = make_user("p@example.org")
    training = gen_training(starts_in=timedelta(hours=-1), modules=["grundlagen"])
    attendance = record_attendance(training, person, "trainer")
    withdraw_attendance(attendance, by=None)
    assert LessonProgress.select().where(LessonProgress.completed_at.is_null(False)).count() == 0
    assert QuizAttempt.select().where(QuizAttempt.passed == True).count() == 0  # noqa: E712
    record_attendance(training, person, "trainer")  # ticked again
    assert LessonProgress.select().where(LessonProgress.completed_at.is_null(False)).count() == len(
        module_lessons("grundlagen"))


def test_the_trainers_list_credits_each_person_ticked_and_takes_back_an_untick(app):
    set_rule("module")
    trainer = make_user("tina@example.org", is_trainer=True)
    training = gen_training(starts_in=timedelta(hours=-1), modules=["grundlagen", "praxis"])
    people = [make_user(f"p{n}@example.org", f"Person {n}") for n in range(3)]
    for person in people:
        sign_up(person, training, now=training.starts_at - timedelta(days=1))
    assert set_attendance(training, [people[0].id, people[1].id], trainer) == (2, 0)
    steps = {e.user_id: e.steps_done for e in Enrollment.select()}
    assert steps[people[0].id] == steps[people[1].id] > 0 and steps.get(people[2].id, 0) == 0
    assert {c.user_id for c in Certificate.select()} == {people[0].id, people[1].id}
    assert set_attendance(training, [people[0].id], trainer) == (0, 1)
    assert Enrollment.get(Enrollment.user == people[1]).steps_done == 0
    assert Enrollment.get(Enrollment.user == people[0]).steps_done == steps[people[0].id]


def test_after_a_certificate_attending_completes_again_what_it_covers(app):
    set_rule("module")
    person = make_user("p@example.org")
    with freeze_time("2026-01-10 10:00:00"):
        first = record_attendance(gen_training(starts_in=timedelta(hours=-1), modules=["grundlagen", "praxis"]),
                                  person, "trainer")
    assert Certificate.select().count() == 1
    with freeze_time("2026-03-10 10:00:00"):
        second = record_attendance(gen_training(starts_in=timedelta(hours=-1), modules=["grundlagen"]),
                                   person, "trainer")
    by_lesson = {p.lesson_id: p.attendance_id for p in LessonProgress.select()}
    assert {by_lesson[lesson] for lesson in module_lessons("grundlagen")} == {second.id}
    assert {by_lesson[lesson] for lesson in module_lessons("praxis")} == {first.id}
    assert QuizAttempt.select().where(QuizAttempt.attendance == second).count() == 1


def test_lessons_read_online_keep_their_own_record(app):
    set_rule("lessons")
    person = make_user("p@example.org")
    lesson_id = module_lessons("grundlagen")[0]
    read_at = utcnow() - timedelta(days=3)
    LessonProgress.create(user=person, lesson=lesson_id, first_seen_at=read_at, completed_at=read_at)
    record_attendance(gen_training(starts_in=timedelta(hours=-1), modules=["grundlagen"]), person, "trainer")
    online = LessonProgress.get((LessonProgress.user == person) & (LessonProgress.lesson == lesson_id))
    assert online.attendance_id is None and online.completed_at == read_at


def test_attendance_counts_in_the_dashboard_and_for_a_past_date(app):
    set_rule("module")
    officer = make_user("o@example.org", "Olga Officer", unit_name="Bonn")
    Membership.update(started_at=datetime(2026, 1, 1), confirmed_at=datetime(2026, 1, 1)).execute()
    Unit.update(created_at=datetime(2020, 1, 1)).execute()
    with freeze_time("2026-05-10 10:00:00"):
        training = gen_training(starts_in=timedelta(hours=-2), modules=["grundlagen", "praxis"])
        record_attendance(training, officer, "trainer")
    course = demo()
    ids = Membership.select(Membership.user).where(Membership.user == officer.id)
    now_progress = people_progress(course, ids)[officer.id]
    assert now_progress.valid_certificate is not None
    bonn = lambda at: next(r for r in unit_coverage(course, at=at) if r.unit.name == "Bonn").status  # noqa: E731
    assert bonn(datetime(2026, 5, 9)) == "registered"
    assert bonn(datetime(2026, 5, 11)) == "trained"
    past = people_progress(course, ids, datetime(2026, 5, 9))[officer.id]
    assert past.steps_done == 0 and past.valid_certificate is None


def test_the_certificate_pdf_and_pages_say_how_the_course_was_completed(app, client):
    set_rule("module")
    person = make_user("p@example.org", "Paula Präsenz", unit_name="Köln")
    with app.test_request_context():
        for slug in ("grundlagen", "praxis"):
            record_attendance(gen_training(f"{slug.title()} live", starts_in=timedelta(hours=-1), modules=[slug]),
                              person, "trainer")
    certificate = Certificate.get(Certificate.user == person)
    client.login(person.email)
    from .test_certificates import pdf_text
    text = pdf_text(client.get(f"/certificates/{certificate.code}.pdf").data)
    assert "Abgeschlossen online und durch Teilnahme an" in text.replace("\n", " ")
    assert "durch Teilnahme an „Grundlagen live“" in client.text(f"/certificates/{certificate.code}")[1]
    assert "durch Teilnahme an „Grundlagen live“" in client.text(f"/verify/{certificate.code}")[1]


def test_the_quiz_page_says_it_counts_as_passed_by_attendance(app, logged_in, learner):
    set_rule("module")
    with app.test_request_context():
        record_attendance(gen_training("Grundlagen live", starts_in=timedelta(hours=-1), modules=["grundlagen"]),
                          learner, "trainer")
    html = logged_in.text("/quiz/demo/grundlagen")[1]
    assert "Dieses Quiz zählt als bestanden: Du hast am Termin „Grundlagen live“" in html
    assert "Deine Versuche" not in html  # no answered attempt to list


def test_deleting_an_account_gives_its_places_to_the_people_waiting(app_context, mail_sink):
    from lms.privacy import anonymise
    training = gen_training(capacity=1)
    leaving, waiting = make_user("geht@example.org"), make_user("wartet@example.org")
    sign_up(leaving, training)
    sign_up(waiting, training)
    anonymise(User.get_by_id(leaving.id))
    assert (status_of(leaving, training), status_of(waiting, training)) == ("cancelled", "registered")
    assert mail_sink.to("wartet@example.org")


def test_the_list_of_dates_reads_each_date_with_its_region_in_one_query(logged_in, learner, count_queries):
    region = Unit.get(Unit.name == "Köln").region
    for n in range(3):
        gen_training(f"Termin {n}", region=region)
    logged_in.get("/trainings/")
    with count_queries() as few:
        logged_in.get("/trainings/")
    for n in range(3, 8):
        gen_training(f"Termin {n}", region=region)
    with count_queries() as many:
        html = logged_in.get("/trainings/").get_data(as_text=True)
    assert len(many) == len(few) and "Termin 7" in html

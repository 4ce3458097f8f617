"""Live dates in a real browser: two officers on their phones take the last
place and the waiting list, the first gives the place up and the second
gets it (and a mail); an executive sets a date up through the form and
finds its attendance code. Screenshots of each state at phone and desktop
width go to tests_e2e/artifacts/training-*.png."""
import time
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import expect
from test_browser import click_and_load, evening, flash, path_of  # tests_e2e/ is on the path, as pytest runs it

from lms.models import Region, TrainingDate, TrainingRegistration
from tests.helpers import gen_training

ARTIFACTS = Path(__file__).parent / "artifacts"
COURSE = "mitgliederbetreuung"  # the shipped course
WIDTHS = ["phone", "desktop"]


def screenshots(new_page, storage_state, path, name):
    """``path`` as the user of ``storage_state`` sees it, at both widths."""
    for width in WIDTHS:
        page = new_page(width, storage_state=storage_state)
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"training-{name}-{width}.png"), full_page=True)


def wait_for_mail(mail_sink, address, subject, seconds=15):
    """The mail to ``address`` whose subject contains ``subject``: the
    server sends mail from a background thread, so it may come a moment
    after the page."""
    deadline = time.monotonic() + seconds
    while True:
        found = [m for m in mail_sink.to(address) if subject in m["Subject"]]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, f"no mail '{subject}' to {address}"
        time.sleep(0.1)


def main_button(page, name):
    """A button in the page's main part (the header has its own "Abmelden")."""
    return page.locator("main").get_by_role("button", name=name, exact=True)


def test_the_last_place_the_waiting_list_and_moving_up_on_phones(app, create_user, new_page, login_state, mail_sink):
    first = create_user("Fiona Erste", unit_name="Essen")
    second = create_user("Sami Zweite", unit_name="Dortmund")
    earlier = create_user("Frida Früh", unit_name="Bochum")
    title = "Grundlagenseminar Ruhr"
    region = first.current_membership().unit.region
    training = gen_training(title, capacity=2, course_slug=COURSE, region=region, place="Kurt-Schumacher-Haus, Essen",
                            **evening(14))
    TrainingRegistration.create(training=training, user=earlier, status="registered")
    detail = f"/trainings/{training.id}"

    # The first officer finds the date with one place left and takes it.
    page = new_page("phone", storage_state=login_state(first))
    page.goto("/trainings/")
    item = page.locator(".training-item", has_text=title)
    expect(item).to_contain_text("1 von 2 Plätzen frei")
    expect(item).to_contain_text(f"Region {region.name}")
    screenshots(new_page, login_state(first), "/trainings/", "list")
    click_and_load(page, item.get_by_role("link", name=title))
    assert path_of(page) == detail
    click_and_load(page, main_button(page, "Anmelden"))
    flash(page, f"Du bist für „{title}“ angemeldet.")
    expect(page.locator("main")).to_contain_text("Du hast einen Platz.")
    screenshots(new_page, login_state(first), detail, "signed-up")
    page.goto("/trainings/")
    expect(page.locator(".training-item", has_text=title)).to_contain_text("Du bist angemeldet")

    # The second officer finds it full and joins the waiting list.
    other = new_page("phone", storage_state=login_state(second))
    other.goto("/trainings/")
    expect(other.locator(".training-item", has_text=title)).to_contain_text("ausgebucht – Warteliste offen")
    other.goto(detail)
    expect(other.locator("main")).to_contain_text("0 von 2 frei")
    click_and_load(other, main_button(other, "Auf die Warteliste"))
    flash(other, "Der Termin ist voll; du stehst auf der Warteliste.")
    expect(other.locator("main .card")).to_contain_text("Warteliste")
    screenshots(new_page, login_state(second), detail, "waiting")

    # The first gives the place up; it goes to the second, who gets a mail.
    page.goto(detail)
    click_and_load(page, main_button(page, "Vom Termin abmelden"))
    flash(page, f"Du bist von „{title}“ abgemeldet.")
    expect(page.locator("main")).to_contain_text("Du bist nicht angemeldet.")
    other.reload()
    expect(other.locator("main .card")).to_contain_text("Du hast einen Platz.")
    mail = wait_for_mail(mail_sink, second.email, f"Du hast einen Platz: {title}")
    assert f"/trainings/{training.id}" in mail.get_content()
    assert TrainingRegistration.get(training=training, user=second).status == "registered"
    screenshots(new_page, login_state(second), detail, "moved-up")


def test_an_executive_sets_a_date_up_and_finds_its_attendance_code(app, create_user, new_page, login_state):
    executive = create_user("Edda Exekutive", is_executive=True)
    title = "Abend Datenschutz"
    page = new_page("desktop", storage_state=login_state(executive))
    page.goto("/dashboard/")
    click_and_load(page, page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Termine"))
    assert path_of(page) == "/trainings/manage/"
    click_and_load(page, page.get_by_role("link", name="Neuer Termin"))
    assert path_of(page) == "/trainings/manage/new"
    screenshots(new_page, login_state(executive), "/trainings/manage/new", "form")

    page.get_by_label("Titel", exact=True).fill(title)
    page.locator("fieldset").get_by_role("checkbox").first.check()
    page.get_by_label("Beginn", exact=True).fill("2027-03-12T18:00")
    page.get_by_label("Ende", exact=True).fill("2027-03-12T21:00")
    page.get_by_label("Ort", exact=True).fill("Landesbüro, Düsseldorf")
    page.get_by_label("Plätze", exact=True).fill("20")
    page.get_by_label("Region", exact=True).select_option(label="Niederrhein")
    page.get_by_label("Beschreibung (Markdown)").fill("Wir gehen **gemeinsam** durch die Checkliste.")
    page.screenshot(path=str(ARTIFACTS / "training-form-filled-desktop.png"), full_page=True)
    click_and_load(page, page.get_by_role("button", name="Termin anlegen"))

    flash(page, f"Termin „{title}“ angelegt.")
    training = TrainingDate.get(TrainingDate.title == title)
    assert path_of(page) == f"/trainings/manage/{training.id}"
    assert training.region == Region.get(Region.name == "Niederrhein")
    main = page.locator("main")
    expect(main).to_contain_text("12.03.2027, 18:00–21:00 Uhr")  # Berlin time, as entered
    expect(page.locator(".code-display")).to_have_text(training.attendance_code)
    expect(main).to_contain_text("Noch niemand angemeldet.")
    screenshots(new_page, login_state(executive), urlparse(page.url).path, "attendance-new")


def test_the_attendance_list_of_a_booked_date(app, create_user, new_page, login_state):
    executive = create_user("Enno Exekutive", is_executive=True)
    training = gen_training("Wochenendseminar Köln", capacity=3, course_slug=COURSE, place="Jugendherberge Köln-Riehl",
                            **evening(21, hours=20))
    for name, unit, status in [("Ada Anwesend", "Köln", "registered"), ("Ben Bereit", "Bonn", "registered"),
                               ("Cem Dabei", "Hagen", "registered"), ("Dora Wartend", "Herne", "waiting")]:
        TrainingRegistration.create(training=training, user=create_user(name, unit_name=unit), status=status)
    path = f"/trainings/manage/{training.id}"
    page = new_page("desktop", storage_state=login_state(executive))
    page.goto(path)
    expect(page.locator(".attendance-list li")).to_have_count(4)
    expect(page.locator("main")).to_contain_text("3 von 3 Plätzen belegt, 1 auf der Warteliste")
    page.get_by_label("Ada Anwesend").check()
    click_and_load(page, page.get_by_role("button", name="Anwesenheit speichern"))
    flash(page, "Anwesenheit gespeichert: 1 eingetragen, 0 zurückgenommen.")
    expect(page.get_by_label("Ada Anwesend")).to_be_checked()
    screenshots(new_page, login_state(executive), path, "attendance-list")

"""Dashboard details an executive trips over: searching as people type,
downloads that name the right day, a chosen date that sticks, quizzes in
course order, summaries that say only what happened."""
import re
from collections import Counter
from datetime import datetime

import pytest
from freezegun import freeze_time

from lms.catalog import new_revision
from lms.models import Membership, Module, Unit
from lms.reminders import SendResult
from lms.search import matches, search_key

from .helpers import make_user
from .test_dashboard import unit_id


@pytest.mark.parametrize("typed", ["öztürk", "Öztürk", "OZTÜRK", "oeztuerk", "Ozturk", "ztür"])
def test_people_are_found_whatever_case_umlauts_or_accents(as_executive, scenario, typed):
    make_user("oe@example.org", "Ömer Öztürk", unit_name="Münster")
    make_user("andere@example.org", "Olaf Otto", unit_name="Köln")
    html = as_executive.text(f"/dashboard/people?q={typed}")[1]
    assert "Ömer Öztürk" in html and "Olaf Otto" not in html


@pytest.mark.parametrize("typed", ["muenster", "Münster", "munster", "MÜNST"])
def test_units_are_found_whatever_case_or_umlaut_spelling(as_executive, scenario, typed):
    html = as_executive.text(f"/dashboard/units?q={typed}")[1]
    assert "Münster" in html and "Köln" not in html


def test_the_admin_user_list_searches_the_same_way(client, scenario):
    make_user("oe@example.org", "Ömer Öztürk")
    make_user("admin@example.org", "Ada Admin", is_admin=True)
    client.login("admin@example.org")
    assert "Ömer Öztürk" in client.text("/admin/users?q=oeztuerk")[1]


def test_renaming_a_person_keeps_the_search_in_step(app):
    user = make_user("oe@example.org", "Ömer Öztürk")
    user.name = "Ömer Şahin"
    user.save(only=[user.__class__.name])
    stored = user.__class__.get_by_id(user.id).search_key
    assert stored == search_key("Ömer Şahin") and matches("sahin", "Ömer Şahin") and "ozturk" not in stored


def test_csv_downloads_have_one_charset_and_files_are_named_by_the_berlin_date(client, executive, scenario):
    # 23:30 UTC on 1 March is already 2 March in Berlin: the file must say so.
    with freeze_time("2026-03-01 23:30:00"):
        client.login(executive.email)
        for url, name in [("/dashboard/people.csv", "personen-2026-03-02.csv"),
                          ("/dashboard/units.csv", "gliederungen-2026-03-02.csv"),
                          ("/dashboard/people.xlsx", "personen-2026-03-02.xlsx")]:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
            if url.endswith(".csv"):
                assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_units_download_for_a_past_date_is_named_for_that_date(as_executive, scenario):
    response = as_executive.get("/dashboard/units.csv?at=2026-08-15")
    assert response.headers["Content-Disposition"] == 'attachment; filename="gliederungen-2026-08-15.csv"'


def test_a_chosen_date_is_kept_in_region_attention_and_unit_links(as_executive, scenario):
    Unit.update(created_at=datetime(2026, 1, 1)).execute()
    Membership.update(started_at=datetime(2026, 1, 1), confirmed_at=datetime(2026, 1, 1)).execute()
    html = as_executive.text("/dashboard/?at=2026-08-15")[1]
    region_links = re.findall(r'href="(/dashboard/units\?region=[^"]+)"', html)
    assert region_links and all("at=2026-08-15" in link for link in region_links)
    attention = html[html.index('id="attention-heading"'):]
    unit_links = re.findall(r'href="(/dashboard/units/\d+[^"]*)"', attention)
    assert unit_links and all(link.endswith("?at=2026-08-15") for link in unit_links)
    table = as_executive.text("/dashboard/units?at=2026-08-15")[1]
    assert all(link.endswith("at=2026-08-15") for link in re.findall(r'href="(/dashboard/units/\d+[^"]*)"', table))


def test_the_unit_page_shows_the_chosen_date(as_executive, scenario):
    Unit.update(created_at=datetime(2026, 1, 1)).execute()
    Membership.update(started_at=datetime(2026, 1, 1), confirmed_at=datetime(2026, 1, 1)).execute()
    past = as_executive.text(f"/dashboard/units/{unit_id('Köln')}?at=2026-08-15")[1]
    assert "Stand am 15.08.2026" in past
    assert "status-trained" not in past  # the certificate came on 01.09.2026
    assert "status-trained" in as_executive.text(f"/dashboard/units/{unit_id('Köln')}")[1]


def test_the_unit_page_lists_quizzes_in_course_order(as_executive, scenario):
    # Course order is the modules' order, not the order of the quiz files.
    Module.update(position=3).where(Module.slug == "grundlagen").execute()
    new_revision()
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}")[1]
    assert html.index("Quiz: Praxis") < html.index("Quiz: Grundlagen")


def test_the_unit_page_has_no_duplicate_ids(as_executive, scenario):
    html = as_executive.text(f"/dashboard/units/{unit_id('Köln')}")[1]
    repeated = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
    assert repeated == []


@pytest.mark.parametrize("result,text", [
    (SendResult([], sent=3), "3 Erinnerung(en) verschickt."),
    (SendResult([], sent=2, skipped=1), "2 Erinnerung(en) verschickt, 1 übersprungen (in diesem Zeitraum schon erinnert)."),
    (SendResult([], sent=0, failed=1),
     "0 Erinnerung(en) verschickt, 1 fehlgeschlagen (sie werden beim nächsten Mal erneut versucht)."),
])
def test_the_reminder_summary_names_only_what_happened(result, text):
    assert result.summary() == text

"""The referral page records someone who wants to stay anonymous: the name, date of birth,
contact details and permission typed are not recorded, and the case shows the generated label."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.models import Case, Consent, Person
from tests.web_browser import CHROMEDRIVER, CHROMIUM, button, check_page, chromium, serving, sign_in, wait_for_heading
from tests.web_officer import date_fields, main_text, send_form
from tests.web_pages import PASSWORD
from tests.web_pages import sign_in as sign_in_client


def test_an_anonymous_referral_records_no_name_and_shows_the_label(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    sign_in_client(client, "olive")
    form = client.get("/referrals/new").text
    assert "The person wants to stay anonymous" in form
    fields = {"anonymous": "yes", "full-name": "Typed Beforehand", **date_fields("dob", "2013-05-06")}
    fields |= {"contact": "07700 900777", "source": "young_person"} | date_fields("referred", "2026-11-02")

    opened = send_form(client, "/referrals/new", "/referrals", fields)

    assert opened.status_code == 303, opened.text
    with container.new_session() as session:
        person = session.exec(select(Person).where(Person.anonymous)).one()
        given = session.exec(select(Consent).where(Consent.person_id == person.id)).all()
    assert (person.full_name, person.date_of_birth, person.contact_details) == (None, None, None)
    assert given == []
    page = main_text(client.get(opened.headers["location"]).text)
    assert f"Young person Anonymous contact {person.id:04d}" in page and "Date of birth Not recorded" in page
    assert "Typed Beforehand" not in page


def test_the_person_page_of_an_anonymous_contact_shows_the_label(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    sign_in_client(client, "olive")
    fields = {"anonymous": "yes", "source": "young_person"} | date_fields("referred", "2026-11-02")
    opened = send_form(client, "/referrals/new", "/referrals", fields)
    assert opened.status_code == 303, opened.text
    with container.new_session() as session:
        person = session.exec(select(Person).where(Person.anonymous)).one()

    page = client.get(f"/people/{person.id}")
    refusal = client.get(f"/people/{person.id}/refusal")

    assert page.status_code == 200, page.text
    assert f"Name Anonymous contact {person.id:04d}" in main_text(page.text)
    assert "Date of birth Not recorded" in main_text(page.text)
    assert refusal.status_code == 200 and f"Anonymous contact {person.id:04d}" in main_text(refusal.text)


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the pages' SQL is the API's: one is enough
@pytest.mark.slow
def test_the_referral_page_with_its_anonymous_choice_passes_axe(
    container: Services, users, cases: dict[str, Case]
) -> None:
    with serving(container) as server, chromium() as browser:
        _anonymous_referral(browser, server)


def _anonymous_referral(browser: WebDriver, server: str) -> None:
    sign_in(browser, server, "olive", PASSWORD)
    wait_for_heading(browser, "My cases")
    browser.get(f"{server}/referrals/new")
    wait_for_heading(browser, "Open a referral")
    check_page(browser)
    browser.find_element(By.XPATH, "//label[normalize-space()='The person wants to stay anonymous']").click()
    browser.find_element(By.XPATH, "//label[normalize-space()='Young person']").click()
    button(browser, "Open referral").click()
    wait_for_heading(browser, "SEN-")
    assert "Anonymous contact" in browser.find_element(By.CLASS_NAME, "govuk-summary-list").text
    check_page(browser)

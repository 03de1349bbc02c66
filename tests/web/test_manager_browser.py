"""The managers' and admins' pages in a real browser (Debian's chromium, Selenium), every
page visited checked by axe-core against WCAG 2.2 A and AA with a clean console.

A manager sees a case in the due list, places and releases a hold, restores an archived
case and watches it come back, approves a destruction and reads its certificate; an admin
adds an officer, sets her password, and the officer signs in."""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import Case, OutcomeCode, ReferralSource, Role, User
from tests.people import GIVEN
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    PAGE_SECONDS,
    check_page,
    field_labelled,
    press,
    sign_in,
    wait_for_heading,
)
from tests.web_pages import PASSWORD

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
    ),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),  # the pages' SQL is the API's: one is enough
    pytest.mark.slow,
]


def _open(services: Services, officer: User, full_name: str, born: dt.date) -> Case:
    """As an officer records a referral, through the use cases the API calls."""
    with transaction(services.new_session) as session:
        person = services.cases.add_person(
            session, full_name=full_name, date_of_birth=born, contact_details=None, consent_given=GIVEN, user=officer
        )
        return services.cases.open(
            session,
            person_id=person.id,
            referral_date=dt.date(2026, 9, 1),
            referral_source=ReferralSource.parent_carer,
            officer=officer,
            user=officer,
        )


@pytest.fixture
def lifecycle_cases(container: Services, clock: FixedClock, users: dict[str, User]) -> dict[str, Case]:
    """Robin turns 25 today with her case still open (so her destruction waits for a manager);
    Sam's case closed last month and the sweep archived it."""
    olive = users["officer"]
    clock.set(dt.date(2026, 11, 23))
    robin = _open(container, olive, "Robin Example", dt.date(2001, 11, 24))
    clock.set(dt.date(2026, 11, 24))
    sam = _open(container, olive, "Sam Example", dt.date(2012, 3, 4))
    with transaction(container.new_session) as session:
        container.cases.close(
            session,
            case_id=sam.id,
            closed_on=dt.date(2026, 10, 1),
            outcome="Done.",
            outcome_code=OutcomeCode.advice_given,
            user=olive,
        )
    init_storage(container.settings)
    container.retention.sweep(dry_run=False)  # archives Sam's case; Robin's destruction waits
    return {"robin": robin, "sam": sam}


def _go(browser: WebDriver, link_text: str, heading: str) -> None:
    browser.find_element(By.LINK_TEXT, link_text).click()
    wait_for_heading(browser, heading)
    check_page(browser)


def _main(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def test_a_manager_holds_restores_approves_and_reads_the_certificate(
    server: str, browser: WebDriver, container: Services, users, lifecycle_cases: dict[str, Case]
) -> None:
    robin, sam = lifecycle_cases["robin"], lifecycle_cases["sam"]
    sign_in(browser, server, "maya", PASSWORD)
    wait_for_heading(browser, "All cases")
    _go(browser, "Dashboard", "Dashboard")
    assert "Robin Example" in _main(browser)

    _go(browser, "Due list", "Due list")
    assert "Robin Example" in _main(browser) and robin.reference in _main(browser)
    assert "destroy-at-age" in _main(browser) and "Awaiting approval" in _main(browser)

    # A hold, placed after a first try without what it needs, then released.
    _go(browser, "Holds", "Holds")
    _go(browser, "Place a hold", "Place a hold")
    press(browser, "Place hold")
    wait_for_heading(browser, "Place a hold")
    assert "Enter the case reference" in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    check_page(browser)
    field_labelled(browser, "Case reference").send_keys(robin.reference)
    field_labelled(browser, "This case").click()
    field_labelled(browser, "Legal").click()
    field_labelled(browser, "Why the hold is placed").send_keys("A claim is expected.")
    press(browser, "Place hold")
    wait_for_heading(browser, "Holds")
    check_page(browser)
    assert "A claim is expected." in _main(browser)
    browser.get(f"{server}/manager/due")
    wait_for_heading(browser, "Due list")
    assert "Held" in _main(browser)
    browser.get(f"{server}/manager/holds")
    browser.find_element(By.XPATH, "//a[starts-with(@href, '/manager/holds/') and contains(@href, '/release')]").click()
    wait_for_heading(browser, "Release the hold")
    check_page(browser)
    field_labelled(browser, "I confirm the hold may be released").click()
    press(browser, "Release hold")
    wait_for_heading(browser, "Holds")
    assert "No hold stands" in _main(browser)

    # Restoring Sam's archived case, watched as it comes back (the page's script polls).
    browser.get(f"{server}/manager/cases?show=archived")
    wait_for_heading(browser, "Archived cases")
    check_page(browser)
    browser.find_element(By.XPATH, f"//a[@href='/manager/cases/{sam.id}/restore']").click()
    wait_for_heading(browser, f"Restore case {sam.reference}")
    check_page(browser)
    press(browser, "Restore case")
    status = "//*[@data-watch-status]"
    WebDriverWait(browser, PAGE_SECONDS).until(
        lambda page: page.find_element(By.XPATH, status).get_attribute("data-watch-status") == "restoring"
    )
    check_page(browser)
    container.retention.restore(case_id=sam.id, holder="the worker")  # what the restore task does
    WebDriverWait(browser, PAGE_SECONDS).until(
        lambda page: page.find_element(By.XPATH, status).get_attribute("data-watch-status") == "closed"
    )
    assert "Closed" in browser.find_element(By.XPATH, status).text
    check_page(browser)

    # Approving Robin's destruction; the sweep carries it out; the certificate names no one.
    browser.get(f"{server}/manager/due")
    wait_for_heading(browser, "Due list")
    browser.find_element(By.XPATH, f"//a[@href='/manager/due/{robin.person_id}/approve']").click()
    wait_for_heading(browser, "Approve the destruction")
    check_page(browser)
    press(browser, "Approve destruction")
    wait_for_heading(browser, "Approve the destruction")
    assert "Confirm that the records may be destroyed" in _main(browser)
    check_page(browser)
    field_labelled(browser, "I confirm these records may be destroyed").click()
    press(browser, "Approve destruction")
    wait_for_heading(browser, "Due list")
    check_page(browser)
    container.retention.sweep(dry_run=False)

    _go(browser, "Certificates", "Destruction certificates")
    _go(browser, "Certificate 1", "Certificate 1")
    page = _main(browser)
    assert "destroy-at-age" in page and "maya" in page and "Robin" not in page and "2001" not in page

    _go(browser, "Audit log", "Audit log")
    field_labelled(browser, "Action").send_keys("retention.destroy.approved")
    press(browser, "Filter")
    wait_for_heading(browser, "Audit log")
    assert f"person {robin.person_id}" in _main(browser)
    check_page(browser)


def test_an_admin_adds_an_officer_who_then_signs_in(server: str, browser: WebDriver, users) -> None:
    sign_in(browser, server, "adam", PASSWORD)
    wait_for_heading(browser, "Admin")
    check_page(browser)
    _go(browser, "Users", "Users")
    _go(browser, "Add a user", "Add a user")
    field_labelled(browser, "Username").send_keys("nina")
    field_labelled(browser, "Officer").click()
    press(browser, "Add user")
    wait_for_heading(browser, "Added nina")
    assert browser.find_element(By.ID, "token").text.startswith("cv_")
    check_page(browser)
    _go(browser, "Set nina's password", "Set nina's password")
    field_labelled(browser, "New password").send_keys(PASSWORD)
    field_labelled(browser, "The same password again").send_keys(PASSWORD + " but not")
    press(browser, "Set password")
    wait_for_heading(browser, "Set nina's password")
    check_page(browser)
    field_labelled(browser, "New password").send_keys(PASSWORD)
    field_labelled(browser, "The same password again").send_keys(PASSWORD)
    press(browser, "Set password")
    wait_for_heading(browser, "Users")
    check_page(browser)
    _go(browser, "Audit log", "Audit log")

    press(browser, "Sign out")
    sign_in(browser, server, "nina", PASSWORD)
    wait_for_heading(browser, "My cases")
    check_page(browser)


def test_the_api_docs_page_works_offline_with_authorize_and_a_file_picker(
    server: str, browser: WebDriver, container: Services
) -> None:
    from tests.tokens import new_user

    _, headers = new_user(container, "maya", Role.manager)
    browser.get(f"{server}/api/v1/docs")
    field_labelled(browser, "Your casevault token").send_keys(headers["Authorization"].removeprefix("Bearer "))
    browser.find_element(By.XPATH, "//button[normalize-space()='Show the API']").click()  # stays on the page
    wait = WebDriverWait(browser, PAGE_SECONDS)
    wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, "button.authorize"))
    upload = "#operations-documents-upload_document_api_v1_cases__case_id__documents_post"
    wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, upload))
    browser.find_element(By.CSS_SELECTOR, f"{upload} .opblock-summary-control").click()
    wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, f"{upload} .try-out__btn")).pop().click()
    wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, f"{upload} input[type=file]"))
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert loaded and all(url.startswith(server) for url in loaded), loaded  # nothing from outside

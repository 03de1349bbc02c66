"""An officer's day in a real browser: casevault served by uvicorn, a real OCR worker,
Debian's chromium driven by Selenium, axe-core on every page visited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from casevault.api.app import create_app
from casevault.app.parts import audit_mac_key, init_storage
from casevault.app.services import Services
from casevault.core import casework
from casevault.core.clock import SystemClock
from casevault.core.db import transaction
from casevault.core.models import Case, Document, DocumentStatus, NoteKind, OutcomeCode, ProvidedBy, Role
from casevault.core.settings import Settings
from tests.e2e.servers import running_worker
from tests.ingest.scans import save, text_strip
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    button,
    check_page,
    chromium,
    field_labelled,
    served,
    tab_to,
    wait_for_heading,
    wait_until,
)
from tests.web_pages import PASSWORD, user_with_password

OCR_SECONDS = 180  # two scans on a loaded machine

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
    ),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),  # the pages' SQL is the API's: one is enough
    pytest.mark.slow,
]


def _type_date(browser: WebDriver, name: str, day: dt.date) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        field = browser.find_element(By.ID, f"{name}-{part}")
        field.clear()
        field.send_keys(str(value))


def _open(browser: WebDriver, link_text: str, heading: str) -> None:
    browser.find_element(By.PARTIAL_LINK_TEXT, link_text).click()
    wait_for_heading(browser, heading)
    check_page(browser)


def test_an_officer_opens_a_referral_uploads_scans_searches_writes_notes_and_closes_the_case(
    settings: Settings, tmp_path: Path
) -> None:
    audit_mac_key(settings).init()
    init_storage(settings)
    services = Services(settings, clock=SystemClock())  # the worker lives in real time too
    user_with_password(services, "olive", Role.officer)
    today = services.clock.today()
    scans = [
        save(text_strip(), tmp_path / "review.png"),
        save(text_strip(("Transport to school agreed", "Mobility assessment booked")), tmp_path / "transport.png"),
    ]
    try:
        with (
            running_worker(settings, tmp_path / "worker.log", concurrency=1),
            served(create_app(services)) as base,
            chromium() as browser,
        ):
            _journey(browser, base, today, scans)
    finally:
        services.close()


def _journey(browser: WebDriver, base: str, today: dt.date, scans: list[Path]) -> None:
    browser.get(f"{base}/")
    wait_for_heading(browser, "Sign in")
    field_labelled(browser, "Username").send_keys("olive")
    field_labelled(browser, "Password").send_keys(PASSWORD)
    button(browser, "Sign in").click()
    wait_for_heading(browser, "My cases")
    check_page(browser)

    # Find the young person (nobody yet), and open a referral for them.
    _open(browser, "Find a person", "Find a person")
    field_labelled(browser, "Name").send_keys("Jamie Example")
    _type_date(browser, "dob", today.replace(year=today.year - 14))
    button(browser, "Find").click()
    wait_until(browser, lambda page: "0 people found" in page.page_source)
    check_page(browser)
    _open(browser, "Open a referral for this name and date of birth", "Open a referral")
    assert browser.find_element(By.ID, "full-name").get_attribute("value") == "Jamie Example"
    browser.find_element(By.XPATH, "//label[normalize-space()='Parent or carer']").click()
    browser.find_element(By.XPATH, "//label[normalize-space()='The young person']").click()
    browser.find_element(By.XPATH, "//label[normalize-space()='Spoken']").click()
    button(browser, "Open referral").click()
    wait_for_heading(browser, "SEN-")
    check_page(browser)
    case_url = browser.current_url
    assert "Jamie Example" in browser.find_element(By.CLASS_NAME, "govuk-summary-list").text

    # Two scans at once, by the file button; they become ready without the page reloading.
    browser.find_element(By.ID, "upload-files").send_keys("\n".join(str(scan) for scan in scans))
    browser.find_element(By.XPATH, "//label[normalize-space()='School']").click()
    button(browser, "Upload files").click()
    wait_until(browser, lambda page: "2 files were uploaded" in page.page_source)
    check_page(browser)
    browser.execute_script("window.notReloaded = true")
    tags = lambda page: [tag.text for tag in page.find_elements(By.CSS_SELECTOR, "[data-document-id]")]  # noqa: E731
    wait_until(browser, lambda page: tags(page) == ["Ready", "Ready"], OCR_SECONDS)
    assert browser.execute_script("return window.notReloaded") is True
    check_page(browser)

    # Search a word of the second scan and open the hit at its page.
    _open(browser, "Search", "Search")
    field_labelled(browser, "Words to find in documents and notes").send_keys("mobility")
    button(browser, "Search").click()
    wait_until(browser, lambda page: 'id="results"' in page.page_source)
    assert browser.find_element(By.TAG_NAME, "mark").text.lower() == "mobility"
    wait_until(browser, lambda page: page.execute_script("return [...document.images].every(i => i.complete)"))
    check_page(browser)
    _open(browser, "transport.png, page 1", "transport.png")
    assert browser.current_url.endswith("#page-1")
    image = browser.find_element(By.CSS_SELECTOR, "#page-1 img")
    wait_until(browser, lambda page: page.execute_script("return arguments[0].naturalWidth", image) > 0)
    assert "Mobility" in browser.find_element(By.ID, "page-1").text

    # Back to the case: a note written by keyboard alone, then amended.
    browser.find_element(By.PARTIAL_LINK_TEXT, "Back to case").click()
    wait_for_heading(browser, "SEN-")
    button(browser, "Close case").click()  # without an outcome: the error summary says so
    wait_until(browser, lambda page: "govuk-error-summary" in page.page_source)
    check_page(browser)
    # From where the page put the focus (its error summary), by Tab, typing and Enter only.
    tab_to(browser, browser.find_element(By.ID, "note-text"))
    ActionChains(browser).send_keys("Spoke to the school about transport").perform()
    tab_to(browser, button(browser, "Add note"))
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    wait_until(
        browser,
        lambda page: (
            "Spoke to the school about transport" in page.find_element(By.ID, "notes").find_element(By.XPATH, "..").text
        ),
    )
    check_page(browser)
    _open(browser, "Amend or see history", "Progress summary")
    text = field_labelled(browser, "Corrected note")
    text.clear()
    text.send_keys("Spoke to the school and the family about transport")
    field_labelled(browser, "Why it is corrected").send_keys("The family was there too")
    button(browser, "Save the corrected note").click()
    wait_for_heading(browser, "SEN-")
    assert "Amended" in browser.find_element(By.CLASS_NAME, "govuk-summary-card").text
    check_page(browser)

    # Close the case, look at the to-do, sign out.
    field_labelled(browser, "Advice given").click()
    field_labelled(browser, "Outcome").send_keys("Transport arranged")
    button(browser, "Close case").click()
    wait_until(browser, lambda page: "Reopen the case" in page.page_source)
    assert "Closed" in browser.find_element(By.CLASS_NAME, "govuk-summary-list").text
    assert "History of closings" in browser.page_source
    check_page(browser)
    _open(browser, "To do", "To do")
    button(browser, "Sign out").click()
    wait_for_heading(browser, "Sign in")
    browser.get(case_url)
    wait_for_heading(browser, "Sign in")
    assert "Jamie Example" not in browser.page_source


def test_the_officers_pages_in_their_fuller_states_pass_axe(container: Services, users, cases: dict[str, Case]) -> None:
    """States the journey does not reach: people found, a note's earlier versions, a case's
    closings, note hits, a to-do with something in it, a form sent back with errors."""
    init_storage(container.settings)
    officer, case_id = users["officer"], cases["officer"].id
    with transaction(container.new_session) as session:
        note = casework.add_note(
            session,
            case=session.get(Case, case_id),  # type: ignore[arg-type]  # a stored case
            kind=NoteKind.agreed_action,
            text="Ask the school about therapy",
            date=dt.date(2026, 10, 1),
            author=officer,
            clock=container.clock,
        )
        session.add(_failed_document(case_id))
    with transaction(container.new_session) as session:
        container.corrections.amend_note(
            session, note_id=note.id, text="Ask the school about speech therapy", reason="Clearer", user=officer
        )
        container.cases.close(
            session,
            case_id=case_id,
            closed_on=dt.date(2026, 11, 1),
            outcome="Done",
            outcome_code=OutcomeCode.advice_given,
            user=officer,
        )
    with transaction(container.new_session) as session:
        container.cases.reopen(session, case_id=case_id, reason="New letter", user=officer)
    with served(create_app(container)) as base, chromium() as browser:
        browser.get(f"{base}/")
        wait_for_heading(browser, "Sign in")
        field_labelled(browser, "Username").send_keys("olive")
        field_labelled(browser, "Password").send_keys(PASSWORD)
        button(browser, "Sign in").click()
        wait_for_heading(browser, "My cases")
        for path, heading in [
            ("/people?name=jamie&dob-day=&dob-month=&dob-year=", "Find a person"),
            ("/people?name=&dob-day=31&dob-month=2&dob-year=2012", "Find a person"),  # errors
            (f"/notes/{note.id}", "Agreed action"),
            (f"/cases/{case_id}", cases["officer"].reference),
            ("/search?q=therapy", "Search"),
            ("/search?q=%22unclosed", "Search"),  # errors
            ("/todo", "To do"),
        ]:
            browser.get(f"{base}{path}")
            wait_for_heading(browser, heading)
            check_page(browser)


def _failed_document(case_id: int) -> Document:
    return Document(
        case_id=case_id,
        original_filename="letter.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        correspondence_date=dt.date(2026, 10, 1),
        provided_by=ProvidedBy.school,
        status=DocumentStatus.failed,
        failure_reason="unreadable scan",
    )

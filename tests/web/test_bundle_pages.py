"""The bundle's page in a real browser, checked by axe-core: a manager builds the bundle
(refused while an item is unmarked), watches it build, reviews the index, approves it and
records its delivery; an officer gets the not-found page."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import col, select

from casevault.app.services import Services
from casevault.core.models import Case, ItemDecision, Person, ProvidedBy, SarBundle, User
from tests.sar_requests import add_note, add_pdf_document, mark, open_request
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    check_page,
    field_labelled,
    press,
    sign_in,
    wait_for_heading,
    wait_until,
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


@pytest.fixture
def request_items(
    container: Services, users: dict[str, User], cases: dict[str, Case], server: str, tmp_path: Path
) -> dict[str, int]:
    """Olive's case: a school report (marked disclosed), the young person's letter (marked
    withheld), and a note not yet marked."""
    case = cases["officer"]
    with container.new_session() as session:
        subject = session.get(Person, case.person_id).pseudonym
    report = add_pdf_document(
        container, tmp_path, case_id=case.id, subject=subject, pages=[("Annual review",)], name="report.pdf"
    )
    own = add_pdf_document(
        container,
        tmp_path,
        case_id=case.id,
        subject=subject,
        pages=[("Private",)],
        provided_by=ProvidedBy.young_person,
        name="my-letter.pdf",
    )
    request_id = open_request(container, person_id=case.person_id, opened_by=users["manager"].id)
    mark(container, request_id, ItemDecision.disclosed, "released in full", document_id=report)
    mark(container, request_id, ItemDecision.withheld, "the young person has not agreed", document_id=own)
    return {"request": request_id, "note": add_note(container, case_id=case.id, text="Met the family.")}


def _main(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def test_a_manager_builds_reviews_approves_and_records_delivery(
    server: str, browser: WebDriver, container: Services, request_items: dict[str, int]
) -> None:
    request_id = request_items["request"]
    page = f"{server}/manager/subject-access/{request_id}/bundle"
    sign_in(browser, server, "maya", PASSWORD)
    wait_for_heading(browser, "All cases")
    browser.get(page)
    wait_for_heading(browser, "Subject access bundle")
    check_page(browser)

    press(browser, "Build the bundle")  # the note is not marked yet
    wait_for_heading(browser, "Subject access bundle")
    assert "not marked yet" in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    check_page(browser)

    mark(container, request_id, ItemDecision.disclosed, "released in full", note_id=request_items["note"])
    press(browser, "Build the bundle")
    status = "//*[@data-watch-status]"
    wait_until(browser, lambda b: b.find_element(By.XPATH, status).get_attribute("data-watch-status") == "building")
    assert "0% done" in _main(browser)
    check_page(browser)
    with container.new_session() as session:
        bundle_id = session.exec(select(SarBundle.id).order_by(col(SarBundle.id).desc())).first()
    container.sar_bundles.build(bundle_id=bundle_id)  # what the worker's task does
    wait_until(browser, lambda b: "Index" in _main(b))  # the page saw it built and reloaded itself
    check_page(browser)
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "table tbody tr")]
    assert len(rows) == 3
    assert "report.pdf" in rows[0] and "Disclosed" in rows[0]
    assert "my-letter.pdf" in rows[1] and "Withheld" in rows[1] and "has not agreed" in rows[1]
    assert "None" in rows[1]  # no pages in the bundle
    pdf_link = browser.find_element(By.LINK_TEXT, "Download the bundle (PDF)").get_attribute("href")
    assert pdf_link.endswith(f"/manager/subject-access/{request_id}/bundle.pdf")

    press(browser, "Approve the bundle")
    wait_for_heading(browser, "Subject access bundle")
    assert "Approved" in _main(browser)
    check_page(browser)

    press(browser, "Record delivery")  # nothing chosen
    wait_for_heading(browser, "Subject access bundle")
    summary = browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    assert "Select how the bundle was delivered" in summary and "Enter the date" in summary
    check_page(browser)
    field_labelled(browser, "Post").click()
    field_labelled(browser, "Day").send_keys("24")
    field_labelled(browser, "Month").send_keys("11")
    field_labelled(browser, "Year").send_keys("2026")
    press(browser, "Record delivery")
    wait_for_heading(browser, "Subject access bundle")
    assert "Delivered" in _main(browser) and "24 November 2026 by Post" in _main(browser)
    assert "22 February 2027" in _main(browser)  # destroyed 90 days after delivery
    check_page(browser)


def test_an_officer_gets_the_not_found_page(server: str, browser: WebDriver, request_items: dict[str, int]) -> None:
    sign_in(browser, server, "olive", PASSWORD)
    wait_for_heading(browser, "My cases")
    browser.get(f"{server}/manager/subject-access/{request_items['request']}/bundle")
    wait_for_heading(browser, "Page not found")
    check_page(browser)

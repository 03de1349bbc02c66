"""The subject access pages in a real browser (Debian's chromium, Selenium), every page
visited checked by axe-core against WCAG 2.2 A and AA with a clean console.

An officer opens a request from her to-do (after a first try without what it needs) and
sees it by days left; a manager finds it on the dashboard, stops and resumes its clock,
extends it, marks who may receive what and completes it."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Case, Document, ProvidedBy, RequesterKind, SarClockStop, User
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    check_page,
    field_labelled,
    press,
    sign_in,
    wait_for_heading,
)
from tests.web_pages import ORIGIN, PASSWORD, form_token, open_case
from tests.web_pages import sign_in as sign_in_client

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the pages' SQL is the API's
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
)


@pytest.fixture
def jamie(container: Services, users: dict[str, User]) -> Case:
    """Olive's case of Jamie (14), with a school's letter and one Jamie wrote herself."""
    case = open_case(container, users["officer"], "Jamie Example")
    with transaction(container.new_session) as session:
        for provided_by, sha in ((ProvidedBy.school, "a"), (ProvidedBy.young_person, "b")):
            session.add(
                Document(
                    case_id=case.id,
                    original_filename="letter.pdf",
                    content_type="application/pdf",
                    size=10,
                    sha256=sha * 64,
                    correspondence_date=dt.date(2026, 9, 2),
                    provided_by=provided_by,
                )
            )
    return case


def _main(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def _date(browser: WebDriver, name: str, day: dt.date) -> None:
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        field = browser.find_element(By.ID, f"{name}-{part}")
        field.clear()
        field.send_keys(str(value))


@needs_chromium
@pytest.mark.slow
def test_an_officer_opens_a_request_and_a_manager_answers_it(
    server: str, browser: WebDriver, users, jamie: Case
) -> None:
    sign_in(browser, server, "olive", PASSWORD)
    wait_for_heading(browser, "My cases")
    browser.get(f"{server}/todo")
    wait_for_heading(browser, "To do")
    assert "Subject access requests to answer (0)" in _main(browser)
    browser.find_element(By.LINK_TEXT, "open one").click()
    wait_for_heading(browser, "Open a subject access request")
    check_page(browser)

    press(browser, "Open the request")
    wait_for_heading(browser, "Open a subject access request")
    summary = browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    assert "Enter the reference of a case" in summary and "Choose who made the request" in summary
    check_page(browser)
    field_labelled(browser, "Case reference of the young person").send_keys(jamie.reference)
    field_labelled(browser, "A parent or carer").click()
    field_labelled(browser, "Their name").send_keys("Pat Requester")
    _date(browser, "received_on", dt.date(2026, 10, 30))  # due 30 November: 6 days left
    press(browser, "Open the request")
    wait_for_heading(browser, "Subject access request SAR-")
    check_page(browser)
    page = _main(browser)
    assert "30 November 2026" in page and "6 days left" in page and "Due soon" in page
    assert "Stop the clock" not in page  # officers open and view; managers change
    reference = browser.find_element(By.TAG_NAME, "h1").text.rsplit(" ", 1)[-1]

    browser.get(f"{server}/todo")
    wait_for_heading(browser, "To do")
    assert "Subject access requests to answer (1)" in _main(browser) and reference in _main(browser)
    check_page(browser)
    browser.find_element(By.LINK_TEXT, "Every subject access request").click()
    wait_for_heading(browser, "Subject access requests")
    assert reference in _main(browser) and "Due soon" in _main(browser)
    check_page(browser)

    browser.delete_all_cookies()
    sign_in(browser, server, "maya", PASSWORD)
    wait_for_heading(browser, "All cases")
    browser.get(f"{server}/manager")
    wait_for_heading(browser, "Dashboard")
    assert "Subject access requests to answer 1" in _main(browser)
    assert "Subject access requests due in 7 days or fewer 1" in _main(browser)
    check_page(browser)
    browser.find_element(By.LINK_TEXT, "Subject access requests to answer").click()
    wait_for_heading(browser, "Subject access requests")
    browser.find_element(By.LINK_TEXT, reference).click()
    wait_for_heading(browser, reference)
    check_page(browser)
    assert browser.find_elements(By.CLASS_NAME, "govuk-error-message") == [], "nothing is wrong yet"
    # The menu shows where she is; the request leads on to its redactions and its bundle.
    current = browser.find_element(By.CSS_SELECTOR, ".govuk-service-navigation__item--active").text
    assert current == "Subject access"
    links = {a.text: a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "main a.govuk-link")}
    number = browser.current_url.split("?")[0].split("#")[0].rsplit("/", 1)[-1]
    redact = f"{server}/manager/subject-access/{number}/redact"
    assert links["Redactions: mark what the bundle must not release"] == redact
    assert links["The bundle: build, review, approve and record its delivery"].endswith(f"/{number}/bundle")

    # The clock stops waiting for identity, then resumes 4 days later: due 4 December.
    browser.find_element(By.XPATH, "//input[@name='stop_reason' and @value='identity']").click()
    _date(browser, "stopped_on", dt.date(2026, 11, 10))
    press(browser, "Stop the clock")
    wait_for_heading(browser, reference)
    assert "Clock stopped" in _main(browser) and "(clock stopped)" in _main(browser)
    check_page(browser)
    _date(browser, "resumed_on", dt.date(2026, 11, 9))
    press(browser, "Resume the clock")
    wait_for_heading(browser, reference)
    assert "cannot resume" in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    shown = [e.text for e in browser.find_elements(By.CLASS_NAME, "govuk-error-message")]
    assert len(shown) == 1 and "cannot resume" in shown[0], "the error stands by its field, and only there"
    check_page(browser)
    _date(browser, "resumed_on", dt.date(2026, 11, 14))
    press(browser, "Resume the clock")
    wait_for_heading(browser, reference)
    assert "4 December 2026" in _main(browser) and "10 days left" in _main(browser)

    # An extension told too late is refused; told in time, it moves the due date.
    field_labelled(browser, "Two").click()
    field_labelled(browser, "Why it is complex").send_keys("Records from three cases.")
    _date(browser, "told_on", dt.date(2026, 11, 24))
    press(browser, "Extend")
    wait_for_heading(browser, reference)
    assert "3 February 2027" in _main(browser) and "2 months, told on 24 November 2026" in _main(browser)
    check_page(browser)

    # Who may receive what: Jamie's own letter is withheld from her parent.
    press(browser, "Mark the documents and notes")
    wait_for_heading(browser, reference)
    rows = [
        row.text for row in browser.find_elements(By.XPATH, "//table[.//th[normalize-space()='Decision']]/tbody/tr")
    ]
    assert len(rows) == 2
    assert rows[0].startswith("Document") and "Disclosed" in rows[0]
    assert "Withheld" in rows[1] and "share_with_parent" in rows[1]
    check_page(browser)

    press(browser, "Complete the request")
    wait_for_heading(browser, reference)
    page = _main(browser)
    assert "Completed on 24 November 2026" in page and "Released after 24 December 2026" in page
    assert "Complete the request" not in page
    check_page(browser)
    menu = (("Disclosures", "Disclosures"), ("Statistics", "Statistics"), ("Subject access", "Subject access requests"))
    for item, heading in menu:
        browser.find_element(By.LINK_TEXT, item).click()
        wait_for_heading(browser, heading)
        assert browser.find_element(By.CSS_SELECTOR, ".govuk-service-navigation__item--active").text == item


def test_who_may_open_which_subject_access_page(
    client: TestClient, container: Services, users: dict[str, User], jamie: Case
) -> None:
    """Officers open and view requests of their own cases' people; managers change them;
    anyone else gets the not-found page, and a form sent by them changes nothing."""
    with transaction(container.new_session) as session:
        opened = container.subject_access.open(
            session,
            person_id=jamie.person_id,
            requester_kind=RequesterKind.parent_carer,
            requester_name="Pat Requester",
            received_on=dt.date(2026, 11, 20),
            authority=None,
            maturity_recorded=False,
            user=users["officer"],
        )
    page = f"/subject-access/{opened.request.id}"
    expected = {"olive": 200, "oscar": 404, "maya": 200, "adam": 404}
    for username, status in expected.items():
        client.cookies.clear()
        assert sign_in_client(client, username).status_code == 303
        assert client.get(page).status_code == status, username
        assert client.get("/subject-access").status_code == (404 if username == "adam" else 200), username
        assert client.get("/subject-access/new").status_code == (404 if username == "adam" else 200), username
        if username != "maya":
            token = form_token(client.get("/accessibility").text)
            stop = {"csrf_token": token, "stop_reason": "identity", "stopped_on-day": "20"}
            stop |= {"stopped_on-month": "11", "stopped_on-year": "2026"}
            answer = client.post(f"{page}/clock-stops", data=stop, headers=ORIGIN, follow_redirects=False)
            assert answer.status_code == 404, username
    with container.new_session() as session:
        assert session.exec(select(SarClockStop)).all() == []

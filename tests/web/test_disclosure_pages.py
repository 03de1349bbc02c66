"""The officers' disclosure form: what a case releases, to whom and on which basis, through
the use case ``POST /api/v1/cases/{id}/disclosures`` calls. A parent is given what a parent
may be given, the young person's own letter withheld with the reason; a refusal names what
is missing; an exception waits for a manager and places a safeguarding hold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Case, Disclosure, Hold, HoldKind, ProvidedBy, User
from tests.ingest.scans import save, text_strip
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    check_page,
    field_labelled,
    press,
    serving,
    sign_in,
    wait_for_heading,
)
from tests.web_officer import error_summary, main_text, send_form
from tests.web_pages import PASSWORD
from tests.web_pages import sign_in as sign_in_client


def _upload(services: Services, officer: User, case: Case, path: Path, provided_by: ProvidedBy) -> int:
    """As the API's upload: the case's target, then the file accepted (queued for OCR)."""
    target = services.documents.upload_target(case_id=case.id, user=officer)  # type: ignore[arg-type]  # a stored case
    accepted = services.documents.upload(
        target,
        user=officer,
        upload=path,
        filename=path.name,
        correspondence_date=dt.date(2026, 10, 2),
        provided_by=provided_by,
    )
    assert accepted.document.id is not None
    return accepted.document.id


@pytest.fixture
def letters(container: Services, users: dict[str, User], cases: dict[str, Case], tmp_path: Path) -> dict[str, int]:
    """On olive's case: a letter Jamie wrote herself, and one her mother sent."""
    init_storage(container.settings)
    olive, case = users["officer"], cases["officer"]
    own = save(text_strip(("I do not want to go back",)), tmp_path / "my-letter.png")
    mothers = save(text_strip(("Transport to school agreed",)), tmp_path / "from-mum.png")
    return {
        "own": _upload(container, olive, case, own, ProvidedBy.young_person),
        "mothers": _upload(container, olive, case, mothers, ProvidedBy.parent_carer),
    }


def test_a_disclosure_without_the_consent_it_needs_is_refused_naming_what_is_missing(
    client: TestClient, container: Services, users, cases: dict[str, Case], letters: dict[str, int]
) -> None:
    case_id = cases["officer"].id
    page, action = f"/cases/{case_id}/disclosures/new", f"/cases/{case_id}/disclosures"
    fields = {"recipient-kind": "school", "recipient": "Hillside Academy", "basis": "consent"}
    sign_in_client(client, "olive")
    refused = send_form(client, page, action, fields | {"documents": str(letters["mothers"])})
    assert refused.status_code == 409
    assert error_summary(refused.text) == [
        "Not disclosed: no consent to share with school: contact_professionals is not recorded"
    ]
    assert f'href="/people/{cases["officer"].person_id}#consents"' in refused.text  # where to record it
    exception = send_form(client, page, action, fields | {"basis": "risk_of_harm"})
    assert exception.status_code == 422
    assert error_summary(exception.text) == ["Enter why the disclosure is necessary without consent"]
    another = send_form(client, page, action, fields | {"documents": "999999", "basis": "risk_of_harm", "reason": "x"})
    assert another.status_code == 422 and error_summary(another.text) == [f"No document 999999 on case {case_id}"]
    with container.new_session() as session:
        assert session.exec(select(Disclosure)).all() == []
    sign_in_client(client, "oscar")  # another officer's case looks missing
    hidden, missing = client.get(page), client.get("/cases/999999/disclosures/new")
    assert hidden.status_code == missing.status_code == 404 and main_text(hidden.text) == main_text(missing.text)


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the pages' SQL is the API's: one is enough
@pytest.mark.slow
def test_a_parent_is_not_given_the_young_persons_own_letter_and_an_exception_waits_for_a_manager(
    container: Services, users, cases: dict[str, Case], letters: dict[str, int], browser: WebDriver
) -> None:
    case = cases["officer"]
    with serving(container) as base:
        sign_in(browser, base, "olive", PASSWORD)
        browser.get(f"{base}/cases/{case.id}")
        wait_for_heading(browser, case.reference)
        assert "Nothing has been disclosed from this case" in browser.find_element(By.TAG_NAME, "main").text
        browser.find_element(By.LINK_TEXT, "Record a disclosure").click()
        wait_for_heading(browser, "Record a disclosure")
        check_page(browser)
        browser.find_element(By.XPATH, "//label[normalize-space()='A parent or carer']").click()
        field_labelled(browser, "Recipient").send_keys("Pat Example")
        browser.find_element(By.XPATH, "//label[normalize-space()='my-letter.png']").click()
        browser.find_element(By.XPATH, "//label[normalize-space()='from-mum.png']").click()
        browser.find_element(By.XPATH, "//label[normalize-space()='With consent']").click()
        press(browser, "Record disclosure")
        wait_for_heading(browser, "Disclosure to Pat Example")
        check_page(browser)
        released = browser.find_element(By.ID, "released").find_element(By.XPATH, "following-sibling::ul").text
        withheld = browser.find_element(By.ID, "withheld").find_element(By.XPATH, "following-sibling::table").text
        assert released == "from-mum.png"
        assert "my-letter.png" in withheld and "my-letter.png" not in released
        assert "Provided by the young person, who has not consented to share it (share_with_parent)" in withheld

        # A disclosure to the police without consent: a manager approves it, a hold is placed.
        browser.get(f"{base}/cases/{case.id}/disclosures/new")
        wait_for_heading(browser, "Record a disclosure")
        browser.find_element(By.XPATH, "//label[normalize-space()='The police']").click()
        field_labelled(browser, "Recipient").send_keys("Local police safeguarding team")
        browser.find_element(By.XPATH, "//label[contains(., 'risk of harm')]").click()
        press(browser, "Record disclosure")
        wait_for_heading(browser, "Record a disclosure")  # sent back: a reason is needed
        assert (
            "Enter why the disclosure is necessary without consent"
            in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
        )
        check_page(browser)
        field_labelled(browser, "Reason").send_keys("Disclosed a risk of harm at home")
        press(browser, "Record disclosure")
        wait_for_heading(browser, "Disclosure to Local police safeguarding team")
        check_page(browser)
        main = browser.find_element(By.TAG_NAME, "main").text
        assert "it waits for a manager's approval" in main and "A safeguarding hold was placed on the case" in main

        browser.find_element(By.PARTIAL_LINK_TEXT, "Back to case").click()
        wait_for_heading(browser, case.reference)
        check_page(browser)
        listed = browser.find_element(By.ID, "disclosures").find_element(By.XPATH, "following-sibling::table").text
        assert "Pat Example" in listed and "With consent" in listed and "1 released, 1 withheld" in listed
        assert "Local police safeguarding team" in listed and "Without consent, awaiting approval" in listed
    with container.new_session() as session:
        holds = session.exec(select(Hold).where(Hold.case_id == case.id)).all()
        rows = session.exec(select(Disclosure)).all()
    assert [hold.kind for hold in holds] == [HoldKind.safeguarding]
    assert [(row.documents, row.withheld) for row in rows] == [(str(letters["mothers"]), str(letters["own"])), ("", "")]

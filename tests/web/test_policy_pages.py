"""The managers' pages for the policy's people rules: the disclosure register and its second
person's approval, the privacy notice's versions and who is still to be told, the dashboard's
decisions (storage consent withdrawn, referrals awaiting permission) and declining a referral.

Two journeys in chromium, every page checked by axe-core; the rest through the test client:
who may open the pages, and the forms' CSRF check."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from casevault.app.services import Services
from casevault.core.consent import Given
from casevault.core.db import transaction
from casevault.core.models import (
    Case,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
    Disclosure,
    NoticeMethod,
    ReferralSource,
    Role,
    User,
)
from casevault.core.release import Basis, Recipient
from casevault.retention import notices
from tests.people import GIVEN
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    check_page,
    field_labelled,
    press,
    sign_in,
    wait_for_heading,
)
from tests.web_pages import ORIGIN, PASSWORD, form_token, user_with_password
from tests.web_pages import sign_in as sign_in_client

BROWSER_MARKS = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
    ),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),  # the pages' SQL is the API's: one is enough
    pytest.mark.slow,
]


def in_chromium(test: Callable[..., None]) -> Callable[..., None]:
    """A browser journey: on SQLite only, marked slow, skipped without chromium."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


@pytest.fixture
def mark(container: Services) -> User:
    """A second manager."""
    return user_with_password(container, "mark", Role.manager)


def _main(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def _go(browser: WebDriver, link_text: str, heading: str) -> None:
    browser.find_element(By.PARTIAL_LINK_TEXT, link_text).click()
    wait_for_heading(browser, heading)
    check_page(browser)


def _disclose(services: Services, case: Case, user: User) -> Disclosure:
    """A disclosure to the police under the risk-of-harm exception, as POST /cases/{id}/disclosures records one."""
    with transaction(services.new_session) as session:
        row, _ = services.consents.disclose(
            session,
            case_id=case.id,
            recipient_kind=Recipient.police,
            recipient="PC Example",
            document_ids=[],
            basis=Basis.risk_of_harm,
            reason="Disclosed harm at home.",
            user=user,
        )
        return row


def _referral(services: Services, officer: User, full_name: str) -> Case:
    """A school's referral, recorded with the young person's permission to record them only."""
    with transaction(services.new_session) as session:
        person = services.cases.add_person(
            session, full_name=full_name, date_of_birth=dt.date(2013, 5, 1), contact_details=None,
            consent_given=GIVEN, user=officer,
        )  # fmt: skip
        return services.cases.open(
            session,
            person_id=person.id,
            referral_date=dt.date(2026, 11, 2),
            referral_source=ReferralSource.professional,
            officer=officer,
            user=officer,
        )


def _withdraw_storage(services: Services, case: Case, officer: User) -> None:
    with transaction(services.new_session) as session:
        [given] = services.consents.record(
            session,
            person_id=case.person_id,
            given=Given(
                scopes=(ConsentScope.store_electronically,),
                given_by=ConsentGiver.young_person,
                method=ConsentMethod.verbal,
            ),
            user=officer,
        )
    with transaction(services.new_session) as session:
        services.consents.withdraw(session, consent_id=given.id, method=ConsentMethod.written, user=officer)


# --- in the browser ---------------------------------------------------------------------------


@in_chromium
def test_a_manager_approves_a_disclosure_another_manager_recorded(
    server: str, browser: WebDriver, container: Services, users, cases, mark: User
) -> None:
    jamie = cases["officer"]
    _disclose(container, cases["other_officer"], mark)  # still waiting at the end
    recorded = _disclose(container, jamie, users["manager"])  # by maya

    # maya recorded it: she sees it waiting, and the use case refuses her approval.
    sign_in(browser, server, "maya", PASSWORD)
    browser.get(f"{server}/manager")
    wait_for_heading(browser, "Dashboard")
    assert re.search(r"Disclosures awaiting approval\s+2", _main(browser))
    _go(browser, "Disclosures awaiting approval", "Disclosures")
    waiting = browser.find_element(By.XPATH, "//h2[.='Awaiting approval']/following-sibling::table[1]").text
    assert jamie.reference in waiting and "PC Example" in waiting and "Risk of harm" in waiting
    browser.find_element(By.XPATH, f"//a[@href='/manager/disclosures/{recorded.id}/approve']").click()
    wait_for_heading(browser, f"Approve disclosure {recorded.id}")
    check_page(browser)
    assert "Disclosed harm at home." in _main(browser) and "maya" in _main(browser)
    press(browser, "Approve disclosure")
    wait_for_heading(browser, f"Approve disclosure {recorded.id}")
    assert "Confirm that you approve" in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    field_labelled(browser, "I approve this disclosure without consent").click()
    press(browser, "Approve disclosure")
    wait_for_heading(browser, f"Approve disclosure {recorded.id}")
    summary = browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    assert "another manager approves it" in summary
    check_page(browser)

    # mark, the second person, approves it.
    press(browser, "Sign out")
    sign_in(browser, server, "mark", PASSWORD)
    browser.get(f"{server}/manager/disclosures/{recorded.id}/approve")
    wait_for_heading(browser, f"Approve disclosure {recorded.id}")
    field_labelled(browser, "I approve this disclosure without consent").click()
    press(browser, "Approve disclosure")
    wait_for_heading(browser, "Disclosures")
    check_page(browser)
    assert f"Disclosure {recorded.id} approved." in _main(browser)
    register = browser.find_element(By.XPATH, "//h2[.='The register']/following-sibling::table[1]").text
    assert "Approved by mark" in register
    waiting = browser.find_element(By.XPATH, "//h2[.='Awaiting approval']/following-sibling::table[1]").text
    assert jamie.reference not in waiting and cases["other_officer"].reference in waiting
    with container.new_session() as session:
        row = session.get(Disclosure, recorded.id)
        assert row is not None and row.approved_by == mark.id


@in_chromium
def test_a_manager_sees_who_is_still_to_be_told_and_declines_a_referral(
    server: str, browser: WebDriver, container: Services, users, cases
) -> None:
    olive = users["officer"]
    jamie, sam = cases["officer"], cases["other_officer"]
    with transaction(container.new_session) as session:
        notices.publish(
            session, version="2026-1", text="Our notice.\n\nYour rights.", clock=container.clock, actor="cli"
        )
    with transaction(container.new_session) as session:
        notices.record_notice(
            session, person_id=jamie.person_id, version="2026-1", how=NoticeMethod.written, user=olive,
            clock=container.clock,
        )  # fmt: skip
    _withdraw_storage(container, sam, users["other_officer"])
    school = _referral(container, olive, "Robin Example")

    sign_in(browser, server, "maya", PASSWORD)
    browser.get(f"{server}/manager")
    wait_for_heading(browser, "Dashboard")
    check_page(browser)
    withdrawn = browser.find_element(By.XPATH, "//h2[@id='storage-withdrawn']/following-sibling::ul[1]").text
    assert "Sam Example" in withdrawn and sam.reference in withdrawn and "Jamie" not in withdrawn

    # The notice: Sam's family is still to be told, Jamie's was told.
    _go(browser, "Policy notices", "Policy notices")
    assert "casevault policy publish" in _main(browser) and "the command line" in _main(browser)
    outstanding_link = browser.find_element(By.XPATH, "//a[@href='/manager/notices/2026-1?show=outstanding']")
    assert outstanding_link.text.split()[0] == "1"  # Sam
    outstanding_link.click()
    wait_for_heading(browser, "Policy notice 2026-1")
    check_page(browser)
    outstanding = browser.find_element(By.TAG_NAME, "table").text
    assert "Sam Example" in outstanding and sam.reference in outstanding and "Jamie" not in outstanding
    _go(browser, "Told", "Policy notice 2026-1")
    told = browser.find_element(By.TAG_NAME, "table").text
    assert "Jamie Example" in told and jamie.reference in told and "24 November 2026" in told
    _go(browser, "Read the text", "Policy notice 2026-1")
    assert "Your rights." in _main(browser)

    # The school's referral, declined after a first try without confirming.
    browser.get(f"{server}/manager")
    wait_for_heading(browser, "Dashboard")
    browser.find_element(By.XPATH, f"//a[@href='/manager/cases/{school.id}/decline']").click()
    wait_for_heading(browser, f"Decline referral {school.reference}")
    check_page(browser)
    assert "cannot be undone" in _main(browser) and "destroyed" in _main(browser)
    press(browser, "Decline referral")
    wait_for_heading(browser, f"Decline referral {school.reference}")
    assert "Confirm that the referral is declined" in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    check_page(browser)
    field_labelled(browser, "I confirm this referral is declined").click()
    press(browser, "Decline referral")
    wait_for_heading(browser, "Destruction certificates")
    check_page(browser)
    assert f"Referral {school.reference} declined." in _main(browser)
    assert "What was recorded for it is destroyed: certificate 1 records what went." in _main(browser)
    browser.get(f"{server}/manager")
    wait_for_heading(browser, "Dashboard")
    assert school.reference not in _main(browser)


# --- through the test client ------------------------------------------------------------------


def _manager_urls(container: Services, cases: dict[str, Case], mark: User) -> list[str]:
    recorded = _disclose(container, cases["officer"], mark)
    with transaction(container.new_session) as session:
        notices.publish(session, version="2026-1", text="Our notice.", clock=container.clock, actor="cli")
    school = _referral(container, mark, "Robin Example")
    return [
        "/manager/disclosures",
        f"/manager/disclosures/{recorded.id}/approve",
        "/manager/notices",
        "/manager/notices/2026-1",
        "/manager/notices/2026-1?show=told",
        "/manager/notices/2026-1/text",
        f"/manager/cases/{school.id}/decline",
    ]


@pytest.mark.parametrize("role", ["manager", "officer", "admin"])
def test_these_pages_are_for_managers_only(
    client: TestClient, container: Services, users, cases, mark: User, role: str
) -> None:
    urls = _manager_urls(container, cases, mark)
    sign_in_client(client, {"manager": "maya", "officer": "olive", "admin": "adam"}[role])
    missing = _main_of(client.get("/manager/no-such-page").text)
    for url in urls:
        answer = client.get(url)
        if role == "manager":
            assert answer.status_code == 200, (url, answer.text[:2000])
        else:  # exactly what a missing address answers, for an officer's own case too
            assert (answer.status_code, _main_of(answer.text)) == (404, missing), url
    if role == "manager":  # past the last page, or a version never published
        for url in ("/manager/disclosures?page=2", "/manager/notices/2026-1?show=told&page=2", "/manager/notices/2027"):
            assert client.get(url).status_code == 404, url


def test_the_forms_refuse_another_origin_and_a_missing_token(
    client: TestClient, container: Services, users, cases, mark: User
) -> None:
    recorded = _disclose(container, cases["officer"], mark)
    school = _referral(container, mark, "Robin Example")
    sign_in_client(client, "maya")
    token = form_token(client.get(f"/manager/disclosures/{recorded.id}/approve").text)
    for path in (f"/manager/disclosures/{recorded.id}/approve", f"/manager/cases/{school.id}/decline"):
        sent = {"csrf_token": token, "confirm": "yes"}
        assert client.post(path, data=sent, follow_redirects=False).status_code == 403  # no Origin
        assert client.post(path, data={"confirm": "yes"}, headers=ORIGIN, follow_redirects=False).status_code == 403
    with container.new_session() as session:
        row = session.get(Disclosure, recorded.id)
        case = session.get(Case, school.id)
        assert row is not None and row.approved_by is None
        assert case is not None and not case.referral_declined
    approved = client.post(
        f"/manager/disclosures/{recorded.id}/approve",
        data={"csrf_token": token, "confirm": "yes"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert (approved.status_code, approved.headers["location"]) == (303, f"/manager/disclosures?approved={recorded.id}")


def test_a_case_that_does_not_await_permission_cannot_be_declined(client: TestClient, users, cases) -> None:
    jamie = cases["officer"]  # referred by a parent
    sign_in_client(client, "maya")
    page = client.get(f"/manager/cases/{jamie.id}/decline")
    assert (
        page.status_code == 200 and "cannot be declined" in page.text and "Decline referral</button>" not in page.text
    )
    refused = client.post(
        f"/manager/cases/{jamie.id}/decline",
        data={"csrf_token": form_token(page.text), "confirm": "yes"},
        headers=ORIGIN,
    )
    assert refused.status_code == 400
    assert "not a referral awaiting permission" in refused.text and "govuk-error-summary" in refused.text


def _main_of(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return found.group(0)

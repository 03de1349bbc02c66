"""A person's page: the consent register (recording, withdrawing with its confirmation), the
young person's refusal of access, the notices given; and a third party's referral waiting for
permission on the case page. Through the use cases the API calls; in chromium for the
officer's journey, with axe-core on every page."""

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
from casevault.core.consent import Given
from casevault.core.db import transaction
from casevault.core.models import (
    AccessRefusal,
    Case,
    Consent,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
    Document,
    Person,
    ReferralSource,
    User,
)
from casevault.retention import notices
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
from tests.web_officer import error_summary, main_text, send_form, upload_files
from tests.web_pages import ORIGIN, PASSWORD, form_token
from tests.web_pages import sign_in as sign_in_client

CONTACT = "07700 900123, 4 Elm Road"


def _person_with_case(
    services: Services,
    officer: User,
    full_name: str,
    *,
    born: dt.date = dt.date(2012, 3, 4),
    contact: str | None = None,
    source: ReferralSource = ReferralSource.parent_carer,
) -> Case:
    """As an officer records a referral, through the use cases the API calls."""
    scopes = (ConsentScope.record_personal_details, ConsentScope.store_electronically)
    with transaction(services.new_session) as session:
        person = services.cases.add_person(
            session,
            full_name=full_name,
            date_of_birth=born,
            contact_details=contact,
            consent_given=Given(
                scopes=scopes + ((ConsentScope.keep_contact_details,) if contact else ()),
                given_by=ConsentGiver.parent_carer,
                method=ConsentMethod.verbal,
                parent_name="Pat Example",
                relationship="mother",
            ),
            user=officer,
        )
        return services.cases.open(
            session,
            person_id=person.id,
            referral_date=dt.date(2026, 9, 1),
            referral_source=source,
            officer=officer,
            user=officer,
        )


# --- with the test client ---------------------------------------------------------------


def test_another_officers_person_looks_missing_on_every_page(client: TestClient, users, cases) -> None:
    person_id = cases["officer"].person_id
    sign_in_client(client, "oscar")
    for hidden, missing in [
        (f"/people/{person_id}", "/people/999999"),
        (f"/people/{person_id}/consents/new", "/people/999999/consents/new"),
        (f"/people/{person_id}/refusal", "/people/999999/refusal"),
    ]:
        refused, absent = client.get(hidden), client.get(missing)
        assert refused.status_code == absent.status_code == 404
        assert main_text(refused.text) == main_text(absent.text)
        assert "Jamie Example" not in refused.text
    sign_in_client(client, "olive")
    assert "Jamie Example" in main_text(client.get(f"/people/{person_id}").text)
    assert f'href="/people/{person_id}"' in client.get("/people?name=jamie").text  # found, with a link to her page
    assert f'href="/people/{person_id}"' in client.get(f"/cases/{cases['officer'].id}").text  # and from her case
    sign_in_client(client, "maya")  # managers see everyone
    assert "Jamie Example" in main_text(client.get(f"/people/{person_id}").text)


def test_the_forms_are_refused_without_their_token_or_from_another_site(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    person_id, case_id = cases["officer"].person_id, cases["officer"].id
    sign_in_client(client, "olive")
    token = form_token(client.get(f"/people/{person_id}").text)
    with container.new_session() as session:
        consent_id = session.exec(select(Consent.id).where(Consent.person_id == person_id)).first()
    forms = {
        f"/people/{person_id}/consents": {"scopes": "share_with_parent", "given-by": "young_person", "how": "verbal"},
        f"/consents/{consent_id}/withdraw": {"withdraw-how": "verbal"},
        f"/people/{person_id}/refusal": {"refused": "parent_carer", "how": "verbal"},
        f"/people/{person_id}/notices": {"notice-version": "2026-1", "notice-how": "email"},
        f"/cases/{case_id}/disclosures": {"recipient-kind": "parent_carer", "recipient": "Pat", "basis": "consent"},
    }
    for action, fields in forms.items():
        for sent, headers in [
            ("", ORIGIN),
            ("not-the-token", ORIGIN),
            (token, {"Origin": "https://elsewhere.example"}),
        ]:
            answer = client.post(action, data={"csrf_token": sent, **fields}, headers=headers)
            assert answer.status_code == 403 and "the form could not be sent" in answer.text, (action, sent)
    with container.new_session() as session:
        kept = session.exec(select(Consent).where(Consent.person_id == person_id)).all()
        assert [(row.scope, row.withdrawn_on) for row in kept] == [(ConsentScope.record_personal_details, None)]
        assert session.exec(select(AccessRefusal)).all() == []
    sign_in_client(client, "adam")  # an admin does no casework
    assert client.get(f"/people/{person_id}").status_code == 404
    client.cookies.clear()
    signed_out = client.get(f"/people/{person_id}", follow_redirects=False)
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/")


def test_a_refusal_under_12_needs_the_officers_record_of_maturity(
    client: TestClient, container: Services, users: dict[str, User]
) -> None:
    case = _person_with_case(container, users["officer"], "Robin Example", born=dt.date(2016, 5, 1))  # 10
    page, action = f"/people/{case.person_id}/refusal", f"/people/{case.person_id}/refusal"
    sign_in_client(client, "olive")
    assert "They have the maturity and capacity to make this decision" in client.get(page).text
    fields = {"refused": "parent_carer", "how": "verbal"}
    refused = send_form(client, page, action, fields)
    assert refused.status_code == 422
    assert error_summary(refused.text) == [
        "They are under 12: tick that they have the maturity and capacity to refuse, if you have judged so,"
        " or record no refusal"
    ]
    recorded = send_form(client, page, action, fields | {"maturity": "yes"})
    assert recorded.status_code == 303
    shown = main_text(client.get(recorded.headers["location"]).text)
    assert "Refused Parents and carers" in shown and "Age when recorded 10, maturity and capacity recorded" in shown
    withdrawn = send_form(client, page, f"{action}/withdraw", {"withdraw-how": "written"})
    assert withdrawn.status_code == 303
    assert "No refusal stands" in main_text(client.get(f"/people/{case.person_id}").text)
    with container.new_session() as session:
        rows = session.exec(select(AccessRefusal)).all()
    assert [(row.refused, row.maturity_recorded, row.withdrawn_method) for row in rows] == [
        ("parent_carer", True, ConsentMethod.written)
    ]


def test_a_consent_form_with_mistakes_says_what_to_fix(client: TestClient, users, cases) -> None:
    person_id = cases["officer"].person_id
    sign_in_client(client, "olive")
    page = f"/people/{person_id}/consents/new"
    sent = send_form(
        client,
        page,
        f"/people/{person_id}/consents",
        {"given-by": "parent_carer", "given-on-day": "31", "lawful-basis": "consent"},
    )
    assert sent.status_code == 422
    assert error_summary(sent.text) == [
        "Select what they agreed to",
        "Enter the name of the parent or carer who gave it",
        "Enter their relationship to the young person",
        "Select how the consent was given",
        "The date it was given must include a month and year",
    ]


def test_a_third_party_referral_takes_no_upload_until_permission_is_recorded(
    client: TestClient, container: Services, users: dict[str, User], tmp_path: Path
) -> None:
    init_storage(container.settings)
    case = _person_with_case(container, users["officer"], "Alex Example", source=ReferralSource.professional)
    scan = save(text_strip(), tmp_path / "letter.png")
    sign_in_client(client, "olive")
    page = client.get(f"/cases/{case.id}").text
    assert "Documents cannot be uploaded until the young person or a parent or carer gives permission" in main_text(
        page
    )
    assert 'type="file"' not in page  # the upload form is not offered
    forced = upload_files(client, case.id, [scan])  # type: ignore[arg-type]
    assert forced.status_code == 409
    assert "awaits permission" in " ".join(error_summary(forced.text))
    # The banner's link opens the consent form with the scope ticked, and comes back to the case.
    link = f"/people/{case.person_id}/consents/new?scope=third_party_referral&case={case.id}"
    assert link.replace("&", "&amp;") in page
    form = client.get(link).text
    assert 'value="third_party_referral" checked' in form
    fields = {"scopes": "third_party_referral", "given-by": "young_person", "how": "verbal", "case": str(case.id)}
    fields["lawful-basis"] = "consent"
    sent = send_form(client, link, f"/people/{case.person_id}/consents", fields)
    assert (sent.status_code, sent.headers.get("location")) == (303, f"/cases/{case.id}"), error_summary(sent.text)
    page = client.get(f"/cases/{case.id}").text
    assert "Awaiting permission" not in page and 'type="file"' in page
    assert upload_files(client, case.id, [scan]).status_code == 303  # type: ignore[arg-type]
    with container.new_session() as session:
        assert [d.original_filename for d in session.exec(select(Document)).all()] == ["letter.png"]


# --- in a real browser --------------------------------------------------------------------


def browser_test(test):  # type: ignore[no-untyped-def]
    """Marks a browser journey: chromium needed, SQLite only (the pages' SQL is the API's), slow."""
    needs = pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
    )
    return needs(pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)(pytest.mark.slow(test)))


def _click_label(browser: WebDriver, text: str) -> None:
    browser.find_element(By.XPATH, f"//label[normalize-space()='{text}']").click()


@browser_test
def test_an_officer_records_and_withdraws_consent_and_records_a_refusal(
    container: Services, users: dict[str, User], browser: WebDriver
) -> None:
    olive = users["officer"]
    case = _person_with_case(container, olive, "Jamie Example", contact=CONTACT)
    other = _person_with_case(container, users["other_officer"], "Sam Example")
    with transaction(container.new_session) as session:
        notices.publish(
            session, version="2026-1", text="How we use your information.", clock=container.clock, actor="cli"
        )
    with serving(container) as base:
        sign_in(browser, base, "olive", PASSWORD)
        browser.get(f"{base}/cases/{case.id}")
        wait_for_heading(browser, case.reference)
        browser.find_element(By.LINK_TEXT, "Jamie Example").click()
        wait_for_heading(browser, "Jamie Example")
        check_page(browser)
        assert CONTACT in browser.find_element(By.TAG_NAME, "main").text

        # A consent to contact professionals, given by the young person in writing.
        browser.find_element(By.LINK_TEXT, "Record a consent").click()
        wait_for_heading(browser, "Record a consent")
        check_page(browser)
        _click_label(browser, "Contact schools, the council and other professionals")
        _click_label(browser, "The young person")
        _click_label(browser, "In writing")
        browser.find_element(By.XPATH, "//select[@id='notice-version']/option[@value='2026-1']").click()
        press(browser, "Record consent")
        wait_for_heading(browser, "Jamie Example")
        card = browser.find_element(
            By.XPATH, "//h3[contains(., 'Contact schools')]/ancestor::div[@class='govuk-summary-card']"
        )
        assert "Standing" in card.text and "The young person" in card.text and "In writing" in card.text
        assert "2026-1" in card.text and "olive" in card.text

        # Withdrawing permission to keep contact details: the confirmation says what it does.
        keep = browser.find_element(
            By.XPATH, "//h3[contains(., 'Keep contact details')]/ancestor::div[@class='govuk-summary-card']"
        )
        keep.find_element(By.PARTIAL_LINK_TEXT, "Withdraw").click()
        wait_for_heading(browser, "Withdraw consent: keep contact details")
        check_page(browser)
        assert "Their contact details are erased at once" in browser.find_element(By.TAG_NAME, "main").text
        press(browser, "Withdraw consent")
        wait_for_heading(browser, "Withdraw consent")  # sent back: how it was withdrawn is needed
        assert "Select how they withdrew the consent" in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
        check_page(browser)
        _click_label(browser, "Spoken")
        press(browser, "Withdraw consent")
        wait_for_heading(browser, "Jamie Example")
        check_page(browser)
        main = browser.find_element(By.TAG_NAME, "main").text
        assert "The consent was withdrawn" in main and "Not kept" in main and CONTACT not in main
        with container.new_session() as session:
            assert session.get(Person, case.person_id).contact_details is None  # type: ignore[union-attr]

        # The young person (14) refuses access by parents and carers.
        browser.find_element(By.LINK_TEXT, "Record a refusal").click()
        wait_for_heading(browser, "Refusal of access")
        check_page(browser)
        assert not browser.find_elements(By.ID, "maturity")  # 12 or over: no judgement needed
        _click_label(browser, "Parents and carers")
        _click_label(browser, "Spoken")
        field_labelled(browser, "Note (optional)").send_keys("Said so at the review meeting")
        press(browser, "Record refusal")
        wait_for_heading(browser, "Jamie Example")
        refusal = browser.find_element(By.ID, "refusal").find_element(By.XPATH, "following-sibling::dl").text
        assert "Parents and carers" in refusal and "Said so at the review meeting" in refusal

        # The notice given, recorded.
        _click_label(browser, "By email")
        press(browser, "Record notice given")
        wait_for_heading(browser, "Jamie Example")
        given = browser.find_element(By.ID, "notices").find_element(By.XPATH, "following-sibling::table").text
        assert "2026-1" in given and "By email" in given
        check_page(browser)

        # Another officer's person answers the not-found page, exactly as a missing id.
        browser.get(f"{base}/people/{other.person_id}")
        wait_for_heading(browser, "Page not found")
        hidden = browser.find_element(By.TAG_NAME, "main").text
        browser.get(f"{base}/people/999999")
        wait_for_heading(browser, "Page not found")
        assert browser.find_element(By.TAG_NAME, "main").text == hidden and "Sam Example" not in hidden
    with container.new_session() as session:
        scopes = {(row.scope, row.withdrawn_on is None) for row in session.exec(select(Consent)).all()}
    assert (ConsentScope.keep_contact_details, False) in scopes and (ConsentScope.contact_professionals, True) in scopes

"""A control character in any form's text (a NUL, which PostgreSQL cannot store) is refused
before the page reads it: 422 with an error summary naming the field and saying to remove
the character, a link back to the form, and nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import Case, Disclosure, SubjectAccessRequest, User
from tests.web_browser import CHROMEDRIVER, CHROMIUM, check_page, chromium, press, serving, sign_in, wait_for_heading
from tests.web_officer import date_fields, error_summary, send_form
from tests.web_pages import ORIGIN, PASSWORD, form_token
from tests.web_pages import sign_in as sign_in_client

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
)


def _count(services: Services, table: type) -> int:
    with transaction(services.new_session) as session:
        return len(session.exec(select(table)).all())


def test_a_nul_in_a_disclosure_form_is_refused_naming_the_field(
    client: TestClient, container: Services, users: dict[str, User], cases: dict[str, Case]
) -> None:
    case_id = cases["officer"].id
    page, action = f"/cases/{case_id}/disclosures/new", f"/cases/{case_id}/disclosures"
    fields = {"recipient-kind": "school", "recipient": "Hillside\x00 Academy", "basis": "consent"}
    sign_in_client(client, "olive")
    refused = send_form(client, page, action, fields)
    assert refused.status_code == 422
    assert error_summary(refused.text) == ["Remove the control character (U+0000) from recipient"]
    token = form_token(client.get(page).text)  # the same form sent as multipart/form-data, as a client may
    multipart = client.post(
        action,
        data={"csrf_token": token, **fields},
        files={"attachment": ("note.txt", b"not a field")},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert multipart.status_code == 422
    assert error_summary(multipart.text) == ["Remove the control character (U+0000) from recipient"]
    assert _count(container, Disclosure) == 0


def test_a_nul_in_a_subject_access_form_is_refused_and_nothing_is_opened(
    client: TestClient, container: Services, users: dict[str, User], cases: dict[str, Case]
) -> None:
    sign_in_client(client, "maya")
    fields = {
        "reference": cases["officer"].reference,
        "requester_kind": "parent_carer",
        "requester_name": "Pat Example",
        "authority": "Signed\x00 authority",
        **date_fields("received_on", "2026-11-20"),
    }
    refused = send_form(client, "/subject-access/new", "/subject-access/new", fields)
    assert refused.status_code == 422, refused.text[:500]
    assert error_summary(refused.text) == ["Remove the control character (U+0000) from authority"]
    assert _count(container, SubjectAccessRequest) == 0
    line_breaks = send_form(
        client, "/subject-access/new", "/subject-access/new", fields | {"authority": "Signed.\r\nBy Pat"}
    )
    assert line_breaks.status_code == 303, line_breaks.text[:500]  # line breaks are text: the request is opened
    assert _count(container, SubjectAccessRequest) == 1


def test_a_nul_in_a_pages_query_is_refused_naming_it(client: TestClient, users: dict[str, User]) -> None:
    """The audit log's filters went to PostgreSQL as they came: a NUL failed the query (500)."""
    sign_in_client(client, "maya")
    for path, name in (("/audit", "actor"), ("/search", "q"), ("/manager/statistics", "table")):
        refused = client.get(path, params={name: "maya\x00"})
        assert refused.status_code == 422, (path, refused.status_code)
        assert error_summary(refused.text) == [f"Remove the control character (U+0000) from {name}"]
    assert client.get("/audit", params={"actor": "maya"}).status_code == 200


@pytest.fixture
def server(container: Services) -> Iterator[str]:
    with serving(container) as base:
        yield base


@needs_chromium
def test_the_refusal_page_in_a_browser(server: str, users: dict[str, User], cases: dict[str, Case]) -> None:
    with chromium() as browser:
        _refused_in(browser, server, cases["officer"].id)


def _refused_in(browser: WebDriver, base: str, case_id: int | None) -> None:
    sign_in(browser, base, "olive", PASSWORD)
    browser.get(f"{base}/cases/{case_id}/disclosures/new")
    recipient = browser.find_element(By.ID, "recipient")
    browser.execute_script("arguments[0].value = 'Hillside\\u0000 Academy';", recipient)
    press(browser, "Record disclosure")
    wait_for_heading(browser, "The form holds a character that cannot be saved")
    check_page(browser)
    summary = browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    assert "Remove the control character (U+0000) from recipient" in summary
    browser.find_element(By.LINK_TEXT, "Go back to the form").click()
    wait_for_heading(browser, "Record a disclosure")

"""What a person's browser gets when a page's form is refused before any page reads it, or
a form's address is opened in the address bar: a page, never the API's JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By

from casevault.app.services import Services
from casevault.core.models import Case, CaseNote
from tests.web_browser import CHROMEDRIVER, CHROMIUM, check_page, chromium, press, serving, wait_for_heading
from tests.web_browser import sign_in as sign_in_browser
from tests.web_officer import date_fields, error_summary
from tests.web_pages import ORIGIN, PASSWORD, form_token, sign_in

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
)


def test_a_page_form_over_the_body_limit_gets_a_page_saying_to_shorten_it(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    case_id = cases["officer"].id
    sign_in(client, "olive")
    token = form_token(client.get(f"/cases/{case_id}").text)
    fields = {
        "csrf_token": token,
        "note-kind": "progress_summary",
        "note-text": "x" * (300 * 1024),  # a 300 KiB field
        **date_fields("note-date", "2026-10-02"),
    }
    answer = client.post(
        f"/cases/{case_id}/notes",
        data=fields,
        headers={**ORIGIN, "Referer": f"http://testserver/cases/{case_id}"},
        follow_redirects=False,
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert error_summary(answer.text) == [
        "The form is too large to send: the request body is larger than 256 KiB. Shorten the text and send it again"
    ]
    assert f'href="/cases/{case_id}"' in answer.text  # back to the form
    with container.new_session() as session:
        assert session.get(CaseNote, 1) is None

    api = client.post("/api/v1/people", content=b"x" * (300 * 1024))  # the API's answer is unchanged
    assert api.status_code == 413 and api.headers["content-type"] == "application/problem+json"


def test_a_form_address_opened_in_the_address_bar_gets_the_not_found_page(
    client: TestClient, users, cases: dict[str, Case]
) -> None:
    sign_in(client, "olive")
    for address in (f"/cases/{cases['officer'].id}/close", "/sign-out", "/referrals"):
        answer = client.get(address, follow_redirects=False)
        assert answer.status_code == 405, address
        assert answer.headers["content-type"].startswith("text/html")
        assert "Page not found" in answer.text
        assert "POST" in answer.headers["allow"]
    assert client.get("/api/v1/cases/1/close").headers["content-type"] == "application/problem+json"


@pytest.fixture
def server(container: Services) -> Iterator[str]:
    with serving(container) as base:
        yield base


@needs_chromium
def test_the_too_large_page_in_a_browser(server: str, users, cases: dict[str, Case]) -> None:
    case_id = cases["officer"].id
    with chromium() as browser:
        sign_in_browser(browser, server, "olive", PASSWORD)
        browser.get(f"{server}/cases/{case_id}")
        text = browser.find_element(By.ID, "note-text")
        browser.execute_script("arguments[0].value = 'x'.repeat(300 * 1024);", text)
        press(browser, "Add note")
        wait_for_heading(browser, "The form is too large to send")
        check_page(browser)
        browser.find_element(By.LINK_TEXT, "Go back to the form").click()
        wait_for_heading(browser, cases["officer"].reference)


@pytest.mark.parametrize("referer", ["http://testserver//evil.example/cases", "http://testserver/\\evil.example/"])
def test_the_link_back_never_leads_to_another_site(
    client: TestClient, users, cases: dict[str, Case], referer: str
) -> None:
    """The link back is the Referer's path: one beginning "//" or "/\\" is another site to a browser."""
    case_id = cases["officer"].id
    sign_in(client, "olive")
    token = form_token(client.get(f"/cases/{case_id}").text)
    headers = {**ORIGIN, "Referer": referer}
    large = {"csrf_token": token, "note-text": "x" * (300 * 1024)}
    nul = {"csrf_token": token, "note-text": "a\x00b"}
    for fields, status in ((large, 413), (nul, 422)):
        answer = client.post(f"/cases/{case_id}/notes", data=fields, headers=headers, follow_redirects=False)
        assert answer.status_code == status
        assert "evil.example" not in answer.text
        assert 'href="/">Go back to the form' in answer.text

"""The redaction pages: a manager marks a rectangle on a page (dragged on the image, or typed
in percent) and sees it in the log and burned into the page's preview; a term not found is
said so; officers and admins get the not-found page."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Case, DocumentStatus, Role, User
from tests.ingest.scans import save, text_strip
from tests.ingest.uploads import run_ocr, upload
from tests.sar_requests import open_request
from tests.tokens import token
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    check_page,
    field_labelled,
    press,
    serving,
    sign_in,
    wait_for_heading,
    wait_until,
)
from tests.web_officer import error_summary, main_text
from tests.web_pages import PASSWORD
from tests.web_pages import sign_in as sign_in_client

NAME = "Fairweather"
LINES = ("Annual review of provision", f"Letter from Marjorie {NAME}", "Speech therapy twice weekly")


@pytest.fixture
def marked(container: Services, users: dict[str, User], cases: dict[str, Case], tmp_path: Path) -> tuple[int, int]:
    """A request for olive's young person, and a letter of hers read by the OCR task."""
    init_storage(container.settings)
    case = cases["officer"]
    with TestClient(create_app(container)) as api:
        scan = save(text_strip(LINES, size=(1500, 460)), tmp_path / "letter.png")
        response = upload(api, token(container, "mona", Role.manager), case.id, scan)  # type: ignore[arg-type]
        assert response.status_code == 202, response.text
    document_id = response.json()["id"]
    assert run_ocr(container, document_id) == DocumentStatus.ready
    return open_request(container, person_id=case.person_id, opened_by=users["manager"].id), document_id


def test_only_managers_see_the_redaction_pages(client: TestClient, users, marked: tuple[int, int]) -> None:
    request_id, document_id = marked
    urls = [
        f"/manager/subject-access/{request_id}/redact",
        f"/manager/subject-access/{request_id}/redact/{document_id}/1",
        f"/manager/subject-access/{request_id}/redact/{document_id}/1/preview.png",
    ]
    for username in ("olive", "adam"):
        client.cookies.clear()
        sign_in_client(client, username)
        assert [client.get(url).status_code for url in urls] == [404, 404, 404]
    client.cookies.clear()
    sign_in_client(client, "maya")
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    assert client.get(f"/manager/subject-access/{request_id}/redact/{document_id}/2").status_code == 404
    assert client.get(f"/manager/subject-access/{request_id + 1}/redact").status_code == 404
    # The word positions serve redaction only: never downloaded, unlike the two PDFs.
    assert client.get(f"/documents/{document_id}/file?variant=searchable").status_code == 200
    assert client.get(f"/documents/{document_id}/file?variant=words").status_code == 404


def test_a_term_not_in_the_document_is_said_so(client: TestClient, users, marked: tuple[int, int]) -> None:
    request_id, document_id = marked
    sign_in_client(client, "maya")
    page = f"/manager/subject-access/{request_id}/redact/{document_id}/1"
    html = client.get(page).text
    csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
    fields = {"csrf_token": csrf, "kind": "term", "term": "Nobody", "category": "third_party", "legal_basis": "x"}
    refused = client.post(page, data=fields, headers={"Origin": "http://testserver"})
    assert refused.status_code == 400
    assert any("not found" in message for message in error_summary(refused.text))
    found = client.post(
        page, data={**fields, "term": NAME.upper()}, headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert found.status_code == 303
    assert f"“{NAME.upper()}” on every page" in main_text(client.get(page).text)


def _pixel(browser: WebDriver, x: float, y: float) -> list[int]:
    """The preview image's colour at (x, y), fractions of its width and height, as the browser drew it."""
    wait_until(browser, lambda page: page.execute_script("return document.querySelector('main img').complete"))
    return browser.execute_script(  # type: ignore[no-any-return]
        """
        const image = document.querySelector('main img')
        const canvas = document.createElement('canvas')
        canvas.width = image.naturalWidth; canvas.height = image.naturalHeight
        const context = canvas.getContext('2d')
        context.drawImage(image, 0, 0)
        return Array.from(context.getImageData(
          Math.floor(arguments[0] * image.naturalWidth), Math.floor(arguments[1] * image.naturalHeight), 1, 1).data)
        """,
        x,
        y,
    )


@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None, reason="needs Debian's chromium and chromium-driver")
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.slow
def test_a_manager_marks_a_rectangle_and_sees_it_in_the_log_and_on_the_page(
    container: Services, users, marked: tuple[int, int], browser: WebDriver
) -> None:
    request_id, document_id = marked
    with serving(container) as base:
        sign_in(browser, base, "maya", PASSWORD)
        browser.get(f"{base}/manager/subject-access/{request_id}/redact")
        wait_for_heading(browser, "Redactions")
        check_page(browser)
        assert "Nothing is redacted yet" in browser.find_element(By.TAG_NAME, "main").text
        browser.get(f"{base}/manager/subject-access/{request_id}/redact/{document_id}/1")
        wait_for_heading(browser, "Page 1 of 1")
        check_page(browser)
        assert _pixel(browser, 0.25, 0.25)[:3] == [255, 255, 255], "the page is white there before"

        # Dragging on the image fills the rectangle's fields.
        image = browser.find_element(By.CSS_SELECTOR, "main img")
        size = image.size
        ActionChains(browser).move_to_element_with_offset(
            image, -size["width"] // 2 + size["width"] // 10, -size["height"] // 2 + size["height"] // 10
        ).click_and_hold().move_by_offset(size["width"] // 4, size["height"] // 4).release().perform()
        dragged = [
            field_labelled(browser, label).get_attribute("value") for label in ("From the left (%)", "Width (%)")
        ]
        assert all(value and 5 < float(value) < 40 for value in dragged), dragged

        # Typed in percent (the page works without the script too).
        for label, value in (("From the left (%)", "20"), ("From the top (%)", "20"), ("Width (%)", "30")):
            field = field_labelled(browser, label)
            field.clear()
            field.send_keys(value)
        height = field_labelled(browser, "Height (%)")
        height.clear()
        height.send_keys("15")
        Select(browser.find_element(By.ID, "category")).select_by_visible_text("Third party")
        field_labelled(browser, "Legal basis").send_keys("DPA 2018 Sch 2 para 16")
        press(browser, "Redact rectangle")
        wait_for_heading(browser, "Page 1 of 1")
        check_page(browser)
        log = browser.find_element(By.ID, "log").text
        assert "page 1: 20% from left, 20% from top, 30% × 15%" in log
        assert "Third party: DPA 2018 Sch 2 para 16" in log and "maya" in log and "Not yet" in log
        assert _pixel(browser, 0.35, 0.27)[:3] == [0, 0, 0], "the rectangle is burned into the page"
        assert _pixel(browser, 0.9, 0.9)[:3] != [0, 0, 0], "and only there"

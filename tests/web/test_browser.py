"""The web pages in a real browser: Debian's chromium, driven by Selenium, against
casevault served by uvicorn on a loopback port (a real server on a real database).

Every page the journey visits is checked by axe-core (from node_modules, put there by
`make`) against WCAG 2.0, 2.1 and 2.2 A and AA, and the browser's console must stay
clean: no asset missing, nothing refused by the Content-Security-Policy.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.models import Case
from tests.web_pages import PASSWORD

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGE_SECONDS = 30  # generous: the machine may be loaded

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
    ),
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),  # the pages' SQL is the API's: one is enough
    pytest.mark.slow,
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(container: Services) -> Iterator[str]:
    """casevault served by uvicorn in a thread; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PAGE_SECONDS
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=PAGE_SECONDS)


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    assert AXE.exists(), "axe-core is missing from node_modules: run `make assets`"
    options = webdriver.ChromeOptions()
    assert CHROMIUM is not None and CHROMEDRIVER is not None  # else the tests were skipped
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--disable-dev-shm-usage", "--window-size=1280,1024", "--disable-gpu"]:
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root inside its sandbox
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_SECONDS)
    yield driver
    driver.quit()


def check_page(browser: WebDriver) -> None:
    """axe-core finds no WCAG A or AA violation, and the console has no error."""
    browser.execute_script(AXE.read_text())
    violations = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})
          .then(result => done(result.violations.map(v => `${v.id}: ${v.help} at ${v.nodes.map(n => n.target)}`)))
          .catch(error => done([`axe failed: ${error}`]));
        """,
        WCAG_TAGS,
    )
    assert violations == [], f"{browser.current_url}: {violations}"
    # The page's own status (a 404 page, a form sent back with errors) is logged too: only others count.
    logged = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    errors = [message for message in logged if not message.startswith(f"{browser.current_url} - ")]
    assert errors == [], f"{browser.current_url}: {errors}"


def wait_for_heading(browser: WebDriver, text: str) -> None:
    # A click that navigates returns at once: the old page's headings may go stale while they are read.
    WebDriverWait(browser, PAGE_SECONDS, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda page: any(text in heading.text for heading in page.find_elements(By.TAG_NAME, "h1"))
    )


def field_labelled(browser: WebDriver, label: str) -> WebElement:
    """The input a person finds by its label, as a screen reader would."""
    for_id = browser.find_element(By.XPATH, f"//label[normalize-space()='{label}']").get_attribute("for")
    return browser.find_element(By.ID, for_id)


def sign_in(browser: WebDriver, base: str, username: str, password: str) -> None:
    browser.get(f"{base}/")
    wait_for_heading(browser, "Sign in")
    field_labelled(browser, "Username").send_keys(username)
    field_labelled(browser, "Password").send_keys(password)
    browser.find_element(By.XPATH, "//button[normalize-space()='Sign in']").click()


def test_an_officer_signs_in_sees_her_case_and_signs_out(
    server: str, browser: WebDriver, users, cases: dict[str, Case]
) -> None:
    browser.get(f"{server}/")
    wait_for_heading(browser, "Sign in")
    check_page(browser)  # the sign-in page as it first opens
    sign_in(browser, server, "olive", "not her password")
    wait_for_heading(browser, "Sign in")
    assert "Enter a correct username and password" in browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    check_page(browser)  # the sign-in page, with its error summary

    sign_in(browser, server, "olive", PASSWORD)
    wait_for_heading(browser, "My cases")
    check_page(browser)
    own, others = cases["officer"].reference, cases["other_officer"].reference
    assert own in browser.find_element(By.TAG_NAME, "table").text
    assert others not in browser.page_source

    browser.find_element(By.LINK_TEXT, own).click()
    wait_for_heading(browser, own)
    case_url = browser.current_url
    assert case_url == f"{server}/cases/{cases['officer'].id}"
    assert "Jamie Example" in browser.find_element(By.CLASS_NAME, "govuk-summary-list").text
    check_page(browser)

    browser.find_element(By.LINK_TEXT, "Accessibility statement").click()
    wait_for_heading(browser, "Accessibility statement")
    check_page(browser)

    browser.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    wait_for_heading(browser, "Sign in")
    browser.get(case_url)
    wait_for_heading(browser, "Sign in")
    assert browser.current_url == f"{server}/"
    check_page(browser)
    assert "Jamie Example" not in browser.page_source


def test_another_officers_case_looks_like_a_missing_one(
    server: str, browser: WebDriver, users, cases: dict[str, Case]
) -> None:
    sign_in(browser, server, "olive", PASSWORD)
    wait_for_heading(browser, "My cases")
    browser.get(f"{server}/cases/{cases['other_officer'].id}")
    wait_for_heading(browser, "Page not found")
    check_page(browser)
    others = browser.find_element(By.TAG_NAME, "main").text
    browser.get(f"{server}/cases/999999")
    wait_for_heading(browser, "Page not found")
    assert browser.find_element(By.TAG_NAME, "main").text == others
    assert "Sam Example" not in others

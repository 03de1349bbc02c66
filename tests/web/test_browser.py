"""The web pages in a real browser: Debian's chromium, driven by Selenium, against
casevault served by uvicorn on a loopback port (a real server on a real database).

Every page the journey visits is checked by axe-core (from node_modules, put there by
`make`) against WCAG 2.0, 2.1 and 2.2 A and AA, and the browser's console must stay
clean: no asset missing, nothing refused by the Content-Security-Policy.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from casevault.app.services import Services
from casevault.core.models import Case
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    check_page,
    field_labelled,
    serving,
    sign_in,
    tab_to,
    wait_for_heading,
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
def server(container: Services) -> Iterator[str]:
    with serving(container) as base:
        yield base


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


def test_the_whole_journey_by_keyboard_alone(server: str, browser: WebDriver, users, cases: dict[str, Case]) -> None:
    """Sign in, open her case, read it, sign out: Tab, typing and Enter only, nothing clicked."""

    def keys(*sent: str) -> None:
        ActionChains(browser).send_keys(*sent).perform()

    browser.get(f"{server}/")
    wait_for_heading(browser, "Sign in")
    tab_to(browser, field_labelled(browser, "Username"))
    keys("olive", Keys.TAB, PASSWORD, Keys.ENTER)  # the password follows the username, and Enter sends the form
    wait_for_heading(browser, "My cases")
    own = cases["officer"].reference
    tab_to(browser, browser.find_element(By.LINK_TEXT, own))
    keys(Keys.ENTER)
    wait_for_heading(browser, own)
    assert "Jamie Example" in browser.find_element(By.CLASS_NAME, "govuk-summary-list").text
    check_page(browser)
    tab_to(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Sign out']"))
    keys(Keys.ENTER)
    wait_for_heading(browser, "Sign in")
    browser.get(f"{server}/cases")
    wait_for_heading(browser, "Sign in")  # signed out: the pages need signing in again

"""Helpers for browser journeys: casevault served by uvicorn on a loopback port, Debian's
chromium driven by Selenium, and axe-core's check of each page (WCAG 2.0, 2.1 and 2.2 A
and AA) with the browser's console kept clean, for the journeys of every test module."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from casevault.api.app import create_app
from casevault.app.services import Services

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
# What Python prints for a method, an object or jinja2.Undefined: never page text.
PYTHON_REPR = re.compile(r"<(?:built-in |bound )?method [^>]*>|<[\w.]+ object at 0x[0-9a-f]+>|\bUndefined\b")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGE_SECONDS = 30  # generous: the machine may be loaded


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn in a thread; yields its base URL."""
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PAGE_SECONDS
    while not running.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=PAGE_SECONDS)


@contextmanager
def chromium() -> Iterator[WebDriver]:
    assert AXE.exists(), "axe-core is missing from node_modules: run `make assets`"
    assert CHROMIUM is not None and CHROMEDRIVER is not None, "needs Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ["--headless=new", "--disable-dev-shm-usage", "--window-size=1280,1024", "--disable-gpu"]:
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root inside its sandbox
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(PAGE_SECONDS)
    try:
        yield driver
    finally:
        driver.quit()


def check_page(browser: WebDriver) -> None:
    """axe-core finds no WCAG A or AA violation, the console has no error, and no Python
    value shows through as its repr (a template reading a dict's method for a key)."""
    leaked = PYTHON_REPR.findall(browser.find_element(By.TAG_NAME, "body").text)
    assert leaked == [], f"{browser.current_url}: {leaked}"
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


def wait_until(browser: WebDriver, condition: Callable[[WebDriver], object], seconds: float = PAGE_SECONDS) -> None:
    # A click that navigates returns at once: what the condition reads may belong to the page
    # being replaced (stale, or "not in the document"); it is read again until the time is up.
    WebDriverWait(browser, seconds, ignored_exceptions=[WebDriverException]).until(condition)


def wait_for_heading(browser: WebDriver, text: str) -> None:
    wait_until(browser, lambda page: any(text in h.text for h in page.find_elements(By.TAG_NAME, "h1")))


def field_labelled(browser: WebDriver, label: str) -> WebElement:
    """The input a person finds by its label, as a screen reader would."""
    for_id = browser.find_element(By.XPATH, f"//label[normalize-space()='{label}']").get_attribute("for")
    return browser.find_element(By.ID, for_id)


def button(browser: WebDriver, text: str) -> WebElement:
    return browser.find_element(By.XPATH, f"//button[normalize-space()='{text}']")


def tab_to(browser: WebDriver, element: WebElement, most: int = 80) -> None:
    """Press Tab until ``element`` has the focus, as a keyboard user moves through the page."""
    for _ in range(most):
        if browser.switch_to.active_element == element:
            return
        ActionChains(browser).send_keys(Keys.TAB).perform()
    raise AssertionError(f"{element.get_attribute('id') or element.text!r} is not reachable by Tab")


def serving(services: Services) -> AbstractContextManager[str]:
    """casevault itself, as ``create_app`` builds it, served as ``served`` serves an app."""
    return served(create_app(services))


def press(browser: WebDriver, text: str) -> None:
    """Press a form's button and wait for the page it sends back (which may look the same)."""
    page = browser.find_element(By.TAG_NAME, "html")
    button(browser, text).click()
    WebDriverWait(browser, PAGE_SECONDS).until(lambda _: _replaced(page))


def _replaced(page: WebElement) -> bool:
    """Whether ``page`` (an html element) has left the document: stale, or, caught while the
    new page replaces it, chromium's "does not belong to the document" (seen on a loaded machine)."""
    try:
        return bool(staleness_of(page)(None))
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise


def sign_in(browser: WebDriver, base: str, username: str, password: str) -> None:
    browser.get(f"{base}/")
    wait_for_heading(browser, "Sign in")
    field_labelled(browser, "Username").send_keys(username)
    field_labelled(browser, "Password").send_keys(password)
    press(browser, "Sign in")

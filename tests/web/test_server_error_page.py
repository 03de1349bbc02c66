"""An error nobody expected, on a page's address, answers a page saying what to do with the
request id to quote, not the API's problem+json; the API's answer is unchanged."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from tests.web_browser import CHROMEDRIVER, CHROMIUM, check_page, chromium, served, wait_for_heading


def _fails() -> None:
    raise RuntimeError("a fault nobody expected")


def test_an_unexpected_error_on_a_page_is_a_page_with_the_request_id(container: Services) -> None:
    app = create_app(container)
    app.add_api_route("/a-page-that-fails", _fails)
    app.add_api_route("/api/v1/a-route-that-fails", _fails)
    with TestClient(app) as client:
        page = client.get("/a-page-that-fails")
        api = client.get("/api/v1/a-route-that-fails")
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in page.text
    quoted = re.search(r"quote request id <strong>([0-9a-f]+)</strong>", page.text)
    assert quoted and quoted.group(1) == page.headers["x-request-id"]
    assert "a fault nobody expected" not in page.text and "Traceback" not in page.text
    assert api.status_code == 500 and api.headers["content-type"] == "application/problem+json"


@pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None, reason="needs Debian's chromium and chromium-driver")
def test_the_problem_page_passes_axe_in_a_browser(container: Services) -> None:
    app = create_app(container)
    app.add_api_route("/a-page-that-fails", _fails)
    with served(app) as base, chromium() as browser:
        browser.get(f"{base}/a-page-that-fails")
        wait_for_heading(browser, "Sorry, there is a problem with the service")
        check_page(browser)

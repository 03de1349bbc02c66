"""The managers' statistics page: a table as the API releases it, with its suppressed cells
explained, a CSV download that is the API's CSV, every view and download audited, and bad
dates answered with an error summary."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import httpx
import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import col, select

from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Case, CaseStatus, Person, ReferralSource, Role
from tests.tokens import token
from tests.web_browser import (
    CHROMEDRIVER,
    CHROMIUM,
    PAGE_SECONDS,
    check_page,
    field_labelled,
    press,
    sign_in,
    wait_for_heading,
)
from tests.web_pages import PASSWORD
from tests.web_pages import sign_in as sign_in_client

NUMBERS = itertools.count(1)


def _add_cases(services: Services, count: int, *, referred: dt.date, source: ReferralSource) -> None:
    """``count`` people with one open case each, written straight into the database (as the
    statistics tests do: tables need many)."""
    with transaction(services.new_session) as session:
        for _ in range(count):
            number = next(NUMBERS)
            person = Person(full_name=f"Child {number}", date_of_birth=dt.date(2012, 3, 4))
            session.add(person)
            session.flush()
            assert person.id is not None
            session.add(
                Case(
                    reference=f"SEN-S-{number:05d}",
                    person_id=person.id,
                    referral_date=referred,
                    referral_source=source,
                    status=CaseStatus.open,
                )
            )


@pytest.fixture
def counted(container: Services) -> None:
    """2026-Q1: 9 referred by parents, 3 by professionals (shown as [c])."""
    _add_cases(container, 9, referred=dt.date(2026, 1, 10), source=ReferralSource.parent_carer)
    _add_cases(container, 3, referred=dt.date(2026, 2, 20), source=ReferralSource.professional)


def _releases(services: Services) -> list[tuple[str, str]]:
    """(format, table) of each statistics.release audit row, in order."""
    with services.new_session() as session:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.action == "statistics.release").order_by(col(AuditEvent.id))
        ).all()
    return [(re.search(r'"format":"(\w+)"', row.details).group(1), str(row.subject_id)) for row in rows]  # type: ignore[union-attr]


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="needs Debian's chromium and chromium-driver; scripts/system-deps.sh (run by make) installs them",
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the page's SQL is the API's: one is enough
@pytest.mark.slow
def test_a_manager_views_a_table_with_a_suppressed_cell_and_downloads_the_apis_csv(
    server: str, browser: WebDriver, container: Services, users, counted: None
) -> None:
    sign_in(browser, server, "maya", PASSWORD)
    browser.get(f"{server}/manager")
    wait_for_heading(browser, "Dashboard")
    browser.find_element(By.LINK_TEXT, "Statistics").click()
    wait_for_heading(browser, "Statistics")
    check_page(browser)
    assert browser.find_elements(By.TAG_NAME, "table") == []  # nothing released before it is asked for

    # The last day before the first: an error summary, the form kept.
    year = browser.find_element(By.ID, "to-year")
    year.clear()
    year.send_keys("2025")
    press(browser, "Show table")
    wait_for_heading(browser, "Statistics")
    summary = browser.find_element(By.CLASS_NAME, "govuk-error-summary").text
    assert "The last day must be the same as or after the first day" in summary
    check_page(browser)

    browser.find_element(By.ID, "to-year").clear()
    browser.find_element(By.ID, "to-year").send_keys("2026")
    field_labelled(browser, "Cases by who referred them").click()
    field_labelled(browser, "Quarter").click()
    press(browser, "Show table")
    wait_for_heading(browser, "Statistics")
    check_page(browser)
    table = browser.find_element(By.TAG_NAME, "table")
    headers = [cell.text for cell in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert headers == ["Period", "Young person", "Parent carer", "Professional", "Other", "Total"]
    first = [cell.text for cell in table.find_elements(By.XPATH, ".//tbody/tr[1]/*")]
    assert first == ["2026-Q1", "0", "10", "[c]", "0", "10"]  # 9 rounded to 10; 3 suppressed; 12 in all
    assert "fewer than 8, suppressed" in browser.find_element(By.TAG_NAME, "main").text

    # The download is the API's CSV, byte for byte.
    link = browser.find_element(By.PARTIAL_LINK_TEXT, "Download CSV").get_attribute("href")
    assert link is not None
    cookies = {cookie["name"]: cookie["value"] for cookie in browser.get_cookies()}
    downloaded = httpx.get(link, cookies=cookies, timeout=PAGE_SECONDS)
    api = httpx.get(
        f"{server}/api/v1/statistics/referral-source",
        params={"from": "2026-01-01", "to": "2026-11-24", "format": "csv"},
        headers=token(container, "mia", Role.manager),
        timeout=PAGE_SECONDS,
    )
    assert downloaded.status_code == api.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"].startswith("text/csv")
    assert downloaded.headers["content-disposition"] == api.headers["content-disposition"]
    assert downloaded.content == api.content
    assert "2026-Q1,0,10,[c],0,10" in downloaded.text
    assert _releases(container) == [
        ("html", "referral-source"),
        ("csv", "referral-source"),
        ("csv", "referral-source"),
    ]


# --- through the test client ------------------------------------------------------------------


def _asked(**fields: str) -> dict[str, str]:
    dates = {
        "from-day": "1",
        "from-month": "1",
        "from-year": "2026",
        "to-day": "31",
        "to-month": "3",
        "to-year": "2026",
    }
    return {"table": "referral-source", "by": "quarter", **dates, **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"from-day": "31", "from-month": "2"}, "The first day must be a real date"),
        ({"to-year": "20x6"}, "The last day must be a real date"),
        ({"to-year": "2025"}, "The last day must be the same as or after the first day"),
        ({"from-day": "", "from-month": "", "from-year": ""}, "Enter the first day"),
        ({"table": "names"}, "Choose a table"),
        ({"by": "week"}, "Choose quarter or year"),
    ],
)
def test_bad_choices_are_shown_as_an_error_summary(
    client: TestClient, container: Services, users, fields: dict[str, str], message: str
) -> None:
    sign_in_client(client, "maya")
    answer = client.get("/manager/statistics", params=_asked(**fields))
    assert answer.status_code == 400
    assert "govuk-error-summary" in answer.text and message in answer.text
    assert "<table" not in answer.text and _releases(container) == []


def test_a_table_by_year_and_a_download_with_bad_dates(
    client: TestClient, container: Services, users, counted: None
) -> None:
    sign_in_client(client, "maya")
    shown = client.get("/manager/statistics", params=_asked(by="year", table="age-band"))
    assert shown.status_code == 200
    assert "1 January 2026 to 31 December 2026" in shown.text and "12-15" in shown.text
    assert "/manager/statistics/download?table=age-band&amp;from=2026-01-01&amp;to=2026-12-31&amp;by=year" in shown.text
    bad = client.get("/manager/statistics/download", params={"table": "age-band", "from": "2026-13-01", "to": "x"})
    assert bad.status_code == 400 and "govuk-error-summary" in bad.text and "must be a real date" in bad.text
    assert _releases(container) == [("html", "age-band")]


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_the_statistics_pages_are_for_managers_only(client: TestClient, container: Services, users, role: str) -> None:
    sign_in_client(client, {"officer": "olive", "admin": "adam"}[role])
    missing = client.get("/manager/no-such-page")
    query = "table=referral-source&from=2026-01-01&to=2026-03-31&by=quarter"
    for url in ("/manager/statistics", f"/manager/statistics?{query}", f"/manager/statistics/download?{query}"):
        answer = client.get(url)
        assert (answer.status_code, _main(answer.text)) == (404, _main(missing.text)), url
    assert _releases(container) == []


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found
    return found.group(0)

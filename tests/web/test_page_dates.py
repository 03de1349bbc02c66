"""A date typed into a page's day, month and year fields with a year of many digits is an
error summary saying to enter a real date, never a 500 (Python's date overflowed)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from casevault.core.models import Case
from tests.web_officer import error_summary, send_form
from tests.web_pages import sign_in

HUGE_YEAR = "9" * 20


def test_a_year_of_twenty_digits_is_an_error_summary(client: TestClient, users, cases: dict[str, Case]) -> None:
    sign_in(client, "maya")
    audit = client.get("/audit", params={"from-day": "1", "from-month": "1", "from-year": HUGE_YEAR})
    assert audit.status_code == 400, audit.text[:300]
    assert error_summary(audit.text) == ["The first day must be a real date, like 27 3 2026"]

    fields = {
        "reference": cases["officer"].reference,
        "requester_kind": "young_person",
        "requester_name": "Jamie",
        "received_on-day": "1",
        "received_on-month": "1",
        "received_on-year": HUGE_YEAR,
    }
    opened = send_form(client, "/subject-access/new", "/subject-access/new", fields)
    assert opened.status_code == 400, opened.text[:300]
    assert error_summary(opened.text) == ["The day it was received must be a real date, like 27 3 2026"]

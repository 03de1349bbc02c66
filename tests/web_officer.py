"""Helpers for the officers' pages' tests: sending their forms as a browser does, and
reading what a page shows."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from tests.web_pages import ORIGIN, form_token


def send_form(client: TestClient, page: str, action: str, fields: dict[str, str]) -> httpx.Response:
    """Open ``page``, and send its form posting to ``action`` with its CSRF token; not followed."""
    token = form_token(client.get(page).text)
    return client.post(action, data={"csrf_token": token, **fields}, headers=ORIGIN, follow_redirects=False)


def date_fields(name: str, day: str) -> dict[str, str]:
    """A GOV.UK date input's three fields for an ISO date."""
    year, month, day_of_month = day.split("-")
    return {f"{name}-day": day_of_month, f"{name}-month": month, f"{name}-year": year}


def upload_files(
    client: TestClient,
    case_id: int,
    paths: list[Path],
    *,
    day: str = "2026-10-02",
    provided_by: str = "school",
    token: str | None = None,
) -> httpx.Response:
    """The case page's upload form with several files, as multipart/form-data; not followed."""
    if token is None:
        token = form_token(client.get(f"/cases/{case_id}").text)
    fields = {"csrf_token": token, **date_fields("upload-date", day), "upload-provided-by": provided_by}
    files = [("files", (path.name, path.read_bytes(), "application/octet-stream")) for path in paths]
    files = files or [("files", ("", b"", "application/octet-stream"))]  # what a browser sends for none chosen
    return client.post(f"/cases/{case_id}/documents", data=fields, files=files, headers=ORIGIN, follow_redirects=False)


def main_text(page: str) -> str:
    """The words of the page's <main>, tags removed, spacing collapsed."""
    found = re.search(r"<main[^>]*>(.*)</main>", page, re.S)
    assert found, "the page has no <main>"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def error_summary(page: str) -> list[str]:
    """The error summary's messages, as a person reads them."""
    found = re.search(
        r'<div class="govuk-error-summary".*?<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', page, re.S
    )
    if not found:
        return []
    return [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
        for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    ]

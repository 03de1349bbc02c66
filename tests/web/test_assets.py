"""The pages' styles and scripts: casevault's own copies, cached, and not GOV.UK's brand."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_every_asset_a_page_links_is_served_and_cached(client: TestClient) -> None:
    page = client.get("/").text
    linked = re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)
    assert len(linked) == 3, "run `make assets` to build the web pages' assets"  # a stylesheet, two scripts
    for url in linked:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_the_styles_use_no_gov_uk_typeface(client: TestClient) -> None:
    styles = client.get("/assets/casevault.css").text
    assert ".govuk-header" in styles  # govuk-frontend's styles, built
    assert "GDS Transport" not in styles and "@font-face" not in styles


def test_a_missing_asset_is_not_found(client: TestClient) -> None:
    assert client.get("/assets/nothing.js").status_code == 404

"""The app on a migrated database, users who sign in with a password, and a case each; for
the browser tests, the app served on a port of its own and a chromium to drive.

The refusal limits are low here, so the lockout can be reached in a few attempts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from selenium.webdriver.remote.webdriver import WebDriver

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Case, Role, User
from casevault.core.settings import Settings, load_settings
from tests.web_browser import chromium, serving
from tests.web_pages import open_case, user_with_password


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        data_dir=tmp_path / "var", database_url=database_url, auth_failures_per_minute=3, auth_lockout_failures=5
    )


@pytest.fixture
def client(container: Services) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as test_client:
        yield test_client


@pytest.fixture
def users(container: Services) -> dict[str, User]:
    return {
        "officer": user_with_password(container, "olive", Role.officer),
        "other_officer": user_with_password(container, "oscar", Role.officer),
        "manager": user_with_password(container, "maya", Role.manager),
        "admin": user_with_password(container, "adam", Role.admin),
    }


@pytest.fixture
def cases(container: Services, users: dict[str, User]) -> dict[str, Case]:
    """One case of olive's, one of oscar's."""
    return {
        "officer": open_case(container, users["officer"], "Jamie Example"),
        "other_officer": open_case(container, users["other_officer"], "Sam Example"),
    }


@pytest.fixture
def server(container: Services) -> Iterator[str]:
    """The app served for a browser, with the lifecycle's store and keys (the dashboard's and
    the to-do's due list read them). A test file whose pages need no store has its own."""
    init_storage(container.settings)
    with serving(container) as base:
        yield base


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver

"""An API client on a migrated database, and a caller per role (as tests/api has them)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Role
from tests.tokens import token


@pytest.fixture
def client(container: Services) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def headers(container: Services) -> dict[str, dict[str, str]]:
    """Request headers of olive and oscar (officers), maya and mike (managers), adam (admin)."""
    users = {
        "olive": Role.officer,
        "oscar": Role.officer,
        "maya": Role.manager,
        "mike": Role.manager,
        "adam": Role.admin,
    }
    return {name: token(container, name, role) for name, role in users.items()}


@pytest.fixture
def storage(container: Services) -> None:
    """Keys and the object store, for tests that upload."""
    init_storage(container.settings)

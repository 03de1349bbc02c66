"""Lifecycle fixtures: the services on each storage backend (filesystem in a temp dir,
S3 on the moto server over HTTP) with small chunks, on the shared migrated database.
The people and their records are seeded by tests/retention/seeding.py.
"""

from __future__ import annotations

import pytest

from casevault.app.services import Services
from casevault.core.settings import Settings

SMALL_CHUNK_KB = 4  # many chunks from small objects, fast


@pytest.fixture
def backend_settings(backend_settings: Settings) -> Settings:
    return backend_settings.model_copy(update={"chunk_size_kb": SMALL_CHUNK_KB})


@pytest.fixture
def life(backend_container: Services) -> Services:
    """The services a young person's records live their life in, on each backend."""
    return backend_container

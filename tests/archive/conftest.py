"""Archive fixtures: a vault on each backend (filesystem in a temp dir, S3 on the moto
server), over the shared migrated database (tests/fixtures_db.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from casevault.app.parts import build_vault, init_storage
from casevault.archive import LifecycleTags, Vault
from casevault.core.clock import FixedClock
from casevault.core.db import SessionFactory
from casevault.core.models import Tier
from casevault.core.settings import Settings

SMALL_CHUNK_KB = 4  # most cases: many chunks from small objects, fast


@pytest.fixture
def backend_settings(backend_settings: Settings) -> Settings:
    return backend_settings.model_copy(update={"chunk_size_kb": SMALL_CHUNK_KB})


@pytest.fixture
def base_settings(backend_settings: Settings) -> Settings:
    """The shared test settings on the backend under test, with small chunks; storage
    not yet initialised."""
    return backend_settings


@pytest.fixture
def settings_ready(base_settings: Settings) -> Settings:
    init_storage(base_settings)
    return base_settings


@pytest.fixture
def vault(settings_ready: Settings, new_session: SessionFactory, clock: FixedClock) -> Vault:
    return build_vault(settings_ready, new_session=new_session, clock=clock)


def lifecycle_tags(tier: Tier = Tier.active, **changes: str) -> LifecycleTags:
    fields = {"retention_class": "case-record", "schedule_version": "2025.1"}
    fields.update(changes)
    return LifecycleTags(tier=tier, **fields)


def write_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path

"""S3 fixtures: a moto server over HTTP on a free loopback port (S3 and KMS), and
settings pointing at fresh buckets per test.

    def test_x(s3_settings):          # Settings(storage_url="s3://", fresh bucket names)
        init_storage(s3_settings)     # buckets do not exist until storage init runs

For settings of your own, ``s3_overrides`` gives the fields to ``model_copy(update=...)``.
``backend_container`` and ``backend_client`` run a test once per storage backend
(filesystem and S3), with storage initialised, on the database of ``settings``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.settings import Settings, load_settings
from tests.e2e.servers import free_port

MOTO_CREDENTIALS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing"}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """URL of a moto server (S3, KMS, ...) for the whole test session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_overrides(moto_endpoint: str) -> dict[str, object]:
    """Settings fields for S3 on the moto server, with bucket names no other test uses."""
    suffix = uuid.uuid4().hex[:12]
    return {
        "storage_url": "s3://",
        "s3_endpoint_url": moto_endpoint,
        "s3_region": "us-east-1",
        "s3_addressing_style": "path",
        "s3_active_bucket": f"cv-active-{suffix}",
        "s3_archive_bucket": f"cv-archive-{suffix}",
        **MOTO_CREDENTIALS,
    }


@pytest.fixture
def s3_settings(tmp_path: Path, s3_overrides: dict[str, object]) -> Settings:
    return load_settings(data_dir=tmp_path / "data", **s3_overrides)


@pytest.fixture
def kms_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """KMS clients use the standard AWS credential chain: give it moto's dummy keys."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


def kms_settings(settings: Settings, *, endpoint: str, key_id: str) -> Settings:
    return settings.model_copy(
        update={
            "key_provider": "aws-kms",
            "kms_key_id": key_id,
            "kms_endpoint_url": endpoint,
            "kms_region": "us-east-1",
        }
    )


@pytest.fixture(params=["filesystem", "s3"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each storage backend in turn: the local directory and S3 (moto's server over HTTP)."""
    return str(request.param)


@pytest.fixture
def backend_settings(backend: str, settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The test settings on the backend under test; storage not yet initialised. A test
    folder may override this fixture to change more (smaller chunks, say)."""
    if backend == "s3":
        return settings.model_copy(update=request.getfixturevalue("s3_overrides"))
    return settings


@pytest.fixture
def backend_container(backend_settings: Settings, clock: FixedClock) -> Iterator[Services]:
    """The services on each backend, storage initialised: the one way tests get them."""
    init_storage(backend_settings)
    container = Services(backend_settings, clock=clock)
    yield container
    container.close()


@pytest.fixture
def backend_client(backend_container: Services) -> Iterator[TestClient]:
    with TestClient(create_app(backend_container)) as client:
        yield client

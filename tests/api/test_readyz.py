"""/readyz: 200 when database, store and broker answer; 503 naming the one that
does not, in time, with a hint and never a secret."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.settings import Settings

CLOSED_PORT = 1  # nothing listens on tcpmux
SECRET = "not-for-your-eyes"
# Room for a loaded machine: a dependency that answers is never named as down for being slow here.
ANSWERING = 30.0
# A dependency that never answers must be named within the deadline, not after the data path's
# retries (a minute or more); the bound below leaves a loaded machine room over the deadline.
HUNG_DEADLINE = 3.0
HUNG_BOUND = 15.0


def _client(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    container = Services(settings, clock=clock)
    try:
        with TestClient(create_app(container)) as client:
            yield client
    finally:
        container.close()


@pytest.fixture
def ready_settings(settings: Settings) -> Settings:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    init_storage(settings)
    return settings.model_copy(update={"probe_seconds": ANSWERING})


def readyz(client: TestClient) -> tuple[int, dict, float]:
    started = time.monotonic()
    answer = client.get("/readyz")
    return answer.status_code, answer.json(), time.monotonic() - started


def test_ready_when_everything_answers(ready_settings: Settings, clock: FixedClock) -> None:
    for client in _client(ready_settings, clock):
        status, body, _ = readyz(client)
        assert status == 200, body
        assert body["status"] == "ready"
        assert {name: check["ok"] for name, check in body["checks"].items()} == {
            "database": True,
            "store": True,
            "broker": True,
        }
        assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_on_s3(ready_settings: Settings, s3_overrides: dict, clock: FixedClock) -> None:
    settings = ready_settings.model_copy(update=s3_overrides)
    init_storage(settings)
    for client in _client(settings, clock):
        status, body, _ = readyz(client)
        assert status == 200, body


def test_a_filesystem_store_gone_is_named(ready_settings: Settings, clock: FixedClock, tmp_path: Path) -> None:
    root = Path(ready_settings.storage_url.removeprefix("file://"))
    for client in _client(ready_settings, clock):
        root.rename(tmp_path / "moved-away")  # the volume was not mounted
        status, body, _ = readyz(client)
        assert status == 503, body
        assert body["failed"] == ["store"]
        assert "casevault storage init" in body["checks"]["store"]["detail"]
        assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]


def test_an_s3_endpoint_that_refuses_is_named_in_time(
    ready_settings: Settings, s3_overrides: dict, clock: FixedClock
) -> None:
    settings = ready_settings.model_copy(
        update={
            **s3_overrides,
            "s3_endpoint_url": f"http://127.0.0.1:{CLOSED_PORT}",
            "s3_secret_access_key": SECRET,
            "probe_seconds": HUNG_DEADLINE,
        }
    )
    for client in _client(settings, clock):
        status, body, took = readyz(client)
        assert status == 503, body
        assert body["failed"] == ["store"]
        assert "could not reach the server" in body["checks"]["store"]["detail"]
        assert took < HUNG_BOUND  # one quick attempt, not the data path's retries
        assert SECRET not in str(body)


def test_a_missing_bucket_is_named(ready_settings: Settings, s3_overrides: dict, clock: FixedClock) -> None:
    settings = ready_settings.model_copy(update={**s3_overrides, "s3_active_bucket": "cv-never-created"})
    for client in _client(settings, clock):
        status, body, _ = readyz(client)
        assert status == 503, body
        assert body["failed"] == ["store"]
        assert "cv-never-created does not exist" in body["checks"]["store"]["detail"]


def test_a_broker_that_is_down_is_named_without_its_password(ready_settings: Settings, clock: FixedClock) -> None:
    settings = ready_settings.model_copy(
        update={"broker_url": f"redis://:{SECRET}@127.0.0.1:{CLOSED_PORT}/0", "probe_seconds": HUNG_DEADLINE}
    )
    for client in _client(settings, clock):
        status, body, took = readyz(client)
        assert status == 503, body
        assert body["failed"] == ["broker"]
        assert "CASEVAULT_BROKER_URL" in body["checks"]["broker"]["detail"]
        assert SECRET not in str(body) and "127.0.0.1" not in str(body)
        assert took < HUNG_BOUND


def test_a_database_that_is_down_is_named_without_its_password(ready_settings: Settings, clock: FixedClock) -> None:
    settings = ready_settings.model_copy(
        update={"database_url": f"postgresql+psycopg://casevault:{SECRET}@127.0.0.1:{CLOSED_PORT}/casevault"}
    )
    for client in _client(settings, clock):
        status, body, _ = readyz(client)
        assert status == 503, body
        assert body["failed"] == ["database"]
        assert "CASEVAULT_DATABASE_URL" in body["checks"]["database"]["detail"]
        assert SECRET not in str(body)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung server)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


HUNG = {
    "broker": ("broker_url", "redis://127.0.0.1:{port}/0", "casevault_broker_up 0.0"),
    "database": (
        "database_url",
        "postgresql+psycopg://casevault@127.0.0.1:{port}/casevault",
        "casevault_database_up 0.0",
    ),
}


@pytest.mark.parametrize("part", sorted(HUNG))
def test_a_hanging_dependency_cannot_hang_the_probes(
    ready_settings: Settings, clock: FixedClock, silent_server: int, part: str
) -> None:
    field, url, down = HUNG[part]
    settings = ready_settings.model_copy(update={field: url.format(port=silent_server), "probe_seconds": HUNG_DEADLINE})
    for client in _client(settings, clock):
        status, body, took = readyz(client)
        assert status == 503 and body["failed"] == [part], body
        assert f"no answer within {HUNG_DEADLINE:g} s" in body["checks"][part]["detail"]
        assert took < HUNG_BOUND
        started = time.monotonic()
        metrics = client.get("/metrics")
        assert metrics.status_code == 200 and down in metrics.text
        assert time.monotonic() - started < HUNG_BOUND

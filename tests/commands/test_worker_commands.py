"""`casevault worker ping`: the health check a container runs against its own worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from casevault.core.settings import Settings, load_settings
from tests.e2e.servers import casevault_env, running_worker
from tests.fixtures_brokers import OnBroker


@pytest.fixture
def plain_settings(tmp_path: Path) -> Settings:
    """No database needed: a ping touches only the broker."""
    return load_settings(data_dir=tmp_path / "var")


def casevault(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casevault", *args],
        env=casevault_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_running_worker_answers_the_ping(plain_settings: Settings, tmp_path: Path, on_broker: OnBroker) -> None:
    settings = on_broker("redis", plain_settings)
    with running_worker(settings, tmp_path / "worker.log"):
        answered = casevault(settings, "worker", "ping")
    assert answered.returncode == 0, answered.stderr
    assert "pong" in answered.stdout


def test_no_worker_means_exit_1_and_says_so(plain_settings: Settings, on_broker: OnBroker) -> None:
    settings = on_broker("redis", plain_settings)
    silent = casevault(settings, "worker", "ping", "--timeout", "1")
    assert silent.returncode == 1
    assert "did not answer within 1s" in silent.stderr and "celery@" in silent.stderr


def test_a_named_worker_that_is_not_there_does_not_count(
    plain_settings: Settings, tmp_path: Path, on_broker: OnBroker
) -> None:
    settings = on_broker("redis", plain_settings)
    with running_worker(settings, tmp_path / "worker.log"):
        other = casevault(settings, "worker", "ping", "--name", "celery@another-host", "--timeout", "1")
    assert other.returncode == 1
    assert "celery@another-host did not answer" in other.stderr


def test_the_embedded_sqlite_broker_cannot_ping_and_says_what_can(plain_settings: Settings) -> None:
    refused = casevault(plain_settings, "worker", "ping")
    assert refused.returncode == 1
    assert "needs Redis or RabbitMQ" in refused.stderr

"""casevault's own processes for end-to-end tests (a worker, beat), started as a user
would start them. Brokers come from the ``on_broker`` fixture (tests.fixtures_brokers)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from casevault.core.clock import SystemClock
from casevault.core.settings import Settings


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def real_time_case_dates() -> dict[str, str]:
    """Dates for a person and case opened through a container on the real clock (its
    workers live in real time): relative to today, years from the 25th birthday and
    weeks from any other boundary, so the test passes on whatever day it runs."""
    today = SystemClock().today()
    days_ago = {"born": 14 * 365, "referred": 60, "letter": 30}
    return {name: (today - dt.timedelta(days=days)).isoformat() for name, days in days_ago.items()}


def casevault_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment a casevault process needs to run with ``settings``: every
    setting that differs from its default (so on S3 the endpoint, buckets and
    credentials too), as the ``CASEVAULT_*`` variable a user would set."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASEVAULT_")}
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        if value is not None and value != field.default:
            env[f"CASEVAULT_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    env.update(extra)
    return env


def running_worker(settings: Settings, log: Path, *, concurrency: int = 1, ready_within: float = 60):
    """`casevault worker` in a child process, ready to take tasks; stopped cleanly after."""
    return running(settings, log, "worker", f"--concurrency={concurrency}", ready=b" ready.", within=ready_within)


@contextmanager
def running(settings: Settings, log: Path, *args: str, ready: bytes, within: float = 60) -> Iterator[subprocess.Popen]:
    """`casevault <args>` in a process group of its own (a test may kill all of it),
    once ``ready`` is in its log; stopped cleanly after, killed if it will not stop."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "casevault", *args],
            env=casevault_env(settings),
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            _wait_for(lambda: ready in log.read_bytes() or process.poll() is not None, within)
        except AssertionError:
            raise AssertionError(
                f"casevault {args[0]} not ready within {within}s:\n{log.read_text()[-3000:]}"
            ) from None
        if process.poll() is not None:
            raise AssertionError(f"casevault {args[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done within {seconds}s")
        time.sleep(0.2)


def wait_for(condition, seconds: float, what: str) -> None:
    try:
        _wait_for(condition, seconds)
    except AssertionError:
        raise AssertionError(f"{what}: not within {seconds}s") from None

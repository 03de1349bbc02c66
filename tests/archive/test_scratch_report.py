"""Scratch a killed process left (decrypted pages outside the encrypted store):
`storage verify` reports it when over an hour old, and the next start removes it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path

from click.testing import CliRunner

from casevault.app.bootstrap import initialise
from casevault.app.services import Services as Container
from casevault.cli.storage import storage
from casevault.core import scratch
from casevault.core.clock import FixedClock
from casevault.core.settings import Settings


def _left_by_a_killed_worker(data_dir: Path, *, age: dt.timedelta) -> Path:
    finished = subprocess.Popen(["true"])
    finished.wait()  # its pid names no process now, as a SIGKILLed worker's
    path = data_dir / "tmp" / f"ocr-{scratch._host()}-{finished.pid}-0123456789abcdef"
    path.mkdir(parents=True)
    (path / "original").write_bytes(b"a decrypted letter")
    when = time.time() - age.total_seconds()
    os.utime(path, (when, when))
    return path


def test_storage_verify_reports_scratch_older_than_an_hour_and_fails(settings: Settings, clock: FixedClock) -> None:
    container = Container(settings, clock=clock)
    runner = CliRunner()
    try:
        assert runner.invoke(storage, ["init"], obj=container).exit_code == 0
        _left_by_a_killed_worker(settings.data_dir, age=dt.timedelta(minutes=10))
        young = runner.invoke(storage, ["verify"], obj=container)
        assert young.exit_code == 0 and "scratch" not in young.output, young.output  # may be work in progress

        left = _left_by_a_killed_worker(settings.data_dir, age=dt.timedelta(hours=2))
        old = runner.invoke(storage, ["verify"], obj=container)
        assert old.exit_code == 1, old.output
        assert f"scratch: 1 entries older than an hour under {settings.data_dir / 'tmp'}" in old.output
        assert "removed at the next start" in old.output

        repaired = runner.invoke(storage, ["verify", "--repair"], obj=container)
        assert repaired.exit_code == 0 and not left.exists(), repaired.output
    finally:
        container.close()


def test_initialise_removes_scratch_a_killed_process_left(settings: Settings, clock: FixedClock) -> None:
    left = _left_by_a_killed_worker(settings.data_dir, age=dt.timedelta(0))
    container = Container(settings, clock=clock)
    try:
        assert left.exists()
        initialise(container)
        assert not left.exists()
        assert list((settings.data_dir / "tmp").iterdir()) == []
    finally:
        container.close()

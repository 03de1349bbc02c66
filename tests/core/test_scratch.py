"""Scratch: each call's private directory goes when the call ends, however it ends;
what a killed process left is removed at the next start on its host, or after a day
from any host; a live process's scratch is never removed under it."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from casevault.core import scratch
from casevault.core.scratch import private_dir, remove_stale, stale


def _dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()  # reaped: the pid names no process now
    return finished.pid


def _left(base: Path, name: str, *, age: dt.timedelta = dt.timedelta(0)) -> Path:
    path = base / name
    path.mkdir(parents=True)
    (path / "original").write_bytes(b"decrypted pages")
    when = time.time() - age.total_seconds()
    os.utime(path, (when, when))
    return path


def test_a_private_dir_is_only_ours_and_is_removed_when_the_work_succeeds_or_fails(tmp_path: Path) -> None:
    with private_dir(tmp_path, "ocr") as work:
        assert stat.S_IMODE(work.stat().st_mode) == 0o700
        assert work.name.startswith(f"ocr-{scratch._host()}-{os.getpid()}-")
        (work / "page.png").write_bytes(b"pixels")
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(RuntimeError), private_dir(tmp_path, "ocr") as work:
        (work / "page.png").write_bytes(b"pixels")
        raise RuntimeError("tesseract crashed")
    assert list(tmp_path.iterdir()) == []


def test_two_calls_never_share_a_directory(tmp_path: Path) -> None:
    with private_dir(tmp_path, "upload") as first, private_dir(tmp_path, "upload") as second:
        assert first != second


def test_remove_stale_removes_what_dead_processes_of_this_host_left_and_keeps_live_work(tmp_path: Path) -> None:
    host = scratch._host()
    dead = _left(tmp_path, f"ocr-{host}-{_dead_pid()}-0123456789abcdef")
    with private_dir(tmp_path, "ocr") as live_here:
        live_elsewhere = _left(tmp_path, f"ocr-otherhost-{_dead_pid()}-0123456789abcdef", age=dt.timedelta(hours=20))
        abandoned_elsewhere = _left(tmp_path, "upload-other-host-12-0123456789abcdef", age=dt.timedelta(days=2))
        unknown_old = _left(tmp_path, "normalised.pdf-dir", age=dt.timedelta(days=2))

        removed = remove_stale(tmp_path)

        assert sorted(removed) == sorted([dead, abandoned_elsewhere, unknown_old])
        assert live_here.exists() and live_elsewhere.exists()
        assert not dead.exists()


def test_stale_lists_entries_older_than_asked(tmp_path: Path) -> None:
    old = _left(tmp_path, "ocr-host-1-aa", age=dt.timedelta(hours=2))
    _left(tmp_path, "ocr-host-2-bb", age=dt.timedelta(minutes=5))
    assert stale(tmp_path, older_than=dt.timedelta(hours=1)) == [old]
    assert stale(tmp_path / "absent", older_than=dt.timedelta(hours=1)) == []

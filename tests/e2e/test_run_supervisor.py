"""`casevault run` on the embedded default: a worker or beat that dies is started again,
and the API answers all the while."""

from __future__ import annotations

import os
import signal
import urllib.request
from pathlib import Path

import pytest

from casevault.core.settings import load_settings
from tests.e2e.servers import free_port, running, wait_for

pytestmark = pytest.mark.slow


def children_of(pid: int) -> dict[int, str]:
    """The child processes of ``pid``: their pid and command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # it ended while we looked
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found[int(entry.name)] = cmdline
    return found


def the_child(pid: int, command: str) -> int | None:
    matches = [child for child, cmdline in children_of(pid).items() if f"-m casevault {command}" in cmdline]
    return matches[0] if len(matches) == 1 else None


def api_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_a_dead_child_is_started_again_while_the_api_keeps_serving(tmp_path: Path, command: str) -> None:
    port = free_port()
    settings = load_settings(data_dir=tmp_path / "var", port=port)
    with running(settings, tmp_path / "run.log", "run", ready=b"casevault on http", within=120) as run:
        wait_for(lambda: api_answers(port) and the_child(run.pid, command) is not None, 120, "the API and the child")
        first = the_child(run.pid, command)
        assert first is not None
        os.kill(first, signal.SIGKILL)

        outages = 0

        def replaced() -> bool:
            nonlocal outages
            outages += 0 if api_answers(port) else 1
            again = the_child(run.pid, command)
            return again is not None and again != first

        wait_for(replaced, 60, f"a new {command}")
        assert outages == 0, f"the API did not answer {outages} time(s) while the {command} was down"
        assert run.poll() is None, "casevault run stopped"
        assert f"{command} exited with code -9; starting it again" in (tmp_path / "run.log").read_text()

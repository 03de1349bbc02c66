"""`casevault run`: the API, one worker and beat as three child processes.

A worker or beat that dies is started again after a backoff (1 s, doubling up to a
minute; back to 1 s once it has run for a minute), and the API keeps serving: a
crashed worker must not take the officers' pages down with it. The API itself is
not restarted: if it dies, `casevault run` stops everything and says so, as the
process a user started.

On Ctrl-C or SIGTERM the supervisor asks every child to stop with SIGTERM (a clean
shutdown for uvicorn and Celery alike: the worker finishes or hands back its task),
waits up to a grace period, and kills only a child still running after it.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass

from casevault.core.settings import Settings

log = logging.getLogger("casevault.supervisor")

GRACE_SECONDS = 20
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
STEADY_SECONDS = 60.0  # a child that ran this long is healthy again: its backoff starts over
CHILDREN = {
    "api": ["api"],
    "worker": ["worker", "--concurrency", "2"],
    "beat": ["beat"],
}
RESTARTED = {"worker", "beat"}


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "casevault", *args])


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen[bytes]
    started_at: float
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None  # set while it waits to be started again
    restarts: int = 0


def run_all(settings: Settings) -> int:
    """Run until Ctrl-C/SIGTERM (exit 0) or until the API dies (exit 1)."""
    running = {name: Child(name, args, _start(args), time.monotonic()) for name, args in CHILDREN.items()}
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    failed = None
    while not stopping and failed is None:
        failed = _tend(running.values(), now=time.monotonic())
        time.sleep(0.2)

    _shut_down(child.process for child in running.values())
    if failed is not None:
        print(f"casevault: {failed} stopped unexpectedly; see its log above", file=sys.stderr)
        return 1
    return 0


def _tend(children: Iterable[Child], *, now: float) -> str | None:
    """One look at every child: restart what is due, schedule what died. Returns the
    name of a child that died and is not restarted (the API), else None."""
    for child in children:
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.process, child.started_at, child.restart_at = _start(child.args), now, None
                child.restarts += 1
                log.warning("%s started again (restart %d)", child.name, child.restarts)
            continue
        code = child.process.poll()
        if code is None:
            if now - child.started_at >= STEADY_SECONDS:
                child.backoff = FIRST_BACKOFF
            continue
        if child.name not in RESTARTED:
            return child.name
        child.restart_at = now + child.backoff
        log.error("%s exited with code %s; starting it again in %.0f s", child.name, code, child.backoff)
        child.backoff = min(MAX_BACKOFF, child.backoff * 2)
    return None


def _shut_down(processes: Iterable[subprocess.Popen[bytes]]) -> None:
    processes = list(processes)
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""`casevault run`: the API, one worker and beat as three child processes.

On Ctrl-C or SIGTERM, or when one child dies, the supervisor asks every child
to stop with SIGTERM (a clean shutdown for uvicorn and Celery alike: the
worker finishes or hands back its task), waits up to a grace period, and
kills only a child still running after it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from collections.abc import Iterable

from casevault.core.settings import Settings

GRACE_SECONDS = 20
CHILDREN = {
    "api": ["api"],
    "worker": ["worker", "--concurrency", "2"],
    "beat": ["beat"],
}


def run_all(settings: Settings) -> int:
    children = {name: subprocess.Popen([sys.executable, "-m", "casevault", *args]) for name, args in CHILDREN.items()}
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(child.poll() is None for child in children.values()):
        time.sleep(0.5)

    exited = [] if stopping else [name for name, child in children.items() if child.poll() is not None]
    _shut_down(children.values())
    if exited:
        print(f"casevault: {', '.join(exited)} stopped unexpectedly; see its log above", file=sys.stderr)
        return 1
    return 0


def _shut_down(children: Iterable[subprocess.Popen]) -> None:
    deadline = time.monotonic() + GRACE_SECONDS
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

"""A worker dying at a step boundary of the lifecycle, for the fault-injection tests."""

from __future__ import annotations

from collections.abc import Callable

from casevault.retention.steps import Boundary


class WorkerKilled(Exception):
    """Stands for the process dying: not an error of ours, so nothing catches it."""


def kill_at(boundary: Boundary, *, occurrence: int = 1) -> Callable[[Boundary, str], None]:
    seen = {"count": 0}

    def hook(reached: Boundary, item: str) -> None:
        if reached is boundary:
            seen["count"] += 1
            if seen["count"] == occurrence:
                raise WorkerKilled(f"killed {boundary.value} in {item}")

    return hook

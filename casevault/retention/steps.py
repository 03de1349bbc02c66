"""Step boundaries of the lifecycle work, and the hook called at each one.

Every move and destruction is a script of small steps, each committed before the
next begins. ``on_step(boundary, item)`` is called at each boundary; production
passes ``no_hook``. The fault-injection tests pass a hook that raises at a named
boundary, which is exactly what a worker dying there leaves behind, and then run
the sweep again to prove it converges.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass


class Boundary(str, enum.Enum):
    after_copy = "after_copy"  # the copy exists in the target tier, not yet verified
    after_verify = "after_verify"  # the copy decrypts to the recorded sha256 and size
    after_commit = "after_commit"  # the database says the object lives in the target tier
    after_delete = "after_delete"  # the source (or, when destroying, every copy) is gone
    after_key_shred = "after_key_shred"  # the person's data key is destroyed
    before_certificate = "before_certificate"  # rows are gone, certificate not yet written


StepHook = Callable[[Boundary, str], None]


def no_hook(boundary: Boundary, item: str) -> None:
    """Production: nothing happens between steps."""


class StepOutcomeKind(str, enum.Enum):
    done = "done"
    skipped = "skipped"  # held, claimed elsewhere, no longer due: the reason says which
    waiting = "waiting"  # cold storage restore requested, not ready yet
    failed = "failed"


@dataclass(frozen=True)
class StepOutcome:
    """What one item of lifecycle work came to, and why (ids and dates only)."""

    item: str  # "archive:case:12", "destroy:person:5", ...
    outcome: StepOutcomeKind
    why: str
    objects: int = 0  # objects moved or deleted

    @property
    def done(self) -> bool:
        return self.outcome is StepOutcomeKind.done

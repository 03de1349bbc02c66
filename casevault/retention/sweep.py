"""The sweep: what the schedule says is due, done, one claimed item at a time.

    finish destructions a dead worker left -> finish cases left ``restoring``
    -> plan (indexed facts -> decide) -> act on each unheld action, in batches
    -> erase what destructions deleted from the live database files

Dry run is the default: it plans and reports, and changes nothing. A real run
refuses a day after today: acting "as of" a future date would destroy early.
Each item's steps commit and audit one by one (see moves and destroy); an item
that fails with an error of ours is recorded and the sweep goes on to the next.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from sqlmodel import col, select

from casevault.core import audit, counters
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, InvalidInput
from casevault.core.models import Case, CaseStatus
from casevault.retention.approvals import approved_people
from casevault.retention.decide import Action, ActionKind
from casevault.retention.destroy import destroy_person, erase_destroyed_rows, expire_archive, pending_destructions
from casevault.retention.facts import plan
from casevault.retention.moves import archive_case, restore_case
from casevault.retention.parts import Lifecycle
from casevault.retention.steps import StepHook, StepOutcome, StepOutcomeKind, no_hook

log = logging.getLogger(__name__)


OPEN_CASE = "open case"  # why a destruction waits for approval: the person has an open case
APPROVAL_REQUIRED = "approval required"  # CASEVAULT_REQUIRE_DESTRUCTION_APPROVAL is on


@dataclass(frozen=True)
class DueItem:
    action: Action
    awaiting_approval: bool = False

    @property
    def blocked(self) -> bool:
        return self.action.held or self.awaiting_approval

    @property
    def awaiting(self) -> str | None:
        """Why a destruction waits for a manager's approval (an open case first)."""
        if not self.awaiting_approval:
            return None
        return OPEN_CASE if self.action.open_case else APPROVAL_REQUIRED

    def describe(self) -> str:
        a = self.action
        target = f"case {a.case_id}" if a.case_id is not None else f"person {a.person_id} ({a.pseudonym})"
        mark = " [HELD]" if a.held else f" [AWAITING APPROVAL: {self.awaiting}]" if self.awaiting_approval else ""
        return (
            f"{a.kind.value} {target} due {a.due_on} rule {a.rule_id} schedule {a.schedule_version}{mark}: {a.reason}"
        )


@dataclass(frozen=True)
class Unfinished:
    """Work a dead worker left: the sweep finishes it before anything new."""

    destructions: tuple[int, ...]  # person ids
    restoring: tuple[int, ...]  # case ids

    def describe(self) -> list[str]:
        return [f"finish destroying person {p} (started, not certified)" for p in self.destructions] + [
            f"finish restoring case {c}" for c in self.restoring
        ]


@dataclass(frozen=True)
class SweepReport:
    as_of: dt.date
    dry_run: bool
    due: tuple[DueItem, ...]
    unfinished: Unfinished
    outcomes: tuple[StepOutcome, ...] = field(default=())

    def count(self, outcome: StepOutcomeKind) -> int:
        return sum(1 for o in self.outcomes if o.outcome is outcome)


def due_list(lifecycle: Lifecycle, *, as_of: dt.date) -> tuple[list[DueItem], Unfinished]:
    with lifecycle.new_session() as session:
        actions = plan(session, schedule=lifecycle.schedule, as_of=as_of)
        approved = approved_people(session, [a.person_id for a in actions if _needs_approval(lifecycle, a)])
        unfinished = Unfinished(
            destructions=tuple(pending_destructions(session)),
            restoring=tuple(
                session.exec(select(Case.id).where(Case.status == CaseStatus.restoring).order_by(col(Case.id))).all()  # type: ignore[arg-type]  # ids of rows read from the database are set
            ),
        )
    items = [
        DueItem(action, awaiting_approval=_needs_approval(lifecycle, action) and action.person_id not in approved)
        for action in actions
    ]
    return items, unfinished


def _needs_approval(lifecycle: Lifecycle, action: Action) -> bool:
    """A destruction needs a manager's approval when the service asks for one for
    every destruction, and always when the person has an open case."""
    return action.kind is ActionKind.destroy_person and (lifecycle.require_approval or action.open_case)


def run_sweep(
    lifecycle: Lifecycle,
    *,
    as_of: dt.date | None = None,
    dry_run: bool = True,
    on_step: StepHook = no_hook,
    holder: str | None = None,
) -> SweepReport:
    """Act on everything due. ``holder`` names this run in its claims: a task
    redelivered after its worker died passes the same one and takes its items back
    at once instead of waiting out their lease."""
    today = lifecycle.clock.today()
    as_of = as_of or today
    if not dry_run and as_of > today:
        raise InvalidInput(
            f"a sweep acts as of today ({today}) or earlier, not {as_of}: acting early could destroy records"
            " before their time; use --dry-run to preview a later date",
            field="as_of",
        )
    due, unfinished = due_list(lifecycle, as_of=as_of)
    if dry_run:
        return SweepReport(as_of, True, tuple(due), unfinished)
    holder = holder or secrets.token_hex(8)
    outcomes: list[StepOutcome] = []
    for person_id in unfinished.destructions:
        destroy = partial(destroy_person, lifecycle, person_id=person_id, action=None, holder=holder, on_step=on_step)
        outcomes.append(_counted(lifecycle, _guarded(destroy, f"destroy:person:{person_id}")))
    for case_id in unfinished.restoring:
        restore = partial(restore_case, lifecycle, case_id=case_id, holder=holder, on_step=on_step)
        outcomes.append(_counted(lifecycle, _guarded(restore, f"restore:case:{case_id}")))
    for batch in _batches(due, lifecycle.batch_size):
        for item in batch:
            outcomes.append(_counted(lifecycle, _act(lifecycle, item, holder=holder, on_step=on_step)))
    report = SweepReport(as_of, False, tuple(due), unfinished, tuple(outcomes))
    with transaction(lifecycle.new_session) as session:
        audit.record(
            session,
            clock=lifecycle.clock,
            actor="system",
            action="retention.sweep",
            outcome="failed" if report.count(StepOutcomeKind.failed) else "ok",
            details={
                "as_of": as_of.isoformat(),
                "schedule": lifecycle.schedule.version,
                "due": len(due),
                "done": report.count(StepOutcomeKind.done),
                "skipped": report.count(StepOutcomeKind.skipped),
                "waiting": report.count(StepOutcomeKind.waiting),
                "failed": report.count(StepOutcomeKind.failed),
            },
        )
    erase_destroyed_rows(lifecycle)  # before the sweep returns: destroyed rows are unreadable from then on
    return report


def _act(lifecycle: Lifecycle, item: DueItem, *, holder: str, on_step: StepHook) -> StepOutcome:
    action = item.action
    name = f"{action.kind.value}:{'case' if action.case_id else 'person'}:{action.case_id or action.person_id}"
    if action.held:
        return StepOutcome(name, StepOutcomeKind.skipped, action.reason)
    if item.awaiting_approval:
        why = f"destruction waits for a manager's approval ({item.awaiting})"
        return StepOutcome(name, StepOutcomeKind.skipped, why)
    if action.kind is ActionKind.archive:
        return _guarded(lambda: archive_case(lifecycle, action=action, holder=holder, on_step=on_step), name)
    if action.kind is ActionKind.expire_archive:
        return _guarded(lambda: expire_archive(lifecycle, action=action, holder=holder, on_step=on_step), name)
    if action.kind is ActionKind.destroy_person:
        return _guarded(
            lambda: destroy_person(
                lifecycle, person_id=action.person_id, action=action, holder=holder, on_step=on_step
            ),
            name,
        )
    return StepOutcome(name, StepOutcomeKind.skipped, f"the sweep does not carry out {action.kind.value} actions")


def _guarded(step: Callable[[], StepOutcome], name: str) -> StepOutcome:
    """Our own errors fail this item only (recorded, tried again by the next sweep);
    anything else is a bug or a dying worker and stops the sweep."""
    try:
        return step()
    except CasevaultError as error:
        log.error("lifecycle item %s failed: %s", name, type(error).__name__)
        return StepOutcome(name, StepOutcomeKind.failed, f"{type(error).__name__}: {error.detail}")


def _counted(lifecycle: Lifecycle, outcome: StepOutcome) -> StepOutcome:
    """Each outcome counts as soon as it is known, so a long sweep shows its progress
    and one that dies loses at most the item in hand. (Skipped and failed items have
    no transaction of their own to count in.)"""
    with transaction(lifecycle.new_session) as session:
        counters.add(session, counters.SWEEP_OUTCOMES.name, label=outcome.outcome.value)
    return outcome


def _batches(items: Sequence[DueItem], size: int) -> list[Sequence[DueItem]]:
    return [items[start : start + size] for start in range(0, len(items), size)]

"""The lifecycle's use cases: the sweep, restoring a case, and a manager's restore request."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from casevault.app.usecases import Parts
from casevault.core import audit
from casevault.core.db import after_commit
from casevault.core.errors import NotFound
from casevault.core.models import Case, User
from casevault.retention.moves import mark_restoring, restore_case
from casevault.retention.steps import StepOutcome
from casevault.retention.sweep import SweepReport, run_sweep


class LifecycleWork:
    def __init__(self, services: Parts) -> None:
        self._services = services

    def sweep(self, *, as_of: dt.date | None = None, dry_run: bool = True, holder: str | None = None) -> SweepReport:
        """Archive, restore and destroy what is due (``dry_run``: only say what)."""
        return run_sweep(self._services.lifecycle, as_of=as_of, dry_run=dry_run, holder=holder)

    def restore(self, *, case_id: int, holder: str) -> StepOutcome:
        """Bring one ``restoring`` case's documents back to the active tier."""
        return restore_case(self._services.lifecycle, case_id=case_id, holder=holder)

    def request_restore(self, session: Session, *, case_id: int, user: User) -> Case:
        """A manager asks for one archived case back: it shows ``restoring`` at once,
        and the restore task is sent after the commit."""
        services = self._services
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound(f"no case with id {case_id}")
        schedule = services.schedule
        mark_restoring(
            session,
            case=case,
            actor=audit.actor_of(user),
            rule=schedule.restore_rule_id,
            schedule_version=schedule.version,
            clock=services.clock,
        )
        after_commit(session, lambda: services.tasks.restores([case_id]))
        return case

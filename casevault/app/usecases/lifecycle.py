"""The lifecycle's use cases: the sweep, restoring a case, a manager's restore request,
and the warnings before it acts (the due list, an officer's to-do)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlmodel import Session

from casevault.app.usecases import Parts
from casevault.app.usecases.subject_access import RequestSection, SubjectAccessWork
from casevault.core import audit
from casevault.core.db import after_commit
from casevault.core.errors import NotFound
from casevault.core.models import Case, User
from casevault.retention.moves import mark_restoring, restore_case
from casevault.retention.steps import StepOutcome
from casevault.retention.sweep import SweepReport, due_list, run_sweep
from casevault.retention.warnings import TODO_DAYS, DueWarnings, Todo, due_warnings, todo


@dataclass(frozen=True)
class TodoWithRequests(Todo):
    subject_access: RequestSection = RequestSection(0, ())  # requests to answer, fewest days left first


class LifecycleWork:
    def __init__(self, services: Parts) -> None:
        self._services = services

    def sweep(self, *, as_of: dt.date | None = None, dry_run: bool = True, holder: str | None = None) -> SweepReport:
        """Archive, restore and destroy what is due (``dry_run``: only say what); first, the
        holds of subject access requests completed long enough ago go."""
        if not dry_run:
            release_subject_access_holds(self._services, as_of=as_of or self._services.clock.today())
        return run_sweep(self._services.lifecycle, as_of=as_of, dry_run=dry_run, holder=holder)

    def restore(self, *, case_id: int, holder: str) -> StepOutcome:
        """Bring one ``restoring`` case's documents back to the active tier."""
        return restore_case(self._services.lifecycle, case_id=case_id, holder=holder)

    def due(self, session: Session, *, as_of: dt.date | None, within_days: int) -> DueWarnings:
        """What falls due within ``within_days`` of ``as_of`` (default today), overdue items too."""
        day = as_of or self._services.clock.today()
        return due_warnings(self._services.lifecycle, session, as_of=day, until=day + dt.timedelta(days=within_days))

    def todo(self, session: Session, *, user: User) -> TodoWithRequests:
        """An officer's warnings on her cases (a manager's on every case): destructions in
        the next TODO_DAYS days, documents whose OCR failed, standing holds, subject access
        requests to answer."""
        today = self._services.clock.today()
        until = today + dt.timedelta(days=TODO_DAYS)
        items, _ = due_list(self._services.lifecycle, as_of=until)
        base = todo(session, user=user, due=items, as_of=today, until=until)
        requests = SubjectAccessWork(self._services).todo(session, user=user)
        return TodoWithRequests(**{f.name: getattr(base, f.name) for f in fields(base)}, subject_access=requests)

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
            rule=schedule.manager_restore_rule_id,  # audited apart from a referral's restore
            schedule_version=schedule.version,
            clock=services.clock,
        )
        after_commit(session, lambda: services.tasks.restores([case_id]))
        return case


def release_subject_access_holds(services: Parts, *, as_of: dt.date) -> list[tuple[int, int]]:
    """The sweep's daily step for subject access: a completed request's hold is released
    once CASEVAULT_SAR_HOLD_DAYS have passed, before the sweep plans, so what the hold kept
    back is acted on the same day."""
    return SubjectAccessWork(services).release_due_holds(as_of=as_of)

"""Publishing a new schedule version: who must be told.

The policy: parents or carers of any active case at the point of a policy update
are told that an updated version is available. Publishing lists those cases
(``policy_update.cases_to_notify``) and records the update in the audit log; the
new file is then put in force with CASEVAULT_SCHEDULE_FILE.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from casevault.core import audit
from casevault.core.clock import Clock
from casevault.core.models import Case
from casevault.retention.facts import load_people
from casevault.retention.policy_update import ACTIVE_STATUSES, PolicyNotice, cases_to_notify
from casevault.retention.schedule import Schedule


def publish_schedule(
    session: Session, *, new: Schedule, previous: Schedule | None, clock: Clock, actor: str
) -> list[PolicyNotice]:
    people = session.exec(select(Case.person_id).where(col(Case.status).in_(ACTIVE_STATUSES)).distinct()).all()
    notices = cases_to_notify(load_people(session, sorted(people)), new=new, previous=previous)
    audit.record(
        session,
        clock=clock,
        actor=actor,
        action="retention.schedule.published",
        details={
            "version": new.version,
            "previous": previous.version if previous else None,
            "notify_cases": len(notices),
        },
    )
    return notices

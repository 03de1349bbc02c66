"""A new referral for a person with archived cases brings those cases back.

Called in the transaction that opens the new case: the archived cases go to
``restoring`` at once (visible on the case), and the caller enqueues
``casevault.retention.restore_case`` for each after the commit. A lost task is
harmless: every sweep finishes the cases left ``restoring``.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from casevault.core.clock import Clock
from casevault.core.models import Case, Person
from casevault.retention.decide import cases_to_restore_on_referral
from casevault.retention.facts import load_people
from casevault.retention.moves import mark_restoring
from casevault.retention.schedule import Schedule


def restore_on_referral(
    session: Session, *, person: Person, referral_date: dt.date, schedule: Schedule, clock: Clock, actor: str
) -> list[int]:
    """The ids of the cases now ``restoring`` because of this referral."""
    [facts] = load_people(session, [person.id])  # type: ignore[list-item]  # ids of rows read from the database are set
    restoring = []
    for action in cases_to_restore_on_referral(facts, referral_date=referral_date, schedule=schedule):
        case = session.get(Case, action.case_id)
        assert case is not None
        mark_restoring(
            session, case=case, actor=actor, rule=action.rule_id, schedule_version=action.schedule_version, clock=clock
        )
        restoring.append(case.id)
    session.flush()
    return restoring  # type: ignore[return-value]  # ids of rows read from the database are set

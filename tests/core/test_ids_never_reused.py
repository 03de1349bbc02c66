"""A child's records destroyed at 25 leave their ids behind in audit rows and certificates:
a new child must never be given them, nor the case reference derived from them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core import casework
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Case, OutcomeCode, Person, ReferralSource
from casevault.core.settings import Settings
from casevault.retention.destroy import destroy_person
from casevault.retention.facts import plan
from tests.retention.seeding import add_document

TURNS_25_TODAY = dt.date(2001, 11, 24)  # the clock fixture's today is 2026-11-24


def _child(container: Services, tmp_path: Path, *, born: dt.date) -> tuple[int, int, str, int]:
    """A person with an open case and one document, made as casework makes them:
    (person id, case id, case reference, document id)."""
    with transaction(container.new_session) as session:
        person = casework.add_person(
            session,
            full_name="Robin Example",
            date_of_birth=born,
            contact_details=None,
            recorded_by=None,
            clock=container.clock,
        )
        case = casework.open_case(
            session,
            person=person,
            referral_date=dt.date(2026, 1, 5),
            referral_source=ReferralSource.parent_carer,
            officer=None,
            clock=container.clock,
        )
        ids = (person.id, case.id, case.reference, person.pseudonym)
    person_id, case_id, reference, pseudonym = ids
    document_id, _keys = add_document(
        container,
        tmp_path,
        case_id=case_id,
        subject=pseudonym,
        born=born,
        index=0,
        correspondence_date=dt.date(2026, 1, 5),
    )
    return person_id, case_id, reference, document_id


def _destroy(container: Services, person_id: int) -> None:
    with transaction(container.new_session) as session:
        casework.close_case(
            session,
            case=session.exec(select(Case).where(Case.person_id == person_id)).one(),
            closed_on=dt.date(2026, 2, 1),
            outcome="Resolved.",
            outcome_code=OutcomeCode.advice_given,
            clock=container.clock,
        )
    with container.new_session() as session:
        [action] = [
            a
            for a in plan(session, schedule=container.schedule, as_of=container.clock.today())
            if a.kind.value == "destroy_person" and a.person_id == person_id
        ]
    destroy_person(container.lifecycle, person_id=person_id, action=action, holder="test")
    with container.new_session() as session:
        assert session.get(Person, person_id) is None


def test_a_new_child_never_gets_a_destroyed_childs_ids_or_reference(
    settings: Settings, container: Services, tmp_path: Path
) -> None:
    init_storage(settings)
    destroyed = _child(container, tmp_path, born=TURNS_25_TODAY)
    _destroy(container, destroyed[0])

    person_id, case_id, reference, document_id = _child(container, tmp_path, born=dt.date(2015, 3, 1))

    assert person_id > destroyed[0]
    assert case_id > destroyed[1]
    assert reference != destroyed[2]
    assert document_id > destroyed[3]
    with container.new_session() as session:
        named = session.exec(
            select(AuditEvent.subject_id).where(
                AuditEvent.subject_type == "person", AuditEvent.action.startswith("retention")
            )
        ).all()
    assert str(destroyed[0]) in named and str(person_id) not in named

"""The lifecycle for managers: what the next sweep would do and what falls due soon
(with names and references: the warnings before destruction), approvals of
destruction, and restoring one archived case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from casevault.api import answers
from casevault.api.bounds import PathId, RealDate
from casevault.api.deps import Manager, ServicesDep, SessionDep, record
from casevault.api.schemas import ApprovalCreate, ApprovalPublic, CasePublic, DueItemPublic, DueList
from casevault.retention.approvals import approve_destruction, find_person
from casevault.retention.sweep import DueItem
from casevault.retention.warnings import PersonLabel

router = APIRouter(tags=["retention"])


@router.get("/retention/due", response_model=DueList)
def read_due(
    user: Manager,
    session: SessionDep,
    services: ServicesDep,
    as_of: RealDate | None = None,
    within_days: Annotated[int, Query(ge=0, le=366, description="also what falls due this many days after as_of")] = 0,
) -> DueList:
    """What the sweep would do on ``as_of`` (default today; a later day is a preview), and with
    ``within_days`` what falls due up to that many days later: the warnings before it acts."""
    due = services.retention.due(session, as_of=as_of, within_days=within_days)
    record(
        session,
        services,
        user,
        "retention.due.read",
        as_of=due.as_of.isoformat(),
        within_days=within_days,
        count=len(due.items),
    )
    return DueList(
        as_of=due.as_of,
        until=due.until,
        items=[_due_item(item, due.people.get(item.action.person_id)) for item in due.items],
        unfinished=due.unfinished.describe(),
    )


def _due_item(item: DueItem, person: PersonLabel | None) -> DueItemPublic:
    action = item.action
    cases = person.cases if person is not None else ()
    return DueItemPublic(
        kind=action.kind,
        person_id=action.person_id,
        pseudonym=action.pseudonym,
        full_name=person.full_name if person is not None else "",
        case_id=action.case_id,
        case_reference=next((case.reference for case in cases if case.case_id == action.case_id), None),
        case_references=[case.reference for case in cases],
        rule=action.rule_id,
        schedule_version=action.schedule_version,
        due_on=action.due_on,
        reason=action.reason,
        held=action.held,
        hold_ids=list(action.hold_ids),
        awaiting_approval=item.awaiting_approval,
        awaiting=item.awaiting,
    )


@router.post("/retention/approvals", status_code=201, response_model=ApprovalPublic)
def approve(body: ApprovalCreate, user: Manager, session: SessionDep, services: ServicesDep) -> ApprovalPublic:
    """Approve one person's destruction (needed only when require_destruction_approval is on)."""
    person = find_person(session, person_id=body.person_id, pseudonym=body.pseudonym)
    approval = approve_destruction(session, person=person, user=user, schedule=services.schedule, clock=services.clock)
    record(session, services, user, "retention.destroy.approved", subject_type="person", subject_id=person.id)
    return ApprovalPublic(
        person_id=approval.person_id,
        approved_by=user.username,
        approved_by_id=approval.approved_by,
        approved_at=approval.approved_at,
    )


@router.post("/cases/{case_id}/restore", status_code=202, response_model=CasePublic)
def restore(case_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> CasePublic:
    """Bring one archived case back to active. The case shows ``restoring`` until its
    documents are back (at once from instant tiers; after the store's restore from
    cold storage classes, finished by the worker or the next sweep)."""
    case = services.retention.request_restore(session, case_id=case_id, user=user)
    return answers.case(session, case)

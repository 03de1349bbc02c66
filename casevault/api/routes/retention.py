"""The lifecycle for managers: what the next sweep would do, approvals of destruction,
and restoring one archived case."""

from __future__ import annotations

from fastapi import APIRouter

from casevault.api.bounds import PathId, RealDate
from casevault.api.deps import Manager, ServicesDep, SessionDep, record
from casevault.api.schemas import ApprovalCreate, ApprovalPublic, CasePublic, DueItemPublic, DueList
from casevault.core.models import User
from casevault.retention.approvals import approve_destruction, find_person
from casevault.retention.sweep import due_list

router = APIRouter(tags=["retention"])


@router.get("/retention/due", response_model=DueList)
def read_due(user: Manager, session: SessionDep, services: ServicesDep, as_of: RealDate | None = None) -> DueList:
    """What the sweep would do on ``as_of`` (default today; a later day is a preview)."""
    day = as_of or services.clock.today()
    items, unfinished = due_list(services.lifecycle, as_of=day)
    record(session, services, user, "retention.due.read", as_of=day.isoformat(), count=len(items))
    return DueList(
        as_of=day,
        items=[
            DueItemPublic(
                kind=i.action.kind,
                person_id=i.action.person_id,
                pseudonym=i.action.pseudonym,
                case_id=i.action.case_id,
                rule=i.action.rule_id,
                schedule_version=i.action.schedule_version,
                due_on=i.action.due_on,
                reason=i.action.reason,
                held=i.action.held,
                hold_ids=list(i.action.hold_ids),
                awaiting_approval=i.awaiting_approval,
            )
            for i in items
        ],
        unfinished=unfinished.describe(),
    )


@router.post("/retention/approvals", status_code=201, response_model=ApprovalPublic)
def approve(body: ApprovalCreate, user: Manager, session: SessionDep, services: ServicesDep) -> ApprovalPublic:
    """Approve one person's destruction (needed only when require_destruction_approval is on)."""
    person = find_person(session, person_id=body.person_id, pseudonym=body.pseudonym)
    approval = approve_destruction(session, person=person, user=user, schedule=services.schedule, clock=services.clock)
    record(session, services, user, "retention.destroy.approved", subject_type="person", subject_id=person.id)
    return ApprovalPublic.model_validate(approval, from_attributes=True)


@router.post("/cases/{case_id}/restore", status_code=202, response_model=CasePublic)
def restore(case_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> CasePublic:
    """Bring one archived case back to active. The case shows ``restoring`` until its
    documents are back (at once from instant tiers; after the store's restore from
    cold storage classes, finished by the worker or the next sweep)."""
    case = services.retention.request_restore(session, case_id=case_id, user=user)
    officer = session.get(User, case.assigned_officer_id) if case.assigned_officer_id else None
    return CasePublic.of(case, officer=officer.username if officer else None)

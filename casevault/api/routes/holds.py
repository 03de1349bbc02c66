"""Holds (managers): while one stands, nothing of its person or case is archived,
expired or destroyed. The reason is free text: it is kept on the hold and shown to
managers, never written to the audit log (ids and the kind only)."""

from __future__ import annotations

from fastapi import APIRouter

from casevault.api.bounds import PathId
from casevault.api.deps import Manager, ServicesDep, SessionDep, record
from casevault.api.schemas import HoldCreate, HoldList, HoldPublic
from casevault.core import casework
from casevault.retention.holds import list_holds, place_hold, release_hold

router = APIRouter(prefix="/holds", tags=["retention"])


@router.post("", status_code=201, response_model=HoldPublic)
def create_hold(body: HoldCreate, user: Manager, session: SessionDep, services: ServicesDep) -> HoldPublic:
    hold = place_hold(session, **body.model_dump(), user=user, clock=services.clock)
    record(
        session,
        services,
        user,
        "hold.place",
        subject_type="hold",
        subject_id=hold.id,
        kind=hold.kind.value,
        person=hold.person_id,
        case=hold.case_id,
    )
    return HoldPublic.of(hold, {user.id: user.username})  # type: ignore[dict-item]  # ids of stored rows are set


@router.delete("/{hold_id}", response_model=HoldPublic)
def delete_hold(hold_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> HoldPublic:
    hold = release_hold(session, hold_id=hold_id, user=user, clock=services.clock)
    record(session, services, user, "hold.release", subject_type="hold", subject_id=hold.id)
    return HoldPublic.of(hold, casework.usernames(session, (hold.placed_by, hold.released_by)))


@router.get("", response_model=HoldList)
def read_holds(user: Manager, session: SessionDep, standing: bool = True) -> HoldList:
    holds = list_holds(session, standing_only=standing)
    names = casework.usernames(session, [hold.placed_by for hold in holds] + [hold.released_by for hold in holds])
    return HoldList(holds=[HoldPublic.of(hold, names) for hold in holds])

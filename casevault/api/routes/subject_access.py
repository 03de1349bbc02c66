"""Subject access requests: the request and its legal clock, and who may receive what.

Officers open and view the requests of the people of their cases; managers do everything.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, Field

from casevault.api.bounds import BodyId, Name, PathId, RealDate
from casevault.api.deps import Manager, Officer, ServicesDep, SessionDep
from casevault.api.paging import Cursor, Limit, Page, decode_cursor, page_of
from casevault.api.schemas import Strict
from casevault.core.models import ClockStopReason, ItemDecision, RequesterKind, SarStatus

if TYPE_CHECKING:
    from casevault.app.usecases.subject_access import RequestView

router = APIRouter(tags=["subject access"])


class SarCreate(Strict):
    person_id: BodyId
    requester_kind: RequesterKind
    requester_name: Name = Field(min_length=1, max_length=200, description="who made the request")
    received_on: RealDate = Field(description="the day it was received (day 1 of the clock); not in the future")
    authority: str | None = Field(
        default=None, max_length=2000, description="a representative's authority to act (e.g. a signed consent)"
    )
    maturity_recorded: bool = Field(
        default=False, description="a young person of 12 to 15 asking: the officer recorded maturity and capacity"
    )


class SarUpdate(Strict):
    authority: str | None = Field(default=None, max_length=2000, description="null removes it")
    maturity_recorded: bool | None = None


class ClockStopCreate(Strict):
    reason: ClockStopReason
    stopped_on: RealDate


class ClockResume(Strict):
    resumed_on: RealDate


class ExtensionCreate(Strict):
    months: int = Field(ge=1, le=2)
    reason: str = Field(min_length=1, max_length=2000)
    told_on: RealDate = Field(description="the day the requester was told; within the first month")


class Completion(Strict):
    completed_on: RealDate


class ClockStopPublic(BaseModel):
    id: int
    reason: ClockStopReason
    stopped_on: dt.date
    resumed_on: dt.date | None


class ItemPublic(BaseModel):
    document_id: int | None
    note_id: int | None
    decision: ItemDecision
    reason: str


class ExtensionPublic(BaseModel):
    months: int
    reason: str | None
    told_on: dt.date | None


class SarSummary(BaseModel):
    id: int
    reference: str
    person_id: int
    person_name: str
    requester_kind: RequesterKind
    received_on: dt.date
    due_on: dt.date
    status: SarStatus
    days_left: int | None  # None once completed; frozen while the clock is stopped
    paused: bool
    warning: str | None  # "due soon" (7 days or fewer), "urgent" (2 or fewer), "overdue"
    completed_on: dt.date | None

    @classmethod
    def of(cls, view: RequestView) -> SarSummary:
        request = view.request
        done = request.status is SarStatus.completed
        return cls(
            id=request.id or 0,
            reference=request.reference,
            person_id=request.person_id,
            person_name=view.full_name,
            requester_kind=request.requester_kind,
            received_on=request.received_on,
            due_on=request.due_on,
            status=request.status,
            days_left=None if done else view.clock.days_left,
            paused=view.clock.paused,
            warning=view.warning,
            completed_on=request.completed_on,
        )


class SarPublic(SarSummary):
    requester_name: str
    authority: str | None
    maturity_recorded: bool
    days_paused: int
    extension: ExtensionPublic | None
    hold_id: int | None
    hold_release_on: dt.date | None
    opened_by: int
    opened_at: dt.datetime
    stops: list[ClockStopPublic]
    items: list[ItemPublic]  # empty until marked (POST .../items)

    @classmethod
    def of(cls, view: RequestView) -> SarPublic:
        request = view.request
        extension = None
        if request.extension_months:
            extension = ExtensionPublic(
                months=request.extension_months, reason=request.extension_reason, told_on=request.extension_told_on
            )
        return cls(
            **SarSummary.of(view).model_dump(),
            requester_name=request.requester_name,
            authority=request.authority,
            maturity_recorded=request.maturity_recorded,
            days_paused=view.clock.days_paused,
            extension=extension,
            hold_id=request.hold_id,
            hold_release_on=request.hold_release_on,
            opened_by=request.opened_by,
            opened_at=request.opened_at,
            stops=[ClockStopPublic.model_validate(stop, from_attributes=True) for stop in view.stops],
            items=[ItemPublic.model_validate(item, from_attributes=True) for item in view.items],
        )


@router.post("/subject-access", status_code=201, response_model=SarPublic)
def open_request(body: SarCreate, user: Officer, session: SessionDep, services: ServicesDep) -> SarPublic:
    """Open a subject access request for a person you see: its due date (one month, day of
    receipt day 1, past weekends and bank holidays) and a subject_access hold on the person."""
    view = services.subject_access.open(
        session,
        person_id=body.person_id,
        requester_kind=body.requester_kind,
        requester_name=body.requester_name,
        received_on=body.received_on,
        authority=body.authority,
        maturity_recorded=body.maturity_recorded,
        user=user,
    )
    return SarPublic.of(view)


@router.get("/subject-access", response_model=Page[SarSummary])
def list_requests(
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    status: SarStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SarSummary]:
    """Requests of the people you see, fewest days left first; completed ones last."""
    key = decode_cursor(cursor, shape=(int, int, int))
    views = services.subject_access.listed(
        session, user=user, status=status, after=tuple(int(part) for part in key) if key else None, limit=limit
    )
    return page_of(views, limit=limit, key=lambda view: view.sort_key, shape=SarSummary.of)


@router.get("/subject-access/{request_id}", response_model=SarPublic)
def read_request(request_id: PathId, user: Officer, session: SessionDep, services: ServicesDep) -> SarPublic:
    """The request, its clock (due date, days left, stops, extension) and its items' decisions."""
    return SarPublic.of(services.subject_access.read(session, request_id=request_id, user=user))


@router.post("/subject-access/{request_id}/clock-stops", status_code=201, response_model=SarPublic)
def stop_clock(
    request_id: PathId, body: ClockStopCreate, user: Manager, session: SessionDep, services: ServicesDep
) -> SarPublic:
    """Stop the clock while waiting for the requester's identity or clarification."""
    view = services.subject_access.stop_clock(
        session, request_id=request_id, reason=body.reason, stopped_on=body.stopped_on, user=user
    )
    return SarPublic.of(view)


@router.post("/subject-access/{request_id}/clock-stops/{stop_id}/resume", response_model=SarPublic)
def resume_clock(
    request_id: PathId, stop_id: PathId, body: ClockResume, user: Manager, session: SessionDep, services: ServicesDep
) -> SarPublic:
    """The clock runs again; the due date moves on by the days it stood still."""
    view = services.subject_access.resume_clock(
        session, request_id=request_id, stop_id=stop_id, resumed_on=body.resumed_on, user=user
    )
    return SarPublic.of(view)


@router.post("/subject-access/{request_id}/extension", response_model=SarPublic)
def extend_request(
    request_id: PathId, body: ExtensionCreate, user: Manager, session: SessionDep, services: ServicesDep
) -> SarPublic:
    """Extend a complex request by 1 or 2 months; 409 when the requester was told after the first month."""
    view = services.subject_access.extend(
        session, request_id=request_id, months=body.months, reason=body.reason, told_on=body.told_on, user=user
    )
    return SarPublic.of(view)


@router.patch("/subject-access/{request_id}", response_model=SarPublic)
def update_request(
    request_id: PathId, body: SarUpdate, user: Manager, session: SessionDep, services: ServicesDep
) -> SarPublic:
    """Record a representative's authority, or a young person's maturity and capacity; then mark again."""
    view = services.subject_access.update(
        session,
        request_id=request_id,
        authority=body.authority,
        set_authority="authority" in body.model_fields_set,
        maturity_recorded=body.maturity_recorded,
        user=user,
    )
    return SarPublic.of(view)


@router.post("/subject-access/{request_id}/items", response_model=SarPublic)
def mark_items(request_id: PathId, user: Manager, session: SessionDep, services: ServicesDep) -> SarPublic:
    """Mark each of the person's documents and notes disclosed, partly disclosed or withheld, with the reason."""
    return SarPublic.of(services.subject_access.mark(session, request_id=request_id, user=user))


@router.post("/subject-access/{request_id}/complete", response_model=SarPublic)
def complete_request(
    request_id: PathId, body: Completion, user: Manager, session: SessionDep, services: ServicesDep
) -> SarPublic:
    """The request is answered; its hold is released CASEVAULT_SAR_HOLD_DAYS (30) days later."""
    view = services.subject_access.complete(session, request_id=request_id, completed_on=body.completed_on, user=user)
    return SarPublic.of(view)

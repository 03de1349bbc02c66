from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from casevault.api.bounds import MAX_ID
from casevault.api.deps import Auditor, SessionDep
from casevault.api.schemas import AuditEventPublic, AuditPage
from casevault.core import casework
from casevault.core.models import AuditEvent

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=AuditPage)
def list_events(
    user: Auditor,
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    action: str | None = None,
) -> AuditPage:
    query = select(AuditEvent).where(col(AuditEvent.id) > after_id).order_by(col(AuditEvent.id)).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    events = session.exec(query).all()
    # The stored actor ("user:3") stays as hashed, so the chain still verifies; the username is added beside it.
    names = casework.usernames(session, (_user_id(event.actor) for event in events))
    public = [
        AuditEventPublic(
            **event.model_dump(exclude={"details", "prev_hash"}),
            actor_username=names.get(_user_id(event.actor) or 0),
            details=json.loads(event.details),
        )
        for event in events
    ]
    return AuditPage(events=public, next_after_id=events[-1].id if len(events) == limit else None)


def _user_id(actor: str) -> int | None:
    """The user id an actor string names (audit.actor_of writes "user:<id>"), if it names one."""
    kind, _, number = actor.partition(":")
    return int(number) if kind == "user" and number.isdigit() else None

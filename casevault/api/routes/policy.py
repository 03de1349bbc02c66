"""The privacy notice: its versions (published with `casevault policy publish`), who was
given which and how, and who must still be told of a new version. Audit rows hold ids,
versions and counts only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlmodel import Session

from casevault.api.bounds import PathId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.paging import Cursor, CursorKey, Limit, Page, decode_cursor, page_of
from casevault.api.schemas import (
    NOTICE_VERSION,
    NoticeCreate,
    NoticePublic,
    NotificationPublic,
    PolicyVersionPublic,
    PolicyVersionText,
)
from casevault.core import casework
from casevault.core.models import PolicyNotice, PolicyNotification, PolicyVersion
from casevault.retention import notices

router = APIRouter(tags=["policy notices"])

Version = Annotated[str, Query(min_length=1, max_length=32, pattern=NOTICE_VERSION, description="e.g. 2026-1")]
VersionPath = Annotated[str, Path(min_length=1, max_length=32, pattern=NOTICE_VERSION)]


def _by_id(row: PolicyVersion | PolicyNotice | PolicyNotification) -> CursorKey:
    assert row.id is not None  # rows read from the database
    return (row.id,)


def _after(cursor: str | None) -> int | None:
    key = decode_cursor(cursor)
    return int(key[0]) if key else None


@router.get("/policy/notices", response_model=Page[PolicyVersionPublic])
def read_versions(user: Officer, session: SessionDep, limit: Limit = 50, cursor: Cursor = None) -> Page[Any]:
    """The published versions of the notice, oldest first."""
    rows = notices.list_versions(session, after=_after(cursor), limit=limit + 1)
    return page_of(
        rows,
        limit=limit,
        key=_by_id,
        shape=lambda row: PolicyVersionPublic.model_validate(row.model_dump()),
    )


@router.get("/policy/notices/{version}", response_model=PolicyVersionText)
def read_version(version: VersionPath, user: Officer, session: SessionDep) -> PolicyVersionText:
    """One version with its text."""
    return PolicyVersionText.model_validate(notices.get_version(session, version).model_dump())


@router.post("/people/{person_id}/notices", status_code=201, response_model=NoticePublic)
def give_notice(
    person_id: PathId, body: NoticeCreate, user: Officer, session: SessionDep, services: ServicesDep
) -> NoticePublic:
    """Record that the person, or their parent or carer, was given a version, and how: they
    are then told of it (and of every earlier version they were listed for)."""
    notice, _told = notices.record_notice(
        session, person_id=person_id, version=body.version, how=body.how, user=user, clock=services.clock
    )
    return _notice(notice, {user.id: user.username})  # type: ignore[dict-item]  # ids of stored rows are set


@router.get("/people/{person_id}/notices", response_model=Page[NoticePublic])
def read_notices(
    person_id: PathId, user: Officer, session: SessionDep, limit: Limit = 50, cursor: Cursor = None
) -> Page[Any]:
    """The notices the person (or their parent or carer) was given, oldest first."""
    rows = notices.notices_of(session, person_id=person_id, user=user, after=_after(cursor), limit=limit + 1)
    names = casework.usernames(session, (row.recorded_by for row in rows))
    return page_of(rows, limit=limit, key=_by_id, shape=lambda row: _notice(row, names))


@router.get("/policy/notifications", response_model=Page[NotificationPublic])
def read_notifications(
    version: Version,
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    outstanding: Annotated[bool, Query(description="true: still to be told; false: told")] = True,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[Any]:
    """The people whose parents or carers must be told of ``version`` (the people of every
    active case when it was published): officers see the people of their cases."""
    rows = notices.notifications(
        session, version=version, user=user, outstanding=outstanding, after=_after(cursor), limit=limit + 1
    )
    shown = rows[:limit]
    people = [row.person_id for row in shown]
    names = _names(session, people)
    references = notices.active_references(session, people)
    record(
        session, services, user, "policy.notifications.read", version=version, outstanding=outstanding, count=len(shown)
    )
    return page_of(
        rows,
        limit=limit,
        key=_by_id,
        shape=lambda row: _notification(row, names, references),
    )


def _names(session: Session, person_ids: list[int]) -> dict[int, str]:
    return casework.shown_names(session, person_ids)


def _notice(row: PolicyNotice, names: dict[int, str]) -> NoticePublic:
    return NoticePublic(
        **row.model_dump(exclude={"recorded_by"}),
        recorded_by=names.get(row.recorded_by),
        recorded_by_id=row.recorded_by,
    )


def _notification(
    row: PolicyNotification, names: dict[int, str], references: dict[int, list[str]]
) -> NotificationPublic:
    return NotificationPublic(
        person_id=row.person_id,
        full_name=names.get(row.person_id, ""),
        case_references=references.get(row.person_id, []),
        listed_at=row.listed_at,
        told_at=row.told_at,
        notice_id=row.notice_id,
    )

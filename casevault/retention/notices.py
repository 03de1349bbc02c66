"""The service's privacy notice: its published versions, who was given which and how,
and who must still be told of a new one.

The policy: "Our SENDIASS officers will make sure that parents or carers of any active
cases at the point of policy update are aware that an updated version of the policy is
available." Publishing a version is such an update: the people of every active case then
(open or being restored, ``policy_update.ACTIVE_STATUSES``, as for a new retention
schedule) are listed, and stay on the list until an officer records that they (or their
parent or carer) were given the new version, or a later one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from casevault.core import audit, casework
from casevault.core.clock import Clock
from casevault.core.errors import Conflict, InvalidInput, NotVisible
from casevault.core.models import (
    Case,
    NoticeMethod,
    PolicyNotice,
    PolicyNotification,
    PolicyVersion,
    Role,
    User,
)
from casevault.retention.policy_update import ACTIVE_STATUSES

VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
MAX_NOTICE_BYTES = 1_000_000


@dataclass(frozen=True)
class Published:
    version: PolicyVersion
    to_tell: list[int]  # person ids listed now; empty when this exact version was published before
    new: bool


def publish(session: Session, *, version: str, text: str, clock: Clock, actor: str) -> Published:
    """Keep ``text`` as notice ``version`` and list the people of every active case, whose
    parents or carers must be told. The same text again under the same version changes
    nothing; other text under a published version is refused."""
    if not re.match(VERSION_PATTERN, version):
        raise InvalidInput(
            "version must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit", field="version"
        )
    if not text.strip():
        raise InvalidInput("the notice is empty: give the file holding the notice's text", field="file")
    if len(text.encode()) > MAX_NOTICE_BYTES:
        raise InvalidInput(f"the notice is over {MAX_NOTICE_BYTES} bytes: is this the right file?", field="file")
    digest = hashlib.sha256(text.encode()).hexdigest()
    existing = session.exec(select(PolicyVersion).where(PolicyVersion.version == version)).first()
    if existing is not None:
        if existing.sha256 != digest:
            raise Conflict(
                f"version {version} was published on {existing.published_at:%Y-%m-%d} with other text:"
                " give the changed notice a new version, so each record says which text was given"
            )
        return Published(version=existing, to_tell=[], new=False)
    row = PolicyVersion(version=version, sha256=digest, text=text, published_by=actor, published_at=clock.now())
    session.add(row)
    session.flush()
    people = session.exec(
        select(Case.person_id).where(col(Case.status).in_(ACTIVE_STATUSES)).distinct().order_by(col(Case.person_id))
    ).all()
    now = clock.now()
    session.add_all(PolicyNotification(version=version, person_id=person_id, listed_at=now) for person_id in people)
    session.flush()
    return Published(version=row, to_tell=list(people), new=True)


def get_version(session: Session, version: str) -> PolicyVersion:
    row = session.exec(select(PolicyVersion).where(PolicyVersion.version == version)).first()
    if row is None:
        raise NotVisible(f"no notice version {version} was published; GET /policy/notices lists them")
    return row


def list_versions(session: Session, *, after: int | None, limit: int) -> Sequence[PolicyVersion]:
    query = select(PolicyVersion).order_by(col(PolicyVersion.id)).limit(limit)
    if after is not None:
        query = query.where(col(PolicyVersion.id) > after)
    return session.exec(query).all()


def record_notice(
    session: Session, *, person_id: int, version: str, how: NoticeMethod, user: User, clock: Clock
) -> tuple[PolicyNotice, int]:
    """Record that the person (or their parent or carer) was given ``version``; they are told
    of it, and of every version published before it. Audited here, so the API and the pages
    record it alike. Answers the notice and how many outstanding notifications it settled."""
    person = casework.get_person(session, person_id=person_id, user=user)
    given = session.exec(select(PolicyVersion).where(PolicyVersion.version == version)).first()
    if given is None:
        raise InvalidInput(
            f"no notice version {version} was published; GET /policy/notices lists them", field="version"
        )
    now = clock.now()
    notice = PolicyNotice(person_id=person.id, version=version, how=how, recorded_by=user.id, recorded_at=now)  # type: ignore[arg-type]  # ids of stored rows are set
    session.add(notice)
    session.flush()
    up_to_this = select(PolicyVersion.version).where(col(PolicyVersion.id) <= given.id)
    settled = session.execute(
        sa.update(PolicyNotification)
        .where(
            col(PolicyNotification.person_id) == person.id,
            col(PolicyNotification.told_at).is_(None),
            col(PolicyNotification.version).in_(up_to_this),
        )
        .values(told_at=now, notice_id=notice.id)
    )
    told: int = settled.rowcount  # type: ignore[attr-defined]  # an UPDATE's result counts its rows
    audit.record(
        session,
        clock=clock,
        actor=audit.actor_of(user),
        action="policy.notice.record",
        subject_type="person",
        subject_id=person.id,
        details={"notice": notice.id, "told": told},
    )
    return notice, told


def notices_of(
    session: Session, *, person_id: int, user: User, after: int | None, limit: int
) -> Sequence[PolicyNotice]:
    casework.get_person(session, person_id=person_id, user=user)
    query = select(PolicyNotice).where(PolicyNotice.person_id == person_id).order_by(col(PolicyNotice.id)).limit(limit)
    if after is not None:
        query = query.where(col(PolicyNotice.id) > after)
    return session.exec(query).all()


def notifications(
    session: Session, *, version: str, user: User, outstanding: bool, after: int | None, limit: int
) -> Sequence[PolicyNotification]:
    """Who was listed for ``version``: still to be told (``outstanding``) or told. Officers:
    only the people of cases assigned to them now."""
    get_version(session, version)
    query = select(PolicyNotification).where(PolicyNotification.version == version)
    told = col(PolicyNotification.told_at)
    query = query.where(told.is_(None) if outstanding else told.is_not(None))
    if user.role is not Role.manager:
        theirs = select(Case.person_id).where(Case.assigned_officer_id == user.id)
        query = query.where(col(PolicyNotification.person_id).in_(theirs))
    if after is not None:
        query = query.where(col(PolicyNotification.id) > after)
    return session.exec(query.order_by(col(PolicyNotification.id)).limit(limit)).all()


def active_references(session: Session, person_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each person's active case references, for the officer who must call the family."""
    rows = session.exec(
        select(Case.person_id, Case.reference)
        .where(col(Case.person_id).in_(person_ids), col(Case.status).in_(ACTIVE_STATUSES))
        .order_by(col(Case.id))
    ).all()
    found: dict[int, list[str]] = {}
    for person_id, reference in rows:
        found.setdefault(person_id, []).append(reference)
    return found

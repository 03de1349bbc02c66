"""Subject access requests as the edges reach them: open one (and its hold), follow its
clock, stop and resume it, extend it, mark who may receive what, complete it; the daily
release of the holds of completed requests; the to-do and dashboard warnings.

Who: officers open and view the requests of the people of their cases (receiving one is
often their job); managers do everything. Audit details hold ids and kinds only, never the
requester's name, an authority, or a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from casevault.app.usecases import Parts
from casevault.app.usecases.sar_bundles import supersede_bundle
from casevault.core import audit, casework
from casevault.core.db import transaction
from casevault.core.errors import Forbidden, NotFound, NotVisible
from casevault.core.models import (
    ClockStopReason,
    Person,
    RequesterKind,
    Role,
    SarClockStop,
    SarItem,
    SarStatus,
    SubjectAccessRequest,
    User,
)
from casevault.policy import due_dates, recipients, requests
from casevault.policy.due_dates import ClockState
from casevault.policy.requests import RequestTodo

TODO_CAP = 50
SHIFT = 36500  # days left is shifted by this in list cursors, which hold whole numbers from 0


@dataclass(frozen=True)
class RequestView:
    request: SubjectAccessRequest
    full_name: str
    clock: ClockState
    stops: Sequence[SarClockStop] = ()
    items: Sequence[SarItem] = ()

    @property
    def warning(self) -> str | None:
        if self.request.status is SarStatus.completed:
            return None
        return due_dates.warning(self.clock.days_left)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        """Requests still to answer first, fewest days left first; completed ones after."""
        done = self.request.status is SarStatus.completed
        return (int(done), 0 if done else self.clock.days_left + SHIFT, self.request.id or 0)


@dataclass(frozen=True)
class RequestCounts:
    open: int  # to answer (the clock running or stopped)
    due_soon: int  # 7 days or fewer left (urgent and overdue included)
    urgent: int  # 2 days or fewer left (overdue included)


@dataclass(frozen=True)
class RequestSection:
    total: int
    items: tuple[RequestTodo, ...]


class SubjectAccessWork:
    def __init__(self, services: Parts) -> None:
        self._services = services

    def _audit(self, session: Session, user: User, action: str, request_id: int | None, **details: object) -> None:
        audit.record(
            session,
            clock=self._services.clock,
            actor=audit.actor_of(user),
            action=action,
            subject_type="subject_access_request",
            subject_id=request_id,
            details=details,  # type: ignore[arg-type]  # ids, kinds, dates and counts only
        )

    # --- access ------------------------------------------------------------------------

    def _visible(self, session: Session, *, request_id: int, user: User) -> SubjectAccessRequest:
        request = session.get(SubjectAccessRequest, request_id)
        if request is None:
            raise NotFound(f"no subject access request with id {request_id}")
        if not casework.can_see_person(session, user, person_id=request.person_id):
            raise NotVisible(f"no subject access request with id {request_id}")
        return request

    def _to_change(self, session: Session, *, request_id: int, user: User) -> SubjectAccessRequest:
        request = self._visible(session, request_id=request_id, user=user)
        if user.role is not Role.manager:
            raise Forbidden("only a manager may change a subject access request; an officer may open and view one")
        return request

    def _view(self, session: Session, request: SubjectAccessRequest, *, full: bool = False) -> RequestView:
        assert request.id is not None
        person = session.get(Person, request.person_id)
        assert person is not None
        today = self._services.clock.today()
        return RequestView(
            request=request,
            full_name=person.label,  # an anonymous contact's generated label
            clock=requests.clock_of(session, request, as_of=today),
            stops=requests.stops_of(session, request_id=request.id) if full else (),
            items=recipients.items_of(session, request_id=request.id) if full else (),
        )

    # --- the request -------------------------------------------------------------------

    def open(
        self,
        session: Session,
        *,
        person_id: int,
        requester_kind: RequesterKind,
        requester_name: str,
        received_on: dt.date,
        authority: str | None,
        maturity_recorded: bool,
        user: User,
    ) -> RequestView:
        casework.get_person(session, person_id=person_id, user=user)  # 404 for someone not theirs
        request = requests.open_request(
            session,
            person_id=person_id,
            requester_kind=requester_kind,
            requester_name=requester_name,
            received_on=received_on,
            authority=authority,
            maturity_recorded=maturity_recorded,
            user=user,
            clock=self._services.clock,
        )
        self._audit(
            session,
            user,
            "sar.open",
            request.id,
            person=person_id,
            requester_kind=requester_kind.value,
            hold=request.hold_id,
            authority_recorded=request.authority is not None,
        )
        return self._view(session, request, full=True)

    def read(self, session: Session, *, request_id: int, user: User) -> RequestView:
        request = self._visible(session, request_id=request_id, user=user)
        self._audit(session, user, "sar.read", request.id, person=request.person_id)
        return self._view(session, request, full=True)

    def listed(
        self,
        session: Session,
        *,
        user: User,
        status: SarStatus | None,
        after: tuple[int, ...] | None,
        limit: int,
    ) -> list[RequestView]:
        """The requests the caller may see, fewest days left first (completed ones last);
        ``limit + 1`` of them after the key ``after``."""
        views = self._all_visible(session, user=user, status=status)
        if after is not None:
            views = [view for view in views if view.sort_key > tuple(after)]
        shown = views[: limit + 1]
        self._audit(session, user, "sar.list", None, count=min(len(shown), limit), status=status and status.value)
        return shown

    def _all_visible(self, session: Session, *, user: User, status: SarStatus | None) -> list[RequestView]:
        query = select(SubjectAccessRequest).order_by(col(SubjectAccessRequest.id))
        if status is not None:
            query = query.where(SubjectAccessRequest.status == status)
        seen: dict[int, bool] = {}
        views = []
        for request in session.exec(query).all():
            if request.person_id not in seen:
                seen[request.person_id] = casework.can_see_person(session, user, person_id=request.person_id)
            if seen[request.person_id]:
                views.append(self._view(session, request))
        return sorted(views, key=lambda view: view.sort_key)

    # --- the clock ---------------------------------------------------------------------

    def stop_clock(
        self, session: Session, *, request_id: int, reason: ClockStopReason, stopped_on: dt.date, user: User
    ) -> RequestView:
        request = self._to_change(session, request_id=request_id, user=user)
        stop = requests.stop_clock(
            session, request=request, reason=reason, stopped_on=stopped_on, user=user, clock=self._services.clock
        )
        self._audit(session, user, "sar.clock_stop", request.id, stop=stop.id, reason=reason.value)
        return self._view(session, request, full=True)

    def resume_clock(
        self, session: Session, *, request_id: int, stop_id: int, resumed_on: dt.date, user: User
    ) -> RequestView:
        request = self._to_change(session, request_id=request_id, user=user)
        requests.resume_clock(
            session, request=request, stop_id=stop_id, resumed_on=resumed_on, clock=self._services.clock
        )
        self._audit(session, user, "sar.clock_resume", request.id, stop=stop_id, due_on=request.due_on.isoformat())
        return self._view(session, request, full=True)

    def extend(
        self, session: Session, *, request_id: int, months: int, reason: str, told_on: dt.date, user: User
    ) -> RequestView:
        request = self._to_change(session, request_id=request_id, user=user)
        requests.extend(
            session, request=request, months=months, reason=reason, told_on=told_on, clock=self._services.clock
        )
        self._audit(session, user, "sar.extend", request.id, months=months, due_on=request.due_on.isoformat())
        return self._view(session, request, full=True)

    def update(
        self,
        session: Session,
        *,
        request_id: int,
        authority: str | None,
        set_authority: bool,
        maturity_recorded: bool | None,
        user: User,
    ) -> RequestView:
        request = self._to_change(session, request_id=request_id, user=user)
        requests.update(
            session,
            request=request,
            authority=authority,
            set_authority=set_authority,
            maturity_recorded=maturity_recorded,
        )
        self._audit(
            session,
            user,
            "sar.update",
            request.id,
            authority_recorded=request.authority is not None,
            maturity_recorded=request.maturity_recorded,
        )
        return self._view(session, request, full=True)

    # --- who may receive what ----------------------------------------------------------

    def mark(self, session: Session, *, request_id: int, user: User) -> RequestView:
        """Mark every document and note of the person, replacing earlier marks."""
        request = self._to_change(session, request_id=request_id, user=user)
        requests.still_open(request)
        rows = recipients.mark_items(session, request, as_of=self._services.clock.today())
        supersede_bundle(session, request.id, what_changed="the documents and notes were marked again")  # type: ignore[arg-type]  # a stored request's id is set
        counts = {
            decision: sum(1 for row in rows if row.decision is decision) for decision in {r.decision for r in rows}
        }
        self._audit(
            session,
            user,
            "sar.mark",
            request.id,
            items=len(rows),
            **{decision.value: count for decision, count in counts.items()},
        )
        return self._view(session, request, full=True)

    # --- completing, and the hold after it ------------------------------------------------

    def complete(self, session: Session, *, request_id: int, completed_on: dt.date, user: User) -> RequestView:
        request = self._to_change(session, request_id=request_id, user=user)
        requests.complete(
            session,
            request=request,
            completed_on=completed_on,
            hold_days=self._services.settings.sar_hold_days,
            clock=self._services.clock,
        )
        self._audit(
            session,
            user,
            "sar.complete",
            request.id,
            hold=request.hold_id,
            hold_release_on=request.hold_release_on.isoformat() if request.hold_release_on else None,
        )
        return self._view(session, request, full=True)

    def release_due_holds(self, *, as_of: dt.date) -> list[tuple[int, int]]:
        """The daily step: release the holds of requests completed CASEVAULT_SAR_HOLD_DAYS
        ago or more. Its own transaction, audited as the system."""
        clock = self._services.clock
        with transaction(self._services.new_session) as session:
            released = requests.release_due_holds(session, as_of=as_of, clock=clock)
            for request_id, hold_id in released:
                audit.record(
                    session,
                    clock=clock,
                    actor="system",
                    action="sar.hold_release",
                    subject_type="subject_access_request",
                    subject_id=request_id,
                    details={"hold": hold_id},
                )
        return released

    # --- warnings --------------------------------------------------------------------------

    def todo(self, session: Session, *, user: User) -> RequestSection:
        """Requests still to answer of the caller's people (every one, for a manager), fewest days left first."""
        views = self._all_visible(session, user=user, status=None)
        active = [view for view in views if view.request.status is not SarStatus.completed]
        items = tuple(
            RequestTodo(
                request_id=view.request.id,  # type: ignore[arg-type]  # ids of rows read from the database are set
                reference=view.request.reference,
                person_id=view.request.person_id,
                full_name=view.full_name,
                requester_kind=view.request.requester_kind,
                due_on=view.clock.due_on,
                days_left=view.clock.days_left,
                paused=view.clock.paused,
                warning=view.warning,
            )
            for view in active[:TODO_CAP]
        )
        return RequestSection(total=len(active), items=items)

    def counts(self, session: Session, *, user: User) -> RequestCounts:
        views = [
            view
            for view in self._all_visible(session, user=user, status=None)
            if view.request.status is not SarStatus.completed
        ]
        return RequestCounts(
            open=len(views),
            due_soon=sum(1 for view in views if view.clock.days_left <= due_dates.WARN_DAYS),
            urgent=sum(1 for view in views if view.clock.days_left <= due_dates.URGENT_DAYS),
        )

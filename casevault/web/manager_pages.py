"""Managers' pages: the dashboard, the due list and approvals, holds, restoring an archived
case, certificates, reassigning cases and handing an officer's cases over; and the audit
log, which admins read too.

Each page calls what the API calls (the use cases on ``services``, the retention and
casework functions), so the rules are the API's. Anyone but a manager (an admin, for the
audit log) gets the same not-found page as a missing one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from sqlmodel import Session, col, select
from starlette.responses import RedirectResponse, Response

from casevault.core import audit, casework, counters
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, InvalidInput, NotFound
from casevault.core.models import (
    AuditEvent,
    Case,
    CaseStatus,
    ConsentScope,
    DestructionCertificate,
    Disclosure,
    HoldKind,
    PolicyNotification,
    Role,
    User,
)
from casevault.core.release import EXCEPTIONS
from casevault.core.web_sessions import SignedIn
from casevault.retention.approvals import approve_destruction, find_person
from casevault.retention.certificates import list_certificates
from casevault.retention.decide import ActionKind
from casevault.retention.holds import list_holds, place_hold, release_hold
from casevault.web import guard, pages
from casevault.web.guard import SignedInDep

router = APIRouter(include_in_schema=False)

PER_PAGE = 25
DUE_SOON_DAYS = 30  # what the dashboard calls "due soon"
DASHBOARD_LISTED = 50  # people and referrals the dashboard lists for a decision (the rest: "and more")
MAX_WITHIN_DAYS = 366  # as the API's due list
WITHIN_DAY_CHOICES = (0, 7, 30, 90, 366)
CASE_VIEWS = {  # the manager's case lists: title, and what GET /cases would be asked
    "re-referrals": ("Re-referrals", casework.CaseFilter(status=CaseStatus.open, re_referral=True)),
    "unassigned": ("Cases nobody looks after", casework.CaseFilter(assigned_officer=casework.UNASSIGNED)),
    "archived": ("Archived cases", casework.CaseFilter(status=CaseStatus.archived)),
    "restoring": ("Cases being restored", casework.CaseFilter(status=CaseStatus.restoring)),
}
KIND_LABELS = {
    ActionKind.archive: "Archive the case",
    ActionKind.expire_archive: "Destroy the archived case's documents",
    ActionKind.destroy_person: "Destroy everything about the person",
    ActionKind.restore: "Restore the case",
}
HOLD_LABELS = {
    HoldKind.safeguarding: "Safeguarding",
    HoldKind.legal: "Legal",
    HoldKind.subject_access: "Subject access request",
    HoldKind.complaint: "Complaint",
}


# --- shared by the managers' and admins' pages -----------------------------------------


def number_in(text: str) -> int | None:
    """A page's id from its URL or a form (1 to the largest id), else None: answered as not found."""
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
    return value if 1 <= value <= pages.LARGEST_ID else None


def page_number(text: str) -> int | None:
    value = int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else 0
    return value if value >= 1 else None


def error_list(errors: dict[str, str], anchors: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The GOV.UK error summary's links, each to its field (``anchors``: a field whose first input has another id)."""
    anchors = anchors or {}
    return [{"text": text, "href": f"#{anchors.get(field, field)}"} for field, text in errors.items()]


def form_page(
    request: Request, template: str, signed_in: SignedIn, *, errors: dict[str, str] | None = None, **context: Any
) -> Response:
    """A page with a form: sent back 400 with its error summary when ``errors``."""
    errors = errors or {}
    status = 400 if errors else 200
    return pages.render(
        request, template, signed_in, status_code=status, errors=errors, error_list=error_list(errors), **context
    )


def refusal_field(problem: CasevaultError, fields: dict[str | None, str], default: str) -> str:
    """The form field a refusal of ours is about (``InvalidInput.field`` in the form's names)."""
    return fields.get(getattr(problem, "field", None), default)


def read_date(form: dict[str, str], name: str, label: str) -> tuple[dt.date | None, str | None]:
    """A GOV.UK date input's day, month and year: (the date, None), (None, None) when all
    are empty, or (None, the error message)."""
    parts = [form.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None, None
    if not all(part.isascii() and part.isdigit() for part in parts):
        return None, f"{label} must be a real date, like 27 3 2026"
    day, month, year = (int(part) for part in parts)
    try:
        value = dt.date(year, month, day)
    except (ValueError, OverflowError):  # OverflowError: a year of 20 digits
        return None, f"{label} must be a real date, like 27 3 2026"
    if not 1900 <= value.year <= 2199:
        return None, f"{label} must be between 1900 and 2199"
    return value, None


def audited(request: Request, user: User, action: str, **details: int | str | bool | None) -> None:
    """A read the API audits, audited alike (ids and counts only)."""
    services = guard.services_of(request)
    with transaction(services.new_session) as session:
        audit.record(session, clock=services.clock, actor=audit.actor_of(user), action=action, details=details)


@contextmanager
def changing(request: Request) -> Iterator[Session]:
    services = guard.services_of(request)
    with transaction(services.new_session) as session:
        yield session


def is_manager(signed_in: SignedIn) -> bool:
    return signed_in.user.role == Role.manager


def manager_form(request: Request, signed_in: SignedIn, csrf_token: str | None, text: str) -> int | None:
    """The id a manager's form names in its URL, once its CSRF token and origin are checked (a
    refusal is answered 403); None when the page answers not found: not an id, or not a manager."""
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    number = number_in(text)
    return number if is_manager(signed_in) else None


# --- the dashboard ---------------------------------------------------------------------


@router.get("/manager")
def dashboard(request: Request, signed_in: SignedInDep) -> Response:
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    user = signed_in.user
    # One session each: on SQLite a session holds the database once it has read, and each of
    # these opens one of its own for the due list first.
    with services.new_session() as session:
        due = services.retention.due(session, as_of=None, within_days=DUE_SOON_DAYS)
    with services.new_session() as session:
        todo = services.retention.todo(session, user=user)
    with services.new_session() as session:
        re_referrals = _count(session, CASE_VIEWS["re-referrals"][1], user)
        unassigned = _count(session, CASE_VIEWS["unassigned"][1], user)
        alerts = sum(
            value for (name, _), value in counters.totals(session).items() if name == counters.INTEGRITY_ALERTS.name
        )
        disclosures_waiting = session.exec(
            select(sa.func.count()).where(
                col(Disclosure.basis).in_(sorted(basis.value for basis in EXCEPTIONS)),
                col(Disclosure.approved_by).is_(None),
            )
        ).one()
        notices_outstanding = session.exec(
            select(sa.func.count()).where(col(PolicyNotification.told_at).is_(None))
        ).one()
    with transaction(services.new_session) as session:  # audited by the use case, as GET /consents/storage-withdrawn
        withdrawn = services.consents.storage_withdrawn(session, user=user, after=None, limit=DASHBOARD_LISTED)
        withdrawn_cases = _cases_of_people(session, [person.id for person, _ in withdrawn if person.id is not None])
    with services.new_session() as session:
        requests = services.subject_access.counts(session, user=user)
    awaiting = [item for item in due.items if item.awaiting_approval]
    return pages.render(
        request,
        "manager/dashboard.html",
        signed_in,
        due=due,
        due_days=DUE_SOON_DAYS,
        awaiting=awaiting,
        todo=todo,
        re_referrals=re_referrals,
        unassigned=unassigned,
        integrity_alerts=int(alerts),
        requests=requests,
        kind_labels=KIND_LABELS,
        hold_labels=HOLD_LABELS,
        disclosures_waiting=disclosures_waiting,
        notices_outstanding=notices_outstanding,
        storage_withdrawn=[
            (p, withdrawn_cases.get(p.id or 0, []), [WITHDRAWN_WORDS[scope] for scope in scopes])
            for p, scopes in withdrawn[:DASHBOARD_LISTED]
        ],
        more_withdrawn=len(withdrawn) > DASHBOARD_LISTED,
    )


# What the dashboard says each withdrawal listed for a decision was.
WITHDRAWN_WORDS = {
    ConsentScope.store_electronically: "storing electronically",
    ConsentScope.record_personal_details: "recording personal details (name and contact details erased)",
}


def _cases_of_people(session: Session, person_ids: list[int]) -> dict[int, list[Case]]:
    found: dict[int, list[Case]] = {}
    query = select(Case).where(col(Case.person_id).in_(person_ids), col(Case.status) != CaseStatus.destroyed)
    for case in session.exec(query.order_by(col(Case.id))).all():
        found.setdefault(case.person_id, []).append(case)
    return found


def _count(session: Session, where: casework.CaseFilter, user: User) -> int:
    """How many cases match (up to a few hundred: the list says the rest)."""
    return len(casework.list_cases(session, user=user, where=where, after=None, limit=999))


# --- case lists for managers: re-referrals, unassigned, archived -----------------------


@router.get("/manager/cases")
def case_list(request: Request, signed_in: SignedInDep, show: str = "re-referrals", page: str = "1") -> Response:
    number = page_number(page)
    if not is_manager(signed_in) or show not in CASE_VIEWS or number is None:
        return pages.not_found(request, signed_in)
    title, where = CASE_VIEWS[show]
    services = guard.services_of(request)
    with services.new_session() as session:
        found = casework.list_cases(
            session, user=signed_in.user, where=where, after=None, limit=PER_PAGE, offset=(number - 1) * PER_PAGE
        )
        rows = _case_rows(session, found[:PER_PAGE])
    if number > 1 and not found:
        return pages.not_found(request, signed_in)
    audited(request, signed_in.user, "case.list", count=len(rows))
    return pages.render(
        request,
        "manager/cases.html",
        signed_in,
        title=title,
        show=show,
        views=CASE_VIEWS,
        rows=rows,
        page=number,
        has_next=len(found) > PER_PAGE,
    )


def _case_rows(session: Session, cases: Any) -> list[dict[str, Any]]:
    officers = casework.usernames(session, (case.assigned_officer_id for case in cases))
    names = casework.shown_names(session, {c.person_id for c in cases})
    return [
        {
            "case": case,
            "person_name": names.get(case.person_id, ""),
            "officer": officers.get(case.assigned_officer_id or 0),
        }
        for case in cases
    ]


# --- the due list and approvals ----------------------------------------------------------


@router.get("/manager/due")
def due_list(request: Request, signed_in: SignedInDep, within_days: str = str(DUE_SOON_DAYS)) -> Response:
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    days = int(within_days) if within_days.isascii() and within_days.isdigit() and len(within_days) <= 3 else -1
    if not 0 <= days <= MAX_WITHIN_DAYS:
        return pages.render(
            request,
            "manager/due.html",
            signed_in,
            status_code=400,
            errors={"within_days": f"Enter a number of days from 0 to {MAX_WITHIN_DAYS}"},
            error_list=error_list({"within_days": f"Enter a number of days from 0 to {MAX_WITHIN_DAYS}"}),
            within_days=within_days,
            choices=WITHIN_DAY_CHOICES,
            due=None,
            kind_labels=KIND_LABELS,
        )
    services = guard.services_of(request)
    with services.new_session() as session:
        due = services.retention.due(session, as_of=None, within_days=days)
    audited(
        request,
        signed_in.user,
        "retention.due.read",
        as_of=due.as_of.isoformat(),
        within_days=days,
        count=len(due.items),
    )
    return pages.render(
        request,
        "manager/due.html",
        signed_in,
        errors={},
        error_list=[],
        within_days=str(days),
        choices=WITHIN_DAY_CHOICES,
        due=due,
        kind_labels=KIND_LABELS,
    )


def _approval_context(session: Session, services: Any, person_id: int) -> dict[str, Any] | None:
    """The person and their due destruction, as the due list shows them; None when not due."""
    due = services.retention.due(session, as_of=None, within_days=0)
    item = next(
        (i for i in due.items if i.action.kind is ActionKind.destroy_person and i.action.person_id == person_id), None
    )
    if item is None:
        return None
    return {"item": item, "person": due.people.get(person_id)}


@router.get("/manager/due/{person_id}/approve")
def approve_form(request: Request, person_id: str, signed_in: SignedInDep) -> Response:
    number = number_in(person_id)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        context = _approval_context(session, services, number)
    if context is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "manager/approve.html", signed_in, **context)


@router.post("/manager/due/{person_id}/approve")
def approve(
    request: Request,
    person_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    number = manager_form(request, signed_in, csrf_token, person_id)
    if number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    user = signed_in.user
    with services.new_session() as session:
        context = _approval_context(session, services, number)
    if context is None:
        return pages.not_found(request, signed_in)
    if confirm != "yes":
        errors = {"confirm": "Confirm that the records may be destroyed, or go back to the due list"}
        return form_page(request, "manager/approve.html", signed_in, errors=errors, **context)
    try:
        with changing(request) as session:
            person = find_person(session, person_id=number, pseudonym=None)
            approve_destruction(session, person=person, user=user, schedule=services.schedule, clock=services.clock)
            audit.record(
                session,
                clock=services.clock,
                actor=audit.actor_of(user),
                action="retention.destroy.approved",
                subject_type="person",
                subject_id=number,
            )
    except CasevaultError as problem:
        return form_page(request, "manager/approve.html", signed_in, errors={"confirm": problem.detail}, **context)
    return RedirectResponse("/manager/due?approved=1", status_code=303)


# --- holds -------------------------------------------------------------------------------


@router.get("/manager/holds")
def holds(request: Request, signed_in: SignedInDep) -> Response:
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        standing = list_holds(session, standing_only=True)
        rows = _hold_rows(session, standing)
    return pages.render(request, "manager/holds.html", signed_in, rows=rows, hold_labels=HOLD_LABELS)


def _hold_rows(session: Session, holds_: Any) -> list[dict[str, Any]]:
    case_ids = [hold.case_id for hold in holds_ if hold.case_id is not None]
    cases = {case.id: case for case in session.exec(select(Case).where(col(Case.id).in_(case_ids))).all()}
    person_ids = {hold.person_id for hold in holds_ if hold.person_id} | {c.person_id for c in cases.values()}
    names = casework.shown_names(session, person_ids)
    placed_by = casework.usernames(session, (hold.placed_by for hold in holds_))
    rows = []
    for hold in holds_:
        case = cases.get(hold.case_id) if hold.case_id is not None else None
        person_id = case.person_id if case is not None else hold.person_id
        rows.append(
            {
                "hold": hold,
                "case": case,
                "person_name": names.get(person_id or 0, ""),
                "placed_by": placed_by.get(hold.placed_by or 0, ""),
            }
        )
    return rows


HOLD_FIELDS = {"reason": "reason", "case_id": "reference", "person_id": "reference", None: "reference"}


@router.get("/manager/holds/new")
def hold_form(request: Request, signed_in: SignedInDep, reference: str = "") -> Response:
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    form = {"reference": reference[:32], "on": "case", "kind": "", "reason": ""}
    return form_page(request, "manager/hold_new.html", signed_in, form=form, hold_labels=HOLD_LABELS)


@router.post("/manager/holds/new")
def place(
    request: Request,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    form = {"reference": reference.strip()[:32], "on": on, "kind": kind, "reason": reason}
    errors = {}
    if not form["reference"]:
        errors["reference"] = "Enter the case reference, like SEN-2026-00042"
    if on not in ("case", "person"):
        errors["on"] = "Choose whether the hold is on this case or on the person"
    if kind not in HoldKind.__members__:
        errors["kind"] = "Choose the kind of hold"
    if not reason.strip():
        errors["reason"] = "Enter why the hold is placed"
    elif len(reason) > 2000:
        errors["reason"] = "The reason must be 2,000 characters or fewer"
    services = guard.services_of(request)
    user = signed_in.user
    if not errors:
        try:
            with changing(request) as session:
                case = casework.find_case_by_reference(session, reference=form["reference"], user=user)
                target = {"case_id": case.id, "person_id": None} if on == "case" else {
                    "case_id": None, "person_id": case.person_id,
                }  # fmt: skip
                hold = place_hold(
                    session, **target, kind=HoldKind(kind), reason=reason, user=user, clock=services.clock
                )
                audit.record(
                    session,
                    clock=services.clock,
                    actor=audit.actor_of(user),
                    action="hold.place",
                    subject_type="hold",
                    subject_id=hold.id,
                    details={"kind": hold.kind.value, "person": hold.person_id, "case": hold.case_id},
                )
        except NotFound:
            errors["reference"] = "There is no case with that reference"
        except CasevaultError as problem:
            errors[refusal_field(problem, HOLD_FIELDS, "reference")] = problem.detail
    if errors:
        return form_page(request, "manager/hold_new.html", signed_in, errors=errors, form=form, hold_labels=HOLD_LABELS)
    return RedirectResponse("/manager/holds", status_code=303)


@router.get("/manager/holds/{hold_id}/release")
def release_form(request: Request, hold_id: str, signed_in: SignedInDep) -> Response:
    return _release_page(request, hold_id, signed_in, errors=None)


def _release_page(request: Request, hold_id: str, signed_in: SignedIn, *, errors: dict[str, str] | None) -> Response:
    number = number_in(hold_id)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        found = [hold for hold in list_holds(session, standing_only=True) if hold.id == number]
        rows = _hold_rows(session, found)
    if not rows:
        return pages.not_found(request, signed_in)
    return form_page(
        request, "manager/hold_release.html", signed_in, errors=errors, row=rows[0], hold_labels=HOLD_LABELS
    )


@router.post("/manager/holds/{hold_id}/release")
def release(
    request: Request,
    hold_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    number = manager_form(request, signed_in, csrf_token, hold_id)
    if number is None:
        return pages.not_found(request, signed_in)
    if confirm != "yes":
        errors = {"confirm": "Confirm that the hold may be released"}
        return _release_page(request, hold_id, signed_in, errors=errors)
    services = guard.services_of(request)
    user = signed_in.user
    try:
        with changing(request) as session:
            hold = release_hold(session, hold_id=number, user=user, clock=services.clock)
            audit.record(
                session,
                clock=services.clock,
                actor=audit.actor_of(user),
                action="hold.release",
                subject_type="hold",
                subject_id=hold.id,
                details={},
            )
    except NotFound:
        return pages.not_found(request, signed_in)
    except CasevaultError as problem:
        return _release_page(request, hold_id, signed_in, errors={"confirm": problem.detail})
    return RedirectResponse("/manager/holds", status_code=303)


# --- restoring an archived case ----------------------------------------------------------


def _case_for_manager(request: Request, case_id: str, signed_in: SignedIn) -> dict[str, Any] | None:
    number = number_in(case_id)
    if not is_manager(signed_in) or number is None:
        return None
    services = guard.services_of(request)
    with services.new_session() as session:
        try:
            case = casework.get_case(session, case_id=number, user=signed_in.user)
        except NotFound:
            return None
        [row] = _case_rows(session, [case])
    return row


@router.get("/manager/cases/{case_id}/restore")
def restore_page(request: Request, case_id: str, signed_in: SignedInDep) -> Response:
    """The case's status while it comes back; a script reloads the status as it changes."""
    row = _case_for_manager(request, case_id, signed_in)
    if row is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "manager/restore.html", signed_in, **row)


@router.post("/manager/cases/{case_id}/restore")
def restore(
    request: Request, case_id: str, signed_in: SignedInDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    row = _case_for_manager(request, case_id, signed_in)
    if row is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with changing(request) as session:
            services.retention.request_restore(session, case_id=row["case"].id, user=signed_in.user)
    except CasevaultError as problem:
        return form_page(request, "manager/restore.html", signed_in, errors={"restore": problem.detail}, **row)
    return RedirectResponse(f"/manager/cases/{row['case'].id}/restore", status_code=303)


# --- reassigning a case, and handing an officer's cases over -----------------------------


def _officers(request: Request) -> list[str]:
    """Active officers, whom cases may be given to."""
    services = guard.services_of(request)
    with services.new_session() as session:
        query = select(User.username).where(User.role == Role.officer, col(User.revoked_at).is_(None))
        return list(session.exec(query.order_by(col(User.username))).all())


@router.get("/manager/cases/{case_id}/assign")
def assign_form(request: Request, case_id: str, signed_in: SignedInDep) -> Response:
    row = _case_for_manager(request, case_id, signed_in)
    if row is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "manager/assign.html", signed_in, officers=_officers(request), chosen="", **row)


@router.post("/manager/cases/{case_id}/assign")
def assign(
    request: Request,
    case_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    officer: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    row = _case_for_manager(request, case_id, signed_in)
    if row is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    error = None
    if not officer:
        error = "Choose the officer who takes the case"
    else:
        try:
            with changing(request) as session:
                services.corrections.assign(session, case_id=row["case"].id, officer=officer, user=signed_in.user)
        except CasevaultError as problem:
            error = problem.detail
    if error:
        return form_page(
            request,
            "manager/assign.html",
            signed_in,
            errors={"officer": error},
            officers=_officers(request),
            chosen=officer,
            **row,
        )
    return RedirectResponse(f"/cases/{row['case'].id}", status_code=303)


@router.get("/manager/handover")
def handover_form(request: Request, signed_in: SignedInDep) -> Response:
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    return form_page(
        request, "manager/handover.html", signed_in, form={}, leaving=_leaving(request), officers=_officers(request)
    )


def _leaving(request: Request) -> list[str]:
    """Officers whose cases may be handed over: revoked ones too."""
    services = guard.services_of(request)
    with services.new_session() as session:
        query = select(User.username).where(User.role == Role.officer).order_by(col(User.username))
        return list(session.exec(query).all())


@router.post("/manager/handover")
def handover(
    request: Request,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    from_officer: Annotated[str, Form()] = "",
    to_officer: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    form = {"from_officer": from_officer, "to_officer": to_officer}
    errors = {}
    if not from_officer:
        errors["from_officer"] = "Choose the officer whose cases are handed over"
    if not to_officer:
        errors["to_officer"] = "Choose the officer who takes the cases"
    elif to_officer == from_officer:
        errors["to_officer"] = "Choose a different officer to take the cases"
    moved = 0
    if not errors:
        services = guard.services_of(request)
        try:  # the same use case as `casevault cases handover`
            moved = services.corrections.handover(
                from_username=from_officer, to_username=to_officer, actor=audit.actor_of(signed_in.user)
            )
        except CasevaultError as problem:
            field = refusal_field(problem, {"from": "from_officer"}, "to_officer")
            errors[field] = problem.detail
    if errors:
        return form_page(
            request,
            "manager/handover.html",
            signed_in,
            errors=errors,
            form=form,
            leaving=_leaving(request),
            officers=_officers(request),
        )
    return form_page(
        request,
        "manager/handover.html",
        signed_in,
        form={},
        done={"moved": moved, "from": from_officer, "to": to_officer},
        leaving=_leaving(request),
        officers=_officers(request),
    )


# --- certificates --------------------------------------------------------------------------


APPROVER = re.compile(r"manager user:(\d+)")  # how a certificate's authority names the approving manager


def _approver(row: DestructionCertificate) -> int | None:
    found = APPROVER.match(row.authorised_by)
    return int(found.group(1)) if found else None


def _authorised_by(row: DestructionCertificate, names: dict[int, str]) -> str:
    """The approving manager by username, or the schedule alone (as the API's answer)."""
    approver = _approver(row)
    if approver is None:
        return "The retention schedule alone"
    return names.get(approver, f"user {approver}")


def _approver_ids(rows: Any) -> list[int]:
    return [approver for approver in map(_approver, rows) if approver is not None]


@router.get("/manager/certificates")
def certificates(request: Request, signed_in: SignedInDep, page: str = "1") -> Response:
    number = page_number(page)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        rows = list_certificates(session, limit=PER_PAGE + 1, offset=(number - 1) * PER_PAGE)
        names = casework.usernames(session, _approver_ids(rows))
    if number > 1 and not rows:
        return pages.not_found(request, signed_in)
    audited(request, signed_in.user, "certificate.read", count=len(rows[:PER_PAGE]))
    shown = [{"row": row, "by": _authorised_by(row, names)} for row in rows[:PER_PAGE]]
    return pages.render(
        request, "manager/certificates.html", signed_in, rows=shown, page=number, has_next=len(rows) > PER_PAGE
    )


@router.get("/manager/certificates/{certificate_id}")
def certificate(request: Request, certificate_id: str, signed_in: SignedInDep) -> Response:
    number = number_in(certificate_id)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        row = session.get(DestructionCertificate, number)
        names = casework.usernames(session, _approver_ids([row] if row else []))
    if row is None:
        return pages.not_found(request, signed_in)
    with transaction(services.new_session) as session:
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(signed_in.user),
            action="certificate.read",
            subject_type="certificate",
            subject_id=number,
            details={"count": 1},
        )
    return pages.render(request, "manager/certificate.html", signed_in, row=row, by=_authorised_by(row, names))


# --- the audit log (managers and admins) ---------------------------------------------------


@router.get("/audit")
def audit_log(request: Request, signed_in: SignedInDep) -> Response:
    """Newest first, filtered by who, what, which case or person and dates; numbered pages."""
    if signed_in.user.role not in (Role.manager, Role.admin):
        return pages.not_found(request, signed_in)
    query = {key: value[:64] for key, value in request.query_params.items()}
    number = page_number(query.get("page", "1"))
    if number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        conditions, errors = _audit_conditions(session, query, by_reference=signed_in.user.role == Role.manager)
        events: list[AuditEvent] = []
        names: dict[int, str] = {}
        if not errors:
            statement = select(AuditEvent).where(*conditions).order_by(col(AuditEvent.id).desc())
            events = list(session.exec(statement.limit(PER_PAGE + 1).offset((number - 1) * PER_PAGE)).all())
            names = casework.usernames(session, (_user_id(event.actor) for event in events))
    if errors:
        return pages.render(
            request,
            "manager/audit.html",
            signed_in,
            status_code=400,
            errors=errors,
            error_list=error_list(errors, {"from": "from-day", "to": "to-day"}),
            form=query,
            rows=[],
            page=1,
            has_next=False,
            link=_link(query),
        )
    rows = [
        {
            "event": event,
            "who": names.get(_user_id(event.actor) or 0, event.actor),
            "details": ", ".join(f"{key} {value}" for key, value in json.loads(event.details).items()),
        }
        for event in events[:PER_PAGE]
    ]
    return pages.render(
        request,
        "manager/audit.html",
        signed_in,
        errors={},
        error_list=[],
        form=query,
        rows=rows,
        page=number,
        has_next=len(events) > PER_PAGE,
        link=_link(query),
    )


def _link(query: dict[str, str]) -> Callable[[int], str]:
    """The address of another page of the same filtered log."""
    kept = {key: value for key, value in query.items() if key != "page" and value}
    return lambda number: "/audit?" + urlencode({**kept, "page": number})


def _user_id(actor: str) -> int | None:
    kind, _, number = actor.partition(":")
    return int(number) if kind == "user" and number.isdigit() else None


def _audit_conditions(
    session: Session, query: dict[str, str], *, by_reference: bool
) -> tuple[list[Any], dict[str, str]]:
    conditions: list[Any] = []
    errors: dict[str, str] = {}
    who = query.get("who", "").strip()
    if who:
        found = session.exec(select(User.id).where(User.username == who.lower())).first()
        actor = f"user:{found}" if found else who  # as audit.actor_of names a user
        conditions.append(AuditEvent.actor == actor)  # a username, or an actor as stored: "system", "cli"
    action = query.get("action", "").strip()
    if action:
        conditions.append(AuditEvent.action == action)
    subject = query.get("subject", "").strip()
    if subject:
        try:
            conditions.append(_subject_condition(session, subject, by_reference=by_reference))
        except InvalidInput as refusal:
            errors["subject"] = refusal.detail
    since, problem = read_date(query, "from", "The first day")
    if problem:
        errors["from"] = problem
    elif since:
        conditions.append(col(AuditEvent.at) >= dt.datetime.combine(since, dt.time(), dt.UTC))
    until, problem = read_date(query, "to", "The last day")
    if problem:
        errors["to"] = problem
    elif until:
        conditions.append(col(AuditEvent.at) < dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC))
    if since and until and until < since:
        errors["to"] = "The last day must be the same as or after the first day"
    return conditions, errors


def _subject_condition(session: Session, subject: str, *, by_reference: bool) -> sa.ColumnElement[bool]:
    """A case reference (SEN-2026-00042; managers, who see cases), ``case 12``, ``person 7``, or
    any ``<kind> <id>`` the log names: rows about it, and rows whose details name it."""
    words = subject.replace(":", " ").split()
    if len(words) == 1 and "-" in subject:
        if not by_reference:  # admins do no casework: not even which references exist
            raise InvalidInput("Enter a kind and an id, like case 12 or person 7")
        case = session.exec(select(Case.id).where(Case.reference == subject.upper())).first()
        if case is None:
            raise InvalidInput("There is no case with that reference; a destroyed case is found as case and its id")
        words = ["case", str(case)]
    if len(words) != 2 or not (words[1].isascii() and words[1].isdigit()) or not words[0].isalpha():
        raise InvalidInput("Enter a case reference like SEN-2026-00042, or a kind and an id like person 7")
    kind, number = words[0].lower(), words[1]
    about = sa.and_(col(AuditEvent.subject_type) == kind, col(AuditEvent.subject_id) == number)
    details = col(AuditEvent.details)
    named = sa.or_(details.contains(f'"{kind}":{number},'), details.contains(f'"{kind}":{number}}}'))
    return sa.or_(about, named)

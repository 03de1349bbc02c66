"""The managers' side of the confidentiality policy's people rules: the disclosure register and
approving a disclosure made under an exception, the privacy notice's versions and who is
still to be told of each, and declining a third party's referral that awaits permission.

Each page calls what the API calls: ``services.consents`` (the register, approval, declining,
as ``GET /disclosures``, ``POST /disclosures/{id}/approve`` and
``POST /cases/{id}/decline-referral``) and ``retention.notices`` (as ``GET /policy/notices``
and ``GET /policy/notifications``), audited alike. Publishing a notice stays a command
(``casevault policy publish``). Anyone but a manager gets the same not-found page as a
missing address.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from sqlmodel import Session, col, select
from starlette.responses import RedirectResponse, Response

from casevault.core import audit, casework, consent
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.models import (
    Case,
    CaseStatus,
    Disclosure,
    Person,
    PolicyNotification,
    PolicyVersion,
    User,
)
from casevault.core.release import EXCEPTIONS, Basis, Recipient
from casevault.core.web_sessions import SignedIn
from casevault.retention import notices
from casevault.retention.policy_update import ACTIVE_STATUSES
from casevault.web import guard, pages
from casevault.web.guard import SignedInDep
from casevault.web.manager_pages import PER_PAGE, changing, form_page, is_manager, number_in, page_number

router = APIRouter(include_in_schema=False)

RECIPIENT_LABELS = {
    Recipient.young_person.value: "The young person",
    Recipient.parent_carer.value: "Parent or carer",
    Recipient.representative.value: "Representative",
    Recipient.school.value: "School",
    Recipient.council.value: "Council",
    Recipient.professional.value: "Professional",
    Recipient.police.value: "Police",
    Recipient.other.value: "Other",
}
BASIS_LABELS = {
    Basis.consent.value: "Consent",
    Basis.risk_of_harm.value: "Risk of harm (exception)",
    Basis.illegal_activity.value: "Illegal activity (exception)",
}
EXCEPTION_BASES = sorted(basis.value for basis in EXCEPTIONS)
NOTIFICATION_VIEWS = {"outstanding": "Still to be told", "told": "Told"}


def _record(session: Session, request: Request, user: User, action: str, **details: int | str | bool | None) -> None:
    services = guard.services_of(request)
    audit.record(session, clock=services.clock, actor=audit.actor_of(user), action=action, details=details)


def _page_after(session: Session, ids: Any, number: int) -> tuple[bool, int | None]:
    """For a list a use case pages by id (``after``): whether page ``number`` exists, and the
    id it starts after (``ids``: the list's ids, a select of one column)."""
    if number == 1:
        return True, None
    found = session.exec(ids.order_by(*ids.selected_columns).offset((number - 1) * PER_PAGE - 1).limit(1)).first()
    return found is not None, found


def _ids(values: str) -> list[int]:
    return [int(value) for value in values.split(",") if value.isdigit()]


# --- the disclosure register ---------------------------------------------------------------


def _disclosure_rows(session: Session, rows: Sequence[Disclosure]) -> list[dict[str, Any]]:
    cases = {
        case.id: case
        for case in session.exec(select(Case).where(col(Case.id).in_({row.case_id for row in rows}))).all()
    }
    names = casework.shown_names(session, {c.person_id for c in cases.values()})
    users = casework.usernames(session, [user for row in rows for user in (row.recorded_by, row.approved_by)])
    shown = []
    for row in rows:
        case = cases.get(row.case_id)
        exception = row.basis in EXCEPTION_BASES
        shown.append(
            {
                "row": row,
                "case": case,
                "person_name": names.get(case.person_id, "") if case else "",
                "recipient_kind": RECIPIENT_LABELS.get(row.recipient_kind, row.recipient_kind),
                "basis": BASIS_LABELS.get(row.basis, row.basis),
                "exception": exception,
                "released": _ids(row.documents),
                "withheld": _ids(row.withheld),
                "recorded_by": users.get(row.recorded_by, ""),
                "approved_by": users.get(row.approved_by or 0, ""),
                "awaiting": exception and row.approved_by is None,
            }
        )
    return shown


def _awaiting_approval() -> Any:
    """Disclosures under an exception no second manager has approved yet."""
    return select(Disclosure).where(col(Disclosure.basis).in_(EXCEPTION_BASES), col(Disclosure.approved_by).is_(None))


@router.get("/manager/disclosures")
def disclosures(request: Request, signed_in: SignedInDep, page: str = "1") -> Response:
    number = page_number(page)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    user = signed_in.user
    awaiting: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    found: Sequence[Disclosure] = []
    with transaction(services.new_session) as session:
        exists, after = _page_after(session, select(Disclosure.id), number)
        if exists:
            awaiting = _disclosure_rows(session, session.exec(_awaiting_approval().order_by(col(Disclosure.id))).all())
            _record(session, request, user, "disclosure.list", count=len(awaiting), awaiting_approval=True)
            found = services.consents.disclosures(session, user=user, after=after, limit=PER_PAGE)  # audited
            rows = _disclosure_rows(session, found[:PER_PAGE])
    if not exists:
        return pages.not_found(request, signed_in)
    return pages.render(
        request,
        "manager/disclosures.html",
        signed_in,
        awaiting=awaiting,
        rows=rows,
        page=number,
        has_next=len(found) > PER_PAGE,
    )


def _disclosure(request: Request, disclosure_id: str, signed_in: SignedIn) -> dict[str, Any] | None:
    """A disclosure made under an exception, as the register shows it; None: not found."""
    number = number_in(disclosure_id)
    if not is_manager(signed_in) or number is None:
        return None
    services = guard.services_of(request)
    with services.new_session() as session:
        row = session.get(Disclosure, number)
        if row is None or row.basis not in EXCEPTION_BASES:
            return None
        return _disclosure_rows(session, [row])[0]


@router.get("/manager/disclosures/{disclosure_id}/approve")
def approve_form(request: Request, disclosure_id: str, signed_in: SignedInDep) -> Response:
    shown = _disclosure(request, disclosure_id, signed_in)
    if shown is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "manager/disclosure_approve.html", signed_in, shown=shown)


@router.post("/manager/disclosures/{disclosure_id}/approve")
def approve(
    request: Request,
    disclosure_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    shown = _disclosure(request, disclosure_id, signed_in)
    if shown is None:
        return pages.not_found(request, signed_in)
    if confirm != "yes":
        errors = {"confirm": "Confirm that you approve the disclosure, or go back to the register"}
        return form_page(request, "manager/disclosure_approve.html", signed_in, errors=errors, shown=shown)
    services = guard.services_of(request)
    try:
        with changing(request) as session:  # the use case checks and audits; the second person's rule is its own
            services.consents.approve(session, disclosure_id=shown["row"].id, user=signed_in.user)
    except CasevaultError as problem:
        errors = {"confirm": _sentence(problem.detail)}
        return form_page(request, "manager/disclosure_approve.html", signed_in, errors=errors, shown=shown)
    return RedirectResponse(f"/manager/disclosures?approved={shown['row'].id}", status_code=303)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- policy notices: versions and who is still to be told ------------------------------------


def _publisher(actor: str, names: dict[int, str]) -> str:
    kind, _, number = actor.partition(":")
    if kind == "user" and number.isdigit():
        return names.get(int(number), actor)
    return "the command line" if actor == "cli" else actor


def _publishers(session: Session, versions: Sequence[PolicyVersion]) -> dict[int, str]:
    ids = [int(v.published_by[5:]) for v in versions if re.fullmatch(r"user:\d{1,10}", v.published_by)]
    return casework.usernames(session, ids)


@router.get("/manager/notices")
def notice_versions(request: Request, signed_in: SignedInDep) -> Response:
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        versions = list(notices.list_versions(session, after=None, limit=1000))
        names = _publishers(session, versions)
        told = col(PolicyNotification.told_at)
        counted = session.exec(
            select(PolicyNotification.version, sa.func.count(), sa.func.count(told)).group_by(
                col(PolicyNotification.version)
            )
        ).all()
    counts = {version: (listed - told_count, told_count) for version, listed, told_count in counted}
    rows = [
        {"version": v, "by": _publisher(v.published_by, names), "counts": counts.get(v.version, (0, 0))}
        for v in reversed(versions)
    ]
    return pages.render(request, "manager/notices.html", signed_in, rows=rows)


def _version(session: Session, version: str) -> PolicyVersion | None:
    if not re.match(notices.VERSION_PATTERN, version):
        return None
    try:
        return notices.get_version(session, version)
    except NotFound:
        return None


def _listed_cases(session: Session, person_ids: list[int]) -> dict[int, list[Case]]:
    """Each person's active cases (as ``notices.active_references``), for links to them."""
    found: dict[int, list[Case]] = {}
    query = select(Case).where(col(Case.person_id).in_(person_ids), col(Case.status).in_(ACTIVE_STATUSES))
    for case in session.exec(query.order_by(col(Case.id))).all():
        found.setdefault(case.person_id, []).append(case)
    return found


@router.get("/manager/notices/{version}")
def notice_people(
    request: Request, version: str, signed_in: SignedInDep, show: str = "outstanding", page: str = "1"
) -> Response:
    """Who must be told of a version: still to be told, or told (and when)."""
    number = page_number(page)
    if not is_manager(signed_in) or number is None or show not in NOTIFICATION_VIEWS:
        return pages.not_found(request, signed_in)
    outstanding = show == "outstanding"
    services = guard.services_of(request)
    user = signed_in.user
    rows: list[dict[str, Any]] = []
    found: Sequence[PolicyNotification] = []
    with transaction(services.new_session) as session:
        row = _version(session, version)
        exists = row is not None
        if row is not None:
            told = col(PolicyNotification.told_at)
            ids = select(PolicyNotification.id).where(
                PolicyNotification.version == row.version, told.is_(None) if outstanding else told.is_not(None)
            )
            exists, after = _page_after(session, ids, number)
        if row is not None and exists:
            found = notices.notifications(
                session, version=row.version, user=user, outstanding=outstanding, after=after, limit=PER_PAGE + 1
            )
            shown = list(found[:PER_PAGE])
            people = [item.person_id for item in shown]
            names = casework.shown_names(session, people)
            cases = _listed_cases(session, people)
            rows = [
                {"item": item, "name": names.get(item.person_id, ""), "cases": cases.get(item.person_id, [])}
                for item in shown
            ]
            # as GET /policy/notifications audits it
            _record(
                session, request, user, "policy.notifications.read", version=row.version, outstanding=outstanding,
                count=len(shown),
            )  # fmt: skip
            publisher = _publisher(row.published_by, _publishers(session, [row]))
    if row is None or not exists:
        return pages.not_found(request, signed_in)

    def link(to_page: int) -> str:
        return f"/manager/notices/{quote(row.version)}?" + urlencode({"show": show, "page": to_page})

    return pages.render(
        request,
        "manager/notice.html",
        signed_in,
        version=row,
        publisher=publisher,
        show=show,
        views=NOTIFICATION_VIEWS,
        rows=rows,
        page=number,
        has_next=len(found) > PER_PAGE,
        link=link,
    )


@router.get("/manager/notices/{version}/text")
def notice_text(request: Request, version: str, signed_in: SignedInDep) -> Response:
    if not is_manager(signed_in):
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with services.new_session() as session:
        row = _version(session, version)
    if row is None:
        return pages.not_found(request, signed_in)
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", row.text) if part.strip()]
    return pages.render(request, "manager/notice_text.html", signed_in, version=row, paragraphs=paragraphs)


# --- declining a third party's referral -------------------------------------------------------


def _referral(request: Request, case_id: str, signed_in: SignedIn) -> dict[str, Any] | None:
    """The case, its person and whether it awaits permission (as the use case decides); None: not found."""
    number = number_in(case_id)
    if not is_manager(signed_in) or number is None:
        return None
    services = guard.services_of(request)
    with services.new_session() as session:
        try:
            case = casework.get_case(session, case_id=number, user=signed_in.user)
        except NotFound:
            return None
        person = session.get(Person, case.person_id)
        scopes = consent.standing_scopes(session, person_id=case.person_id)
        awaiting = case.status is CaseStatus.open and consent.awaiting_permission(case, scopes)
    return {"case": case, "person_name": person.label if person else "", "awaiting": awaiting}


@router.get("/manager/cases/{case_id}/decline")
def decline_form(request: Request, case_id: str, signed_in: SignedInDep) -> Response:
    referral = _referral(request, case_id, signed_in)
    if referral is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "manager/decline.html", signed_in, **referral)


@router.post("/manager/cases/{case_id}/decline")
def decline(
    request: Request,
    case_id: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    referral = _referral(request, case_id, signed_in)
    if referral is None:
        return pages.not_found(request, signed_in)
    if confirm != "yes":
        errors = {"confirm": "Confirm that the referral is declined, or go back to the case"}
        return form_page(request, "manager/decline.html", signed_in, errors=errors, **referral)
    services = guard.services_of(request)
    case = referral["case"]
    try:
        # What was recorded for the referral is destroyed, with a certificate. The use case
        # commits each step of the destruction itself, so no transaction is held around it.
        declined = services.consents.decline_referral(case_id=case.id, user=signed_in.user)
    except NotFound:
        return pages.not_found(request, signed_in)
    except CasevaultError as problem:
        return form_page(
            request, "manager/decline.html", signed_in, errors={"confirm": _sentence(problem.detail)}, **referral
        )
    query = {"declined": declined.case_reference, "certificate": declined.certificate_id}
    return RedirectResponse("/manager/certificates?" + urlencode(query), status_code=303)

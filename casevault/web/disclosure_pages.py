"""An officer's disclosure from a case: the form (who receives it, which documents, on which
basis), and what was recorded: each document released or withheld with the reason.

The form posts to the use case ``POST /api/v1/cases/{id}/disclosures`` calls
(``services.consents.disclose``), so the release rules have one code path; a refusal (no
consent standing, the young person's refusal) is shown in the error summary naming what is
missing. A case the caller may not see answers the not-found page, exactly as a missing one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlmodel import Session, col, select
from starlette.responses import RedirectResponse, Response

from casevault.core import casework
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, Conflict, NotFound
from casevault.core.models import Case, Disclosure, Document, Person
from casevault.core.release import EXCEPTIONS, Basis, Item, Recipient, Subject, may_release
from casevault.core.web_sessions import SignedIn
from casevault.web import guard
from casevault.web.guard import SignedInDep
from casevault.web.officer_pages import (
    DOCUMENTS_SHOWN,
    PROVIDERS,
    _casework_form,
    _casework_id,
    _does_casework,
    _failure,
    _form_state,
    _id_of,
    _not_found_after,
    _record,
    _session,
)
from casevault.web.pages import not_found, render
from casevault.web.people_pages import FieldsDep

router = APIRouter(include_in_schema=False)

RECIPIENTS = {
    Recipient.school: "A school",
    Recipient.council: "The council",
    Recipient.professional: "Another professional",
    Recipient.parent_carer: "A parent or carer",
    Recipient.police: "The police",
    Recipient.other: "Someone else",
}
BASES = {
    Basis.consent: "With consent",
    Basis.risk_of_harm: "Without consent: a risk of harm to the young person or someone else",
    Basis.illegal_activity: "Without consent: to prevent or report illegal activity",
}
DISCLOSURE_FIELDS = {"reason": "reason", "documents": "documents", "recipient": "recipient"}


def _choice(value: str, choices: Any) -> Any:
    return next((choice for choice in choices if choice.value == value), None)


def _documents(session: Session, case: Case) -> list[Document]:
    return list(casework.list_documents(session, case=case, after=None, limit=DOCUMENTS_SHOWN)[:DOCUMENTS_SHOWN])


@router.get("/cases/{case_id}/disclosures/new")
def disclosure_form(request: Request, case_id: str, signed_in: SignedInDep) -> Response:
    values: dict[str, Any] = {"recipient-kind": "", "recipient": "", "documents": [], "basis": "", "reason": ""}
    return _disclosure_form(request, signed_in, case_id, values, {})


def _disclosure_form(
    request: Request,
    signed_in: SignedIn,
    case_id: str | int,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    user, number = signed_in.user, _casework_id(signed_in, case_id)
    if number is None:
        return not_found(request, signed_in)
    try:
        with _session(request) as session:
            case = casework.get_case(session, case_id=number, user=user)
            person = session.get(Person, case.person_id)
            documents = _documents(session, case)
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Case, number))
    return render(
        request,
        "officer/disclosure_new.html",
        signed_in,
        status_code=status_code,
        case=case,
        person=person,
        documents=documents,
        may_change=casework.can_change_case(user, case),
        recipients=RECIPIENTS,
        bases=BASES,
        providers=PROVIDERS,
        **_form_state(values, errors),
    )


@router.post("/cases/{case_id}/disclosures")
def record_disclosure(request: Request, case_id: str, signed_in: SignedInDep, form: FieldsDep) -> Response:
    """As ``POST /cases/{id}/disclosures``: recorded only when the release rules allow it."""
    user, number = signed_in.user, _casework_form(request, signed_in, form.one, case_id)
    if number is None:
        return not_found(request, signed_in)
    values: dict[str, Any] = {
        "recipient-kind": form.get("recipient-kind"),
        "recipient": form.get("recipient").strip(),
        "documents": form.all("documents"),
        "basis": form.get("basis"),
        "reason": form.get("reason").strip(),
    }
    errors: dict[str, str] = {}
    kind = _choice(values["recipient-kind"], RECIPIENTS)
    if kind is None:
        errors["recipient-kind"] = "Select who receives the information"
    if not values["recipient"]:
        errors["recipient"] = "Enter who receives it: the school, service or person"
    elif len(values["recipient"]) > 200:
        errors["recipient"] = "The recipient must be 200 characters or fewer"
    document_ids = [_id_of(text) for text in values["documents"]]
    if None in document_ids or len(document_ids) > 500:
        errors["documents"] = "Select documents of this case"
    basis = _choice(values["basis"], BASES)
    if basis is None:
        errors["basis"] = "Select the basis for the disclosure"
    elif basis in EXCEPTIONS and not values["reason"]:
        errors["reason"] = "Enter why the disclosure is necessary without consent"
    if len(values["reason"]) > 2000:
        errors["reason"] = "The reason must be 2000 characters or fewer"
    if errors:
        return _disclosure_form(request, signed_in, number, values, errors, status_code=422)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            row, _ = services.consents.disclose(
                session,
                case_id=number,
                recipient_kind=kind,
                recipient=values["recipient"],
                document_ids=[document_id for document_id in document_ids if document_id is not None],
                basis=basis,
                reason=values["reason"] or None,
                user=user,
            )
            disclosure_id = row.id
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Case, number))
    except Conflict as refusal:  # the release rules refused it: what is missing
        errors = {"recipient-kind": _failure(refusal)}
        return _disclosure_form(request, signed_in, number, values, errors, status_code=refusal.http_status)
    except CasevaultError as refusal:
        field = DISCLOSURE_FIELDS.get(getattr(refusal, "field", None) or "", "recipient-kind")
        errors = {field: _failure(refusal)}
        return _disclosure_form(request, signed_in, number, values, errors, status_code=refusal.http_status)
    return RedirectResponse(f"/cases/{number}/disclosures/{disclosure_id}", status_code=303)


def withheld_reason(recipient_kind: str, document: Document) -> str:
    """Why a document of a recorded disclosure was withheld. A disclosure that went ahead
    withholds a document for one reason only: it was the young person's and they had not
    consented to share it with parents (core.release), asked of the rules themselves."""
    kind = _choice(recipient_kind, Recipient) or Recipient.other
    marked = may_release(Subject(age=None), kind, [Item(document.id or 0, document.provided_by)])
    return marked.documents[0].reason


@router.get("/cases/{case_id}/disclosures/{disclosure_id}")
def disclosure_page(request: Request, case_id: str, disclosure_id: str, signed_in: SignedInDep) -> Response:
    """What was recorded: each document released or withheld (with the reason), the basis,
    and for an exception its approval and the safeguarding hold placed."""
    user, number, row_number = signed_in.user, _id_of(case_id), _id_of(disclosure_id)
    if not _does_casework(user) or number is None or row_number is None:
        return not_found(request, signed_in)
    try:
        with _session(request, write=True) as session:
            case = casework.get_case(session, case_id=number, user=user)
            row = session.get(Disclosure, row_number)
            if row is None or row.case_id != case.id:
                raise NotFound(f"no disclosure {row_number} on case {number}")
            ids = [int(part) for part in f"{row.documents},{row.withheld}".split(",") if part]
            found = session.exec(select(Document).where(col(Document.id).in_(ids))).all()
            documents = {document.id: document for document in found}
            names = casework.usernames(session, [row.recorded_by, row.approved_by])
            _record(
                request, session, user, "disclosure.read", subject_type="disclosure", subject_id=row.id, case=case.id
            )
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Case, number))
    released = [int(part) for part in row.documents.split(",") if part]
    withheld = [int(part) for part in row.withheld.split(",") if part]
    return render(
        request,
        "officer/disclosure_done.html",
        signed_in,
        case=case,
        disclosure=row,
        released=[documents[i] for i in released if i in documents],
        withheld=[
            (documents[i], withheld_reason(row.recipient_kind, documents[i])) for i in withheld if i in documents
        ],
        recipients=RECIPIENTS,
        bases=BASES,
        exception=Basis(row.basis) in EXCEPTIONS,
        names=names,
        providers=PROVIDERS,
    )

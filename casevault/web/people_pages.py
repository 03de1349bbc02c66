"""A person's page and the policy's people rules on it: their details and cases, the consent
register (record a consent, withdraw one after a confirmation that says what it does), the
young person's refusal of access, and the privacy notices they were given.

Every form calls the use cases the API's routes call (``services.consents``, the notices'
``record_notice``), so each rule has one code path; a person the caller may not see answers
the not-found page exactly as a missing id (``casework.get_person``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session, col, select
from starlette.responses import RedirectResponse, Response

from casevault.core import casework, consent
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, NotFound, NotVisible
from casevault.core.models import (
    Consent,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
    Document,
    LawfulBasis,
    NoticeMethod,
    Person,
    User,
)
from casevault.core.release import GUIDE_AGE, Recipient
from casevault.core.web_sessions import SignedIn
from casevault.retention import notices
from casevault.web import guard
from casevault.web.guard import SignedInDep
from casevault.web.officer_pages import (
    CONSENT_GIVERS,
    CONSENT_METHODS,
    DateField,
    _casework_form,
    _casework_id,
    _failure,
    _form_state,
    _id_of,
    _not_found_after,
    _record,
    _session,
)
from casevault.web.pages import not_found, render

router = APIRouter(include_in_schema=False)

CASES_SHOWN = 50
CONSENTS_SHOWN = 200
DOCUMENTS_OFFERED = 200  # as evidence of a consent
NOTICES_SHOWN = 100

# Each scope in plain words, and what withdrawing it does (the confirmation page says it).
SCOPES = {
    ConsentScope.record_personal_details: "Record their personal details",
    ConsentScope.store_electronically: "Store their information electronically",
    ConsentScope.keep_contact_details: "Keep contact details",
    ConsentScope.contact_professionals: "Contact schools, the council and other professionals",
    ConsentScope.third_party_referral: "Go ahead with a referral made by someone else",
    ConsentScope.share_with_parent: "Share what the young person provided with parents and carers",
}
WITHDRAWING = {
    ConsentScope.record_personal_details: (
        "The register shows the permission withdrawn from today. Ask a manager what happens to the details"
        " already recorded."
    ),
    ConsentScope.store_electronically: (
        "Nothing more can be uploaded for this person, and they are listed on the managers' dashboard, who decide"
        " what happens to what is kept."
    ),
    ConsentScope.keep_contact_details: (
        "Their contact details are erased at once, and cannot be recorded again unless they agree again."
    ),
    ConsentScope.contact_professionals: (
        "Nothing more can be disclosed with their consent to schools, the council or other professionals."
    ),
    ConsentScope.third_party_referral: (
        "A case referred by someone else waits for permission again: no document can be uploaded to it."
    ),
    ConsentScope.share_with_parent: (
        "Documents the young person provided are withheld from anything released to a parent or carer."
    ),
}
LAWFUL_BASES = {
    LawfulBasis.consent: "Consent",
    LawfulBasis.public_task: "Public task",
    LawfulBasis.legitimate_interests: "Legitimate interests",
    LawfulBasis.legal_obligation: "Legal obligation",
    LawfulBasis.vital_interests: "Vital interests",
}
REFUSED = {  # who a young person can refuse, in the order the form offers them
    Recipient.parent_carer: "Parents and carers",
    Recipient.school: "Schools",
    Recipient.council: "The council",
    Recipient.professional: "Other professionals",
    Recipient.representative: "Representatives",
    Recipient.police: "The police",
    Recipient.other: "Anyone else",
}
NOTICE_METHODS = {
    NoticeMethod.verbal: "Told in person or by phone",
    NoticeMethod.written: "Given in writing",
    NoticeMethod.email: "By email",
    NoticeMethod.online: "Online",
}
# The use cases' fields, as the consent form names them.
CONSENT_FIELDS = {
    "given_on": "given-on-day",
    "parent_name": "parent-name",
    "relationship": "relationship",
    "given_by": "given-by",
    "evidence_document_id": "evidence",
    "scopes": "scopes",
    "review_on": "review-on-day",
}


@dataclasses.dataclass(frozen=True)
class Fields:
    """A form's fields: each one's last value, and the values of those sent several times."""

    one: dict[str, str]
    many: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        return self.one.get(name, default)

    def all(self, name: str) -> list[str]:
        return self.many.get(name, [])


async def _fields(request: Request) -> Fields:
    form = await request.form()
    many: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            many.setdefault(key, []).append(value)
    return Fields({key: values[-1] for key, values in many.items()}, many)


FieldsDep = Annotated[Fields, Depends(_fields)]


def _optional_date(field: DateField, what: str) -> tuple[dt.date | None, str | None]:
    """A date that may be left out: blank is None, anything else must be a real date."""
    if field == DateField():
        return None, None
    return field.read(what)


def _choice(value: str, choices: Any) -> Any:
    return next((choice for choice in choices if choice.value == value), None)


# --- the person page ----------------------------------------------------------------------


@router.get("/people/{person_id}")
def person_page(request: Request, person_id: str, signed_in: SignedInDep) -> Response:
    return _person_page(request, signed_in, person_id)


def _person_page(
    request: Request,
    signed_in: SignedIn,
    person_id: str | int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user, number = signed_in.user, _casework_id(signed_in, person_id)
    if number is None:
        return not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with _session(request, write=True) as session:
            person = casework.get_person(session, person_id=number, user=user)
            cases = casework.list_cases(
                session, user=user, where=casework.CaseFilter(person_id=number), after=None, limit=CASES_SHOWN
            )
            consents = services.consents.listed(session, person_id=number, user=user, after=None, limit=CONSENTS_SHOWN)
            refusal = services.consents.refusal(session, person_id=number, user=user)
            given = notices.notices_of(session, person_id=number, user=user, after=None, limit=NOTICES_SHOWN)
            versions = notices.list_versions(session, after=None, limit=100)
            names = casework.usernames(
                session,
                [
                    *(row.recorded_by for row in consents),
                    *(row.withdrawn_by for row in consents),
                    *(row.recorded_by for row in given),
                    refusal.recorded_by if refusal else None,
                ],
            )
            _record(request, session, user, "person.read", subject_type="person", subject_id=number)
    except NotFound as refusal_to_show:
        return _not_found_after(request, signed_in, refusal_to_show, (Person, number))
    today = services.clock.today()
    errors = errors or {}
    return render(
        request,
        "officer/person.html",
        signed_in,
        status_code=status_code,
        person=person,
        age=consent.age_on(person.date_of_birth, today) if person.date_of_birth else None,  # None: anonymous
        cases=cases[:CASES_SHOWN],
        consents=consents[:CONSENTS_SHOWN],
        review_due=consent.review_due(person.date_of_birth, consents, today=today) if person.date_of_birth else None,
        refusal=refusal,
        refused=[REFUSED.get(Recipient(kind), kind) for kind in refusal.refused.split(",")] if refusal else [],
        notices=given,
        versions=[row.version for row in versions],
        names=names,
        scopes=SCOPES,
        givers=CONSENT_GIVERS,
        methods=CONSENT_METHODS,
        bases=LAWFUL_BASES,
        notice_methods=NOTICE_METHODS,
        **_form_state(values or {"notice-version": versions[-1].version if versions else "", "notice-how": ""}, errors),
    )


# --- policy notices -----------------------------------------------------------------------


@router.post("/people/{person_id}/notices")
def give_notice(request: Request, person_id: str, signed_in: SignedInDep, form: FieldsDep) -> Response:
    """As ``POST /people/{id}/notices``: the person (or their parent or carer) was given a version."""
    user, number = signed_in.user, _casework_form(request, signed_in, form.one, person_id)
    if number is None:
        return not_found(request, signed_in)
    values = {"notice-version": form.get("notice-version")[:32], "notice-how": form.get("notice-how")}
    errors: dict[str, str] = {}
    if not values["notice-version"]:
        errors["notice-version"] = "Select the version of the notice they were given"
    how = _choice(values["notice-how"], NoticeMethod)
    if how is None:
        errors["notice-how"] = "Select how they were given the notice"
    if errors:
        return _person_page(request, signed_in, number, errors=errors, values=values, status_code=422)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            notices.record_notice(
                session, person_id=number, version=values["notice-version"], how=how, user=user, clock=services.clock
            )
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Person, number))
    except CasevaultError as refusal:
        errors = {"notice-version": _failure(refusal)}
        return _person_page(request, signed_in, number, errors=errors, values=values, status_code=refusal.http_status)
    return RedirectResponse(f"/people/{number}#notices", status_code=303)


# --- recording a consent ------------------------------------------------------------------


def _evidence_offered(session: Session, user: User, person_id: int) -> list[Document]:
    """The person's documents the caller may read: a signed form may be the evidence."""
    cases = casework.list_cases(
        session, user=user, where=casework.CaseFilter(person_id=person_id), after=None, limit=CASES_SHOWN
    )
    case_ids = [case.id for case in cases[:CASES_SHOWN]]
    query = select(Document).where(col(Document.case_id).in_(case_ids)).order_by(col(Document.id))
    return list(session.exec(query.limit(DOCUMENTS_OFFERED)).all())


def _back_to_case(text: str) -> int | None:
    """The case the form was opened from (the awaiting-permission banner), to go back to."""
    return _id_of(text) if text else None


@router.get("/people/{person_id}/consents/new")
def consent_form(request: Request, person_id: str, signed_in: SignedInDep) -> Response:
    query = request.query_params
    today = guard.services_of(request).clock.today()
    scope = _choice(query.get("scope", ""), ConsentScope)
    values: dict[str, Any] = {
        "scopes": [scope.value] if scope else [],
        "given-by": "",
        "parent-name": "",
        "relationship": "",
        "how": "",
        "given-on": DateField.showing(today),
        "evidence": "",
        "notice-version": "",
        "lawful-basis": LawfulBasis.consent.value,
        "review-on": DateField(),
        "case": str(_back_to_case(query.get("case", "")) or ""),
    }
    return _consent_form(request, signed_in, person_id, values, {})


def _consent_form(
    request: Request,
    signed_in: SignedIn,
    person_id: str | int,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    user, number = signed_in.user, _casework_id(signed_in, person_id)
    if number is None:
        return not_found(request, signed_in)
    try:
        with _session(request, write=True) as session:
            person = casework.get_person(session, person_id=number, user=user)
            documents = _evidence_offered(session, user, number)
            versions = [row.version for row in notices.list_versions(session, after=None, limit=100)]
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Person, number))
    return render(
        request,
        "officer/consent_new.html",
        signed_in,
        status_code=status_code,
        person=person,
        documents=documents,
        versions=versions,
        scopes=SCOPES,
        givers=CONSENT_GIVERS,
        methods=CONSENT_METHODS,
        bases=LAWFUL_BASES,
        **_form_state(values, errors),
    )


@router.post("/people/{person_id}/consents")
def record_consent(request: Request, person_id: str, signed_in: SignedInDep, form: FieldsDep) -> Response:
    """As ``POST /people/{id}/consents``: one consent per scope ticked."""
    user, number = signed_in.user, _casework_form(request, signed_in, form.one, person_id)
    if number is None:
        return not_found(request, signed_in)
    values: dict[str, Any] = {
        key: form.get(key).strip()
        for key in ("given-by", "parent-name", "relationship", "how", "evidence", "notice-version", "lawful-basis")
    }
    values |= {
        "scopes": form.all("scopes"),
        "given-on": DateField.of(form.one, "given-on"),
        "review-on": DateField.of(form.one, "review-on"),
        "case": str(_back_to_case(form.get("case")) or ""),
    }
    errors: dict[str, str] = {}
    scopes = [scope for scope in ConsentScope if scope.value in values["scopes"]]
    if not scopes:
        errors["scopes"] = "Select what they agreed to"
    given_by = _choice(values["given-by"], ConsentGiver)
    if given_by is None:
        errors["given-by"] = "Select who gave the consent"
    elif given_by is ConsentGiver.parent_carer:
        if not values["parent-name"]:
            errors["parent-name"] = "Enter the name of the parent or carer who gave it"
        if not values["relationship"]:
            errors["relationship"] = "Enter their relationship to the young person"
    for field, most in (("parent-name", 200), ("relationship", 100)):
        if len(values[field]) > most:
            errors[field] = f"This must be {most} characters or fewer"
    how = _choice(values["how"], ConsentMethod)
    if how is None:
        errors["how"] = "Select how the consent was given"
    given_on, problem = _optional_date(values["given-on"], "the date it was given")
    if problem:
        errors["given-on-day"] = problem
    review_on, problem = _optional_date(values["review-on"], "the review date")
    if problem:
        errors["review-on-day"] = problem
    evidence = _id_of(values["evidence"]) if values["evidence"] else None
    if values["evidence"] and evidence is None:
        errors["evidence"] = "Select a document of this person, or none"
    basis = _choice(values["lawful-basis"], LawfulBasis)
    if basis is None:
        errors["lawful-basis"] = "Select the lawful basis relied on"
    if len(values["notice-version"]) > 32:
        errors["notice-version"] = "Select a published version of the notice, or none"
    if errors:
        return _consent_form(request, signed_in, number, values, errors, status_code=422)
    by_parent = given_by is ConsentGiver.parent_carer
    given = consent.Given(
        scopes=tuple(scopes),
        given_by=given_by,
        method=how,
        given_on=given_on,
        parent_name=values["parent-name"] if by_parent else None,
        relationship=values["relationship"] if by_parent else None,
        evidence_document_id=evidence,
        notice_version=values["notice-version"] or None,
        lawful_basis=basis,
        review_on=review_on,
    )
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            services.consents.record(session, person_id=number, given=given, user=user)
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Person, number))
    except CasevaultError as refusal:
        field = CONSENT_FIELDS.get(getattr(refusal, "field", None) or "", "scopes")
        return _consent_form(
            request, signed_in, number, values, {field: _failure(refusal)}, status_code=refusal.http_status
        )
    if values["case"]:
        return RedirectResponse(f"/cases/{values['case']}", status_code=303)
    return RedirectResponse(f"/people/{number}#consents", status_code=303)


# --- withdrawing a consent ------------------------------------------------------------------


def _consent_of(session: Session, user: User, consent_id: int) -> tuple[Consent, Person]:
    """A consent of a person the caller may see, found as the withdrawal use case finds it."""
    row = session.get(Consent, consent_id)
    if row is None:
        raise NotFound(f"no consent with id {consent_id}")
    try:
        person = casework.get_person(session, person_id=row.person_id, user=user)
    except NotVisible:
        raise NotVisible(f"no consent with id {consent_id}") from None
    return row, person


@router.get("/consents/{consent_id}/withdraw")
def withdraw_form(request: Request, consent_id: str, signed_in: SignedInDep) -> Response:
    """The confirmation: what withdrawing this consent does, and how it was withdrawn."""
    return _withdraw_form(request, signed_in, consent_id, {}, {})


def _withdraw_form(
    request: Request,
    signed_in: SignedIn,
    consent_id: str | int,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    user, number = signed_in.user, _casework_id(signed_in, consent_id)
    if number is None:
        return not_found(request, signed_in)
    try:
        with _session(request) as session:
            row, person = _consent_of(session, user, number)
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Consent, number))
    return render(
        request,
        "officer/consent_withdraw.html",
        signed_in,
        status_code=status_code,
        consent=row,
        person=person,
        scope=SCOPES[row.scope],
        does=WITHDRAWING[row.scope],
        givers=CONSENT_GIVERS,
        methods=CONSENT_METHODS,
        **_form_state(values, errors),
    )


@router.post("/consents/{consent_id}/withdraw")
def withdraw_consent(request: Request, consent_id: str, signed_in: SignedInDep, form: FieldsDep) -> Response:
    """As ``POST /consents/{id}/withdraw``: it acts at once (contact details erased, uploads refused)."""
    user, number = signed_in.user, _casework_form(request, signed_in, form.one, consent_id)
    if number is None:
        return not_found(request, signed_in)
    values = {"withdraw-how": form.get("withdraw-how")}
    how = _choice(values["withdraw-how"], ConsentMethod)
    if how is None:
        errors = {"withdraw-how": "Select how they withdrew the consent"}
        return _withdraw_form(request, signed_in, number, values, errors, status_code=422)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            row = services.consents.withdraw(session, consent_id=number, method=how, user=user)
            person_id = row.person_id
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Consent, number))
    except CasevaultError as refusal:
        errors = {"withdraw-how": _failure(refusal)}
        return _withdraw_form(request, signed_in, number, values, errors, status_code=refusal.http_status)
    return RedirectResponse(f"/people/{person_id}?withdrawn={number}#consents", status_code=303)


# --- the young person's refusal of access ------------------------------------------------------


@router.get("/people/{person_id}/refusal")
def refusal_form(request: Request, person_id: str, signed_in: SignedInDep) -> Response:
    return _refusal_form(request, signed_in, person_id, None, {})


def _refusal_form(
    request: Request,
    signed_in: SignedIn,
    person_id: str | int,
    values: dict[str, Any] | None,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    user, number = signed_in.user, _casework_id(signed_in, person_id)
    if number is None:
        return not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with _session(request, write=True) as session:
            person = casework.get_person(session, person_id=number, user=user)
            standing = services.consents.refusal(session, person_id=number, user=user)
            names = casework.usernames(session, [standing.recorded_by if standing else None])
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Person, number))
    if values is None:  # the form starts from what stands
        values = {
            "refused": standing.refused.split(",") if standing else [],
            "how": "",
            "note": (standing.note or "") if standing else "",
            "maturity": "yes" if standing and standing.maturity_recorded else "",
            "withdraw-how": "",
        }
    return render(
        request,
        "officer/refusal.html",
        signed_in,
        status_code=status_code,
        person=person,
        age=consent.age_on(person.date_of_birth, services.clock.today()) if person.date_of_birth else None,
        guide_age=GUIDE_AGE,
        standing=standing,
        refused_now=[REFUSED.get(Recipient(kind), kind) for kind in standing.refused.split(",")] if standing else [],
        names=names,
        recipients=REFUSED,
        methods=CONSENT_METHODS,
        **_form_state(values, errors),
    )


@router.post("/people/{person_id}/refusal")
def set_refusal(request: Request, person_id: str, signed_in: SignedInDep, form: FieldsDep) -> Response:
    """As ``PUT /people/{id}/access-refusal``: records the refusal, replacing the one standing."""
    number = _casework_form(request, signed_in, form.one, person_id)
    if number is None:
        return not_found(request, signed_in)
    values: dict[str, Any] = {
        "refused": form.all("refused"),
        "how": form.get("how"),
        "note": form.get("note").strip(),
        "maturity": form.get("maturity"),
        "withdraw-how": "",
    }
    errors: dict[str, str] = {}
    refused = [kind for kind in REFUSED if kind.value in values["refused"]]
    if not refused:
        errors["refused"] = "Select who they refuse access to their records (to withdraw the refusal, use its button)"
    how = _choice(values["how"], ConsentMethod)
    if how is None:
        errors["how"] = "Select how they told us"
    if len(values["note"]) > 2000:
        errors["note"] = "The note must be 2000 characters or fewer"
    if errors:
        return _refusal_form(request, signed_in, number, values, errors, status_code=422)
    return _set(request, signed_in, number, refused, how, values, maturity=values["maturity"] == "yes")


@router.post("/people/{person_id}/refusal/withdraw")
def withdraw_refusal(request: Request, person_id: str, signed_in: SignedInDep, form: FieldsDep) -> Response:
    """As ``PUT /people/{id}/access-refusal`` with nobody refused: the refusal is withdrawn."""
    number = _casework_form(request, signed_in, form.one, person_id)
    if number is None:
        return not_found(request, signed_in)
    values: dict[str, Any] = {
        "refused": [],
        "how": "",
        "note": "",
        "maturity": "",
        "withdraw-how": form.get("withdraw-how"),
    }
    how = _choice(values["withdraw-how"], ConsentMethod)
    if how is None:
        errors = {"withdraw-how": "Select how they withdrew the refusal"}
        return _refusal_form(request, signed_in, number, values, errors, status_code=422)
    return _set(request, signed_in, number, [], how, values, maturity=False)


def _set(
    request: Request,
    signed_in: SignedIn,
    person_id: int,
    refused: list[Recipient],
    how: ConsentMethod,
    values: dict[str, Any],
    *,
    maturity: bool,
) -> Response:
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            services.consents.set_refusal(
                session,
                person_id=person_id,
                refused=refused,
                method=how,
                note=values["note"] or None,
                maturity_recorded=maturity,
                user=signed_in.user,
            )
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Person, person_id))
    except CasevaultError as refusal:
        field = {"maturity_recorded": "maturity", "refused": "refused"}.get(getattr(refusal, "field", None) or "")
        field = field or ("refused" if refused else "withdraw-how")
        problem = _failure(refusal)
        if field == "maturity":
            problem = (
                f"They are under {GUIDE_AGE}: tick that they have the maturity and capacity to refuse, if you have"
                " judged so, or record no refusal"
            )
        errors = {field: problem}
        return _refusal_form(request, signed_in, person_id, values, errors, status_code=refusal.http_status)
    return RedirectResponse(f"/people/{person_id}#refusal", status_code=303)

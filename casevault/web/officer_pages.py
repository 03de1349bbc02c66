"""The officers' pages: finding a person and opening a referral, a case (its notes, its
documents uploaded several at once and their status kept current, closing and reopening),
a document's pages beside their recognised text, search, and the to-do.

Every page calls the use cases and casework rules the API calls, so the rules have one
code path; what the caller may not see answers the not-found page, exactly as a missing
id. Refusals of the use cases are shown in the GOV.UK error summary, never as JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO
from urllib.parse import quote

import pypdfium2 as pdfium
from fastapi import APIRouter, Depends, Request
from markupsafe import Markup, escape
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlmodel import Session, SQLModel, col, func, select
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse

from casevault.core import audit, casework, consent, scratch
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, IntegrityFailure, InvalidInput, NotFound, PayloadTooLarge
from casevault.core.integrity import integrity_alert
from casevault.core.models import (
    PDF_VARIANTS,
    Case,
    CaseNote,
    CaseNoteVersion,
    CaseStatus,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
    Disclosure,
    Document,
    DocumentStatus,
    NoteKind,
    OutcomeCode,
    PageText,
    Person,
    ProvidedBy,
    ReferralSource,
    Role,
    StoredObject,
    User,
    Variant,
)
from casevault.core.web_sessions import SignedIn
from casevault.ingest.search import MARK_END, MARK_START, check_offset, search
from casevault.retention.history import closures
from casevault.web import guard
from casevault.web.guard import SignedInDep
from casevault.web.pages import LARGEST_ID, not_found, render

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks  # declared for type checkers only

router = APIRouter(include_in_schema=False)

DOCUMENTS_SHOWN = 200  # on a case page; more is a case for search
PAGES_SHOWN = 10  # page images on one view of a document
RESULTS_PER_PAGE = 20
MAX_FILES = 20  # in one upload form
FIELD_LIMIT = 20_000  # bytes in one field of the upload form
EARLIEST_YEAR = 1900  # the API's earliest date: the schedule's arithmetic stays in the calendar
IMAGE_WIDTHS = {"small": 160, "large": 900}  # pixels: a search thumbnail, a page beside its text
MAX_IMAGE_PIXELS = 4_000_000
PDFIUM = threading.Lock()  # pdfium is not thread-safe; pages run in a thread pool

STATUS_TAGS = {
    DocumentStatus.queued: ("Queued", "govuk-tag--grey"),
    DocumentStatus.processing: ("Reading", "govuk-tag--blue"),
    DocumentStatus.ready: ("Ready", "govuk-tag--green"),
    DocumentStatus.failed: ("Failed", "govuk-tag--red"),
}
NOTE_KINDS = {
    NoteKind.progress_summary: "Progress summary",
    NoteKind.agreed_action: "Agreed action",
    NoteKind.personal_details: "Personal details",
    NoteKind.final_outcome: "Final outcome",
}
PROVIDERS = {
    ProvidedBy.parent_carer: "Parent or carer",
    ProvidedBy.young_person: "Young person",
    ProvidedBy.school: "School",
    ProvidedBy.professional: "Another professional",
    ProvidedBy.officer: "An officer",
}
OUTCOMES = {  # the coded outcome a closing records for the statistics (not_recorded is never chosen)
    OutcomeCode.advice_given: "Advice given",
    OutcomeCode.resolved_informally: "Resolved informally",
    OutcomeCode.ehcp_issued: "EHC plan issued",
    OutcomeCode.tribunal: "Went to tribunal",
    OutcomeCode.referred_on: "Referred on",
    OutcomeCode.no_longer_needed: "Support no longer needed",
    OutcomeCode.withdrawn: "Withdrawn",
    OutcomeCode.other: "Other",
}
CONSENT_GIVERS = {ConsentGiver.young_person: "The young person", ConsentGiver.parent_carer: "A parent or carer"}
CONSENT_METHODS = {
    ConsentMethod.verbal: "Spoken",
    ConsentMethod.written: "In writing",
    ConsentMethod.email: "By email",
    ConsentMethod.online: "Online",
}
REFERRAL_FIELDS = (
    "full-name",
    "contact",
    "source",
    "consent-by",
    "parent-name",
    "relationship",
    "consent-how",
    "keep-contact",
    "anonymous",
)
SOURCES = {
    ReferralSource.parent_carer: "Parent or carer",
    ReferralSource.young_person: "Young person",
    ReferralSource.professional: "A professional",
    ReferralSource.other: "Someone else",
}


# --- small parts ------------------------------------------------------------------------


def _does_casework(user: User) -> bool:
    return user.role in (Role.officer, Role.manager)


def _id_of(text: str) -> int | None:
    """An id from a URL, or None: anything else answers the not-found page, never a 422."""
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else 0
    return number if 1 <= number <= LARGEST_ID else None


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormDep = Annotated[dict[str, str], Depends(_form)]


def _check_form(request: Request, signed_in: SignedIn, form: dict[str, str]) -> None:
    guard.check_form(request, expected=signed_in.csrf_token, sent=form.get("csrf_token"))


def _error_list(errors: dict[str, str]) -> list[dict[str, str]]:
    """The error summary's entries, each linking to its field ("upload-files 2": the third
    refused file, whose field is the file input)."""
    return [{"text": text, "href": f"#{field.split(' ')[0]}"} for field, text in errors.items()]


def _form_state(values: Any, errors: dict[str, str]) -> dict[str, Any]:
    """What a form's template is given to show it again: the values sent, the errors and the
    error summary's entries."""
    return {"values": values, "errors": errors, "error_list": _error_list(errors)}


def _casework_id(signed_in: SignedIn, text: str | int) -> int | None:
    """The id a casework page's URL names, or None when the page answers not found: not an id,
    or a user who does no casework."""
    number = _id_of(str(text))
    return number if _does_casework(signed_in.user) else None


def _casework_form(request: Request, signed_in: SignedIn, form: dict[str, str], text: str) -> int | None:
    """As ``_casework_id`` for a form that changes something: its CSRF token and origin are
    checked first (a refusal is answered 403)."""
    _check_form(request, signed_in, form)
    return _casework_id(signed_in, text)


def _record(request: Request, session: Session, user: User, action: str, **details: Any) -> None:
    """Audited as the API's routes audit: ids and counts, never what was asked or shown."""
    subject_type, subject_id = details.pop("subject_type", None), details.pop("subject_id", None)
    audit.record(
        session,
        clock=guard.services_of(request).clock,
        actor=audit.actor_of(user),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
    )


def _session(request: Request, *, write: bool = False) -> AbstractContextManager[Session]:
    """A session for one page: a transaction when it writes (an audit row counts)."""
    services = guard.services_of(request)
    return transaction(services.new_session) if write else services.new_session()


def _audit_refusal(request: Request, user: User, refusal: NotFound, row: tuple[type[SQLModel], int]) -> None:
    """What exists but she may not see is audited as a refusal, as the API audits it: ids and
    the route, in a transaction of its own (on SQLite a reader still open would block it).
    A missing id is not a refusal."""
    if not getattr(refusal, "audited", False):
        return
    route = getattr(request.scope.get("route"), "path", request.url.path)
    services = guard.services_of(request)
    with transaction(services.new_session) as session:
        model, row_id = row
        if session.get(model, row_id) is None:
            return
        audit.record(
            session,
            clock=services.clock,
            actor=audit.actor_of(user),
            action="request.refused",
            outcome="refused",
            details={"status": 404, "method": request.method, "route": route},
        )


def _not_found_after(
    request: Request, signed_in: SignedIn, refusal: NotFound, row: tuple[type[SQLModel], int]
) -> Response:
    _audit_refusal(request, signed_in.user, refusal, row)
    return not_found(request, signed_in)


@dataclasses.dataclass(frozen=True)
class DateField:
    """What a GOV.UK date input sent: day, month and year, as typed."""

    day: str = ""
    month: str = ""
    year: str = ""

    @classmethod
    def of(cls, form: dict[str, str], name: str) -> DateField:
        return cls(*(form.get(f"{name}-{part}", "").strip()[:8] for part in ("day", "month", "year")))

    @classmethod
    def showing(cls, day: dt.date) -> DateField:
        return cls(str(day.day), str(day.month), str(day.year))

    def read(self, what: str) -> tuple[dt.date | None, str | None]:
        """The date, or why not, said as the GOV.UK pattern says it."""
        if not (self.day or self.month or self.year):
            return None, f"Enter {what}"
        missing = [part for part in ("day", "month", "year") if not getattr(self, part)]
        if missing:
            return None, f"{what.capitalize()} must include a {' and '.join(missing)}"
        if not all(part.isascii() and part.isdigit() for part in (self.day, self.month, self.year)):
            return None, f"{what.capitalize()} must be a real date"
        if len(self.year) != 4:
            return None, "Year must include 4 numbers"
        try:
            day = dt.date(int(self.year), int(self.month), int(self.day))
        except ValueError:
            return None, f"{what.capitalize()} must be a real date"
        if day.year < EARLIEST_YEAR:
            return None, f"{what.capitalize()} must be in {EARLIEST_YEAR} or later"
        return day, None


# The use cases' messages name the API's fields; the pages say what the form calls them.
FIELD_WORDS = {
    "date_of_birth": "the date of birth",
    "referral_date": "the referral date",
    "closed_on": "the closing date",
    "correspondence_date": "the correspondence date",
    "date": "the note's date",
    "full_name": "the full name",
    "text": "the note",
    "outcome": "the outcome",
}


def _failure(error: CasevaultError) -> str:
    """A use case's refusal as the page shows it: its message, a sentence in the form's words."""
    detail = error.detail.strip()
    field = getattr(error, "field", None)
    if field in FIELD_WORDS and detail.startswith(field):
        detail = FIELD_WORDS[field] + detail[len(field) :]
    return detail[:1].upper() + detail[1:]


# --- finding a person and opening a referral -----------------------------------------------


@router.get("/people")
def find_person(request: Request, signed_in: SignedInDep) -> Response:
    """Find people you can see by name and date of birth; each with their cases."""
    user = signed_in.user
    if not _does_casework(user):
        return not_found(request, signed_in)
    query = dict(request.query_params)
    name = query.get("name", "").strip()[:200]
    born = DateField.of(query, "dob")
    asked = "name" in query or any(f"dob-{part}" in query for part in ("day", "month", "year"))
    errors: dict[str, str] = {}
    people: list[dict[str, Any]] = []
    date_of_birth = None
    if asked:
        if born != DateField():
            date_of_birth, problem = born.read("date of birth")
            if problem:
                errors["dob-day"] = problem
        if not name and date_of_birth is None and not errors:
            errors["name"] = "Enter a name or a date of birth"
    if asked and not errors:
        with _session(request, write=True) as session:
            found = casework.find_people(
                session, user=user, name=name or None, date_of_birth=date_of_birth, after=None, limit=50
            )
            people = [_person_with_cases(session, user, person) for person in found[:50]]
            _record(request, session, user, "person.search", count=len(people))  # ids only: never what was asked
    return render(
        request,
        "officer/find_person.html",
        signed_in,
        status_code=400 if errors else 200,
        person_name=name,
        dob=born,
        asked=asked and not errors,
        people=people,
        errors=errors,
        error_list=_error_list(errors),
        referral_query=request.url.query,
    )


def _person_with_cases(session: Session, user: User, person: Person) -> dict[str, Any]:
    where = casework.CaseFilter(person_id=person.id)
    cases = casework.list_cases(session, user=user, where=where, after=None, limit=20)
    return {"person": person, "cases": cases[:20]}


@router.get("/referrals/new")
def referral_form(request: Request, signed_in: SignedInDep) -> Response:
    if not _does_casework(signed_in.user):
        return not_found(request, signed_in)
    query = dict(request.query_params)
    today = guard.services_of(request).clock.today()
    values = {"full-name": query.get("name", "")[:200]} | dict.fromkeys(REFERRAL_FIELDS[1:], "")
    return _referral_page(request, signed_in, values, DateField.of(query, "dob"), DateField.showing(today), {})


def _referral_page(
    request: Request,
    signed_in: SignedIn,
    values: dict[str, str],
    dob: DateField,
    referred: DateField,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "officer/referral.html",
        signed_in,
        status_code=status_code,
        values=values,
        dob=dob,
        referred=referred,
        sources=SOURCES,
        consent_givers=CONSENT_GIVERS,
        consent_methods=CONSENT_METHODS,
        errors=errors,
        error_list=_error_list(errors),
    )


def _permission(values: dict[str, str], errors: dict[str, str]) -> consent.Given | None:
    """The permission to record the person, as the referral form states it (the API's
    ``consent``): who gave it and how, and whether contact details may be kept."""
    if values["consent-by"] not in {giver.value for giver in ConsentGiver}:
        errors["consent-by"] = "Select who gave permission to record their details"
    elif values["consent-by"] == ConsentGiver.parent_carer.value:
        if not values["parent-name"]:
            errors["parent-name"] = "Enter the name of the parent or carer who gave permission"
        if not values["relationship"]:
            errors["relationship"] = "Enter their relationship to the young person"
    for field, most in (("parent-name", 200), ("relationship", 100)):
        if len(values[field]) > most:
            errors[field] = f"This must be {most} characters or fewer"
    if values["consent-how"] not in {method.value for method in ConsentMethod}:
        errors["consent-how"] = "Select how permission was given"
    keep_contact = values["keep-contact"] == "yes"
    if values["contact"] and not keep_contact:
        errors["keep-contact"] = "Tick that they agreed we keep their contact details, or leave the contact details out"
    if errors:
        return None
    by_parent = values["consent-by"] == ConsentGiver.parent_carer.value
    scopes = (ConsentScope.record_personal_details,) + ((ConsentScope.keep_contact_details,) if keep_contact else ())
    return consent.Given(
        scopes=scopes,
        given_by=ConsentGiver(values["consent-by"]),
        method=ConsentMethod(values["consent-how"]),
        parent_name=values["parent-name"] if by_parent else None,
        relationship=values["relationship"] if by_parent else None,
    )


@router.post("/referrals")
def open_referral(request: Request, signed_in: SignedInDep, form: FormDep) -> Response:
    """As ``POST /cases`` with ``person``: someone recorded with the same name and date of
    birth is that person (a re-referral), anyone else is recorded now."""
    _check_form(request, signed_in, form)
    user = signed_in.user
    if not _does_casework(user):
        return not_found(request, signed_in)
    values = {key: form.get(key, "").strip() for key in REFERRAL_FIELDS}
    dob, referred = DateField.of(form, "dob"), DateField.of(form, "referred")
    errors: dict[str, str] = {}
    anonymous = values["anonymous"] == "yes"
    born: dt.date | None = None
    if anonymous:
        # Nothing that would name them is recorded, whatever was typed before the box was ticked.
        values |= {"full-name": "", "contact": ""}
        dob = DateField()
    else:
        if not values["full-name"]:
            errors["full-name"] = "Enter the young person's full name"
        elif len(values["full-name"]) > 200:
            errors["full-name"] = "Full name must be 200 characters or fewer"
        born, problem = dob.read("date of birth")
        if problem:
            errors["dob-day"] = problem
    referral_date, problem = referred.read("the referral date")
    if problem:
        errors["referred-day"] = problem
    if values["source"] not in {source.value for source in ReferralSource}:
        errors["source"] = "Select who made the referral"
    if len(values["contact"]) > 2000:
        errors["contact"] = "Contact details must be 2000 characters or fewer"
    permission = None if anonymous else _permission(values, errors)  # an anonymous contact records nothing to ask for
    if not errors:
        assert (anonymous or born is not None) and referral_date is not None
        named = casework.PersonDetails(
            values["full-name"] or None, born, values["contact"] or None, anonymous=anonymous
        )
        services = guard.services_of(request)
        try:
            with transaction(services.new_session) as session:
                case = services.cases.open(
                    session,
                    named=named,
                    consent_given=permission,
                    referral_date=referral_date,
                    referral_source=ReferralSource(values["source"]),
                    officer=user if user.role == Role.officer else None,  # as the API: hers; a manager's: nobody yet
                    user=user,
                )
                case_id = case.id
        except CasevaultError as refusal:
            field = {"date_of_birth": "dob-day", "referral_date": "referred-day", "full_name": "full-name"}
            errors[field.get(getattr(refusal, "field", None) or "", "full-name")] = _failure(refusal)
        else:
            return RedirectResponse(f"/cases/{case_id}", status_code=303)
    return _referral_page(request, signed_in, values, dob, referred, errors, status_code=422)


# --- a case -------------------------------------------------------------------------------


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, signed_in: SignedInDep) -> Response:
    """A case the user may not see answers exactly as a missing one."""
    return _case_page(request, signed_in, case_id)


def _case_page(
    request: Request,
    signed_in: SignedIn,
    case_id: str | int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
    uploaded: int = 0,
) -> Response:
    user, number = signed_in.user, _casework_id(signed_in, case_id)
    if number is None:
        return not_found(request, signed_in)
    try:
        with _session(request, write=True) as session:
            case = casework.get_case(session, case_id=number, user=user)
            details = _case_details(session, case, user)
            _record(request, session, user, "case.read", subject_type="case", subject_id=case.id)
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Case, number))
    errors = errors or {}
    today = guard.services_of(request).clock.today()
    shown = {
        "note-date": DateField.showing(today),
        "upload-date": DateField.showing(today),
        "close-date": DateField.showing(today),
        **(values or {}),
    }
    upload_errors = [text for field, text in errors.items() if field.split(" ")[0] == "upload-files"]
    if not uploaded and request.query_params.get("uploaded", "").isdigit():
        uploaded = int(request.query_params["uploaded"][:3])
    return render(
        request,
        "case.html",
        signed_in,
        status_code=status_code,
        case=case,
        errors=errors,
        error_list=_error_list(errors),
        upload_error=" ".join(upload_errors),
        values=shown,
        uploaded=uploaded,
        note_kinds=NOTE_KINDS,
        providers=PROVIDERS,
        outcomes=OUTCOMES,
        status_tags=STATUS_TAGS,
        status_tags_json=json.dumps({status.value: tag for status, tag in STATUS_TAGS.items()}),
        max_files=MAX_FILES,
        max_mb=guard.services_of(request).settings.max_upload_mb,
        **details,
    )


def _case_details(session: Session, case: Case, user: User) -> dict[str, Any]:
    assert case.id is not None
    person = session.get(Person, case.person_id)
    notes = casework.list_notes(session, case=case)
    documents = casework.list_documents(session, case=case, after=None, limit=DOCUMENTS_SHOWN)
    names = casework.usernames(
        session,
        [case.assigned_officer_id, *(note.author_id for note in notes), *(d.uploaded_by for d in documents)],
    )
    amended = set(
        session.exec(
            select(CaseNoteVersion.note_id).where(col(CaseNoteVersion.note_id).in_([note.id for note in notes]))
        ).all()
    )
    return {
        "person": person,
        "officer": names.get(case.assigned_officer_id) if case.assigned_officer_id else None,
        "notes": notes,
        "amended": amended,
        "documents": documents[:DOCUMENTS_SHOWN],
        "more_documents": len(documents) > DOCUMENTS_SHOWN,
        "names": names,
        "history": closures(session, case_id=case.id),
        "may_change": casework.can_change_case(user, case),
        "takes_documents": case.status in (CaseStatus.open, CaseStatus.closed),
        # A third party's referral takes no upload until the family's permission (people_pages records it).
        "awaiting_permission": case.status is CaseStatus.open
        and consent.awaiting_permission(case, consent.standing_scopes(session, person_id=case.person_id)),
        "disclosures": session.exec(
            select(Disclosure).where(Disclosure.case_id == case.id).order_by(col(Disclosure.id)).limit(DOCUMENTS_SHOWN)
        ).all(),
    }


def _case_refusal(
    request: Request, signed_in: SignedIn, case_id: int, refusal: CasevaultError, field: str, values: dict[str, Any]
) -> Response:
    """A refused change: the not-found page for a case she may not see, else the case page saying why."""
    if isinstance(refusal, NotFound):
        return _not_found_after(request, signed_in, refusal, (Case, case_id))
    return _case_page(
        request,
        signed_in,
        case_id,
        errors={field: _failure(refusal)},
        values=values,
        status_code=refusal.http_status,
    )


@router.post("/cases/{case_id}/notes")
def add_note(request: Request, case_id: str, signed_in: SignedInDep, form: FormDep) -> Response:
    user, number = signed_in.user, _casework_form(request, signed_in, form, case_id)
    if number is None:
        return not_found(request, signed_in)
    kind, text, when = form.get("note-kind", ""), form.get("note-text", ""), DateField.of(form, "note-date")
    values = {"note-kind": kind, "note-text": text, "note-date": when}
    errors: dict[str, str] = {}
    if kind not in {k.value for k in NoteKind}:
        errors["note-kind"] = "Select what kind of note it is"
    date, problem = when.read("the note's date")
    if problem:
        errors["note-date-day"] = problem
    if not text.strip():
        errors["note-text"] = "Enter the note"
    elif len(text) > 20_000:
        errors["note-text"] = "The note must be 20,000 characters or fewer"
    if errors:
        return _case_page(request, signed_in, number, errors=errors, values=values, status_code=422)
    assert date is not None
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:  # as POST /cases/{id}/notes does
            case = casework.get_case_to_change(session, case_id=number, user=user)
            note = casework.add_note(
                session, case=case, kind=NoteKind(kind), text=text, date=date, author=user, clock=services.clock
            )
            audit.record(
                session,
                clock=services.clock,
                actor=audit.actor_of(user),
                action="note.create",
                subject_type="case",
                subject_id=case.id,
                details={"note": note.id},
            )
            note_id = note.id
    except CasevaultError as refusal:
        field = {"date": "note-date-day", "text": "note-text"}.get(getattr(refusal, "field", None) or "", "note-text")
        return _case_refusal(request, signed_in, number, refusal, field, values)
    return RedirectResponse(f"/cases/{number}#note-{note_id}", status_code=303)


@router.post("/cases/{case_id}/close")
def close_case(request: Request, case_id: str, signed_in: SignedInDep, form: FormDep) -> Response:
    user, number = signed_in.user, _casework_form(request, signed_in, form, case_id)
    if number is None:
        return not_found(request, signed_in)
    outcome, when = form.get("close-outcome", "").strip(), DateField.of(form, "close-date")
    code = form.get("close-outcome-code", "")
    values = {"close-outcome": outcome, "close-date": when, "close-outcome-code": code}
    errors: dict[str, str] = {}
    closed_on, problem = when.read("the closing date")
    if problem:
        errors["close-date-day"] = problem
    outcome_code = next((choice for choice in OUTCOMES if choice.value == code), None)
    if outcome_code is None:
        errors["close-outcome-code"] = "Choose how the case ended"
    if not outcome:
        errors["close-outcome"] = "Enter how the case ended"
    elif len(outcome) > 2000:
        errors["close-outcome"] = "The outcome must be 2000 characters or fewer"
    if errors:
        return _case_page(request, signed_in, number, errors=errors, values=values, status_code=422)
    assert closed_on is not None and outcome_code is not None
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            services.cases.close(
                session, case_id=number, closed_on=closed_on, outcome=outcome, outcome_code=outcome_code, user=user
            )
    except CasevaultError as refusal:
        field = "close-date-day" if getattr(refusal, "field", None) == "closed_on" else "close-outcome"
        return _case_refusal(request, signed_in, number, refusal, field, values)
    return RedirectResponse(f"/cases/{number}", status_code=303)


@router.post("/cases/{case_id}/reopen")
def reopen_case(request: Request, case_id: str, signed_in: SignedInDep, form: FormDep) -> Response:
    user, number = signed_in.user, _casework_form(request, signed_in, form, case_id)
    if number is None:
        return not_found(request, signed_in)
    reason = form.get("reopen-reason", "").strip()
    values = {"reopen-reason": reason}
    if not reason or len(reason) > 2000:
        problem = "Enter why the case is reopened" if not reason else "The reason must be 2000 characters or fewer"
        return _case_page(request, signed_in, number, errors={"reopen-reason": problem}, values=values, status_code=422)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            services.cases.reopen(session, case_id=number, reason=reason, user=user)
    except CasevaultError as refusal:
        return _case_refusal(request, signed_in, number, refusal, "reopen-reason", values)
    return RedirectResponse(f"/cases/{number}", status_code=303)


# --- notes and their history ---------------------------------------------------------------


@router.get("/notes/{note_id}")
def note_page(request: Request, note_id: str, signed_in: SignedInDep) -> Response:
    """A note, its earlier texts (who wrote and replaced each, and why), and the form to amend it."""
    return _note_page(request, signed_in, note_id)


def _note_page(
    request: Request,
    signed_in: SignedIn,
    note_id: str | int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    user, number = signed_in.user, _casework_id(signed_in, note_id)
    if number is None:
        return not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            versions = services.corrections.note_versions(session, note_id=number, user=user, after=None, limit=500)
            note = session.get(CaseNote, number)  # she may read it: note_versions checked
            assert note is not None
            case = session.get(Case, note.case_id)
            names = casework.usernames(
                session, [note.author_id, *(v.written_by for v in versions), *(v.replaced_by for v in versions)]
            )
            may_change = case is not None and casework.can_change_case(user, case)
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (CaseNote, number))
    errors = errors or {}
    return render(
        request,
        "officer/note.html",
        signed_in,
        status_code=status_code,
        note=note,
        case=case,
        versions=versions,
        names=names,
        note_kinds=NOTE_KINDS,
        may_change=may_change,
        **_form_state(values or {"amend-text": note.text, "amend-reason": ""}, errors),
    )


@router.post("/notes/{note_id}")
def amend_note(request: Request, note_id: str, signed_in: SignedInDep, form: FormDep) -> Response:
    user, number = signed_in.user, _casework_form(request, signed_in, form, note_id)
    if number is None:
        return not_found(request, signed_in)
    values = {"amend-text": form.get("amend-text", ""), "amend-reason": form.get("amend-reason", "").strip()}
    errors: dict[str, str] = {}
    if not values["amend-text"].strip():
        errors["amend-text"] = "Enter the corrected note"
    elif len(values["amend-text"]) > 20_000:
        errors["amend-text"] = "The note must be 20,000 characters or fewer"
    if not values["amend-reason"]:
        errors["amend-reason"] = "Enter why the note is corrected"
    elif len(values["amend-reason"]) > 2000:
        errors["amend-reason"] = "The reason must be 2000 characters or fewer"
    if errors:
        return _note_page(request, signed_in, number, errors=errors, values=values, status_code=422)
    services = guard.services_of(request)
    try:
        with transaction(services.new_session) as session:
            note = services.corrections.amend_note(
                session, note_id=number, text=values["amend-text"], reason=values["amend-reason"], user=user
            )
            case_id = note.case_id
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (CaseNote, number))
    except CasevaultError as refusal:
        field = "amend-text" if getattr(refusal, "field", None) == "text" else "amend-reason"
        errors = {field: _failure(refusal)}
        return _note_page(request, signed_in, number, errors=errors, values=values, status_code=refusal.http_status)
    return RedirectResponse(f"/cases/{case_id}#note-{number}", status_code=303)


# --- documents: uploading several at once, and their status --------------------------------


def is_upload(path: str) -> bool:
    """The upload form's address: its body is streamed and capped here, not by the body limit."""
    return guard.is_upload(path)


@dataclasses.dataclass
class _Received:
    directory: Path
    files: list[tuple[str, Path]]  # (the name the browser sent, where it is in scratch)
    fields: dict[str, str]

    def discard(self) -> None:
        scratch.remove(self.directory)


class _Parts:
    """python-multipart callbacks: each file part to a file of its own in a private scratch
    directory, counted against the upload cap as it arrives; other fields in memory."""

    def __init__(self, *, directory: Path, max_bytes: int) -> None:
        self.directory, self.max_bytes = directory, max_bytes
        self.fields: dict[str, str] = {}
        self.files: list[tuple[str, Path]] = []
        self._file: BinaryIO | None = None
        self._file_bytes = 0
        self._headers: dict[bytes, bytes] = {}
        self._header = [b"", b""]
        self._name = ""
        self._buffer = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda data, start, end: self._add(0, data[start:end]),
            "on_header_value": lambda data, start, end: self._add(1, data[start:end]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self._headers, self._buffer, self._file, self._file_bytes = {}, bytearray(), None, 0

    def _add(self, which: int, data: bytes) -> None:
        self._header[which] += data
        if len(self._header[which]) > 4096:
            raise InvalidInput("the upload's part headers are too large")

    def header_end(self) -> None:
        self._headers[self._header[0].lower()] = self._header[1]
        self._header = [b"", b""]

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            filename = options[b"filename"].decode("utf-8", "replace")
            if len(self.files) >= MAX_FILES:
                raise InvalidInput(f"Upload at most {MAX_FILES} files at once")
            path = self.directory / f"file-{len(self.files)}"
            self.files.append((filename, path))
            self._file = path.open("xb")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file_bytes += end - start
            if self._file_bytes > self.max_bytes:
                raise PayloadTooLarge(
                    f"{self.files[-1][0] or 'A file'} is larger than {self.max_bytes // (1024 * 1024)} MiB;"
                    " split it or ask an admin to raise CASEVAULT_MAX_UPLOAD_MB"
                )
            self._file.write(data[start:end])
            return
        self._buffer += data[start:end]
        if len(self._buffer) > FIELD_LIMIT:
            raise InvalidInput(f"form field '{self._name}' is longer than {FIELD_LIMIT} bytes")

    def part_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            if self.files[-1][0] == "" and self._file_bytes == 0:  # the file input left empty
                self.files.pop()
        else:
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


async def _receive(request: Request, *, directory: Path, max_bytes: int) -> _Received:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidInput("Send the files with the upload form")
    private = scratch.make_private_dir(directory, "upload")
    parts = _Parts(directory=private, max_bytes=max_bytes)
    parser = MultipartParser(options[b"boundary"], parts.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except BaseException as failure:  # a refusal, a timeout, the browser gone, or no multipart body at all
        parts.close()
        scratch.remove(private)
        if isinstance(failure, MultipartParseError):  # a part's header malformed or too long, no boundary
            raise InvalidInput("Send the files with the upload form (the form sent could not be read)") from None
        raise
    return _Received(private, parts.files, parts.fields)


@router.post("/cases/{case_id}/documents")
async def upload_documents(request: Request, case_id: str, signed_in: SignedInDep) -> Response:
    """Several files at once, each through ``services.documents`` as the API's upload:
    authorised before the body is read, received to scratch, accepted, discarded."""
    user, number = signed_in.user, _id_of(case_id)
    if not _does_casework(user) or number is None:
        return not_found(request, signed_in)
    if not guard.from_this_site(request):
        raise guard.FormRefused
    services = guard.services_of(request)
    try:
        target = await run_in_threadpool(services.documents.upload_target, case_id=number, user=user)
        received = await _receive(
            request, directory=services.settings.data_dir / "tmp", max_bytes=services.settings.max_upload_bytes
        )
    except CasevaultError as refusal:
        return await run_in_threadpool(_case_refusal, request, signed_in, number, refusal, "upload-files", {})
    try:
        guard.check_form(request, expected=signed_in.csrf_token, sent=received.fields.get("csrf_token"))
        return await run_in_threadpool(_accept_all, request, signed_in, number, target, received)
    finally:
        received.discard()


def _accept_all(request: Request, signed_in: SignedIn, case_id: int, target: Any, received: _Received) -> Response:
    services = guard.services_of(request)
    when = DateField.of(received.fields, "upload-date")
    provided_by = received.fields.get("upload-provided-by", "")
    values = {"upload-date": when, "upload-provided-by": provided_by}
    errors: dict[str, str] = {}
    if not received.files:
        errors["upload-files"] = "Select the files to upload"
    correspondence_date, problem = when.read("the correspondence date")
    if problem:
        errors["upload-date-day"] = problem
    if provided_by not in {p.value for p in ProvidedBy}:
        errors["upload-provided-by"] = "Select who provided the documents"
    if errors:
        return _case_page(request, signed_in, case_id, errors=errors, values=values, status_code=422)
    assert correspondence_date is not None
    accepted = 0
    for filename, path in received.files:
        try:
            services.documents.upload(
                target,
                user=signed_in.user,
                upload=path,
                filename=filename,
                correspondence_date=correspondence_date,
                provided_by=ProvidedBy(provided_by),
            )
            accepted += 1
        except CasevaultError as refusal:
            errors[f"upload-files {len(errors)}"] = f"{filename}: {_failure(refusal)}"
    if errors:  # each refused file is named; the ones accepted are on the case already
        return _case_page(request, signed_in, case_id, errors=errors, values=values, status_code=422, uploaded=accepted)
    return RedirectResponse(f"/cases/{case_id}?uploaded={accepted}#documents", status_code=303)


@router.get("/cases/{case_id}/documents/status")
def document_statuses(request: Request, case_id: str, signed_in: SignedInDep) -> Response:
    """Ids and statuses only, for the case page's script to keep its tags current."""
    user, number = signed_in.user, _id_of(case_id)
    missing = JSONResponse({"detail": "not found"}, status_code=404)
    if not _does_casework(user) or number is None:
        return missing
    try:
        with _session(request) as session:
            case = casework.get_case(session, case_id=number, user=user)
            documents = casework.list_documents(session, case=case, after=None, limit=DOCUMENTS_SHOWN)
    except NotFound as refusal:
        _audit_refusal(request, user, refusal, (Case, number))
        return missing
    return JSONResponse({"documents": [{"id": d.id, "status": d.status.value} for d in documents[:DOCUMENTS_SHOWN]]})


# --- a document: its pages beside their text, its files ------------------------------------


@router.get("/documents/{document_id}")
def document_page(request: Request, document_id: str, signed_in: SignedInDep) -> Response:
    user, number = signed_in.user, _id_of(document_id)
    if not _does_casework(user) or number is None:
        return not_found(request, signed_in)
    wanted = request.query_params.get("page", "1")
    at = int(wanted) if wanted.isascii() and wanted.isdigit() and len(wanted) <= 6 else 1
    first = (max(at, 1) - 1) // PAGES_SHOWN * PAGES_SHOWN + 1
    try:
        with _session(request, write=True) as session:
            document = casework.get_document(session, document_id=number, user=user)
            case = session.get(Case, document.case_id)
            total = session.exec(select(func.count()).where(PageText.document_id == number)).one()
            pages = session.exec(
                select(PageText)
                .where(PageText.document_id == number, col(PageText.page) >= first)
                .order_by(col(PageText.page))
                .limit(PAGES_SHOWN)
            ).all()
            _record(
                request,
                session,
                user,
                "document.read",
                subject_type="document",
                subject_id=number,
                part="pages",
                first=first,
            )
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Document, number))
    if total and first > total:
        return not_found(request, signed_in)
    return render(
        request,
        "officer/document.html",
        signed_in,
        document=document,
        case=case,
        pages=pages,
        total=total,
        first=first,
        previous=first - PAGES_SHOWN if first > 1 else None,
        next=first + PAGES_SHOWN if first + PAGES_SHOWN <= total else None,
        status_tags=STATUS_TAGS,
        providers=PROVIDERS,
    )


@dataclasses.dataclass(frozen=True)
class _Stored:
    document_id: int
    subject: str
    object_key: str
    tier: Any
    size: int
    media_type: str
    filename: str


def _stored(session: Session, *, document_id: int, user: User, variant: Variant) -> _Stored:
    """The stored file of a document the caller may read (casework.get_document), as the API finds it."""
    document = casework.get_document(session, document_id=document_id, user=user)
    stored = session.exec(
        select(StoredObject).where(StoredObject.document_id == document_id, StoredObject.variant == variant)
    ).first()
    if stored is None:
        raise NotFound(f"document {document_id} has no {variant.value} file")
    case = session.get(Case, document.case_id)
    subject = session.get(Person, case.person_id).pseudonym  # type: ignore[union-attr]  # a case always has its person
    if variant == Variant.original:
        media_type, filename = document.content_type, document.original_filename
    else:
        media_type, filename = "application/pdf", f"{document.original_filename.rsplit('.', 1)[0]}-searchable.pdf"
    return _Stored(document_id, subject, stored.object_key, stored.tier, stored.size, media_type, filename)


def _alert(request: Request, stored: _Stored, failure: IntegrityFailure) -> None:
    integrity_alert(
        guard.services_of(request).new_session,
        operation="download",
        object_key=stored.object_key,
        document_id=stored.document_id,
        detail=failure.detail,
    )


def _chunks(request: Request, stored: _Stored) -> Iterator[bytes]:
    """The plaintext, the first chunk verified before the answer starts (as the API's downloads)."""
    vault = guard.services_of(request).vault
    stack = ExitStack()
    try:
        chunks = stack.enter_context(vault.open(subject=stored.subject, object_key=stored.object_key, tier=stored.tier))
        first = next(chunks, b"")
    except IntegrityFailure as failure:
        stack.close()
        _alert(request, stored, failure)
        raise
    except BaseException:
        stack.close()
        raise

    def rest() -> Iterator[bytes]:
        try:
            yield first
            yield from chunks
        except IntegrityFailure as failure:
            _alert(request, stored, failure)
            raise  # the connection drops: the body stays short of its Content-Length
        finally:
            stack.close()

    return rest()


_DOWNLOADABLE = {variant.value for variant in PDF_VARIANTS}  # never `words`: it serves redaction only


@router.get("/documents/{document_id}/file")
def download(request: Request, document_id: str, signed_in: SignedInDep, variant: str = "original") -> Response:
    user, number = signed_in.user, _id_of(document_id)
    if not _does_casework(user) or number is None or variant not in _DOWNLOADABLE:
        return not_found(request, signed_in)
    try:
        with _session(request) as session:
            stored = _stored(session, document_id=number, user=user, variant=Variant(variant))
    except NotFound as refusal:
        return _not_found_after(request, signed_in, refusal, (Document, number))
    body = _chunks(request, stored)
    with _session(request, write=True) as session:
        _record(request, session, user, "document.read", subject_type="document", subject_id=number, part=variant)
    # Always an attachment: a browser never renders an upload (and any script in it) inline.
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename)}",
        "Content-Length": str(stored.size),
    }
    return StreamingResponse(body, media_type=stored.media_type, headers=headers)


@router.get("/documents/{document_id}/pages/{page}/image")
def page_image(request: Request, document_id: str, page: str, signed_in: SignedInDep, size: str = "large") -> Response:
    """One page of the searchable PDF drawn as a PNG, in memory: the decrypted PDF and the
    image are never written to disk, and the answer is never cached."""
    user, number, page_number = signed_in.user, _id_of(document_id), _id_of(page)
    if not _does_casework(user) or number is None or page_number is None or size not in IMAGE_WIDTHS:
        return Response(status_code=404)
    try:
        with _session(request) as session:
            stored = _stored(session, document_id=number, user=user, variant=Variant.searchable)
    except NotFound as refusal:
        _audit_refusal(request, user, refusal, (Document, number))
        return Response(status_code=404)
    pdf = b"".join(_chunks(request, stored))
    image = _draw(pdf, page_number - 1, IMAGE_WIDTHS[size])
    if image is None:
        return Response(status_code=404)
    with _session(request, write=True) as session:
        _record(request, session, user, "document.read", subject_type="document", subject_id=number, part="page_image")
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


def _draw(pdf: bytes, index: int, width: int) -> bytes | None:
    with PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            if not 0 <= index < len(document):
                return None
            page = document[index]
            try:
                page_width, page_height = page.get_size()
                scale = width / max(page_width, 1)
                if page_width * page_height * scale * scale > MAX_IMAGE_PIXELS:  # a very tall page
                    scale = (MAX_IMAGE_PIXELS / max(page_width * page_height, 1)) ** 0.5
                picture = page.render(scale=scale, may_draw_forms=False, grayscale=True).to_pil()
            finally:
                page.close()
        finally:
            document.close()
    out = io.BytesIO()
    picture.convert("L").save(out, "PNG", optimize=True)
    return out.getvalue()


# --- search -----------------------------------------------------------------------------


def marked(snippet: str) -> Markup:
    """A search snippet as HTML: the text escaped, the matched words (between the search's
    markers) in ``<mark>``; markers that pair with nothing are left out, so tags always close."""
    html, inside = [], False
    for char in snippet:
        if char == MARK_START and not inside:
            html.append("<mark>")
            inside = True
        elif char == MARK_END and inside:
            html.append("</mark>")
            inside = False
        elif char not in (MARK_START, MARK_END):
            html.append(str(escape(char)))
    if inside:
        html.append("</mark>")
    return Markup("".join(html))


@router.get("/search")
def search_page(request: Request, signed_in: SignedInDep, q: str = "", start: str = "0") -> Response:
    user = signed_in.user
    if not _does_casework(user):
        return not_found(request, signed_in)
    offset = int(start) if start.isascii() and start.isdigit() and len(start) <= 6 else -1
    errors: dict[str, str] = {}
    hits: list[Any] = []
    next_offset = None
    if q.strip():
        try:
            if offset < 0:
                raise InvalidInput("start is not one this search gave out")
            check_offset(offset)
            with _session(request, write=True) as session:
                results = search(session, query=q, user=user, case_id=None, limit=RESULTS_PER_PAGE, offset=offset)
                _record(request, session, user, "search", hits=len(results.hits))
            hits, next_offset = results.hits, results.next_offset
        except CasevaultError as refusal:
            errors["q"] = _failure(refusal)
    return render(
        request,
        "officer/search.html",
        signed_in,
        status_code=400 if errors else 200,
        q=q,
        hits=[(hit, marked(hit.snippet)) for hit in hits],
        searched=bool(q.strip()) and not errors,
        start=max(offset, 0),
        previous=max(offset - RESULTS_PER_PAGE, 0) if offset > 0 else None,
        next_offset=next_offset,
        page_shown=lambda page: (page - 1) // PAGES_SHOWN * PAGES_SHOWN + 1,
        errors=errors,
        error_list=_error_list(errors),
    )


# --- the to-do --------------------------------------------------------------------------


@router.get("/todo")
def todo_page(request: Request, signed_in: SignedInDep) -> Response:
    """What GET /me/todo answers: destructions coming on her cases, failed OCR, holds."""
    user = signed_in.user
    if not _does_casework(user):
        return not_found(request, signed_in)
    services = guard.services_of(request)
    with _session(request, write=True) as session:
        todo = services.retention.todo(session, user=user)
        _record(
            request,
            session,
            user,
            "todo.read",
            destructions=todo.destructions.total,
            failed_documents=todo.failed_documents.total,
            holds=todo.holds.total,
        )
    return render(request, "officer/todo.html", signed_in, todo=todo)

"""Subject access pages: open a request, the list by days left, and a request's page (its
clock, stops, extension, what it rests on, who may receive what, completing it).

Officers open and view the requests of the people of their cases; managers do everything.
Each page calls the use case the API calls (``services.subject_access``), so the rules are
the API's; an admin, or an officer asking for a request not hers, gets the not-found page.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from casevault.core import casework
from casevault.core.errors import CasevaultError, Forbidden, NotFound
from casevault.core.models import ClockStopReason, RequesterKind, Role, SarStatus
from casevault.core.web_sessions import SignedIn
from casevault.web import guard, pages
from casevault.web.guard import SignedInDep
from casevault.web.manager_pages import changing, form_page, manager_form, number_in, read_date

router = APIRouter(include_in_schema=False)

LISTED = 100  # requests on the list page; the API pages through more
REQUESTER_LABELS = {
    RequesterKind.young_person: "The young person",
    RequesterKind.parent_carer: "A parent or carer",
    RequesterKind.representative: "A representative (a solicitor, an advocate)",
}
STOP_LABELS = {
    ClockStopReason.identity: "Waiting for proof of the requester's identity",
    ClockStopReason.clarification: "Waiting for clarification of what they ask",
}
STATUS_LABELS = {SarStatus.open: "Clock running", SarStatus.paused: "Clock stopped", SarStatus.completed: "Completed"}
DECISION_LABELS = {"disclosed": "Disclosed", "partly_disclosed": "Partly disclosed", "withheld": "Withheld"}
NEW_FIELDS = {"person_id": "reference", "requester_name": "requester_name", "received_on": "received_on-day"}


def _may_use(signed_in: SignedIn) -> bool:
    return signed_in.user.role in (Role.officer, Role.manager)


def _labels() -> dict[str, Any]:
    return {
        "requester_labels": REQUESTER_LABELS,
        "stop_labels": STOP_LABELS,
        "status_labels": STATUS_LABELS,
        "decision_labels": DECISION_LABELS,
    }


def _date_form(form: dict[str, str], name: str) -> dict[str, str]:
    return {part: form.get(f"{name}-{part}", "") for part in ("day", "month", "year")}


def _today_parts(today: dt.date) -> dict[str, str]:
    return {"day": str(today.day), "month": str(today.month), "year": str(today.year)}


# --- the list ------------------------------------------------------------------------------


@router.get("/subject-access")
def request_list(request: Request, signed_in: SignedInDep) -> Response:
    if not _may_use(signed_in):
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    with changing(request) as session:  # the list is audited
        views = services.subject_access.listed(session, user=signed_in.user, status=None, after=None, limit=LISTED)
    return pages.render(
        request, "manager/sar_list.html", signed_in, views=views[:LISTED], more=len(views) > LISTED, **_labels()
    )


# --- opening one ---------------------------------------------------------------------------


@router.get("/subject-access/new")
def new_form(request: Request, signed_in: SignedInDep, reference: str = "") -> Response:
    if not _may_use(signed_in):
        return pages.not_found(request, signed_in)
    today = guard.services_of(request).clock.today()
    form = {"reference": reference[:32], "requester_kind": "", "requester_name": "", "authority": "", "maturity": ""}
    return form_page(
        request, "manager/sar_new.html", signed_in, form=form, received_on=_today_parts(today), **_labels()
    )


@router.post("/subject-access/new")
def open_request(
    request: Request,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    reference: Annotated[str, Form()] = "",
    requester_kind: Annotated[str, Form()] = "",
    requester_name: Annotated[str, Form()] = "",
    authority: Annotated[str, Form()] = "",
    maturity: Annotated[str, Form()] = "",
    received_on_day: Annotated[str, Form(alias="received_on-day")] = "",
    received_on_month: Annotated[str, Form(alias="received_on-month")] = "",
    received_on_year: Annotated[str, Form(alias="received_on-year")] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    if not _may_use(signed_in):
        return pages.not_found(request, signed_in)
    dates = {"received_on-day": received_on_day, "received_on-month": received_on_month}
    dates["received_on-year"] = received_on_year
    form = {
        "reference": reference.strip()[:32],
        "requester_kind": requester_kind,
        "requester_name": requester_name,
        "authority": authority,
        "maturity": maturity,
    }
    errors: dict[str, str] = {}
    if not form["reference"]:
        errors["reference"] = "Enter the reference of a case of the young person, like SEN-2026-00042"
    if requester_kind not in RequesterKind.__members__:
        errors["requester_kind"] = "Choose who made the request"
    if not requester_name.strip():
        errors["requester_name"] = "Enter the name of who made the request"
    elif len(requester_name) > 200:
        errors["requester_name"] = "The name must be 200 characters or fewer"
    elif any(unicodedata.category(char) == "Cc" for char in requester_name):
        errors["requester_name"] = "The name may not hold control characters; type it again"
    if len(authority) > 2000:
        errors["authority"] = "The authority must be 2,000 characters or fewer"
    received, problem = read_date(dates, "received_on", "The day it was received")
    if problem or received is None:
        errors["received_on-day"] = problem or "Enter the day the request was received"
    services = guard.services_of(request)
    opened = None
    if not errors:
        assert received is not None
        try:
            with changing(request) as session:
                case = casework.find_case_by_reference(session, reference=form["reference"], user=signed_in.user)
                opened = services.subject_access.open(
                    session,
                    person_id=case.person_id,
                    requester_kind=RequesterKind(requester_kind),
                    requester_name=requester_name,
                    received_on=received,
                    authority=authority or None,
                    maturity_recorded=maturity == "yes",
                    user=signed_in.user,
                )
        except NotFound:
            errors["reference"] = "There is no case with that reference"
        except CasevaultError as problem_:
            errors[NEW_FIELDS.get(getattr(problem_, "field", None) or "", "reference")] = problem_.detail
    if errors or opened is None:
        return form_page(
            request,
            "manager/sar_new.html",
            signed_in,
            errors=errors,
            form=form,
            received_on=_date_form(dates, "received_on"),
            **_labels(),
        )
    return RedirectResponse(f"/subject-access/{opened.request.id}", status_code=303)


# --- a request's page ----------------------------------------------------------------------


def _request_page(
    request: Request,
    signed_in: SignedIn,
    request_id: str,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    number = number_in(request_id)
    if not _may_use(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with changing(request) as session:  # reading a request is audited
            view = services.subject_access.read(session, request_id=number, user=signed_in.user)
            usernames = casework.usernames(session, [view.request.opened_by])
    except NotFound:
        return pages.not_found(request, signed_in)
    today = _today_parts(services.clock.today())
    defaults: dict[str, Any] = {
        "stopped_on": today,
        "resumed_on": today,
        "told_on": today,
        "completed_on": today,
        "months": "",
        "reason": "",
        "stop_reason": "",
        "authority": view.request.authority or "",
    }
    return form_page(
        request,
        "manager/sar_request.html",
        signed_in,
        errors=errors,
        view=view,
        form={**defaults, **(form or {})},
        opened_by=usernames.get(view.request.opened_by, ""),
        may_change=signed_in.user.role is Role.manager and view.request.status is not SarStatus.completed,
        **_labels(),
    )


@router.get("/subject-access/{request_id}")
def request_page(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    return _request_page(request, signed_in, request_id)


def _act(
    request: Request,
    signed_in: SignedIn,
    request_id: str,
    *,
    csrf_token: str,
    field: str,
    form: dict[str, Any],
    errors: dict[str, str],
    action: Any,
) -> Response:
    """Run one change (a manager's), then back to the request's page; a refusal is shown there."""
    number = manager_form(request, signed_in, csrf_token, request_id)
    if number is None:
        return pages.not_found(request, signed_in)
    if not errors:
        try:
            with changing(request) as session:
                action(session, number)
        except (NotFound, Forbidden):
            return pages.not_found(request, signed_in)
        except CasevaultError as problem:
            errors[field] = problem.detail
    if errors:
        return _request_page(request, signed_in, request_id, errors=errors, form=form)
    return RedirectResponse(f"/subject-access/{number}", status_code=303)


def _date_of(form: dict[str, str], name: str, label: str, errors: dict[str, str]) -> dt.date:
    """The form's date; when it is missing or wrong, an error (so nothing is changed) and a
    placeholder that is never used."""
    value, problem = read_date(form, name, label)
    if problem or value is None:
        errors[f"{name}-day"] = problem or f"Enter {label.lower()}"
        return dt.date.min
    return value


async def _posted(request: Request) -> dict[str, str]:
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


@router.post("/subject-access/{request_id}/clock-stops")
async def stop_clock(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    posted = await _posted(request)
    errors: dict[str, str] = {}
    reason = posted.get("stop_reason", "")
    if reason not in ClockStopReason.__members__:
        errors["stop_reason"] = "Choose why the clock stops"
    stopped_on = _date_of(posted, "stopped_on", "The day the clock stopped", errors)
    services = guard.services_of(request)
    return _act(
        request,
        signed_in,
        request_id,
        csrf_token=posted.get("csrf_token", ""),
        field="stop_reason",
        form={"stop_reason": reason, "stopped_on": _date_form(posted, "stopped_on")},
        errors=errors,
        action=lambda session, number: services.subject_access.stop_clock(
            session, request_id=number, reason=ClockStopReason(reason), stopped_on=stopped_on, user=signed_in.user
        ),
    )


@router.post("/subject-access/{request_id}/clock-stops/{stop_id}/resume")
async def resume_clock(request: Request, request_id: str, stop_id: str, signed_in: SignedInDep) -> Response:
    posted = await _posted(request)
    errors: dict[str, str] = {}
    resumed_on = _date_of(posted, "resumed_on", "The day the clock resumed", errors)
    stop = number_in(stop_id)
    if stop is None:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    return _act(
        request,
        signed_in,
        request_id,
        csrf_token=posted.get("csrf_token", ""),
        field="resumed_on-day",
        form={"resumed_on": _date_form(posted, "resumed_on")},
        errors=errors,
        action=lambda session, number: services.subject_access.resume_clock(
            session, request_id=number, stop_id=stop, resumed_on=resumed_on, user=signed_in.user
        ),
    )


@router.post("/subject-access/{request_id}/extension")
async def extend(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    posted = await _posted(request)
    errors: dict[str, str] = {}
    months, reason = posted.get("months", ""), posted.get("reason", "")
    if months not in ("1", "2"):
        errors["months"] = "Choose one or two more months"
    if not reason.strip():
        errors["reason"] = "Enter why the request is complex enough to extend"
    elif len(reason) > 2000:
        errors["reason"] = "The reason must be 2,000 characters or fewer"
    told_on = _date_of(posted, "told_on", "The day the requester was told", errors)
    services = guard.services_of(request)
    return _act(
        request,
        signed_in,
        request_id,
        csrf_token=posted.get("csrf_token", ""),
        field="told_on-day",
        form={"months": months, "reason": reason, "told_on": _date_form(posted, "told_on")},
        errors=errors,
        action=lambda session, number: services.subject_access.extend(
            session,
            request_id=number,
            months=int(months),
            reason=reason,
            told_on=told_on,
            user=signed_in.user,
        ),
    )


@router.post("/subject-access/{request_id}/details")
async def record_details(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    posted = await _posted(request)
    errors: dict[str, str] = {}
    authority = posted.get("authority", "")
    if len(authority) > 2000:
        errors["authority"] = "The authority must be 2,000 characters or fewer"
    services = guard.services_of(request)

    def update(session: Any, number: int) -> None:
        current = services.subject_access.read(session, request_id=number, user=signed_in.user).request
        representative = current.requester_kind is RequesterKind.representative
        young_person = current.requester_kind is RequesterKind.young_person
        services.subject_access.update(
            session,
            request_id=number,
            authority=authority if representative else None,
            set_authority=representative,
            maturity_recorded=(posted.get("maturity") == "yes") if young_person else None,
            user=signed_in.user,
        )

    return _act(
        request,
        signed_in,
        request_id,
        csrf_token=posted.get("csrf_token", ""),
        field="authority",
        form={"authority": authority},
        errors=errors,
        action=update,
    )


@router.post("/subject-access/{request_id}/items")
async def mark_items(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    posted = await _posted(request)
    services = guard.services_of(request)
    return _act(
        request,
        signed_in,
        request_id,
        csrf_token=posted.get("csrf_token", ""),
        field="items",
        form={},
        errors={},
        action=lambda session, number: services.subject_access.mark(session, request_id=number, user=signed_in.user),
    )


@router.post("/subject-access/{request_id}/complete")
async def complete(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    posted = await _posted(request)
    errors: dict[str, str] = {}
    completed_on = _date_of(posted, "completed_on", "The day it was answered", errors)
    services = guard.services_of(request)
    return _act(
        request,
        signed_in,
        request_id,
        csrf_token=posted.get("csrf_token", ""),
        field="completed_on-day",
        form={"completed_on": _date_form(posted, "completed_on")},
        errors=errors,
        action=lambda session, number: services.subject_access.complete(
            session, request_id=number, completed_on=completed_on, user=signed_in.user
        ),
    )

"""Managers mark redactions for a subject access request: the person's documents and
pages, each page drawn with the request's redactions so far, a form for a rectangle (in
percent of the page; a small script lets the manager drag it on the image instead) and
one for a term across a document, and the log with review and remove buttons.

The same use case as the API (``services.redactions``), so the same rules: managers only,
the request's person's documents only, a second manager reviews. Anyone else gets the
not-found page, as for every manager page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from casevault.core import casework
from casevault.core.errors import CasevaultError, NotFound
from casevault.core.models import Document, DocumentStatus, RedactionCategory, SarRedaction, SubjectAccessRequest
from casevault.core.web_sessions import SignedIn
from casevault.web import guard, pages
from casevault.web.guard import SignedInDep
from casevault.web.manager_pages import changing, form_page, is_manager, manager_form, number_in, page_number

router = APIRouter(include_in_schema=False)

CATEGORY_LABELS = {
    RedactionCategory.third_party: "Third party",
    RedactionCategory.young_person_request: "Withheld at the young person's request",
    RedactionCategory.serious_harm: "Serious harm",
    RedactionCategory.other_exemption: "Other exemption",
}
_FIELDS = {"page": "left", "region": "left", "term": "term", "legal_basis": "legal_basis", "category": "category"}


def _base(request_id: int) -> str:
    return f"/manager/subject-access/{request_id}/redact"


def _log_rows(session: Any, rows: list[SarRedaction], documents: dict[int, Document]) -> list[dict[str, Any]]:
    names = casework.usernames(session, [u for row in rows for u in (row.redacted_by, row.reviewed_by)])
    out = []
    for row in rows:
        document = documents.get(row.document_id)
        if row.term is not None:
            where = f"“{row.term}” on every page"
        else:
            where = (
                f"page {row.page}: {100 * (row.left or 0):.0f}% from left, {100 * (row.top or 0):.0f}% from top, "
                f"{100 * (row.width or 0):.0f}% × {100 * (row.height or 0):.0f}%"
            )
        out.append(
            {
                "row": row,
                "document": document.original_filename if document else f"document {row.document_id}",
                "where": where,
                "category": CATEGORY_LABELS[row.category],
                "redacted_by": names.get(row.redacted_by, ""),
                "reviewed_by": names.get(row.reviewed_by) if row.reviewed_by is not None else None,
            }
        )
    return out


def _context(request: Request, signed_in: SignedIn, request_id: int) -> dict[str, Any] | None:
    services = guard.services_of(request)
    with services.new_session() as session:
        sar = session.get(SubjectAccessRequest, request_id)
        if sar is None:
            return None
        documents = list(services.redactions.documents(session, request_id=request_id, user=signed_in.user))
        rows = list(services.redactions.listed(session, request_id=request_id, user=signed_in.user))
        by_id = {document.id: document for document in documents if document.id is not None}
        session.commit()  # the log's reading is audited
        return {
            "sar": sar,
            "documents": documents,
            "log": _log_rows(session, rows, by_id),
            "base": _base(request_id),
            "categories": CATEGORY_LABELS,
        }


@router.get("/manager/subject-access/{request_id}/redact")
def overview(request: Request, request_id: str, signed_in: SignedInDep) -> Response:
    number = number_in(request_id)
    if not is_manager(signed_in) or number is None:
        return pages.not_found(request, signed_in)
    context = _context(request, signed_in, number)
    if context is None:
        return pages.not_found(request, signed_in)
    return form_page(request, "manager/redact.html", signed_in, **context)


def _page_view(
    request: Request,
    signed_in: SignedIn,
    request_id: int,
    document_id: int,
    page: int,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    context = _context(request, signed_in, request_id)
    if context is None:
        return pages.not_found(request, signed_in)
    document = next((d for d in context["documents"] if d.id == document_id), None)
    if document is None or document.status != DocumentStatus.ready or not 1 <= page <= (document.page_count or 0):
        return pages.not_found(request, signed_in)
    context["log"] = [entry for entry in context["log"] if entry["row"].document_id == document_id]
    return form_page(
        request,
        "manager/redact_page.html",
        signed_in,
        errors=errors,
        form=form or {},
        document=document,
        page=page,
        pages=document.page_count,
        image=f"{context['base']}/{document_id}/{page}/preview.png",
        **context,
    )


@router.get("/manager/subject-access/{request_id}/redact/{document_id}/{page}")
def page_view(request: Request, request_id: str, document_id: str, page: str, signed_in: SignedInDep) -> Response:
    numbers = number_in(request_id), number_in(document_id), page_number(page)
    if not is_manager(signed_in) or None in numbers:
        return pages.not_found(request, signed_in)
    return _page_view(request, signed_in, *numbers)  # type: ignore[arg-type]  # None was ruled out


@router.get("/manager/subject-access/{request_id}/redact/{document_id}/{page}/preview.png")
def preview(request: Request, request_id: str, document_id: str, page: str, signed_in: SignedInDep) -> Response:
    numbers = number_in(request_id), number_in(document_id), page_number(page)
    if not is_manager(signed_in) or None in numbers:
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        shown = services.redactions.preview(
            request_id=numbers[0],  # type: ignore[arg-type]  # None was ruled out
            document_id=numbers[1],  # type: ignore[arg-type]
            page=numbers[2],  # type: ignore[arg-type]
            user=signed_in.user,
        )
    except CasevaultError:  # not one of the person's, no such page, or not ready: no image to show
        return pages.not_found(request, signed_in)
    return Response(shown.png, media_type="image/png", headers={"Cache-Control": "no-store"})


def _percent(text: str) -> float | None:
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        return None
    return value / 100 if 0 <= value <= 100 else None


@router.post("/manager/subject-access/{request_id}/redact/{document_id}/{page}")
def add(
    request: Request,
    request_id: str,
    document_id: str,
    page: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    left: Annotated[str, Form()] = "",
    top: Annotated[str, Form()] = "",
    width: Annotated[str, Form()] = "",
    height: Annotated[str, Form()] = "",
    term: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    legal_basis: Annotated[str, Form()] = "",
) -> Response:
    guard.check_form(request, expected=signed_in.csrf_token, sent=csrf_token)
    numbers = number_in(request_id), number_in(document_id), page_number(page)
    if not is_manager(signed_in) or None in numbers:
        return pages.not_found(request, signed_in)
    sar_id, doc_id, page_no = numbers
    assert sar_id is not None and doc_id is not None and page_no is not None
    form = {
        "kind": kind,
        "left": left[:12],
        "top": top[:12],
        "width": width[:12],
        "height": height[:12],
        "term": term[:300],
        "category": category,
        "legal_basis": legal_basis[:600],
    }
    errors: dict[str, str] = {}
    region = None
    if kind == "region":
        values = [_percent(value) for value in (left, top, width, height)]
        for name, value in zip(("left", "top", "width", "height"), values, strict=True):
            if value is None:
                errors[name] = f"Enter the {name} as a percentage of the page, from 0 to 100"
        if not errors:
            region = (values[0], values[1], values[2], values[3])
    elif kind == "term":
        if not term.strip():
            errors["term"] = "Enter the word or name to redact on every page of the document"
    else:
        return pages.not_found(request, signed_in)
    if category not in RedactionCategory.__members__:
        errors["category"] = "Choose why it is redacted"
    if not legal_basis.strip():
        errors["legal_basis"] = "Enter the legal basis, for example the exemption relied on"
    if not errors:
        try:
            guard.services_of(request).redactions.add(
                request_id=sar_id,
                document_id=doc_id,
                category=RedactionCategory(category),
                legal_basis=legal_basis,
                page=page_no if region else None,
                region=region,  # type: ignore[arg-type]  # each part was checked to be a number
                term=term if kind == "term" else None,
                user=signed_in.user,
            )
        except NotFound:
            return pages.not_found(request, signed_in)
        except CasevaultError as problem:
            field = _FIELDS.get(getattr(problem, "field", None) or "", "term" if kind == "term" else "left")
            errors[field] = problem.detail
    if errors:
        if kind == "term":  # the term form's own fields
            errors = {f"term-{k}" if k in ("category", "legal_basis") else k: v for k, v in errors.items()}
        return _page_view(request, signed_in, sar_id, doc_id, page_no, errors=errors, form=form)
    return RedirectResponse(f"{_base(sar_id)}/{doc_id}/{page_no}#log", status_code=303)


def _back(request: Request, sar_id: int) -> str:
    """Back to the page the button was on (a page of ours), else the overview."""
    sent = request.query_params.get("back", "")
    return sent if sent.startswith(_base(sar_id)) and "//" not in sent else _base(sar_id)


@router.post("/manager/redactions/{redaction_id}/{action}")
def review_or_remove(
    request: Request,
    redaction_id: str,
    action: str,
    signed_in: SignedInDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    number = manager_form(request, signed_in, csrf_token, redaction_id)
    if number is None or action not in ("review", "remove"):
        return pages.not_found(request, signed_in)
    services = guard.services_of(request)
    try:
        with changing(request) as session:
            if action == "review":
                row = services.redactions.review(session, redaction_id=number, user=signed_in.user)
            else:
                row = services.redactions.remove(session, redaction_id=number, user=signed_in.user)
            sar_id = row.request_id
    except NotFound:
        return pages.not_found(request, signed_in)
    except CasevaultError as problem:
        with services.new_session() as session:
            found = session.get(SarRedaction, number)
        if found is None:
            return pages.not_found(request, signed_in)
        context = _context(request, signed_in, found.request_id)
        if context is None:
            return pages.not_found(request, signed_in)
        errors = {"log": problem.detail}
        return form_page(request, "manager/redact.html", signed_in, errors=errors, **context)
    return RedirectResponse(_back(request, sar_id) + "#log", status_code=303)

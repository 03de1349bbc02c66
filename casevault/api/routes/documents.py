from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import TypeAdapter, ValidationError
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from casevault.api.bounds import DATE_RANGE, PathId, RealDate
from casevault.api.deps import ContainerDep, Officer, SessionDep, record
from casevault.api.schemas import DocumentPublic
from casevault.api.uploads import receive_upload
from casevault.core import casework
from casevault.core.db import transaction
from casevault.core.errors import Conflict, InvalidInput, NotFound
from casevault.core.models import Case, DocumentStatus, Person, ProvidedBy, StoredObject, Tier, User, Variant
from casevault.ingest import UploadLimits, service
from casevault.ingest.tasks import enqueue_ocr
from casevault.retention.tagging import lifecycle_tags
from casevault.wiring import Container

router = APIRouter(tags=["documents"])


@router.post("/cases/{case_id}/documents", status_code=202, responses={202: {"model": DocumentPublic}})
async def upload_document(case_id: PathId, request: Request, user: Officer, container: ContainerDep) -> JSONResponse:
    """multipart/form-data: `file`, `correspondence_date` (YYYY-MM-DD), `provided_by`.

    Async only to stream the body; every blocking step (database, checks, storage,
    broker) runs in the thread pool. On the event loop it would stall every other
    request, and deadlock with a request whose commit waits for the loop."""
    settings = container.settings
    await run_in_threadpool(_check_case_takes_documents, container, case_id, user)  # fail fast, before reading a large body
    upload = await receive_upload(request, directory=settings.data_dir / "tmp", max_bytes=settings.max_upload_bytes)
    try:
        correspondence_date, provided_by = _form_fields(upload.fields)
        accepted = await run_in_threadpool(
            service.accept,
            new_session=container.new_session,
            vault=container.vault,
            case_id=case_id,
            user=user,
            upload=upload.path,
            filename=upload.filename,
            correspondence_date=correspondence_date,
            provided_by=provided_by,
            limits=UploadLimits.from_settings(settings),
            tags_for=lambda born: lifecycle_tags(tier=Tier.active, date_of_birth=born, schedule=container.schedule),
            workdir=upload.path.parent,
            clock=container.clock,
        )
    finally:
        upload.discard()
    body = DocumentPublic.of(accepted.document).model_dump(mode="json")
    if accepted.created:
        await run_in_threadpool(enqueue_ocr, container.celery, accepted.document.id)  # after the commit: the worker must find the row
    return JSONResponse(body, status_code=202 if accepted.created else 200)


def _check_case_takes_documents(container: Container, case_id: int, user: User) -> None:
    with transaction(container.new_session) as session:
        casework.check_case_takes_documents(casework.get_case(session, case_id=case_id, user=user))


def _form_fields(fields: dict[str, str]) -> tuple[dt.date, ProvidedBy]:
    try:
        correspondence_date = TypeAdapter(RealDate).validate_python(fields.get("correspondence_date", ""))
    except ValidationError:
        raise InvalidInput(
            f"correspondence_date must be a date as YYYY-MM-DD; {DATE_RANGE}", field="correspondence_date"
        ) from None
    try:
        provided_by = ProvidedBy(fields.get("provided_by", ""))
    except ValueError:
        choices = ", ".join(member.value for member in ProvidedBy)
        raise InvalidInput(f"provided_by must be one of: {choices}", field="provided_by") from None
    return correspondence_date, provided_by


@router.get("/documents/{document_id}", response_model=DocumentPublic)
def read_document(document_id: PathId, user: Officer, session: SessionDep, container: ContainerDep) -> DocumentPublic:
    document = casework.get_document(session, document_id=document_id, user=user)
    record(session, container, user, "document.read", subject_type="document", subject_id=document.id, part="metadata")
    return DocumentPublic.of(document)


@router.get("/documents/{document_id}/file")
def download_document(
    document_id: PathId,
    user: Officer,
    session: SessionDep,
    container: ContainerDep,
    variant: Annotated[Literal["original", "searchable"], Query()] = "original",
) -> StreamingResponse:
    document = casework.get_document(session, document_id=document_id, user=user)
    stored = session.exec(
        select(StoredObject).where(StoredObject.document_id == document_id, StoredObject.variant == Variant(variant))
    ).first()
    if stored is None:
        if variant == "searchable" and document.status != DocumentStatus.ready:
            raise Conflict(f"document {document_id} is {document.status.value}; the searchable PDF exists once it is ready")
        raise NotFound(f"document {document_id} has no {variant} file")
    case = session.get(Case, document.case_id)
    subject = session.get(Person, case.person_id).pseudonym  # type: ignore[union-attr]
    record(session, container, user, "document.read", subject_type="document", subject_id=document_id, part=variant)
    vault, key, tier = container.vault, stored.object_key, stored.tier

    def chunks() -> Iterator[bytes]:
        with vault.open(subject=subject, object_key=key, tier=tier) as plaintext:
            yield from plaintext

    media_type = document.content_type if variant == "original" else "application/pdf"
    filename = document.original_filename if variant == "original" else f"{document.original_filename.rsplit('.', 1)[0]}-searchable.pdf"
    headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "Content-Length": str(stored.size)}
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)

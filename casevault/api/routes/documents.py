from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import TypeAdapter, ValidationError
from sqlmodel import Session, select
from starlette.concurrency import run_in_threadpool

from casevault.api import answers
from casevault.api.bounds import LifeDate, PathId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.downloads import VerifiedChunks, verified_chunks
from casevault.api.schemas import DocumentPublic
from casevault.api.uploads import receive_upload
from casevault.app.services import Services
from casevault.core import casework
from casevault.core.db import transaction
from casevault.core.errors import Conflict, IntegrityFailure, InvalidInput, NotFound
from casevault.core.integrity import integrity_alert
from casevault.core.models import Case, Document, DocumentStatus, Person, ProvidedBy, StoredObject, Tier, User, Variant

router = APIRouter(tags=["documents"])

# The upload reads its body by hand (streamed, capped, timed), so FastAPI cannot see its form:
# declared here, so the schema shows it and Swagger UI offers a file picker.
UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "correspondence_date", "provided_by"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "PDF, JPEG, PNG or TIFF"},
                        "correspondence_date": {"type": "string", "format": "date"},
                        "provided_by": {"type": "string", "enum": [member.value for member in ProvidedBy]},
                    },
                }
            }
        },
    }
}


@router.post(
    "/cases/{case_id}/documents",
    status_code=202,
    responses={202: {"model": DocumentPublic}},
    openapi_extra=UPLOAD_FORM,
)
async def upload_document(case_id: PathId, request: Request, user: Officer, services: ServicesDep) -> JSONResponse:
    """multipart/form-data: `file`, `correspondence_date` (YYYY-MM-DD), `provided_by`.

    Async only to stream the body; every blocking step (database, checks, storage,
    broker) runs in the thread pool. On the event loop it would stall every other
    request, and deadlock with a request whose commit waits for the loop."""
    documents, settings = services.documents, services.settings
    # Authorised before the body is read: a large upload to someone else's case is refused at once.
    target = await run_in_threadpool(documents.upload_target, case_id=case_id, user=user)
    upload = await receive_upload(request, directory=settings.data_dir / "tmp", max_bytes=settings.max_upload_bytes)
    try:
        correspondence_date, provided_by = _form_fields(upload.fields)
        accepted = await run_in_threadpool(
            documents.upload,
            target,
            user=user,
            upload=upload.path,
            filename=upload.filename,
            correspondence_date=correspondence_date,
            provided_by=provided_by,
        )
    finally:
        upload.discard()
    body = (await run_in_threadpool(_answer, services, accepted.document)).model_dump(mode="json")
    return JSONResponse(body, status_code=202 if accepted.created else 200)


def _answer(services: Services, document: Document) -> DocumentPublic:
    with services.new_session() as session:
        return answers.document(session, document)


def _form_fields(fields: dict[str, str]) -> tuple[dt.date, ProvidedBy]:
    try:
        correspondence_date = TypeAdapter(LifeDate).validate_python(fields.get("correspondence_date", ""))
    except ValidationError as invalid:
        why = invalid.errors()[0]["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"correspondence_date: {why}", field="correspondence_date") from None
    try:
        provided_by = ProvidedBy(fields.get("provided_by", ""))
    except ValueError:
        choices = ", ".join(member.value for member in ProvidedBy)
        raise InvalidInput(f"provided_by must be one of: {choices}", field="provided_by") from None
    return correspondence_date, provided_by


@router.get("/documents/{document_id}", response_model=DocumentPublic)
def read_document(document_id: PathId, user: Officer, session: SessionDep, services: ServicesDep) -> DocumentPublic:
    document = casework.get_document(session, document_id=document_id, user=user)
    record(session, services, user, "document.read", subject_type="document", subject_id=document.id, part="metadata")
    return answers.document(session, document)


@router.get("/documents/{document_id}/file")
def download_document(
    document_id: PathId,
    user: Officer,
    services: ServicesDep,
    variant: Annotated[Literal["original", "searchable"], Query()] = "original",
) -> StreamingResponse:
    # Short transactions of its own, none open while the object is read: on SQLite every
    # transaction holds the write lock, which the data key's lookup and an alert need too.
    with transaction(services.new_session) as session:
        download = _download_of(session, document_id=document_id, user=user, variant=variant)
    chunks = _verified_chunks(services, download)  # a damaged copy answers an error before anything is sent
    try:
        with transaction(services.new_session) as session:
            record(
                session, services, user, "document.read", subject_type="document", subject_id=document_id, part=variant
            )
    except BaseException:
        chunks.close()
        raise
    # Always an attachment, the original too: a browser never renders an upload (and any script in it) inline.
    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(download.filename)}",
        "Content-Length": str(download.size),
    }
    return StreamingResponse(chunks, media_type=download.media_type, headers=headers)


@dataclasses.dataclass(frozen=True)
class _Download:
    document_id: int
    subject: str
    object_key: str
    tier: Tier
    size: int
    media_type: str
    filename: str


def _download_of(session: Session, *, document_id: int, user: User, variant: str) -> _Download:
    document = casework.get_document(session, document_id=document_id, user=user)
    stored = session.exec(
        select(StoredObject).where(StoredObject.document_id == document_id, StoredObject.variant == Variant(variant))
    ).first()
    if stored is None:
        if variant == "searchable" and document.status != DocumentStatus.ready:
            raise Conflict(
                f"document {document_id} is {document.status.value}; the searchable PDF exists once it is ready"
            )
        raise NotFound(f"document {document_id} has no {variant} file")
    case = session.get(Case, document.case_id)
    subject = session.get(Person, case.person_id).pseudonym  # type: ignore[union-attr]  # a case always has its person
    if variant == "original":
        media_type, filename = document.content_type, document.original_filename
    else:
        media_type, filename = "application/pdf", f"{document.original_filename.rsplit('.', 1)[0]}-searchable.pdf"
    return _Download(document_id, subject, stored.object_key, stored.tier, stored.size, media_type, filename)


def _verified_chunks(services: Services, download: _Download) -> VerifiedChunks:
    def alert(failure: IntegrityFailure) -> None:
        integrity_alert(
            services.new_session,
            operation="download",
            object_key=download.object_key,
            document_id=download.document_id,
            detail=failure.detail,
        )

    try:
        return verified_chunks(
            services.vault,
            subject=download.subject,
            object_key=download.object_key,
            tier=download.tier,
            on_failure=alert,
        )
    except IntegrityFailure:
        raise IntegrityFailure(
            f"The stored copy of document {download.document_id} failed its integrity check, so it cannot be sent. "
            "An integrity alert has been raised: ask a manager to restore it from a backup."
        ) from None

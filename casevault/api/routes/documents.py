from __future__ import annotations

from fastapi import APIRouter

from casevault.api.deps import ContainerDep, Officer, SessionDep, record
from casevault.api.schemas import DocumentPublic
from casevault.core import casework

router = APIRouter(prefix="/documents", tags=["documents"])


@router.get("/{document_id}", response_model=DocumentPublic)
def read_document(document_id: int, user: Officer, session: SessionDep, container: ContainerDep) -> DocumentPublic:
    document = casework.get_document(session, document_id=document_id, user=user)
    record(session, container, user, "document.read", subject_type="document", subject_id=document.id, part="metadata")
    return DocumentPublic.of(document)

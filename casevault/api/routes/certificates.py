"""Destruction certificates (managers): proof of what was destroyed, naming no one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from casevault.api.bounds import Offset
from casevault.api.deps import ServicesDep, Manager, SessionDep, record
from casevault.core.models import DestructionCertificate
from casevault.retention.certificates import list_certificates

router = APIRouter(prefix="/certificates", tags=["retention"])


class CertificatePublic(BaseModel):
    id: int
    subject: str
    destroyed_at: dt.datetime
    schedule_version: str
    rule: str
    cases: int
    documents: int
    objects: int
    object_versions: int
    bytes: int
    method: str
    authorised_by: str

    @classmethod
    def of(cls, row: DestructionCertificate) -> "CertificatePublic":
        return cls.model_validate(row, from_attributes=True)


class CertificateList(BaseModel):
    certificates: list[CertificatePublic]


@router.get("", response_model=CertificateList)
def read_certificates(
    user: Manager,
    session: SessionDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> CertificateList:
    rows = list_certificates(session, limit=limit, offset=offset)
    record(session, services, user, "certificate.read", count=len(rows))
    return CertificateList(certificates=[CertificatePublic.of(row) for row in rows])

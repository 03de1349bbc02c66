"""Destruction certificates (managers): proof of what was destroyed, naming no one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from casevault.api.bounds import Offset
from casevault.api.deps import Manager, ServicesDep, SessionDep, record
from casevault.api.schemas import CertificateList, CertificatePublic, approver_id
from casevault.core import casework
from casevault.retention.certificates import list_certificates

router = APIRouter(prefix="/certificates", tags=["retention"])


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
    names = casework.usernames(session, (approver_id(row.authorised_by) for row in rows))
    return CertificateList(certificates=[CertificatePublic.of(row, names) for row in rows])

"""Destruction certificates: what was destroyed, when, under which rule, on whose authority.

They name no one: the subject is the pseudonym, and there is no due date (at the
destruction age it would give away the date of birth).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from casevault.core.models import DestructionCertificate


def list_certificates(session: Session, *, limit: int, offset: int) -> Sequence[DestructionCertificate]:
    query = select(DestructionCertificate).order_by(col(DestructionCertificate.id)).limit(limit).offset(offset)
    return session.exec(query).all()

"""Destruction certificates: what was destroyed, when, under which rule, on whose authority.

They name no one: the subject is the pseudonym, and there is no due date (at the
destruction age it would give away the date of birth).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session, col, select

from casevault.core.models import DestructionCertificate


def list_certificates(session: Session, *, limit: int, offset: int) -> Sequence[DestructionCertificate]:
    query = select(DestructionCertificate).order_by(col(DestructionCertificate.id)).limit(limit).offset(offset)
    return session.exec(query).all()


def copies_remain(destroyed_at: dt.datetime, *, backups_kept_days: int) -> str:
    """Where copies may remain, for the certificate's method: backups made before the
    destruction, until the last of them is deleted under the backup retention."""
    if backups_kept_days <= 0:
        return "no backups are kept by casevault: no copy remains"
    until = (destroyed_at + dt.timedelta(days=backups_kept_days)).date()
    return (
        f"backups made before the destruction may hold copies until {until.isoformat()}, and every restore of one"
        " destroys the person again from the destruction ledger; after that date no copy of the person's data or"
        " key remains"
    )


def case_copies_remain(destroyed_at: dt.datetime, *, backups_kept_days: int) -> str:
    """The same for one case destroyed while its person stays (a declined referral): its
    ledger entry carries the case id, so a restore destroys the case again."""
    if backups_kept_days <= 0:
        return "no backups are kept by casevault: no copy remains"
    until = (destroyed_at + dt.timedelta(days=backups_kept_days)).date()
    return (
        f"backups made before the destruction may hold copies of the case until {until.isoformat()} (the person's"
        " data key stays for their other cases), and every restore of one destroys the case again from the"
        " destruction ledger; after that date no copy of the case remains"
    )

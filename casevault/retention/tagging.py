"""Lifecycle tags for stored objects: which tier, which retention class, which
schedule version.

Nothing about the person and no date: when the schedule next acts on an object
is the 25th birthday (the date of birth, in effect) or the end of the archive
window (the case's last correspondence). The database knows both; the bucket's
lifecycle rules and anyone reading tags need neither.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from casevault.archive import LifecycleTags, Vault
from casevault.core.db import SessionFactory
from casevault.core.errors import NotFound
from casevault.core.models import StoredObject, Tier
from casevault.retention.schedule import Schedule

RETENTION_CLASS = "sen-case-document"


def lifecycle_tags(*, tier: Tier, schedule: Schedule) -> LifecycleTags:
    return LifecycleTags(tier=tier, retention_class=RETENTION_CLASS, schedule_version=schedule.version)


@dataclass(frozen=True)
class RetagReport:
    retagged: int
    skipped: int  # gone from its tier since listed: moved or destroyed meanwhile


def retag_all(*, new_session: SessionFactory, vault: Vault, schedule: Schedule) -> RetagReport:
    """Give every stored object exactly the current lifecycle tags, so objects tagged by
    an older casevault lose what tags no longer carry (the retired disposition month).
    Safe to run again, and alongside the sweep: an object that moved meanwhile is
    skipped (its move tagged it)."""
    retagged = skipped = 0
    with new_session() as session:
        rows = session.exec(select(StoredObject.object_key, StoredObject.tier).order_by(col(StoredObject.id))).all()
    for key, stored_tier in rows:
        tier = Tier(stored_tier)  # sqlmodel's select() types a str-enum column as plain str
        try:
            vault.set_tags(object_key=key, tier=tier, tags=lifecycle_tags(tier=tier, schedule=schedule))
            retagged += 1
        except NotFound:
            skipped += 1
    return RetagReport(retagged=retagged, skipped=skipped)

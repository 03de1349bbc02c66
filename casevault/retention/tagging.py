"""Lifecycle tags for stored objects: which tier, which retention class, which
schedule version.

Nothing about the person and no date: when the schedule next acts on an object
is the 25th birthday (the date of birth, in effect) or the end of the archive
window (the case's last correspondence). The database knows both; the bucket's
lifecycle rules and anyone reading tags need neither.
"""

from __future__ import annotations

from casevault.archive import LifecycleTags
from casevault.core.models import Tier
from casevault.retention.schedule import Schedule

RETENTION_CLASS = "sen-case-document"


def lifecycle_tags(*, tier: Tier, schedule: Schedule) -> LifecycleTags:
    return LifecycleTags(tier=tier, retention_class=RETENTION_CLASS, schedule_version=schedule.version)

"""Lifecycle tags for stored objects: what the schedule will do with them, and when.

Tags say which tier, which retention class and schedule version, and the month
the schedule next acts on the object; never anything about the person but
that month.
"""

from __future__ import annotations

import datetime as dt

from casevault.archive import LifecycleTags
from casevault.core.models import Tier
from casevault.retention.decide import destruction_date
from casevault.retention.schedule import Schedule

RETENTION_CLASS = "sen-case-document"


def lifecycle_tags(*, tier: Tier, date_of_birth: dt.date, schedule: Schedule, archive_until: dt.date | None = None) -> LifecycleTags:
    """Active objects are next acted on at destruction (closure is not yet known);
    archived ones when their window ends, or at destruction if that comes first."""
    next_action = destruction_date(date_of_birth, schedule)
    if tier == Tier.archive and archive_until is not None:
        next_action = min(next_action, archive_until)
    return LifecycleTags(
        tier=tier,
        retention_class=RETENTION_CLASS,
        schedule_version=schedule.version,
        disposition_month=f"{next_action:%Y-%m}",
    )

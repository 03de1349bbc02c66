"""Who must hear about a policy update.

The policy: "Our SENDIASS officers will make sure that parents or carers of any
active cases at the point of policy update are aware that an updated version of
the policy is available." Publishing a new schedule version is such an update;
this lists the cases whose families must be told. Active means open or being
restored: the family is in touch with the service now. Closed and archived cases
are not active, and a family referred later is given the current policy when they
first approach the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from casevault.core.errors import InvalidInput
from casevault.core.models import CaseStatus
from casevault.retention.decide import PersonFacts
from casevault.retention.schedule import Schedule

ACTIVE_STATUSES = (CaseStatus.open, CaseStatus.restoring)


@dataclass(frozen=True)
class PolicyNotice:
    case_id: int
    case_reference: str
    person_id: int
    schedule_version: str
    reason: str  # ids, versions and dates only


def cases_to_notify(people: Iterable[PersonFacts], *, new: Schedule, previous: Schedule | None) -> list[PolicyNotice]:
    """The active cases whose parents or carers must be told that ``new`` replaces ``previous``.

    ``people`` are the facts at the moment of publishing. ``previous`` is the schedule
    in force until now (None if there was none). Publishing the same schedule again
    changes nothing and notifies no one.
    """
    if previous is not None:
        if previous == new:
            return []
        _check_replaces(new, previous)
    notices = [
        PolicyNotice(
            case_id=case.case_id,
            case_reference=case.reference,
            person_id=person.person_id,
            schedule_version=new.version,
            reason=(
                f"case {case.case_id} is {case.status.value} at the policy update to schedule"
                f" {new.version} (effective {new.effective_from}): tell the parents or carers that"
                " an updated version of the policy is available"
            ),
        )
        for person in people
        for case in person.cases
        if case.status in ACTIVE_STATUSES
    ]
    return sorted(notices, key=lambda notice: (notice.person_id, notice.case_id))


def _check_replaces(new: Schedule, previous: Schedule) -> None:
    if new.version == previous.version:
        raise InvalidInput(
            f"schedule {new.version} differs from the published schedule {previous.version} of the same"
            " version: give the changed schedule a new version, so decisions can say which one made them",
            field="version",
        )
    if new.effective_from < previous.effective_from:
        raise InvalidInput(
            f"schedule {new.version} takes effect on {new.effective_from}, before schedule"
            f" {previous.version} which it replaces ({previous.effective_from}): a new version"
            " takes effect on or after the one it replaces",
            field="effective_from",
        )

"""A policy update lists the active cases whose families must be told, as the policy requires."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from casevault.core.errors import InvalidInput
from casevault.core.models import CaseStatus
from casevault.retention.decide import CaseFacts, PersonFacts
from casevault.retention.policy_update import cases_to_notify
from casevault.retention.schedule import Schedule, load_schedule

D = dt.date
CURRENT = load_schedule(None)
UPDATED = dataclasses.replace(
    CURRENT,
    version="2027.1",
    effective_from=D(2027, 1, 1),
    archive=dataclasses.replace(CURRENT.archive, window_months=18),
)


def case(case_id: int, status: CaseStatus) -> CaseFacts:
    closed_on = None if status in (CaseStatus.open, CaseStatus.restoring) else D(2026, 3, 1)
    return CaseFacts(case_id, status, D(2025, 9, 1), closed_on=closed_on, reference=f"SEN-{case_id:04d}")


PEOPLE = [
    PersonFacts(2, "p_b", D(2010, 1, 1), cases=(case(21, CaseStatus.closed), case(20, CaseStatus.open))),
    PersonFacts(1, "p_a", D(2012, 5, 5), cases=(case(10, CaseStatus.restoring), case(11, CaseStatus.archived))),
    PersonFacts(3, "p_c", D(2008, 7, 7), cases=(case(30, CaseStatus.destroyed),)),
]


def test_families_of_open_and_restoring_cases_are_told() -> None:
    notices = cases_to_notify(PEOPLE, new=UPDATED, previous=CURRENT)
    assert [(n.person_id, n.case_id, n.case_reference) for n in notices] == [
        (1, 10, "SEN-0010"),
        (2, 20, "SEN-0020"),
    ]
    for notice in notices:
        assert notice.schedule_version == "2027.1"
        assert "updated version of the policy is available" in notice.reason
        assert "p_" not in notice.reason


def test_the_first_schedule_published_tells_every_active_case() -> None:
    assert [n.case_id for n in cases_to_notify(PEOPLE, new=CURRENT, previous=None)] == [10, 20]


def test_publishing_the_same_schedule_again_tells_no_one() -> None:
    assert cases_to_notify(PEOPLE, new=CURRENT, previous=load_schedule(None)) == []


@pytest.mark.parametrize(
    ("new", "message"),
    [
        pytest.param(
            dataclasses.replace(UPDATED, version=CURRENT.version),
            "give the changed schedule a new version",
            id="changed-without-a-new-version",
        ),
        pytest.param(
            dataclasses.replace(UPDATED, effective_from=D(2025, 12, 31)),
            "takes effect on 2025-12-31, before schedule 2026.1",
            id="takes-effect-before-the-one-it-replaces",
        ),
    ],
)
def test_a_bad_update_is_refused(new: Schedule, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        cases_to_notify(PEOPLE, new=new, previous=CURRENT)

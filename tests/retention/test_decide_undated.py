"""Someone recorded without a date of birth (anonymous contact) has no 25th birthday: the
schedule destroys everything about them once every case is archived and the last archive
window has ended (rule destroy-undated-after-archive)."""

from __future__ import annotations

import datetime as dt

import pytest

from casevault.core.models import CaseStatus, HoldKind
from casevault.retention.decide import (
    ActionKind,
    CaseFacts,
    HoldFacts,
    PersonFacts,
    cases_to_restore_on_referral,
    decide,
)
from casevault.retention.schedule import load_schedule, parse_schedule

D = dt.date
SCHEDULE = load_schedule(None)
CLOSED_ON = D(2026, 3, 10)
LAST_LETTER = D(2026, 2, 1)  # window: 12 months from it, 2027-02-01


def case(case_id: int, status: CaseStatus, *, archive_until: dt.date | None = None, holds=()) -> CaseFacts:
    closed = status in (CaseStatus.closed, CaseStatus.archived, CaseStatus.destroyed)
    return CaseFacts(
        case_id=case_id,
        status=status,
        referral_date=D(2025, 9, 1),
        closed_on=CLOSED_ON if closed else None,
        last_correspondence=LAST_LETTER,
        archive_until=archive_until,
        holds=holds,
    )


def anonymous(*cases: CaseFacts) -> PersonFacts:
    return PersonFacts(person_id=7, pseudonym="p_anon", date_of_birth=None, cases=cases)


HELD = (HoldFacts(hold_id=3, kind=HoldKind.safeguarding, released_at=None),)

# the person's cases, as of -> the destruction's due date (None: nothing destroyed)
TABLE = {
    "no case yet": ((), D(2040, 1, 1), None),
    "an open case": ((case(1, CaseStatus.open),), D(2040, 1, 1), None),
    "a closed case, not archived yet": ((case(1, CaseStatus.closed),), D(2040, 1, 1), None),
    "archived, the day before the window ends": ((case(1, CaseStatus.archived),), D(2027, 1, 31), None),
    "archived, the day the window ends": ((case(1, CaseStatus.archived),), D(2027, 2, 1), D(2027, 2, 1)),
    "a stored window later than the reckoning": (
        (case(1, CaseStatus.archived, archive_until=D(2027, 6, 1)),),
        D(2027, 3, 1),
        None,
    ),
    "the last of two windows decides": (
        (case(1, CaseStatus.archived), case(2, CaseStatus.archived, archive_until=D(2028, 1, 1))),
        D(2028, 1, 1),
        D(2028, 1, 1),
    ),
    "one archived, one still open": ((case(1, CaseStatus.archived), case(2, CaseStatus.open)), D(2040, 1, 1), None),
    "a destroyed case does not count": (
        (case(1, CaseStatus.archived), case(2, CaseStatus.destroyed)),
        D(2027, 2, 1),
        D(2027, 2, 1),
    ),
}


@pytest.mark.parametrize("name", TABLE)
def test_without_a_date_of_birth_everything_goes_when_the_last_archive_window_ends(name: str) -> None:
    cases, as_of, due = TABLE[name]
    actions = [a for a in decide([anonymous(*cases)], SCHEDULE, as_of) if a.kind is ActionKind.destroy_person]
    assert [action.due_on for action in actions] == ([due] if due else [])
    for action in actions:
        assert (action.rule_id, action.schedule_version) == ("destroy-undated-after-archive", SCHEDULE.version)
        assert action.case_id is None and action.person_id == 7


def test_a_hold_marks_the_destruction_held() -> None:
    (action,) = [
        a
        for a in decide([anonymous(case(1, CaseStatus.archived, holds=HELD))], SCHEDULE, D(2028, 1, 1))
        if a.kind is ActionKind.destroy_person
    ]
    assert action.held and action.hold_ids == (3,)


def test_a_referral_of_someone_without_a_date_of_birth_restores_without_an_age_check() -> None:
    restores = cases_to_restore_on_referral(
        anonymous(case(1, CaseStatus.archived)), referral_date=D(2026, 11, 1), schedule=SCHEDULE
    )
    assert [action.case_id for action in restores] == [1]


def test_the_rule_is_in_the_schedule_and_an_older_file_without_it_gets_the_default() -> None:
    assert "destroy-undated-after-archive" in [rule_id for rule_id, _ in SCHEDULE.rules()]
    text = SCHEDULE_WITHOUT_UNDATED
    assert parse_schedule(text, source="old.toml").undated_rule_id == "destroy-undated-after-archive"
    renamed = parse_schedule(text + '\n[undated]\nrule = "anonymous-after-archive"\n', source="new.toml")
    assert renamed.undated_rule_id == "anonymous-after-archive"


SCHEDULE_WITHOUT_UNDATED = """
version = "2025.1"
effective_from = 2025-01-01
policy = "Dorset SENDIASS confidentiality policy, updated November 2018"
[archive]
rule = "archive-on-closure"
window_months = 12
[archive_expiry]
rule = "archive-window-end"
action = "keep"
[destruction]
rule = "destroy-at-age"
age_years = 25
[restore]
rule = "restore-on-referral"
[holds]
rule = "hold-stops-everything"
"""

"""Retention decisions as tables of cases: what is due, when, why, and what a hold stops."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from casevault.core.errors import InvalidInput
from casevault.core.models import CaseStatus, HoldKind
from casevault.retention.decide import (
    Action,
    ActionKind,
    CaseFacts,
    HoldFacts,
    PersonFacts,
    archive_until,
    cases_to_restore_on_referral,
    check_referral_allowed,
    decide,
    destruction_date,
)
from casevault.retention.schedule import ArchiveExpiryRule, ExpiryAction, Schedule, load_schedule

D = dt.date
SCHEDULE = load_schedule(None)
DESTROY_AT_WINDOW_END = dataclasses.replace(
    SCHEDULE, archive_expiry=ArchiveExpiryRule(rule_id="archive-window-end", action=ExpiryAction.destroy)
)
BORN = D(2005, 6, 15)  # 25 on 2030-06-15
RELEASED = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
CLOSED_ON = D(2026, 3, 10)
LAST_CORRESPONDENCE = D(2026, 2, 1)


def case(
    case_id: int = 10,
    status: CaseStatus = CaseStatus.closed,
    *,
    closed_on: dt.date | None = CLOSED_ON,
    last_correspondence: dt.date | None = LAST_CORRESPONDENCE,
    archive_until: dt.date | None = None,
    holds: tuple[HoldFacts, ...] = (),
) -> CaseFacts:
    return CaseFacts(
        case_id=case_id,
        status=status,
        referral_date=D(2025, 9, 1),
        closed_on=closed_on,
        last_correspondence=last_correspondence,
        archive_until=archive_until,
        holds=holds,
        reference=f"C-{case_id}",
    )


def person(*cases: CaseFacts, born: dt.date = BORN, holds: tuple[HoldFacts, ...] = ()) -> PersonFacts:
    return PersonFacts(person_id=1, pseudonym="p_0a1b2c", date_of_birth=born, cases=cases, holds=holds)


def hold(hold_id: int, *, released: bool = False) -> HoldFacts:
    return HoldFacts(hold_id=hold_id, kind=HoldKind.safeguarding, released_at=RELEASED if released else None)


def only(actions: list[Action]) -> Action:
    assert len(actions) == 1, actions
    return actions[0]


# --- archive ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "as_of", "expected_until"),
    [
        pytest.param(case(), D(2026, 3, 10), D(2027, 2, 1), id="window-from-last-correspondence"),
        pytest.param(
            case(closed_on=D(2026, 3, 10), last_correspondence=D(2026, 4, 20)),
            D(2026, 5, 1),
            D(2027, 4, 20),
            id="correspondence-dated-after-closure-counts",
        ),
        pytest.param(
            case(closed_on=D(2026, 1, 31), last_correspondence=None),
            D(2026, 1, 31),
            D(2027, 1, 31),
            id="no-correspondence-window-from-closure",
        ),
        pytest.param(
            case(closed_on=D(2026, 2, 2), last_correspondence=D(2026, 1, 31)),
            D(2026, 2, 2),
            D(2027, 1, 31),
            id="month-end-31-jan-plus-12-is-31-jan",
        ),
        pytest.param(
            case(closed_on=D(2026, 9, 1), last_correspondence=D(2026, 8, 31)),
            D(2026, 9, 1),
            D(2027, 8, 31),
            id="month-end-31-aug-plus-12-is-31-aug",
        ),
        pytest.param(
            case(closed_on=D(2028, 3, 1), last_correspondence=D(2028, 2, 29)),
            D(2028, 3, 1),
            D(2029, 3, 1),
            id="leap-day-letter-window-rolls-to-1-mar",
        ),
    ],
)
def test_a_closed_case_is_archived_from_its_closure_date(
    facts: CaseFacts, as_of: dt.date, expected_until: dt.date
) -> None:
    action = only(decide([person(facts)], SCHEDULE, as_of))
    assert action.kind is ActionKind.archive
    assert action.case_id == facts.case_id
    assert action.due_on == facts.closed_on
    assert action.archive_until == expected_until
    assert not action.held
    assert str(expected_until) in action.reason


@pytest.mark.parametrize(
    ("facts", "as_of"),
    [
        pytest.param(
            case(status=CaseStatus.open, closed_on=D(2026, 3, 10)),
            D(2027, 6, 1),
            id="closed-and-reopened-is-not-archived",
        ),
        pytest.param(case(status=CaseStatus.open, closed_on=None), D(2027, 6, 1), id="open-is-never-archived"),
        pytest.param(case(status=CaseStatus.restoring), D(2027, 6, 1), id="restoring-is-not-archived"),
        pytest.param(case(status=CaseStatus.archived), D(2029, 1, 1), id="archived-kept-after-window-by-default"),
        pytest.param(case(status=CaseStatus.destroyed), D(2027, 6, 1), id="destroyed-has-nothing-due"),
        pytest.param(case(closed_on=D(2026, 3, 10)), D(2026, 3, 9), id="day-before-closure-is-not-due"),
    ],
)
def test_nothing_is_due(facts: CaseFacts, as_of: dt.date) -> None:
    assert decide([person(facts)], SCHEDULE, as_of) == []


# --- archive window end (option: destroy) -------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "as_of", "due_on"),
    [
        pytest.param(
            case(status=CaseStatus.archived, archive_until=D(2027, 2, 1)),
            D(2027, 2, 1),
            D(2027, 2, 1),
            id="due-on-archive-until",
        ),
        pytest.param(
            case(status=CaseStatus.archived, archive_until=D(2027, 2, 1)),
            D(2027, 9, 1),
            D(2027, 2, 1),
            id="overdue-still-listed-with-its-due-date",
        ),
        pytest.param(
            case(status=CaseStatus.archived, archive_until=D(2027, 6, 1)),
            D(2027, 6, 1),
            D(2027, 6, 1),
            id="stored-window-later-than-reckoned-wins",
        ),
        pytest.param(
            case(status=CaseStatus.archived, last_correspondence=D(2026, 4, 20), archive_until=D(2027, 2, 1)),
            D(2027, 4, 20),
            D(2027, 4, 20),
            id="late-letter-extends-stored-window",
        ),
    ],
)
def test_archive_window_end_destroys_only_when_the_schedule_says_so(
    facts: CaseFacts, as_of: dt.date, due_on: dt.date
) -> None:
    assert decide([person(facts)], SCHEDULE, as_of) == []  # default: keep
    action = only(decide([person(facts)], DESTROY_AT_WINDOW_END, as_of))
    assert action.kind is ActionKind.expire_archive
    assert action.case_id == facts.case_id
    assert action.due_on == due_on
    assert action.rule_id == "archive-window-end"


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(case(status=CaseStatus.archived, archive_until=D(2027, 2, 1)), id="stored-window"),
        pytest.param(
            case(status=CaseStatus.archived, last_correspondence=D(2026, 4, 20), archive_until=D(2027, 2, 1)),
            id="late-letter",
        ),
    ],
)
def test_archive_window_end_is_not_due_the_day_before(facts: CaseFacts) -> None:
    due_on = only(decide([person(facts)], DESTROY_AT_WINDOW_END, D(2029, 1, 1))).due_on
    assert decide([person(facts)], DESTROY_AT_WINDOW_END, due_on - dt.timedelta(days=1)) == []


# --- destruction at 25 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "as_of", "due"),
    [
        pytest.param(D(2005, 6, 15), D(2030, 6, 15), True, id="on-25th-birthday-due"),
        pytest.param(D(2005, 6, 15), D(2030, 6, 14), False, id="day-before-25th-birthday-not-due"),
        pytest.param(D(2004, 2, 29), D(2029, 3, 1), True, id="leap-day-born-due-1-mar-common-year"),
        pytest.param(D(2004, 2, 29), D(2029, 2, 28), False, id="leap-day-born-not-due-28-feb"),
        pytest.param(D(2005, 6, 15), D(2031, 1, 1), True, id="overdue-still-due"),
    ],
)
def test_destruction_on_the_25th_birthday(born: dt.date, as_of: dt.date, due: bool) -> None:
    facts = person(case(status=CaseStatus.archived), born=born)
    actions = [a for a in decide([facts], SCHEDULE, as_of) if a.kind is ActionKind.destroy_person]
    if due:
        action = only(actions)
        assert action.due_on == destruction_date(born, SCHEDULE)
        assert action.case_id is None
        assert action.rule_id == "destroy-at-age"
    else:
        assert actions == []


def test_leap_day_birth_reaching_the_destruction_age_in_a_leap_year_is_due_on_29_february() -> None:
    # 25 is not a multiple of 4, so a 25th birthday is never in a leap year; a schedule
    # with age 28 shows the leap-year case.
    at_28 = dataclasses.replace(SCHEDULE, destruction=dataclasses.replace(SCHEDULE.destruction, age_years=28))
    assert destruction_date(D(2000, 2, 29), at_28) == D(2028, 2, 29)
    assert only(decide([person(born=D(2000, 2, 29))], at_28, D(2028, 2, 29))).kind is ActionKind.destroy_person
    assert decide([person(born=D(2000, 2, 29))], at_28, D(2028, 2, 28)) == []


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param((case(status=CaseStatus.closed),), id="closed-case-destroyed-not-archived"),
        pytest.param((case(status=CaseStatus.open, closed_on=None),), id="open-case-destroyed-too"),
        pytest.param(
            (case(10, CaseStatus.closed), case(11, CaseStatus.archived, archive_until=D(2027, 2, 1))),
            id="one-destruction-for-all-cases",
        ),
    ],
)
def test_destruction_beats_archive(cases: tuple[CaseFacts, ...]) -> None:
    facts = person(*cases, born=D(2001, 3, 1))  # 25 on 2026-03-01, before the closure on 2026-03-10
    action = only(decide([facts], DESTROY_AT_WINDOW_END, D(2027, 6, 1)))
    assert action.kind is ActionKind.destroy_person
    assert f"{len(cases)} case(s)" in action.reason


# --- holds --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person_holds", "case_holds", "other_case_holds", "held_by"),
    [
        pytest.param((hold(7),), (), (), (7,), id="hold-on-person"),
        pytest.param((), (hold(8),), (), (8,), id="hold-on-case"),
        pytest.param((hold(7),), (hold(9), hold(8)), (), (7, 8, 9), id="several-holds-all-listed"),
        pytest.param((), (), (hold(5),), (), id="hold-on-another-case-does-not-stop-this-one"),
        pytest.param((hold(7, released=True),), (hold(8, released=True),), (), (), id="released-holds-ignored"),
        pytest.param((hold(7, released=True),), (hold(8),), (), (8,), id="only-standing-holds-listed"),
    ],
)
def test_holds_mark_an_archive_as_held(
    person_holds: tuple[HoldFacts, ...],
    case_holds: tuple[HoldFacts, ...],
    other_case_holds: tuple[HoldFacts, ...],
    held_by: tuple[int, ...],
) -> None:
    facts = person(
        case(10, holds=case_holds),
        case(11, CaseStatus.archived, holds=other_case_holds),
        holds=person_holds,
    )
    action = only(decide([facts], SCHEDULE, D(2026, 4, 1)))
    assert action.kind is ActionKind.archive
    assert action.held is bool(held_by)
    assert action.hold_ids == held_by
    if held_by:
        assert "held by hold" in action.reason and "hold-stops-everything" in action.reason


@pytest.mark.parametrize(
    ("person_holds", "case_holds", "held_by"),
    [
        pytest.param((hold(7),), (), (7,), id="hold-on-person-stops-destruction"),
        pytest.param((), (hold(8),), (8,), id="hold-on-any-case-stops-destruction-of-the-person"),
        pytest.param((hold(7, released=True),), (), (), id="released-hold-does-not"),
    ],
)
def test_holds_mark_destruction_as_held(
    person_holds: tuple[HoldFacts, ...], case_holds: tuple[HoldFacts, ...], held_by: tuple[int, ...]
) -> None:
    facts = person(case(10, CaseStatus.archived), case(11, CaseStatus.archived, holds=case_holds), holds=person_holds)
    action = only(decide([facts], SCHEDULE, D(2030, 6, 15)))
    assert action.kind is ActionKind.destroy_person
    assert (action.held, action.hold_ids) == (bool(held_by), held_by)


def test_a_hold_marks_an_archive_expiry_as_held() -> None:
    facts = person(case(status=CaseStatus.archived, archive_until=D(2027, 2, 1), holds=(hold(3),)))
    action = only(decide([facts], DESTROY_AT_WINDOW_END, D(2027, 2, 1)))
    assert (action.kind, action.held, action.hold_ids) == (ActionKind.expire_archive, True, (3,))


# --- every decision says why -----------------------------------------------------------------------


def test_every_action_carries_version_rule_and_a_reason_without_personal_data() -> None:
    people = [
        person(case(10), born=D(2005, 6, 15)),
        dataclasses.replace(person(case(20, CaseStatus.archived), born=D(2001, 2, 17)), person_id=2),
        dataclasses.replace(
            person(case(30, CaseStatus.archived, archive_until=D(2027, 2, 1)), born=D(2006, 9, 9)), person_id=3
        ),
    ]
    actions = decide(people, DESTROY_AT_WINDOW_END, D(2027, 3, 1))
    assert {(a.kind, a.rule_id) for a in actions} == {
        (ActionKind.archive, "archive-on-closure"),
        (ActionKind.destroy_person, "destroy-at-age"),
        (ActionKind.expire_archive, "archive-window-end"),
    }
    births = {p.person_id: p.date_of_birth for p in people}
    for action in actions:
        assert action.schedule_version == "2026.1"
        assert action.reason
        assert str(births[action.person_id]) not in action.reason
        assert action.pseudonym not in action.reason
    assert [a.due_on for a in actions] == sorted(a.due_on for a in actions)


def test_a_closed_case_without_a_closure_date_is_refused() -> None:
    with pytest.raises(InvalidInput, match="case 10 is closed but has no closure date"):
        case(10, CaseStatus.closed, closed_on=None)


# --- referrals and restore ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "referral_date", "allowed"),
    [
        pytest.param(D(2001, 6, 15), D(2026, 6, 14), True, id="24-years-364-days-allowed"),
        pytest.param(D(2001, 6, 15), D(2026, 6, 15), False, id="25th-birthday-refused"),
        pytest.param(D(1990, 1, 1), D(2026, 6, 15), False, id="well-over-25-refused"),
        pytest.param(D(2004, 2, 29), D(2029, 2, 28), True, id="leap-day-born-allowed-28-feb"),
        pytest.param(D(2004, 2, 29), D(2029, 3, 1), False, id="leap-day-born-refused-1-mar"),
    ],
)
def test_referral_age_check(born: dt.date, referral_date: dt.date, allowed: bool) -> None:
    if allowed:
        check_referral_allowed(born, referral_date, SCHEDULE)
        return
    with pytest.raises(InvalidInput) as caught:
        check_referral_allowed(born, referral_date, SCHEDULE)
    assert caught.value.field == "referral_date"
    assert f"25 or older on the referral date {referral_date}" in caught.value.detail
    assert str(born) not in caught.value.detail


def test_a_referral_before_birth_is_refused() -> None:
    with pytest.raises(InvalidInput, match="before the young person's date of birth"):
        check_referral_allowed(D(2010, 1, 1), D(2009, 12, 31), SCHEDULE)


def test_a_new_referral_restores_archived_cases_even_when_held() -> None:
    facts = person(
        case(10, CaseStatus.archived, holds=(hold(4),)),
        case(11, CaseStatus.archived),
        case(12, CaseStatus.closed),
        case(13, CaseStatus.open, closed_on=None),
        holds=(hold(5),),
    )
    actions = cases_to_restore_on_referral(facts, referral_date=D(2027, 5, 2), schedule=SCHEDULE)
    assert [(a.kind, a.case_id, a.held) for a in actions] == [
        (ActionKind.restore, 10, False),
        (ActionKind.restore, 11, False),
    ]
    assert all(a.rule_id == "restore-on-referral" and a.due_on == D(2027, 5, 2) for a in actions)


def test_a_refused_referral_restores_nothing() -> None:
    facts = person(case(10, CaseStatus.archived), born=D(2001, 6, 15))
    with pytest.raises(InvalidInput):
        cases_to_restore_on_referral(facts, referral_date=D(2026, 6, 15), schedule=SCHEDULE)


# --- properties over many generated lives --------------------------------------------------------


def _age(born: dt.date, on: dt.date) -> int:
    """Independent of the code under test: compare (month, day) the way people count birthdays."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _full_months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _random_person(rng: random.Random, person_id: int) -> PersonFacts:
    born = D(1995, 1, 1) + dt.timedelta(days=rng.randrange(0, 20 * 366))
    if rng.random() < 0.1:
        born = D(rng.choice([1996, 2000, 2004, 2008, 2012]), 2, 29)
    cases = []
    for case_id in range(person_id * 10, person_id * 10 + rng.randrange(1, 4)):
        status = rng.choice(list(CaseStatus))
        referral = born + dt.timedelta(days=rng.randrange(365, 24 * 365))
        closed_on = referral + dt.timedelta(days=rng.randrange(0, 3 * 365))
        if status is CaseStatus.open and rng.random() < 0.5:
            closed_on = None
        letter = rng.choice([None, referral + dt.timedelta(days=rng.randrange(0, 4 * 365))])
        stored = rng.choice([None, closed_on + dt.timedelta(days=rng.randrange(0, 800)) if closed_on else None])
        holds = tuple(hold(case_id * 100 + n, released=rng.random() < 0.5) for n in range(rng.randrange(0, 2)))
        if status is not CaseStatus.archived:
            stored = None
        cases.append(CaseFacts(case_id, status, referral, closed_on, letter, stored, holds))
    person_holds = tuple(hold(person_id * 1000, released=rng.random() < 0.5) for _ in range(rng.randrange(0, 2)))
    return PersonFacts(person_id, f"p_{person_id:06d}", born, tuple(cases), person_holds)


@pytest.mark.parametrize("schedule", [SCHEDULE, DESTROY_AT_WINDOW_END], ids=["keep", "destroy-at-window-end"])
def test_nothing_is_ever_due_early(schedule: Schedule) -> None:
    rng = random.Random(25)
    for person_id in range(1, 3001):
        facts = _random_person(rng, person_id)
        as_of = facts.date_of_birth + dt.timedelta(days=rng.randrange(0, 30 * 366))
        cases = {c.case_id: c for c in facts.cases}
        standing = {h.hold_id for h in facts.holds if h.stands}
        for action in decide([facts], schedule, as_of):
            assert action.due_on <= as_of
            if action.kind is ActionKind.destroy_person:
                assert _age(facts.date_of_birth, action.due_on) >= 25, (facts, action)
                assert _age(facts.date_of_birth, action.due_on - dt.timedelta(days=1)) < 25, (facts, action)
                continue
            # Destruction beats everything else: nothing else is due for a person aged 25.
            assert _age(facts.date_of_birth, as_of) < 25, (facts, action)
            target = cases[action.case_id]
            assert target.closed_on is not None
            assert action.due_on >= target.closed_on, (target, action)
            if action.kind is ActionKind.archive:
                assert target.status is CaseStatus.closed
                assert all(c.status is not CaseStatus.open for c in facts.cases), (facts, action)
                start = target.last_correspondence or target.closed_on
                assert _full_months(start, action.archive_until) >= 12
            else:
                assert action.kind is ActionKind.expire_archive and target.status is CaseStatus.archived
                assert _full_months(target.last_correspondence or target.closed_on, action.due_on) >= 12
                assert target.archive_until is None or action.due_on >= target.archive_until
            expected_holds = standing | {h.hold_id for h in target.holds if h.stands}
            assert set(action.hold_ids) == expected_holds and action.held is bool(expected_holds)


@pytest.mark.parametrize(
    ("last_correspondence", "closed_on", "expected"),
    [
        pytest.param(None, D(2026, 1, 31), D(2027, 1, 31), id="no-correspondence-counts-from-closure"),
        pytest.param(D(2026, 4, 20), D(2026, 3, 10), D(2027, 4, 20), id="letter-after-closure-counts"),
        pytest.param(D(2026, 2, 1), D(2026, 3, 10), D(2027, 2, 1), id="letter-before-closure-counts"),
        pytest.param(D(2024, 1, 5), D(2026, 3, 10), D(2026, 3, 10), id="window-over-before-closure-ends-at-closure"),
    ],
)
def test_archive_until(last_correspondence: dt.date | None, closed_on: dt.date, expected: dt.date) -> None:
    assert archive_until(last_correspondence, closed_on, SCHEDULE) == expected


# --- earlier cases beside an open one ---------------------------------------------------------


def test_a_closed_case_is_not_archived_while_the_person_has_an_open_case() -> None:
    beside_open = person(case(10), case(11, CaseStatus.open, closed_on=None))
    assert decide([beside_open], SCHEDULE, D(2026, 6, 1)) == []
    alone = person(case(10), case(11, CaseStatus.closed, closed_on=D(2026, 5, 1)))
    assert [(a.kind, a.case_id) for a in decide([alone], SCHEDULE, D(2026, 6, 1))] == [
        (ActionKind.archive, 10),
        (ActionKind.archive, 11),
    ]


def test_a_restored_case_archives_again_with_its_window_as_it_was() -> None:
    """Restored (closed again, archive_until kept): once no case is open it archives at once,
    its window not shortened, nor restarted from the day it archives again."""
    restored = person(case(10, archive_until=D(2027, 6, 30)), case(11, CaseStatus.closed, closed_on=D(2027, 1, 5)))
    action = next(a for a in decide([restored], SCHEDULE, D(2027, 2, 1)) if a.case_id == 10)
    assert (action.kind, action.due_on, action.archive_until) == (ActionKind.archive, CLOSED_ON, D(2027, 6, 30))


@pytest.mark.parametrize(
    ("other", "open_case"),
    [
        pytest.param(case(11, CaseStatus.open, closed_on=None), True, id="open-case-needs-approval"),
        pytest.param(case(11, CaseStatus.archived), False, id="no-open-case"),
    ],
)
def test_destroying_a_person_with_an_open_case_is_marked(other: CaseFacts, open_case: bool) -> None:
    action = only(decide([person(case(10, CaseStatus.archived), other)], SCHEDULE, D(2030, 6, 15)))
    assert (action.kind, action.open_case) == (ActionKind.destroy_person, open_case)

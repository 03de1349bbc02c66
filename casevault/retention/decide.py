"""Pure retention decisions: given facts about people and their cases, what is due and why.

No database, storage or clock here. The sweep builds ``PersonFacts`` from rows,
calls ``decide``, and acts on the unheld actions, checking holds again at the
moment of acting. Every ``Action`` carries the rule id and schedule version that
made it and a reason made of ids and dates only (no names, no dates of birth).

Order of precedence for one person:
1. On or after the destruction date (25th birthday) only ``destroy_person`` is due:
   destruction beats archive, so a closed case is destroyed, not archived first.
2. Otherwise, per case: a ``closed`` case is archived from its closure date, but
   not while the person has an ``open`` case (a re-referral brought the earlier cases
   back to work beside it; once no case is open, the next sweep archives them, their
   window kept as it was); an ``archived`` case whose window has ended is destroyed
   only if the schedule's expiry action is ``destroy``. ``open`` and ``restoring``
   cases (including a case closed and re-opened) are never archived.
Held actions are still returned, with ``held=True`` and the hold ids, so the due
list can show them; the sweep must skip them.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from casevault.core.errors import InvalidInput
from casevault.core.models import CaseStatus, HoldKind
from casevault.retention.dates import add_months, add_years
from casevault.retention.schedule import ExpiryAction, Schedule

# --- facts (built by the sweep from database rows) -----------------------------------


@dataclass(frozen=True)
class HoldFacts:
    hold_id: int
    kind: HoldKind
    released_at: dt.datetime | None = None

    @property
    def stands(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class CaseFacts:
    case_id: int
    status: CaseStatus
    referral_date: dt.date
    closed_on: dt.date | None = None
    last_correspondence: dt.date | None = None
    archive_until: dt.date | None = None  # as stored on the case, if it has been archived
    holds: tuple[HoldFacts, ...] = ()  # holds placed on this case
    reference: str = ""  # the case reference officers use (policy-update notices)

    def __post_init__(self) -> None:
        object.__setattr__(self, "holds", tuple(self.holds))
        # A closed or archived case without a closure date has no archive window; refuse
        # loudly rather than guess one.
        if self.status in (CaseStatus.closed, CaseStatus.archived) and self.closed_on is None:
            raise InvalidInput(f"case {self.case_id} is {self.status.value} but has no closure date", field="closed_on")


@dataclass(frozen=True)
class PersonFacts:
    person_id: int
    pseudonym: str
    date_of_birth: dt.date | None  # None: recorded without one (anonymous contact)
    cases: tuple[CaseFacts, ...] = ()
    holds: tuple[HoldFacts, ...] = ()  # holds placed on the person

    def __post_init__(self) -> None:
        object.__setattr__(self, "cases", tuple(self.cases))
        object.__setattr__(self, "holds", tuple(self.holds))


# --- actions -----------------------------------------------------------------------------


class ActionKind(str, enum.Enum):
    archive = "archive"  # move one closed case's documents to the archive tier
    expire_archive = "expire_archive"  # window ended and the schedule says destroy: that case's documents
    destroy_person = "destroy_person"  # everything about the person, every case
    restore = "restore"  # bring one archived case back to active (new referral)


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    person_id: int
    pseudonym: str
    case_id: int | None  # None: the action is about the whole person
    rule_id: str
    schedule_version: str
    due_on: dt.date
    reason: str  # ids and dates only
    held: bool = False
    hold_ids: tuple[int, ...] = ()
    archive_until: dt.date | None = None  # for ``archive``: the window end to record on the case
    # For ``destroy_person``: the person has an open case, so a manager approves first,
    # whether or not the service asks for approval of every destruction.
    open_case: bool = False


# --- helpers the API and the sweep call directly ------------------------------------------


def archive_until(last_correspondence: dt.date | None, closed_on: dt.date, schedule: Schedule) -> dt.date:
    """When a closed case's archive window ends: last correspondence + the window.

    Correspondence dated after the closure counts (a letter can arrive late); with no
    correspondence at all, the window runs from the closure date. A window that ended
    before the case closed (last letter long before closure) ends on the closure date:
    a case's archive window cannot be over before it was archived.
    """
    start = last_correspondence if last_correspondence is not None else closed_on
    return max(add_months(start, schedule.archive.window_months), closed_on)


def destruction_date(date_of_birth: dt.date, schedule: Schedule) -> dt.date:
    """The birthday on which everything about the person is destroyed (29 Feb → 1 Mar)."""
    return add_years(date_of_birth, schedule.destruction.age_years)


def check_referral_allowed(date_of_birth: dt.date, referral_date: dt.date, schedule: Schedule) -> None:
    """Refuse a referral for a person who has reached the destruction age on the referral date."""
    if referral_date < date_of_birth:
        raise InvalidInput("the referral date is before the young person's date of birth", field="referral_date")
    age = schedule.destruction.age_years
    if referral_date >= destruction_date(date_of_birth, schedule):
        raise InvalidInput(
            f"referral refused: the young person is {age} or older on the referral date {referral_date}."
            f" The service keeps records only until the young person reaches {age}"
            f" (rule {schedule.destruction.rule_id}, schedule {schedule.version}).",
            field="referral_date",
        )


def cases_to_restore_on_referral(person: PersonFacts, *, referral_date: dt.date, schedule: Schedule) -> list[Action]:
    """The person's archived cases to bring back to active because of a new referral.

    Holds do not block a restore: restoring moves data back to the active tier and
    destroys nothing, and a hold exists to stop data being moved away or destroyed.
    A referral the schedule refuses (age) restores nothing: it raises InvalidInput.
    """
    if person.date_of_birth is not None:
        check_referral_allowed(person.date_of_birth, referral_date, schedule)
    return [
        Action(
            kind=ActionKind.restore,
            person_id=person.person_id,
            pseudonym=person.pseudonym,
            case_id=case.case_id,
            rule_id=schedule.restore_rule_id,
            schedule_version=schedule.version,
            due_on=referral_date,
            reason=(
                f"case {case.case_id} is archived and person {person.person_id} was referred again on {referral_date}"
            ),
        )
        for case in sorted(person.cases, key=lambda case: case.case_id)
        if case.status is CaseStatus.archived
    ]


# --- the decision ----------------------------------------------------------------------------


def decide(facts: Iterable[PersonFacts], schedule: Schedule, as_of: dt.date) -> list[Action]:
    """Every action due on or before ``as_of``, held ones included, in due-date order."""
    actions = [action for person in facts for action in decide_person(person, schedule, as_of)]
    return sorted(actions, key=lambda a: (a.due_on, a.person_id, a.case_id or 0, a.kind.value))


def decide_person(person: PersonFacts, schedule: Schedule, as_of: dt.date) -> list[Action]:
    destroy = _destruction(person, schedule, as_of)
    if destroy is not None:
        return [destroy]  # destruction beats archive: nothing else is worth moving
    actions: list[Action] = []
    for case in person.cases:
        action = _archive(person, case, schedule, as_of) or _expire_archive(person, case, schedule, as_of)
        if action is not None:
            actions.append(action)
    return actions


def _destruction(person: PersonFacts, schedule: Schedule, as_of: dt.date) -> Action | None:
    if person.date_of_birth is None:
        return _undated_destruction(person, schedule, as_of)
    due_on = destruction_date(person.date_of_birth, schedule)
    if as_of < due_on:
        return None
    # Destroying the person destroys every case and the data key, so a hold on any one
    # of their cases stops it too.
    hold_ids = _standing(person.holds, *(case.holds for case in person.cases))
    remaining = [case for case in person.cases if case.status is not CaseStatus.destroyed]
    open_cases = sum(case.status in (CaseStatus.open, CaseStatus.restoring) for case in remaining)
    reason = (
        f"person {person.person_id} reached age {schedule.destruction.age_years} on {due_on}:"
        f" destroy everything, {len(remaining)} case(s) ({open_cases} open or restoring)"
    )
    return _action(
        ActionKind.destroy_person,
        person=person,
        case_id=None,
        rule_id=schedule.destruction.rule_id,
        schedule=schedule,
        due_on=due_on,
        reason=reason,
        hold_ids=hold_ids,
        open_case=has_open_case(person),
    )


def _undated_destruction(person: PersonFacts, schedule: Schedule, as_of: dt.date) -> Action | None:
    """No date of birth: due when every case is archived (or gone) and the last archive window
    has ended. Someone with no case, or a case still in use, is not due."""
    remaining = [case for case in person.cases if case.status is not CaseStatus.destroyed]
    if not remaining or any(case.status is not CaseStatus.archived for case in remaining):
        return None
    due_on = max(_window_end(case, schedule) for case in remaining)
    if as_of < due_on:
        return None
    reason = (
        f"person {person.person_id} has no date of birth and every case's archive window ended by {due_on}:"
        f" destroy everything, {len(remaining)} case(s)"
    )
    return _action(
        ActionKind.destroy_person,
        person=person,
        case_id=None,
        rule_id=schedule.undated_rule_id,
        schedule=schedule,
        due_on=due_on,
        reason=reason,
        hold_ids=_standing(person.holds, *(case.holds for case in person.cases)),
        open_case=False,
    )


def _window_end(case: CaseFacts, schedule: Schedule) -> dt.date:
    """The later of the stored window end and today's reckoning (as the archive expiry takes it)."""
    assert case.closed_on is not None  # CaseFacts refuses an archived case without one
    computed = archive_until(case.last_correspondence, case.closed_on, schedule)
    return max(computed, case.archive_until) if case.archive_until is not None else computed


def _archive(person: PersonFacts, case: CaseFacts, schedule: Schedule, as_of: dt.date) -> Action | None:
    # Only status closed is archived: an open case (even one closed before and re-opened)
    # is in use, and archived/restoring/destroyed cases are already on their way.
    if case.status is not CaseStatus.closed or has_open_case(person):
        return None
    assert case.closed_on is not None  # CaseFacts refuses a closed case without one
    due_on = case.closed_on
    if as_of < due_on:
        return None
    until = archive_until(case.last_correspondence, case.closed_on, schedule)
    if case.archive_until is not None:  # archived before and restored: its window is not shortened
        until = max(until, case.archive_until)
    started = "last correspondence" if case.last_correspondence is not None else "closure"
    reason = (
        f"case {case.case_id} closed on {case.closed_on}: archive until {until}"
        f" ({started} + {schedule.archive.window_months} months)"
    )
    hold_ids = _standing(person.holds, case.holds)
    return _action(
        ActionKind.archive,
        person=person,
        case_id=case.case_id,
        rule_id=schedule.archive.rule_id,
        schedule=schedule,
        due_on=due_on,
        reason=reason,
        hold_ids=hold_ids,
        until=until,
    )


def _expire_archive(person: PersonFacts, case: CaseFacts, schedule: Schedule, as_of: dt.date) -> Action | None:
    if case.status is not CaseStatus.archived or schedule.archive_expiry.action is not ExpiryAction.destroy:
        return None
    assert case.closed_on is not None
    # The later of the stored window and today's reckoning: a letter dated late or a
    # schedule that shortened the window never releases anything early.
    computed = archive_until(case.last_correspondence, case.closed_on, schedule)
    due_on = max(computed, case.archive_until) if case.archive_until is not None else computed
    if as_of < due_on:
        return None
    reason = f"case {case.case_id} archive window ended on {due_on}: the schedule destroys archived documents then"
    hold_ids = _standing(person.holds, case.holds)
    return _action(
        ActionKind.expire_archive,
        person=person,
        case_id=case.case_id,
        rule_id=schedule.archive_expiry.rule_id,
        schedule=schedule,
        due_on=due_on,
        reason=reason,
        hold_ids=hold_ids,
    )


def has_open_case(person: PersonFacts) -> bool:
    """An open case keeps the person's earlier cases active and needs a manager's
    approval before the person is destroyed."""
    return any(case.status is CaseStatus.open for case in person.cases)


def _standing(*hold_groups: Sequence[HoldFacts]) -> tuple[int, ...]:
    return tuple(sorted({hold.hold_id for group in hold_groups for hold in group if hold.stands}))


def _action(
    kind: ActionKind,
    *,
    person: PersonFacts,
    case_id: int | None,
    rule_id: str,
    schedule: Schedule,
    due_on: dt.date,
    reason: str,
    hold_ids: tuple[int, ...],
    until: dt.date | None = None,
    open_case: bool = False,
) -> Action:
    if hold_ids:
        listed = ", ".join(str(hold_id) for hold_id in hold_ids)
        reason += f"; held by hold {listed} (rule {schedule.hold_rule_id}): not to be carried out while it stands"
    return Action(
        kind=kind,
        person_id=person.person_id,
        pseudonym=person.pseudonym,
        case_id=case_id,
        rule_id=rule_id,
        schedule_version=schedule.version,
        due_on=due_on,
        reason=reason,
        held=bool(hold_ids),
        hold_ids=hold_ids,
        archive_until=until,
        open_case=open_case,
    )

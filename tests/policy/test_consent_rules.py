"""When the young person's own consent is to be asked again: at 12 and at 16."""

from __future__ import annotations

import datetime as dt

import pytest

from casevault.core.consent import age_on, review_due
from casevault.core.models import Consent, ConsentGiver, ConsentScope

BORN = dt.date(2012, 3, 4)


def _given(by: ConsentGiver, on: dt.date, withdrawn: bool = False) -> Consent:
    return Consent(
        person_id=1,
        scope=ConsentScope.record_personal_details,
        given_on=on,
        given_by=by,
        withdrawn_on=on if withdrawn else None,
    )


@pytest.mark.parametrize(
    "today, consents, due",
    [
        (dt.date(2024, 3, 3), [], None),  # 11: nothing asked of her yet
        (dt.date(2024, 3, 4), [], 12),  # her 12th birthday
        (dt.date(2024, 3, 4), [_given(ConsentGiver.parent_carer, dt.date(2024, 3, 4))], 12),  # a parent's is not hers
        (dt.date(2025, 1, 1), [_given(ConsentGiver.young_person, dt.date(2024, 3, 4))], None),
        (dt.date(2025, 1, 1), [_given(ConsentGiver.young_person, dt.date(2024, 3, 3))], 12),  # asked at 11
        (dt.date(2025, 1, 1), [_given(ConsentGiver.young_person, dt.date(2024, 5, 1), withdrawn=True)], 12),
        (dt.date(2028, 3, 4), [_given(ConsentGiver.young_person, dt.date(2024, 5, 1))], 16),
        (dt.date(2029, 1, 1), [_given(ConsentGiver.young_person, dt.date(2028, 3, 4))], None),
    ],
)
def test_her_own_consent_is_asked_again_at_12_and_16(today: dt.date, consents: list[Consent], due: int | None) -> None:
    assert review_due(BORN, consents, today=today) == due


def test_age_counts_whole_years_and_leap_birthdays() -> None:
    assert age_on(BORN, dt.date(2024, 3, 3)) == 11
    assert age_on(BORN, dt.date(2024, 3, 4)) == 12
    assert age_on(dt.date(2012, 2, 29), dt.date(2024, 2, 28)) == 11
    assert age_on(dt.date(2012, 2, 29), dt.date(2024, 2, 29)) == 12

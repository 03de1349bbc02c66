"""The release rules as a table: who may receive a young person's information, and which of
their documents, by age, refusal, who provided each document, consent and exception."""

from __future__ import annotations

import pytest

from casevault.core.models import ConsentScope, ProvidedBy
from casevault.core.release import Basis, Item, Recipient, Subject, may_release

PARENTS = frozenset({Recipient.parent_carer})
SHARE = frozenset({ConsentScope.share_with_parent})
PROFESSIONALS = frozenset({ConsentScope.contact_professionals})

# subject, recipient, basis, representative authority -> allowed, words of the reason
CASES = {
    "16 gets her own records": (Subject(age=16), Recipient.young_person, Basis.consent, False, True, "16 or over"),
    "17 gets his own records": (Subject(age=17), Recipient.young_person, Basis.consent, False, True, "16 or over"),
    "15 without maturity recorded": (Subject(age=15), Recipient.young_person, Basis.consent, False, False, "maturity"),
    "15 with maturity recorded": (
        Subject(age=15, maturity_recorded=True),
        Recipient.young_person,
        Basis.consent,
        False,
        True,
        "maturity",
    ),
    "12 with maturity recorded": (
        Subject(age=12, maturity_recorded=True),
        Recipient.young_person,
        Basis.consent,
        False,
        True,
        "maturity",
    ),
    "11 even with maturity: through a parent": (
        Subject(age=11, maturity_recorded=True),
        Recipient.young_person,
        Basis.consent,
        False,
        False,
        "parent",
    ),
    "under 12: through a parent": (Subject(age=8), Recipient.young_person, Basis.consent, False, False, "parent"),
    "a parent, no refusal": (Subject(age=13), Recipient.parent_carer, Basis.consent, False, True, "parent"),
    "a parent refused by the young person": (
        Subject(age=13, refused=PARENTS),
        Recipient.parent_carer,
        Basis.consent,
        False,
        False,
        "refused",
    ),
    "a refusal of parents leaves the school to its consent": (
        Subject(age=13, refused=PARENTS, consents=PROFESSIONALS),
        Recipient.school,
        Basis.consent,
        False,
        True,
        "contact_professionals",
    ),
    "a school without contact_professionals": (
        Subject(age=13),
        Recipient.school,
        Basis.consent,
        False,
        False,
        "contact_professionals",
    ),
    "a council with contact_professionals": (
        Subject(age=13, consents=PROFESSIONALS),
        Recipient.council,
        Basis.consent,
        False,
        True,
        "contact_professionals",
    ),
    "a school the young person refused": (
        Subject(age=14, refused=frozenset({Recipient.school}), consents=PROFESSIONALS),
        Recipient.school,
        Basis.consent,
        False,
        False,
        "refused",
    ),
    "a representative without authority": (
        Subject(age=17),
        Recipient.representative,
        Basis.consent,
        False,
        False,
        "authority",
    ),
    "a representative with authority": (
        Subject(age=17),
        Recipient.representative,
        Basis.consent,
        True,
        True,
        "authority",
    ),
    "the police on consent": (Subject(age=14), Recipient.police, Basis.consent, False, False, "contact_professionals"),
    "risk of harm overrides a refusal": (
        Subject(age=14, refused=PARENTS),
        Recipient.parent_carer,
        Basis.risk_of_harm,
        False,
        True,
        "risk_of_harm",
    ),
    "illegal activity, to the police": (
        Subject(age=14),
        Recipient.police,
        Basis.illegal_activity,
        False,
        True,
        "illegal_activity",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_who_may_receive_information(name: str) -> None:
    subject, recipient, basis, authority, allowed, words = CASES[name]
    release = may_release(subject, recipient, basis=basis, representative_authority=authority)
    assert release.allowed is allowed
    assert words in release.reason


LETTER = Item(1, ProvidedBy.young_person)
REPORT = Item(2, ProvidedBy.school)

# subject, recipient -> for each of (her letter, the school's report): disclosed?
DOCUMENTS = {
    "a parent without share_with_parent gets the report only": (Subject(age=13), Recipient.parent_carer, (False, True)),
    "a parent with share_with_parent gets both": (
        Subject(age=13, consents=SHARE),
        Recipient.parent_carer,
        (True, True),
    ),
    "share_with_parent does not undo a refusal": (
        Subject(age=13, consents=SHARE, refused=PARENTS),
        Recipient.parent_carer,
        (False, False),
    ),
    "the young person gets her own letter": (Subject(age=16), Recipient.young_person, (True, True)),
    "a school with consent gets both": (Subject(age=13, consents=PROFESSIONALS), Recipient.school, (True, True)),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_each_document_is_marked_disclosed_or_withheld_with_its_reason(name: str) -> None:
    subject, recipient, expected = DOCUMENTS[name]
    release = may_release(subject, recipient, [LETTER, REPORT])
    assert tuple(mark.disclosed for mark in release.documents) == expected
    assert [mark.document_id for mark in release.documents] == [1, 2]
    assert all(mark.reason for mark in release.documents)


def test_a_withheld_letter_says_the_young_person_did_not_consent_to_share_it() -> None:
    letter = may_release(Subject(age=13), Recipient.parent_carer, [LETTER]).documents[0]
    assert not letter.disclosed and "share_with_parent" in letter.reason

"""Who may receive what under a subject access request: every document and note marked
disclosed, partly disclosed or withheld, with the reason, by the one set of release rules."""

from __future__ import annotations

import pytest

from casevault.core.models import ConsentScope, ItemDecision, ProvidedBy, RequesterKind
from casevault.core.release import Recipient, Subject
from casevault.policy.recipients import decide

DISCLOSED, PARTLY, WITHHELD = ItemDecision.disclosed, ItemDecision.partly_disclosed, ItemDecision.withheld
SCHOOL_LETTER, HER_LETTER, REDACTED_REPORT = 1, 2, 3
DOCUMENTS = [
    (SCHOOL_LETTER, ProvidedBy.school),
    (HER_LETTER, ProvidedBy.young_person),
    (REDACTED_REPORT, ProvidedBy.professional),
]
NOTE = 10
PARENTS = frozenset({Recipient.parent_carer})
SHARE = frozenset({ConsentScope.share_with_parent})


@pytest.mark.parametrize(
    ("case", "subject", "requester", "authority", "marks", "reason_has"),
    [
        ("young person of 16", Subject(age=16), RequesterKind.young_person, False,
         (DISCLOSED, DISCLOSED, PARTLY, DISCLOSED), "16 or over"),
        ("young person of 14, maturity recorded", Subject(age=14, maturity_recorded=True),
         RequesterKind.young_person, False, (DISCLOSED, DISCLOSED, PARTLY, DISCLOSED), "maturity"),
        ("young person of 14, no maturity recorded", Subject(age=14), RequesterKind.young_person, False,
         (WITHHELD, WITHHELD, WITHHELD, WITHHELD), "maturity and capacity are not recorded"),
        ("child of 11 asks herself", Subject(age=11, maturity_recorded=True), RequesterKind.young_person, False,
         (WITHHELD, WITHHELD, WITHHELD, WITHHELD), "through a parent or carer"),
        ("parent of a child of 11", Subject(age=11), RequesterKind.parent_carer, False,
         (DISCLOSED, WITHHELD, PARTLY, DISCLOSED), "parent or carer"),
        ("parent, her letter with share_with_parent", Subject(age=14, consents=SHARE), RequesterKind.parent_carer,
         False, (DISCLOSED, DISCLOSED, PARTLY, DISCLOSED), "parent or carer"),
        ("parent refused by the young person", Subject(age=14, refused=PARENTS, consents=SHARE),
         RequesterKind.parent_carer, False, (WITHHELD, WITHHELD, WITHHELD, WITHHELD), "refused access"),
        ("representative without authority", Subject(age=17), RequesterKind.representative, False,
         (WITHHELD, WITHHELD, WITHHELD, WITHHELD), "authority"),
        ("representative with authority", Subject(age=17), RequesterKind.representative, True,
         (DISCLOSED, DISCLOSED, PARTLY, DISCLOSED), "authority is recorded"),
    ],
)  # fmt: skip
def test_who_may_receive_what(
    case: str,
    subject: Subject,
    requester: RequesterKind,
    authority: bool,
    marks: tuple[ItemDecision, ...],
    reason_has: str,
) -> None:
    decisions = decide(
        subject,
        requester,
        documents=DOCUMENTS,
        note_ids=[NOTE],
        redacted=frozenset({REDACTED_REPORT}),
        authority_recorded=authority,
    )

    assert tuple(d.decision for d in decisions) == marks, case
    assert [(d.document_id, d.note_id) for d in decisions] == [(1, None), (2, None), (3, None), (None, NOTE)]
    assert all(d.reason for d in decisions)
    assert reason_has in decisions[0].reason, (case, decisions[0].reason)


def test_her_own_letter_withheld_from_a_parent_says_why() -> None:
    decisions = decide(Subject(age=14), RequesterKind.parent_carer, documents=DOCUMENTS)
    letter = next(d for d in decisions if d.document_id == HER_LETTER)
    assert letter.decision is WITHHELD
    assert "provided by the young person" in letter.reason and "share_with_parent" in letter.reason


def test_a_redaction_of_a_withheld_document_leaves_it_withheld() -> None:
    decisions = decide(
        Subject(age=14), RequesterKind.parent_carer, documents=DOCUMENTS, redacted=frozenset({HER_LETTER})
    )
    assert next(d for d in decisions if d.document_id == HER_LETTER).decision is WITHHELD
    assert next(d for d in decisions if d.document_id == SCHOOL_LETTER).decision is DISCLOSED


def test_a_partly_disclosed_document_says_it_is_redacted() -> None:
    decisions = decide(Subject(age=17), RequesterKind.young_person, documents=DOCUMENTS, redacted=frozenset({3}))
    assert "redaction log" in next(d for d in decisions if d.document_id == REDACTED_REPORT).reason


def test_notes_go_with_the_case() -> None:
    allowed = decide(Subject(age=17), RequesterKind.young_person, documents=[], note_ids=[1, 2])
    refused = decide(Subject(age=17, refused=PARENTS), RequesterKind.parent_carer, documents=[], note_ids=[1])
    assert [d.decision for d in allowed] == [DISCLOSED, DISCLOSED] and "case note" in allowed[0].reason
    assert refused[0].decision is WITHHELD and "refused" in refused[0].reason

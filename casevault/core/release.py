"""The release rules: whether information about a young person may go to someone, and which
of their documents. One pure function, used by every path that releases information (the
disclosure register; a subject access request next), so the policy is applied one way:

- the young person themselves: directly from 16; from 12 to 15 when the officer has
  recorded their maturity and capacity; under 12 through a parent or carer;
- a parent or carer: unless the young person refused access by parents and carers;
  documents the young person provided only with their consent to share them
  (``share_with_parent``), and never while a refusal covers parents;
- a representative: only with their authority recorded;
- schools, councils, professionals and anyone else: with permission to contact
  professionals (``contact_professionals``), unless the young person refused them;
- the policy's only exceptions (risk of harm, illegal activity) release without consent.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from casevault.core.models import ConsentScope, ProvidedBy


class Recipient(str, enum.Enum):
    young_person = "young_person"
    parent_carer = "parent_carer"
    representative = "representative"
    school = "school"
    council = "council"
    professional = "professional"
    police = "police"
    other = "other"


class Basis(str, enum.Enum):
    consent = "consent"
    risk_of_harm = "risk_of_harm"
    illegal_activity = "illegal_activity"


EXCEPTIONS = frozenset({Basis.risk_of_harm, Basis.illegal_activity})
# Who a young person can refuse: everyone but themselves.
REFUSABLE = frozenset(Recipient) - {Recipient.young_person}
DIRECT_AGE = 16  # released to the young person directly
GUIDE_AGE = 12  # the policy's guide age for maturity and capacity


@dataclass(frozen=True)
class Subject:
    """What the rules need to know of the young person, as it stands now."""

    age: int | None  # None: not known (anonymous contact)
    maturity_recorded: bool = False  # the officer recorded maturity and capacity
    refused: frozenset[Recipient] = frozenset()  # a standing refusal of access
    consents: frozenset[ConsentScope] = frozenset()  # standing consents


@dataclass(frozen=True)
class Item:
    document_id: int
    provided_by: ProvidedBy


@dataclass(frozen=True)
class Marked:
    document_id: int
    disclosed: bool
    reason: str


@dataclass(frozen=True)
class Release:
    allowed: bool
    reason: str  # why it is allowed, or what is missing
    documents: tuple[Marked, ...]


def may_release(
    subject: Subject,
    recipient: Recipient,
    documents: Iterable[Item] = (),
    *,
    basis: Basis = Basis.consent,
    representative_authority: bool = False,
) -> Release:
    """Whether information may go to ``recipient``, each document marked disclosed or withheld."""
    items = tuple(documents)
    if basis in EXCEPTIONS:
        return _all(items, True, f"released without consent under the policy's exception: {basis.value}")
    refused = _refusal(subject, recipient)
    if refused:
        return _all(items, False, refused)
    allowed, reason = _recipient_rule(subject, recipient, representative_authority)
    if not allowed:
        return _all(items, False, reason)
    if recipient is Recipient.parent_carer:
        return Release(True, reason, tuple(_for_parent(subject, item) for item in items))
    return _all(items, True, reason)


def _refusal(subject: Subject, recipient: Recipient) -> str | None:
    if recipient in subject.refused:
        return f"the young person refused access to their records by {recipient.value}"
    return None


def _recipient_rule(subject: Subject, recipient: Recipient, authority: bool) -> tuple[bool, str]:
    if recipient is Recipient.young_person:
        return _to_young_person(subject)
    if recipient is Recipient.parent_carer:
        return True, "released to a parent or carer"
    if recipient is Recipient.representative:
        if authority:
            return True, "released to a representative whose authority is recorded"
        return False, "a representative's authority to act for the young person is not recorded"
    if ConsentScope.contact_professionals in subject.consents:
        return True, "released with consent to contact professionals (contact_professionals)"
    return False, f"no consent to share with {recipient.value}: contact_professionals is not recorded"


def _to_young_person(subject: Subject) -> tuple[bool, str]:
    if subject.age is not None and subject.age >= DIRECT_AGE:
        return True, f"released to the young person directly ({DIRECT_AGE} or over)"
    if subject.maturity_recorded and (subject.age is None or subject.age >= GUIDE_AGE):
        return True, "released to the young person, whose maturity and capacity are recorded"
    if subject.age is not None and subject.age < GUIDE_AGE:
        return False, f"under {GUIDE_AGE}: release through a parent or carer"
    return False, "the young person's maturity and capacity are not recorded: record them, or release at 16"


def _for_parent(subject: Subject, item: Item) -> Marked:
    if item.provided_by is not ProvidedBy.young_person:
        return Marked(item.document_id, True, "released to a parent or carer")
    if ConsentScope.share_with_parent in subject.consents:
        return Marked(item.document_id, True, "provided by the young person, who consented to share it with parents")
    return Marked(
        item.document_id, False, "provided by the young person, who has not consented to share it (share_with_parent)"
    )


def _all(items: tuple[Item, ...], disclosed: bool, reason: str) -> Release:
    return Release(disclosed, reason, tuple(Marked(item.document_id, disclosed, reason) for item in items))

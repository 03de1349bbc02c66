"""What a request that records a person sends besides their details: the permission to record
them (the policy asks it when someone first approaches the service)."""

from __future__ import annotations

from typing import Any

from casevault.core.consent import Given
from casevault.core.models import ConsentGiver, ConsentMethod, ConsentScope

# Given by a parent, with permission to keep contact details and store documents electronically.
CONSENT: dict[str, Any] = {
    "scopes": ["record_personal_details", "store_electronically", "keep_contact_details"],
    "given_by": "parent_carer",
    "parent_name": "Pat Example",
    "relationship": "mother",
    "how": "verbal",
}


def consented(person: dict[str, Any]) -> dict[str, Any]:
    """A person's details as POST /people and a referral's "person" take them."""
    return {**person, "consent": CONSENT}


# The same permission as the use cases take it (``services.cases.add_person(consent_given=...)``).
GIVEN = Given(
    scopes=(ConsentScope.record_personal_details, ConsentScope.store_electronically),
    given_by=ConsentGiver.young_person,
    method=ConsentMethod.verbal,
)

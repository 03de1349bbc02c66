"""The referral and consent forms refuse a name the API refuses: one holding a character that reorders
the text (U+202E) or an invisible one (a zero-width space) that keeps "Ame\u200blia Smith"
from ever being found or recognised as Amelia Smith. Nobody is recorded; a name spelt with
a zero-width non-joiner, as Persian is, is welcome."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.models import Case, Consent, Person
from tests.web_officer import date_fields, error_summary, send_form
from tests.web_pages import sign_in


def _referral(name: str) -> dict[str, str]:
    return {
        "full-name": name,
        **date_fields("dob", "2012-03-04"),
        **date_fields("referred", "2026-10-01"),
        "source": "parent_carer",
        "consent-by": "young_person",
        "consent-how": "verbal",
    }


@pytest.mark.parametrize("name, code", [("Amelia\u202eSmith", "U+202E"), ("Ame\u200blia Smith", "U+200B")])
def test_a_name_with_a_direction_or_invisible_character_is_refused(
    client: TestClient, container: Services, users, name: str, code: str
) -> None:
    init_storage(container.settings)
    sign_in(client, "olive")
    answer = send_form(client, "/referrals/new", "/referrals", _referral(name))
    assert answer.status_code == 422, answer.text[:300]
    assert error_summary(answer.text) == [
        f"Names may not hold control, invisible or text-direction characters; remove {code}"
    ]
    with container.new_session() as session:
        assert session.exec(select(Person)).all() == []


def test_a_name_spelt_with_a_zero_width_non_joiner_is_recorded(client: TestClient, container: Services, users) -> None:
    init_storage(container.settings)
    sign_in(client, "olive")
    answer = send_form(client, "/referrals/new", "/referrals", _referral("محمد\u200cرضا Karimi"))
    assert answer.status_code == 303, error_summary(answer.text)
    with container.new_session() as session:
        assert [p.full_name for p in session.exec(select(Person)).all()] == ["محمد\u200cرضا Karimi"]


def test_a_parent_name_with_a_direction_character_is_refused_on_the_consent_page(
    client: TestClient, container: Services, users, cases: dict[str, Case]
) -> None:
    person_id = cases["officer"].person_id
    sign_in(client, "olive")
    fields = {
        "scopes": "contact_professionals",
        "given-by": "parent_carer",
        "parent-name": "Pat\u202eExample",
        "relationship": "mother",
        "how": "verbal",
        "lawful-basis": "consent",
    }
    answer = send_form(client, f"/people/{person_id}/consents/new", f"/people/{person_id}/consents", fields)
    assert answer.status_code == 422, answer.text[:300]
    assert error_summary(answer.text) == [
        "Names may not hold control, invisible or text-direction characters; remove U+202E"
    ]
    with container.new_session() as session:
        assert session.exec(select(Consent).where(Consent.parent_name.is_not(None))).all() == []  # type: ignore[union-attr]

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from casevault.api.bounds import LifeDate, Name, PathId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.paging import Cursor, Limit, Page, decode_cursor, page_of
from casevault.api.routes.cases import by_id, case_page
from casevault.api.schemas import CasePublic, PersonCreate
from casevault.core import casework
from casevault.core.errors import BadQuery
from casevault.core.models import PersonPublic

router = APIRouter(prefix="/people", tags=["people"])


@router.post("", status_code=201, response_model=PersonPublic)
def create_person(body: PersonCreate, user: Officer, session: SessionDep, services: ServicesDep) -> PersonPublic:
    """Record a person with their permission to record personal details (``consent``), given now."""
    person = services.cases.add_person(
        session,
        **body.model_dump(exclude={"consent"}),
        consent_given=body.consent.given() if body.consent else None,
        user=user,
    )
    return PersonPublic.model_validate(person, from_attributes=True)


@router.get("", response_model=Page[PersonPublic])
def find_people(
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    name: Annotated[
        Name | None,
        Query(
            max_length=200,
            description="every word must begin a word of the name; case, accents, spacing and order do not matter",
        ),
    ] = None,
    date_of_birth: Annotated[LifeDate | None, Query(description="YYYY-MM-DD")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[PersonPublic]:
    """People you may see (officers: the people of their cases) by name, date of birth or both."""
    if not (name or "").strip() and date_of_birth is None:
        raise BadQuery("say whom to find: give name, date_of_birth or both")
    key = decode_cursor(cursor)
    people = casework.find_people(
        session, user=user, name=name, date_of_birth=date_of_birth, after=int(key[0]) if key else None, limit=limit
    )
    page = page_of(
        people, limit=limit, key=by_id, shape=lambda person: PersonPublic.model_validate(person, from_attributes=True)
    )
    # Ids only: what was asked (a name, a date of birth) is personal data.
    record(session, services, user, "person.search", count=len(page.items))
    return page


@router.get("/{person_id}", response_model=PersonPublic)
def read_person(person_id: PathId, user: Officer, session: SessionDep, services: ServicesDep) -> PersonPublic:
    person = casework.get_person(session, person_id=person_id, user=user)
    record(session, services, user, "person.read", subject_type="person", subject_id=person.id)
    return PersonPublic.model_validate(person, from_attributes=True)


@router.get("/{person_id}/cases", response_model=Page[CasePublic])
def list_person_cases(
    person_id: PathId,
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CasePublic]:
    """A person's cases that you may read, by id."""
    person = casework.get_person(session, person_id=person_id, user=user)
    page = case_page(session, user=user, where=casework.CaseFilter(person_id=person.id), limit=limit, cursor=cursor)
    record(session, services, user, "case.list", subject_type="person", subject_id=person.id, count=len(page.items))
    return page

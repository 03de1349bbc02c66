from __future__ import annotations

from fastapi import APIRouter

from casevault.api.bounds import PathId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.schemas import PersonCreate
from casevault.core import casework
from casevault.core.models import PersonPublic

router = APIRouter(prefix="/people", tags=["people"])


@router.post("", status_code=201, response_model=PersonPublic)
def create_person(body: PersonCreate, user: Officer, session: SessionDep, services: ServicesDep) -> PersonPublic:
    person = services.cases.add_person(session, **body.model_dump(), user=user)
    return PersonPublic.model_validate(person, from_attributes=True)


@router.get("/{person_id}", response_model=PersonPublic)
def read_person(person_id: PathId, user: Officer, session: SessionDep, services: ServicesDep) -> PersonPublic:
    person = casework.get_person(session, person_id=person_id, user=user)
    record(session, services, user, "person.read", subject_type="person", subject_id=person.id)
    return PersonPublic.model_validate(person, from_attributes=True)

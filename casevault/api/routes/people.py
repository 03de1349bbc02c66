from __future__ import annotations

from fastapi import APIRouter

from casevault.api.bounds import PathId
from casevault.api.deps import ServicesDep, Officer, SessionDep, record
from casevault.api.schemas import PersonCreate
from casevault.core import casework
from casevault.core.errors import InvalidInput
from casevault.core.models import PersonPublic
from casevault.retention.decide import destruction_date

router = APIRouter(prefix="/people", tags=["people"])


@router.post("", status_code=201, response_model=PersonPublic)
def create_person(body: PersonCreate, user: Officer, session: SessionDep, services: ServicesDep) -> PersonPublic:
    if destruction_date(body.date_of_birth, services.schedule) <= services.clock.today():
        raise InvalidInput(
            f"date_of_birth {body.date_of_birth} makes the person {services.schedule.destruction.age_years} or older;"
            " the service keeps no records past that age",
            field="date_of_birth",
        )
    person = casework.add_person(session, **body.model_dump(), clock=services.clock)
    record(session, services, user, "person.create", subject_type="person", subject_id=person.id)
    return PersonPublic.model_validate(person, from_attributes=True)


@router.get("/{person_id}", response_model=PersonPublic)
def read_person(person_id: PathId, user: Officer, session: SessionDep, services: ServicesDep) -> PersonPublic:
    person = casework.get_person(session, person_id=person_id, user=user)
    record(session, services, user, "person.read", subject_type="person", subject_id=person.id)
    return PersonPublic.model_validate(person, from_attributes=True)

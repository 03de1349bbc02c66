"""An officer's to-do: what needs her before the lifecycle acts on her cases."""

from __future__ import annotations

from fastapi import APIRouter

from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.schemas import TodoPublic

router = APIRouter(tags=["todo"])


@router.get("/me/todo", response_model=TodoPublic)
def read_todo(user: Officer, session: SessionDep, services: ServicesDep) -> TodoPublic:
    """On the caller's cases (a manager's: every case): destructions due in the next 30
    days, documents whose OCR failed, standing holds. Each section holds its first 50
    items and its total."""
    todo = services.retention.todo(session, user=user)
    record(
        session,
        services,
        user,
        "todo.read",
        destructions=todo.destructions.total,
        failed_documents=todo.failed_documents.total,
        holds=todo.holds.total,
    )
    return TodoPublic.model_validate(todo, from_attributes=True)

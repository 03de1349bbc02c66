from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from casevault.api.bounds import QueryId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.schemas import SearchHit, SearchResults
from casevault.core import casework
from casevault.ingest.search import search

router = APIRouter(tags=["search"])


@router.get("/search", response_model=SearchResults)
def search_pages(
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    q: Annotated[str, Query(description='words and "quoted phrases"; every one must match')],
    case_id: QueryId | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResults:
    if case_id is not None:
        casework.get_case(session, case_id=case_id, user=user)  # 404 / 403 rather than silently nothing
    hits = search(session, query=q, user=user, case_id=case_id, limit=limit)
    record(
        session, services, user, "search", subject_type="case" if case_id else None, subject_id=case_id, hits=len(hits)
    )
    return SearchResults(hits=[SearchHit(**hit.__dict__) for hit in hits])

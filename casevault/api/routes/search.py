from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from casevault.api.bounds import QueryId
from casevault.api.deps import Officer, ServicesDep, SessionDep, record
from casevault.api.paging import Cursor, Limit, Page, decode_cursor, encode_cursor
from casevault.api.schemas import SearchHit
from casevault.core.errors import BadQuery
from casevault.ingest.search import cursor_digest, search

router = APIRouter(tags=["search"])


@router.get("/search", response_model=Page[SearchHit])
def search_pages(
    user: Officer,
    session: SessionDep,
    services: ServicesDep,
    q: Annotated[str, Query(description='words and "quoted phrases"; every one must match')],
    case_id: QueryId | None = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[SearchHit]:
    """Pages and case notes of the cases the caller may see, most relevant first. The
    cursor is a position in this query's ranked results: pass it back with the same q
    and case_id."""
    digest = cursor_digest(q, case_id)
    offset = 0
    key = decode_cursor(cursor, shape=(int, str))
    if key is not None:
        position, written_for = key
        if written_for != digest:
            raise BadQuery("cursor belongs to another search; leave it out to start from the first page")
        offset = int(position)
    results = search(session, query=q, user=user, case_id=case_id, limit=limit, offset=offset)
    record(
        session,
        services,
        user,
        "search",
        subject_type="case" if case_id else None,
        subject_id=case_id,
        hits=len(results.hits),
    )
    next_cursor = None if results.next_offset is None else encode_cursor((results.next_offset, digest))
    return Page[SearchHit](items=[SearchHit(**hit.__dict__) for hit in results.hits], next_cursor=next_cursor)

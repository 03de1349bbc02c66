"""Lists answer a page at a time, and only to the questions they know.

Every list answers ``{"items": [...], "next_cursor": ...}``: ``limit`` (1 to 100) items
at most, and a ``next_cursor`` to pass back for the next page, ``null`` on the last.
The cursor is opaque to clients: the sort key of the last item sent (keyset paging, so
a row added or removed between pages neither repeats nor skips one), base64url JSON.
It only says where to continue; every page applies the caller's access rules afresh.

A query parameter a route does not take is a 400 naming it: ``GET /cases?person=2``
must not silently answer every case.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from casevault.api.bounds import MAX_ID
from casevault.core.errors import BadQuery

T = TypeVar("T")
Row = TypeVar("Row")
CursorKey = tuple[int | str, ...]

MAX_LIMIT = 100
MAX_CURSOR = 400
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}")]
Cursor = Annotated[
    str | None, Query(max_length=MAX_CURSOR, description="the next_cursor of the previous page; omit for the first")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: CursorKey) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, shape: tuple[type, ...] = (int,)) -> CursorKey | None:
    """The key a cursor carries, checked against the ``shape`` its list writes; a cursor
    that was not written by that list is a 400 saying to start again."""
    if cursor is None or cursor == "":
        return None
    refusal = BadQuery("cursor is not one this list gave out; leave it out to start from the first page")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise refusal from None
    if not isinstance(key, list) or len(key) != len(shape):
        raise refusal
    if not all(_fits(value, kind) for value, kind in zip(key, shape, strict=True)):
        raise refusal
    return tuple(key)


def _fits(value: object, kind: type) -> bool:
    # type(), not isinstance(): a bool is an int to Python, but never one of our keys.
    if type(value) is not kind:
        return False
    if isinstance(value, int):
        return 0 <= value <= MAX_ID
    return isinstance(value, str) and len(value) <= 200


def page_of(rows: Sequence[Row], *, limit: int, key: Callable[[Row], CursorKey], shape: Callable[[Row], T]) -> Page[T]:
    """Shape a page from ``limit + 1`` rows read in key order: the extra row, when there
    is one, only says another page follows."""
    more = len(rows) > limit
    kept = rows[:limit]
    return Page[T](items=[shape(row) for row in kept], next_cursor=encode_cursor(key(kept[-1])) if more else None)


def reject_unknown_query(request: Request) -> None:
    """A router dependency: a query parameter the route does not declare, or one sent twice, is a 400."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        takes = ", ".join(sorted(known)) or "no query parameters"
        raise BadQuery(f"unknown query parameter {', '.join(unknown)}; this takes {takes}")
    names = [name for name, _ in request.query_params.multi_items()]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # ?status=open&status=closed: one would be dropped unseen; no parameter takes a list
        raise BadQuery(f"query parameter {', '.join(repeated)} was sent more than once; send each once")


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return names

"""No control character in any text a client sends, checked once for every route.

A NUL (U+0000) cannot be stored in PostgreSQL's text (the query fails), half a surrogate
pair (JSON's "\\ud800") cannot be encoded for any database, and the other control
characters (line breaks and tabs aside) have no place in casework text. So every string of
a JSON body (its keys too), every query value and every path value is read before the
route runs: one holding such a character answers 422 problem+json naming the field and
saying to remove the character. Uploads are streamed by their own route and not read here.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError

from casevault.web.guard import unstorable_characters


async def refuse_unstorable_text(request: Request) -> None:
    """A router dependency: 422 if any text of the request holds a control character."""
    found: list[tuple[tuple[str | int, ...], str]] = [
        (("path", name), value) for name, value in request.path_params.items() if isinstance(value, str)
    ]
    found += [(("query", name), value) for name, value in request.query_params.multi_items()]
    found += [(("query", "(a parameter's name)"), name) for name in request.query_params]
    if _is_json(request.headers.get("content-type", "")):
        body = await request.body()  # cached: the route reads the same bytes
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None  # not JSON: the route's own parsing answers 422 saying so
            found += list(_strings(parsed, ("body",)))
    errors = [
        {
            "loc": where,
            "msg": f"remove the control character ({codes}); text may not hold control characters"
            " other than line breaks and tabs",
            "type": "value_error",
        }
        for where, text in found
        if (codes := unstorable_characters(text))
    ]
    if errors:
        raise RequestValidationError(errors)


def _is_json(content_type: str) -> bool:
    """As FastAPI decides to parse a body as JSON: application/json or any application/...+json."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return (
        bool(content_type)
        and message.get_content_maintype() == "application"
        and (subtype == "json" or subtype.endswith("+json"))
    )


def _strings(value: Any, where: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*where, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            if unstorable_characters(key):
                yield (*where, "(a field's name)"), key
            yield from _strings(item, (*where, key))

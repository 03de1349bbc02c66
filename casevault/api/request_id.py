"""A request id for every request, and one access-log line per request.

The id comes from the caller's ``X-Request-ID`` when it is a safe token (a
proxy or a client that already has one), else a fresh random one. It is bound
for the request's whole life, so every line logged while serving it, and every
task it sends, carries it; the response echoes it so a caller can quote it.

The access line names the route template (``/api/v1/cases/{case_id}``), never
the raw path or the query string: search words are personal data. uvicorn's
own access log, which writes the full URL, is switched off by ``casevault api``.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casevault.api.route_names import route_template
from casevault.core.logs import request_id_bound

HEADER = "X-Request-ID"
CLIENT_CLOSED_REQUEST = 499  # no answer: the client went away while sending (nginx's code for it)
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
access_log = logging.getLogger("casevault.access")


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            given: str = value.decode("latin-1")
            if SAFE_ID.fullmatch(given):
                return given
            break  # anything else could forge log lines: replace it
    return secrets.token_hex(16)


class RequestId:
    """Pure ASGI, so the id is bound in the same context the routes run in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        status: int | None = None
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        with request_id_bound(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except BaseException:
                status = status or 500  # an exception escaping the app before it answered
                raise
            finally:
                _log_access(scope, status or CLIENT_CLOSED_REQUEST, time.perf_counter() - started)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    method, route, duration_ms = scope["method"], route_template(Request(scope)), round(seconds * 1000, 1)
    note = " (client disconnected)" if status == CLIENT_CLOSED_REQUEST else ""
    access_log.info(
        "%s %s %s %.1fms%s",
        method,
        route,
        status,
        duration_ms,
        note,
        extra={"http": {"method": method, "route": route, "status": status, "duration_ms": duration_ms}},
    )

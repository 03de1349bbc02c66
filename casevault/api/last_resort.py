"""What an exception no handler caught still answers, and a client that left.

An error nobody expected answers 500 in problem+json like every other error,
with the request id to quote and no traceback in the body; the traceback goes to
the log once. A client that disconnects while it sends its body is not an error
of ours: nothing is answered (nobody is listening) and nothing is logged here;
the access line records it (status 499).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casevault.api.problems import problem
from casevault.api.route_names import route_template
from casevault.core.logs import current_request_id

log = logging.getLogger(__name__)


# A web page's answer to an unexpected error (the request id to quote), or None for problem+json.
ErrorPage = Callable[[Scope, str], Response | None]


class LastResort:
    def __init__(self, app: ASGIApp, error_page: ErrorPage | None = None) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except ClientDisconnect:
            return
        except Exception:
            if started:
                raise  # too late for an answer: the server aborts the connection and logs it
            request = Request(scope)
            log.exception("unexpected error serving %s %s", scope["method"], route_template(request))
            request_id = current_request_id() or "unknown"
            page = self.error_page(scope, request_id) if self.error_page else None
            if page is not None:  # a person's browser: a page saying what to do, not JSON
                await page(scope, receive, send)
                return
            detail = f"an unexpected error; quote request id {request_id} to your administrator"
            await problem(request, status=500, title="Internal error", detail=detail)(scope, receive, send)

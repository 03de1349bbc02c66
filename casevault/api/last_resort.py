"""What an exception no handler caught still answers, and a client that left.

An error nobody expected answers 500 in problem+json like every other error,
with the request id to quote and no traceback in the body; the traceback goes to
the log once. A client that disconnects while it sends its body is not an error
of ours: nothing is answered (nobody is listening) and nothing is logged here;
the access line records it (status 499).
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casevault.api.problems import problem
from casevault.api.route_names import route_template
from casevault.core.logs import current_request_id

log = logging.getLogger(__name__)


class LastResort:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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
            detail = f"an unexpected error; quote request id {current_request_id()} to your administrator"
            await problem(request, status=500, title="Internal error", detail=detail)(scope, receive, send)

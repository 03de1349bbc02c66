"""Caps on request bodies: their size, counted as the bytes arrive, and how long
the next part of a body may keep the server waiting.

Content-Length can be absent (chunked) or wrong, so the cap counts what is
actually received. JSON bodies are small: the middleware reads them up to the
cap and either answers 413 itself or replays the body to the app (FastAPI
turns an error raised while it reads a body into a 400). Document uploads are
large and streamed: their route counts the bytes itself (``casevault.api.uploads``).

A body that stops arriving would hold a connection, a task and (for an upload)
a scratch file for ever. Every wait for the next part is capped: past it a JSON
request is answered 408 here; an upload's route sees ``BodyTimedOut`` while it
reads, removes its scratch file and answers 408.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casevault.core.errors import CasevaultError


class BodyTimedOut(CasevaultError):
    http_status = 408
    title = "Request timeout"
    exit_code = 2


def timed_receive(receive: Receive, *, seconds: float) -> Receive:
    """``receive`` with each wait for the body's next part capped at ``seconds``.
    Waits after the body is complete (for a disconnect while a response streams)
    are not capped."""
    complete = False

    async def receive_in_time() -> Message:
        nonlocal complete
        if complete:
            return await receive()
        try:
            message = await asyncio.wait_for(receive(), seconds)
        except TimeoutError:
            raise BodyTimedOut(
                f"the request body stopped arriving for {seconds:g} s; check the connection and send it again"
            ) from None
        complete = message["type"] != "http.request" or not message.get("more_body", False)
        return message

    return receive_in_time


# A web page's answer to a refused body (status, title, detail), or None for the API's problem+json.
PageRefusal = Callable[[Scope, int, str, str], Response | None]


class BodyLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        timeout: float,
        streamed: Callable[[str], bool],
        page_refusal: PageRefusal | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout
        self.streamed = streamed
        self.page_refusal = page_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        receive_part = timed_receive(receive, seconds=self.timeout)
        if self.streamed(scope["path"]):
            await self.app(scope, receive_part, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        body, more = bytearray(), True
        while more:
            try:
                message = await receive_part()
            except BodyTimedOut as timed_out:
                await self._refuse(scope, receive, send, status=408, title=timed_out.title, detail=timed_out.detail)
                return
            if message["type"] != "http.request":  # client went away
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._too_large(scope, receive, send)
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for disconnect
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"the request body is larger than {self.limit // 1024} KiB"
        await self._refuse(scope, receive, send, status=413, title="Payload too large", detail=detail)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, *, status: int, title: str, detail: str
    ) -> None:
        page = self.page_refusal(scope, status, title, detail) if self.page_refusal else None
        if page is not None:  # a person's browser sent a page's form: a page, not JSON
            await page(scope, receive, send)
            return
        await _refuse(scope, receive, send, status=status, title=title, detail=detail)


async def _refuse(scope: Scope, receive: Receive, send: Send, *, status: int, title: str, detail: str) -> None:
    slug = title.lower().replace(" ", "-")
    body = {"type": f"urn:casevault:problem:{slug}", "title": title, "status": status, "detail": detail}
    body["instance"] = scope["path"]
    await JSONResponse(body, status_code=status, media_type="application/problem+json")(scope, receive, send)

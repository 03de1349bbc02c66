"""A cap on request bodies, counted as the bytes arrive.

Content-Length can be absent (chunked) or wrong, so the cap counts what is
actually received. JSON bodies are small: the middleware reads them up to the
cap and either answers 413 itself or replays the body to the app (FastAPI
turns an error raised while it reads a body into a 400). Document uploads are
large and streamed: their route counts the bytes itself (``casevault.api.uploads``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, limit: int, streamed: Callable[[str], bool]) -> None:
        self.app = app
        self.limit = limit
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.streamed(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._too_large(scope, receive, send)
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
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
        body = {"type": "urn:casevault:problem:payload-too-large", "title": "Payload too large", "status": 413, "detail": detail, "instance": scope["path"]}
        await JSONResponse(body, status_code=413, media_type="application/problem+json")(scope, receive, send)

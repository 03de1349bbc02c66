"""A cap on request bodies, counted as the bytes arrive.

Content-Length can be absent (chunked) or wrong, so the cap counts what is
actually received and stops reading at the limit. Document uploads get the
upload cap; every other body the small JSON cap.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casevault.core.errors import PayloadTooLarge

MULTIPART_OVERHEAD = 64 * 1024  # form fields and part headers around the file


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            # Outside the app's exception handlers here, so answer directly.
            response = JSONResponse(
                {"type": "urn:casevault:problem:payload-too-large", "title": "Payload too large",
                 "status": 413, "detail": _message(limit), "instance": scope["path"]},
                status_code=413,
                media_type="application/problem+json",
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(_message(limit))
            return message

        await self.app(scope, counting_receive, send)


def _message(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"the request body is larger than {limit // (1024 * 1024)} MiB; split the document or ask an admin to raise CASEVAULT_MAX_UPLOAD_MB"
    return f"the request body is larger than {limit // 1024} KiB"

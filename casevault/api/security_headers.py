"""Headers every response carries, so a browser handles what it is sent safely.

- ``X-Content-Type-Options: nosniff``: a browser never guesses a type the
  response does not declare (an uploaded file rendered as HTML).
- ``Cache-Control: no-store``: nothing the API answers is kept by a browser or
  a proxy. Almost every answer is casework; the few that are not (the probes,
  the metrics, the docs page) gain nothing from a cache, and one rule for all
  cannot miss a personal route. Only the web pages' static assets (``/assets/``)
  set their own, to be cached.
- ``Referrer-Policy: no-referrer``: a URL of ours never travels to another site.
  The web pages set ``same-origin`` instead, which still sends none to another site
  but lets browsers send the ``Origin`` header their forms are checked by.
- HTML (the API docs page) also gets a ``Content-Security-Policy`` that allows
  scripts and styles from the service itself only, never inline ones, and no
  framing.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTML_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in EVERY_RESPONSE.items():
                    if name not in headers or name == "X-Content-Type-Options":
                        headers[name] = value
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = HTML_CONTENT_SECURITY_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)

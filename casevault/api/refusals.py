"""Requests without a valid token: rate-limited per client address, audited in aggregate.

``refuse_unauthenticated`` is called where a token is found missing or wrong; it counts
the attempt (``core.auth_failures``, in the database, so every API process shares the
counts) and turns the 401 into a 429 with ``Retry-After`` once the address is over its
rate or locked out.
"""

from __future__ import annotations

from fastapi import Request

from casevault.core.auth_failures import note_failure
from casevault.core.db import transaction
from casevault.core.errors import CasevaultError, Unauthenticated

UNKNOWN_ADDRESS = "unknown"


class TooManyRequests(CasevaultError):
    http_status = 429
    title = "Too many requests"
    exit_code = 3

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


def client_address(request: Request) -> str:
    # The network peer, or X-Forwarded-For from a proxy uvicorn trusts (FORWARDED_ALLOW_IPS):
    # otherwise every request behind a proxy would share the proxy's address.
    return request.client.host[:64] if request.client else UNKNOWN_ADDRESS


def refuse_unauthenticated(request: Request, refusal: Unauthenticated) -> CasevaultError:
    """The error to raise for a request without a valid token: the 401, or a 429."""
    services = request.app.state.services
    with transaction(services.new_session) as session:
        wait = note_failure(
            session, address=client_address(request), clock=services.clock, limits=services.failure_limits
        )
    if wait is None:
        return refusal
    return TooManyRequests(
        f"too many requests without a valid token from this address; try again in {wait} s", retry_after=wait
    )

"""Probes: /healthz (the process answers) and /readyz (it can do its work now).

Readiness asks the database (``SELECT 1``), the object store (a write in each
tier, or both buckets answering) and the broker (both queues read). Each check
runs in a thread of its own with a deadline, so a dependency that hangs makes
the probe answer 503 in time instead of hanging with it; a check still hanging
from an earlier probe is reported at once rather than joined by another thread.

Answers name the part that failed and what to check, never a URL, a password or
anything about a case: probes carry no token.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from kombu.exceptions import ChannelError

from casevault.core.errors import CasevaultError
from casevault.wiring import Container
from casevault.worker import LIFECYCLE_QUEUE, OCR_QUEUE, broker_name

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0
QUEUES = (OCR_QUEUE, LIFECYCLE_QUEUE)
T = TypeVar("T")

router = APIRouter(tags=["operations"])


class CheckTimedOut(Exception):
    pass


class Bounded:
    """Runs one kind of blocking check in daemon threads, waiting at most ``seconds``.
    While the latest attempt hangs past its deadline no new one starts, so a dead
    dependency costs one thread, not one per probe."""

    def __init__(self, name: str, seconds: float) -> None:
        self.name, self.seconds = name, seconds
        self._lock = threading.Lock()
        self._latest: threading.Thread | None = None
        self._latest_since = 0.0

    def start(self, check: Callable[[], T]) -> Callable[[float], T]:
        """Start ``check``; the returned function waits for it until a monotonic deadline."""
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["value"] = check()
            except BaseException as error:  # noqa: BLE001 - handed to the waiting request
                outcome["error"] = error

        with self._lock:
            earlier = self._latest
            if earlier is not None and earlier.is_alive() and time.monotonic() - self._latest_since > self.seconds:
                def hung(_deadline: float) -> T:
                    raise CheckTimedOut(f"an earlier check has not come back for {time.monotonic() - self._latest_since:.0f} s")
                return hung
            thread = threading.Thread(target=run, name=f"check-{self.name}", daemon=True)
            self._latest, self._latest_since = thread, time.monotonic()
            thread.start()

        def wait(deadline: float) -> T:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise CheckTimedOut(f"no answer within {self.seconds:g} s")
            if "error" in outcome:
                raise outcome["error"]
            return outcome["value"]

        return wait


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail}


HINTS = {
    "database": "check CASEVAULT_DATABASE_URL and that the database server is running",
    "store": "check CASEVAULT_STORAGE_URL (and CASEVAULT_S3_*) and that the store answers",
    "broker": "check CASEVAULT_BROKER_URL and that the broker is running",
}


class Probes:
    """The checks of one API process, shared by /readyz and /metrics."""

    def __init__(self, container: Container, *, seconds: float = CHECK_SECONDS) -> None:
        self.container, self.seconds = container, seconds
        self._bounded = {name: Bounded(name, seconds) for name in HINTS}

    def readiness(self) -> dict[str, Check]:
        """All three at once: the probe takes at most ``seconds``, not three times that."""
        started = {
            "database": self._bounded["database"].start(self._database),
            "store": self._bounded["store"].start(self._store),
            "broker": self._bounded["broker"].start(self._queue_depths),
        }
        deadline = time.monotonic() + self.seconds
        return {name: self._judge(name, wait, deadline)[0] for name, wait in started.items()}

    def within(self, name: str, read: Callable[[], T]) -> T | None:
        """``read`` from the database or the broker (``name``) within the deadline, or None."""
        return self._judge(name, self._bounded[name].start(read), time.monotonic() + self.seconds)[1]

    def queue_depths(self) -> dict[str, int] | None:
        """Messages waiting in each queue, or None when the broker did not answer in time."""
        return self.within("broker", self._queue_depths)

    def _judge(self, name: str, wait: Callable[[float], T], deadline: float) -> tuple[Check, T | None]:
        try:
            return Check(True, "ok"), wait(deadline)
        except CheckTimedOut as error:
            detail = f"{error}; {HINTS[name]}"
        except CasevaultError as error:  # our own messages say what to do and hold no secrets
            detail = error.detail
        except Exception as error:  # noqa: BLE001 - a driver's message may hold a URL: name the type only
            detail = f"{type(error).__name__}; {HINTS[name]}"
            log.warning("check of the %s failed: %s", name, without_secrets(f"{type(error).__name__}: {error}"))
        return Check(False, detail), None

    # --- the checks, each blocking ---------------------------------------------------

    def _database(self) -> None:
        with self.container.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def _store(self) -> None:
        self.container.vault.store.ping()

    def _queue_depths(self) -> dict[str, int]:
        return broker_queue_depths(self.container, QUEUES, timeout=self.seconds)


def broker_queue_depths(container: Container, queues: tuple[str, ...], *, timeout: float) -> dict[str, int]:
    """Messages waiting (not those a worker holds) per queue, one short connection.

    A passive declare reads the count without creating anything. Redis deletes an
    empty queue's list, so there "no such queue" means none waiting."""
    url = container.settings.broker_url
    # The caller's deadline is the bound; the socket timeouts (a little longer) only end the thread.
    options = {"socket_connect_timeout": timeout + 1, "socket_timeout": timeout + 1} if url.startswith(("redis", "rediss")) else {}
    depths = {}
    with container.celery.connection_for_read(connect_timeout=timeout + 1, transport_options=options) as connection:
        connection.ensure_connection(max_retries=0)  # no retry: kombu would sleep 2 s first
        for queue in queues:
            channel = connection.channel()  # one each: a refused declare closes its channel on AMQP
            try:
                declared = channel.queue_declare(queue=broker_name(container.settings, queue), passive=True)
                depths[queue] = declared.message_count
            except ChannelError as error:
                if getattr(error, "code", None) != 404 and "NOT_FOUND" not in str(error):
                    raise
                depths[queue] = 0
            finally:
                _close_quietly(channel)
    return depths


def _close_quietly(channel: Any) -> None:
    try:
        # The SQLite broker's channel keeps a session whose read transaction would hold
        # a lock the workers need: end it now rather than when the channel is collected.
        session = getattr(channel, "_session", None)
        if session is not None:
            session.close()
        channel.close()
    except Exception:  # noqa: BLE001 - a channel the server already closed
        pass


_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s]*@", re.IGNORECASE)


def without_secrets(text: str) -> str:
    """Passwords in URLs masked, for the log."""
    return _CREDENTIALS.sub(r"\1***@", text)


# --- routes --------------------------------------------------------------------------


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive: the process answers. Open to all: it says nothing about the data."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "a dependency is not reachable; `checks` says which"}})
def readyz(request: Request) -> JSONResponse:
    """Ready: database, object store and broker answer now (each within 2 s). Open to all."""
    checks = request.app.state.probes.readiness()
    ready = all(check.ok for check in checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": {name: check.as_json() for name, check in checks.items()},
    }
    if not ready:
        body["failed"] = sorted(name for name, check in checks.items() if not check.ok)
    return JSONResponse(body, status_code=200 if ready else 503)

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

from casevault.app.services import Services
from casevault.core.errors import CasevaultError

log = logging.getLogger(__name__)
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
        values: list[T] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                values.append(check())
            except BaseException as error:
                errors.append(error)

        with self._lock:
            earlier = self._latest
            if earlier is not None and earlier.is_alive() and time.monotonic() - self._latest_since > self.seconds:

                def hung(_deadline: float) -> T:
                    raise CheckTimedOut(
                        f"an earlier check has not come back for {time.monotonic() - self._latest_since:.0f} s"
                    )

                return hung
            thread = threading.Thread(target=run, name=f"check-{self.name}", daemon=True)
            self._latest, self._latest_since = thread, time.monotonic()
            thread.start()

        def wait(deadline: float) -> T:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                raise CheckTimedOut(f"no answer within {self.seconds:g} s")
            if errors:
                raise errors[0]
            return values[0]

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

    def __init__(self, services: Services, *, seconds: float) -> None:
        self.services, self.seconds = services, seconds
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
        except Exception as error:
            detail = f"{type(error).__name__}; {HINTS[name]}"
            log.warning("check of the %s failed: %s", name, without_secrets(f"{type(error).__name__}: {error}"))
        return Check(False, detail), None

    # --- the checks, each blocking ---------------------------------------------------

    def _database(self) -> None:
        with self.services.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    def _store(self) -> None:
        self.services.vault.store.ping()

    def _queue_depths(self) -> dict[str, int]:
        return self.services.tasks.depths(timeout=self.seconds)


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
    """Ready: database, object store and broker answer now (each within CASEVAULT_PROBE_SECONDS, 2 s by
    default). Open to all."""
    checks = request.app.state.probes.readiness()
    ready = all(check.ok for check in checks.values())
    body: dict[str, object] = {
        "status": "ready" if ready else "not ready",
        "checks": {name: check.as_json() for name, check in checks.items()},
    }
    if not ready:
        body["failed"] = sorted(name for name, check in checks.items() if not check.ok)
    return JSONResponse(body, status_code=200 if ready else 503)

"""Requests without a valid token cannot flood the API or its audit log: past a rate per
client address they are answered 429 with Retry-After, repeated failures lock the
address out for a while, and the audit log gets one row per address and minute."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.models import AuditEvent

FLOODER = "203.0.113.9"
NEIGHBOUR = "198.51.100.7"
BAD = {"Authorization": "Bearer cv_not-a-real-token"}


@pytest.fixture
def clients(container: Services, clock: FixedClock) -> Iterator[dict[str, TestClient]]:
    clock.set(dt.datetime(2026, 11, 24, 10, 0, 5, tzinfo=dt.UTC))
    app = create_app(container)
    with TestClient(app, client=(FLOODER, 40000)) as flooder, TestClient(app, client=(NEIGHBOUR, 40001)) as neighbour:
        yield {"flooder": flooder, "neighbour": neighbour}


def _events(container: Services, *actions: str) -> list[AuditEvent]:
    with container.new_session() as session:
        query = select(AuditEvent).where(col(AuditEvent.action).in_(actions)).order_by(col(AuditEvent.id))
        return list(session.exec(query).all())


def test_a_flood_of_bad_tokens_is_throttled_and_audited_once_per_minute(
    clients: dict[str, TestClient], container: Services, clock: FixedClock, callers
) -> None:
    answers = [clients["flooder"].get("/api/v1/cases", headers=BAD) for _ in range(100)]

    statuses = Counter(answer.status_code for answer in answers)
    assert statuses == {401: 20, 429: 80}
    throttled = [answer for answer in answers if answer.status_code == 429]
    assert all(answer.headers["content-type"] == "application/problem+json" for answer in throttled)
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in throttled)
    assert throttled[0].headers["Retry-After"] == "55"  # the rest of the minute

    # Someone else, elsewhere, is unaffected: their token works, their mistake is a 401.
    assert clients["neighbour"].get("/api/v1/cases", headers=callers["officer"].headers).status_code == 200
    assert clients["neighbour"].get("/api/v1/cases", headers=BAD).status_code == 401

    clock.advance(dt.timedelta(minutes=1))
    clients["neighbour"].get("/api/v1/cases", headers=BAD)  # any later refusal writes the finished minutes
    tallies = _events(container, "request.unauthenticated")
    by_address = {(e.subject_id, e.details) for e in tallies}
    assert by_address == {
        (FLOODER, '{"count":100,"minute":"2026-11-24T10:00Z"}'),
        (NEIGHBOUR, '{"count":1,"minute":"2026-11-24T10:00Z"}'),
    }
    assert len(_events(container, "auth.locked_out")) == 1  # 100 failures passed the lockout threshold once
    assert _events(container, "request.refused") == []  # never one row per request


def test_repeated_bad_tokens_lock_the_address_out_but_not_its_valid_tokens(
    clients: dict[str, TestClient], container: Services, clock: FixedClock, callers
) -> None:
    flooder = clients["flooder"]
    for _ in range(3):  # 3 minutes x 16 failures: under the per-minute rate each minute
        assert {flooder.get("/api/v1/cases", headers=BAD).status_code for _ in range(16)} == {401}
        clock.advance(dt.timedelta(minutes=1))

    assert flooder.get("/api/v1/cases", headers=BAD).status_code == 401  # the 49th in 10 minutes
    locked = flooder.get("/api/v1/cases", headers=BAD)  # the 50th locks the address out
    assert locked.status_code == 429
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    # An officer sharing the address (one office, one router) is still served.
    assert flooder.get("/api/v1/cases", headers=callers["officer"].headers).status_code == 200

    clock.advance(dt.timedelta(minutes=10))
    assert flooder.get("/api/v1/cases").status_code == 429  # still locked, without a token too
    clock.advance(dt.timedelta(minutes=6))
    assert flooder.get("/api/v1/cases", headers=BAD).status_code == 401  # the lockout is over

    lockouts = _events(container, "auth.locked_out")
    assert [(e.subject_id, e.outcome) for e in lockouts] == [(FLOODER, "refused")]


def test_the_limit_holds_across_api_processes(container: Services, clock: FixedClock) -> None:
    """Two apps on two containers share nothing but the database, like two API workers."""
    clock.set(dt.datetime(2026, 11, 24, 10, 0, 5, tzinfo=dt.UTC))
    second = Services(container.settings, clock=clock)
    try:
        with (
            TestClient(create_app(container), client=(FLOODER, 1)) as one,
            TestClient(create_app(second), client=(FLOODER, 2)) as two,
        ):
            statuses = Counter(
                client.get("/api/v1/cases", headers=BAD).status_code for _ in range(15) for client in (one, two)
            )
    finally:
        second.close()
    assert statuses == {401: 20, 429: 10}

"""A worker that dies mid-OCR loses its document to another worker once its
heartbeat has been silent for ``ocr_stall_seconds``; a live worker keeps it."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.core.clock import FixedClock, SystemClock
from casevault.core.db import transaction
from casevault.core.models import Document, DocumentStatus
from casevault.ingest.process import heartbeat
from casevault.ingest.stalls import mark_resent, stalled
from casevault.app.services import Services as Container
from tests.ingest.scans import save, text_strip
from tests.ingest.test_upload import case_id, officer, run_ocr, upload  # noqa: F401 (fixtures)

pytestmark = pytest.mark.parametrize("backend_container", ["filesystem"], indirect=True)
STALL = dt.timedelta(seconds=300)  # the default ocr_stall_seconds


@pytest.fixture
def queued(backend_client: TestClient, officer, case_id, tmp_path: Path) -> int:  # noqa: F811
    answer = upload(backend_client, officer, case_id, save(text_strip(), tmp_path / "review.png"))
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


def _leave_processing(container: Container, document_id: int) -> None:
    """What a worker killed in the middle of an OCR leaves behind."""
    with transaction(container.new_session) as session:
        document = session.get(Document, document_id)
        document.status, document.updated_at = DocumentStatus.processing, container.clock.now()  # type: ignore[union-attr]
        session.add(document)


def _stalled(container: Container) -> list[int]:
    with container.new_session() as session:
        return stalled(session, clock=container.clock, stall_after=STALL)


def test_a_dead_workers_document_is_taken_over_once_its_heartbeat_is_silent(backend_container: Container, queued: int) -> None:
    clock: FixedClock = backend_container.clock  # type: ignore[assignment]
    _leave_processing(backend_container, queued)

    assert run_ocr(backend_container, queued) is DocumentStatus.processing  # still held: not OCR'd twice at once
    assert _stalled(backend_container) == []
    clock.advance(STALL + dt.timedelta(seconds=1))
    assert _stalled(backend_container) == [queued]
    assert run_ocr(backend_container, queued) is DocumentStatus.ready


def test_a_queued_document_is_sent_again_after_three_stall_periods(backend_container: Container, queued: int) -> None:
    clock: FixedClock = backend_container.clock  # type: ignore[assignment]
    clock.advance(STALL * 3 - dt.timedelta(seconds=1))
    assert _stalled(backend_container) == []  # a backlog is not a lost task
    clock.advance(dt.timedelta(seconds=2))
    assert _stalled(backend_container) == [queued]

    with transaction(backend_container.new_session) as session:
        mark_resent(session, document_ids=[queued], clock=clock)
    assert _stalled(backend_container) == []  # sent again: not again at the next check
    clock.advance(STALL * 3 + dt.timedelta(seconds=1))
    assert _stalled(backend_container) == [queued]  # still waiting a whole period later: once more


def test_the_heartbeat_keeps_a_live_workers_claim_fresh_and_stops_with_it(backend_container: Container, queued: int) -> None:
    backend_container.clock = SystemClock()
    _leave_processing(backend_container, queued)

    def touched() -> dt.datetime:
        with backend_container.new_session() as session:
            return session.get(Document, queued).updated_at  # type: ignore[union-attr]

    before = touched()
    with heartbeat(backend_container.new_session, document_id=queued, clock=backend_container.clock, every=dt.timedelta(seconds=0.05)):
        time.sleep(0.3)
    after = touched()
    assert after > before
    time.sleep(0.2)
    assert touched() == after  # stopped with the block

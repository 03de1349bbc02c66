"""A worker that dies mid-OCR loses its document's lease once the lease runs out
(``ocr_stall_seconds`` unrenewed): then another task takes it over. The same task
redelivered (its pool process died) takes its own lease back at once. The lease's
heartbeat itself is tested in tests/core/test_lease.py."""

from __future__ import annotations

import dataclasses
import datetime as dt
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.lease import Lease, lease_name
from casevault.core.models import Document, DocumentStatus, PageText, StoredObject, Variant
from casevault.ingest import process as processing
from casevault.ingest.stalls import mark_resent, requeue, stalled
from tests.ingest.scans import save, text_strip
from tests.ingest.uploads import run_ocr, stored_bytes, upload

pytestmark = pytest.mark.parametrize("backend_container", ["filesystem"], indirect=True)
STALL = dt.timedelta(seconds=300)  # the default ocr_stall_seconds


@pytest.fixture
def queued(backend_client: TestClient, officer, case_id, tmp_path: Path) -> int:
    answer = upload(backend_client, officer, case_id, save(text_strip(), tmp_path / "review.png"))
    assert answer.status_code == 202, answer.text
    return answer.json()["id"]


DEAD_TASK = "dead-task"


def _leave_processing(container: Services, document_id: int) -> None:
    """What a worker killed in the middle of an OCR leaves behind: the document
    processing, its lease held by the dead task until it runs out."""
    lease = Lease(
        container.new_session,
        name=lease_name("ocr", "document", document_id),
        holder=DEAD_TASK,
        duration=STALL,
        clock=container.clock,
    )
    with transaction(container.new_session) as session:
        assert lease.take(session)
        document = session.get(Document, document_id)
        document.status, document.updated_at = DocumentStatus.processing, container.clock.now()
        session.add(document)


def _stalled(container: Services) -> list[int]:
    with container.new_session() as session:
        return stalled(session, clock=container.clock, stall_after=STALL)


def test_a_dead_workers_document_is_taken_over_once_its_lease_runs_out(
    backend_container: Services, queued: int
) -> None:
    clock: FixedClock = backend_container.clock
    _leave_processing(backend_container, queued)

    # Still held by the dead task: not OCR'd twice at once.
    assert run_ocr(backend_container, queued, task_id="another-task") is DocumentStatus.processing
    assert _stalled(backend_container) == []
    clock.advance(STALL + dt.timedelta(seconds=1))
    assert _stalled(backend_container) == [queued]
    assert run_ocr(backend_container, queued, task_id="another-task") is DocumentStatus.ready
    assert _stalled(backend_container) == []


def test_a_redelivered_task_takes_its_document_back_at_once(backend_container: Services, queued: int) -> None:
    _leave_processing(backend_container, queued)  # its pool process was killed; the broker hands the task back

    assert run_ocr(backend_container, queued, task_id=DEAD_TASK) is DocumentStatus.ready  # no stall period waited
    with backend_container.new_session() as session:
        assert session.get(Document, queued).status is DocumentStatus.ready
    lease = Lease(
        backend_container.new_session,
        name=lease_name("ocr", "document", queued),
        holder="x",
        duration=STALL,
        clock=backend_container.clock,
    )
    assert lease.current() is None  # released with the result


def test_a_queued_document_is_sent_again_after_three_stall_periods(backend_container: Services, queued: int) -> None:
    clock: FixedClock = backend_container.clock
    clock.advance(STALL * 3 - dt.timedelta(seconds=1))
    assert _stalled(backend_container) == []  # a backlog is not a lost task
    clock.advance(dt.timedelta(seconds=2))
    assert _stalled(backend_container) == [queued]

    with transaction(backend_container.new_session) as session:
        mark_resent(session, document_ids=[queued], clock=clock)
    assert _stalled(backend_container) == []  # sent again: not again at the next check
    clock.advance(STALL * 3 + dt.timedelta(seconds=1))
    assert _stalled(backend_container) == [queued]  # still waiting a whole period later: once more


def _ocr_lease(container: Services, document_id: int, holder: str) -> Lease:
    return Lease(
        container.new_session,
        name=lease_name("ocr", "document", document_id),
        holder=holder,
        duration=STALL,
        clock=container.clock,
    )


def _scratch(container: Services) -> list[Path]:
    return sorted((container.settings.data_dir / "tmp").rglob("*"))


def test_a_task_that_lost_its_lease_mid_ocr_records_nothing_and_removes_its_result(
    backend_container: Services, queued: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock: FixedClock = backend_container.clock
    real_ocr = processing.make_searchable

    def ocr_while_the_lease_is_taken_over(*args, **kwargs):
        clock.advance(STALL + dt.timedelta(seconds=1))  # this worker stalled past its lease
        assert _ocr_lease(backend_container, queued, "the-new-holder").acquire()
        return real_ocr(*args, **kwargs)

    monkeypatch.setattr(processing, "make_searchable", ocr_while_the_lease_is_taken_over)
    objects_before = len(stored_bytes(backend_container))

    assert run_ocr(backend_container, queued, task_id="stalled-task") is DocumentStatus.processing
    with backend_container.new_session() as session:
        searchable = session.exec(select(StoredObject).where(StoredObject.variant == Variant.searchable)).all()
        texts = session.exec(select(PageText)).all()
    assert (searchable, texts) == ([], [])  # the new holder's result will be the one recorded
    assert len(stored_bytes(backend_container)) == objects_before  # its searchable object was deleted
    assert _ocr_lease(backend_container, queued, "x").current().holder == "the-new-holder"
    assert _scratch(backend_container) == []


def test_ocr_that_succeeds_or_fails_leaves_no_scratch_and_frees_its_lease(
    backend_container: Services, queued: int, tmp_path: Path
) -> None:
    crashing = tmp_path / "tesseract"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crashing.chmod(crashing.stat().st_mode | stat.S_IXUSR)
    options = dataclasses.replace(backend_container.ocr_options, tesseract=str(crashing))
    status = processing.process(
        new_session=backend_container.new_session,
        vault=backend_container.vault,
        options=options,
        limits=backend_container.upload_limits,
        scratch=backend_container.settings.data_dir / "tmp",
        clock=backend_container.clock,
        document_id=queued,
        holder="test-task",
    )
    assert status is DocumentStatus.failed
    assert _scratch(backend_container) == []
    assert _ocr_lease(backend_container, queued, "x").current() is None

    with transaction(backend_container.new_session) as session:
        failed = session.get(Document, queued)
        assert failed is not None
        requeue(session, document=failed, clock=backend_container.clock)
    assert run_ocr(backend_container, queued) is DocumentStatus.ready
    assert _scratch(backend_container) == []
    assert _ocr_lease(backend_container, queued, "x").current() is None

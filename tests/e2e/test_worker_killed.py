"""A worker killed in the middle of its work: the task is finished all the same.

Two ways a worker dies, on a real Redis broker:
- the whole worker (a machine or container gone) in the middle of an OCR: its
  message stays unacknowledged until Redis's visibility timeout (hours), so the
  document's OCR lease, no longer renewed, runs out and beat's requeue task hands
  it to another worker;
- the pool process running an OCR or a sweep batch (the OOM killer's usual
  choice): the worker hands the message back at once (reject_on_worker_lost) and
  the redelivered task, holding the same task id, takes back its own leases at
  once, not after the stall period.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import func, select

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.app.task_queue import SWEEP_TASK
from casevault.core.clock import SystemClock
from casevault.core.db import transaction
from casevault.core.models import AuditEvent, Case, CaseStatus, Role, StoredObject, Variant
from casevault.core.settings import Settings
from casevault.core.users import create_user
from tests.e2e.servers import real_time_case_dates, running, running_worker, wait_for
from tests.fixtures_brokers import OnBroker
from tests.ingest.scans import DPI, text_strip
from tests.people import CONSENT
from tests.retention.seeding import seed_person

STALL_SECONDS = 10
LONG_STALL_SECONDS = 600
SWEEP_AS_OF = dt.date(2026, 11, 24)  # years before the young people's 25th birthdays (from 2037)


def _real_time_container(settings: Settings) -> Services:
    settings = settings.model_copy(update={"ocr_stall_seconds": STALL_SECONDS})
    init_storage(settings)
    return Services(settings, clock=SystemClock())  # the workers live in real time


def _scan_pages(path: Path, pages: int) -> Path:
    """A multi-page A4 scan: long enough to OCR that the worker can be killed mid-way."""
    sheets = []
    for page in range(pages):
        sheet = Image.new("L", (2480, 3508), 255)
        for row in range(8):
            sheet.paste(
                text_strip((f"Annual review page {page + 1}", "Speech therapy twice weekly")), (100, 150 + row * 420)
            )
        sheets.append(sheet)
    sheets[0].save(path, save_all=True, append_images=sheets[1:], dpi=(DPI, DPI), compression="tiff_lzw")
    return path


def test_a_worker_killed_mid_ocr_has_its_scan_finished_by_another(
    settings: Settings, tmp_path: Path, on_broker: OnBroker
) -> None:
    container = _real_time_container(on_broker("redis", settings))
    dates = real_time_case_dates()
    with transaction(container.new_session) as session:
        _, token = create_user(session, username="olive", role=Role.officer, clock=container.clock)
    headers = {"Authorization": f"Bearer {token}"}

    with TestClient(create_app(container)) as client, ExitStack() as processes:
        person = client.post(
            "/api/v1/people",
            json={"full_name": "Jamie Example", "date_of_birth": dates["born"], "consent": CONSENT},
            headers=headers,
        ).json()
        case = client.post(
            "/api/v1/cases",
            json={"person_id": person["id"], "referral_date": dates["referred"], "referral_source": "parent_carer"},
            headers=headers,
        ).json()

        def status(document_id: int) -> str:
            return client.get(f"/api/v1/documents/{document_id}", headers=headers).json()["status"]

        doomed = processes.enter_context(running_worker(container.settings, tmp_path / "doomed.log"))
        with _scan_pages(tmp_path / "bundle.tiff", 6).open("rb") as body:
            answer = client.post(
                f"/api/v1/cases/{case['id']}/documents",
                files={"file": ("bundle.tiff", body)},
                data={"correspondence_date": dates["letter"], "provided_by": "school"},
                headers=headers,
            )
        assert answer.status_code == 202, answer.text
        document_id = answer.json()["id"]
        wait_for(lambda: status(document_id) == "processing", 60, "the first worker starts the OCR")
        os.killpg(doomed.pid, signal.SIGKILL)  # the worker and its pool, mid-OCR, no goodbye
        doomed.wait()
        assert status(document_id) == "processing"

        processes.enter_context(running_worker(container.settings, tmp_path / "survivor.log"))
        processes.enter_context(running(container.settings, tmp_path / "beat.log", "beat", ready=b"beat: Starting"))
        wait_for(
            lambda: status(document_id) == "ready", STALL_SECONDS * 3 + 120, "the surviving worker finishes the scan"
        )

        hits = client.get("/api/v1/search", params={"q": "therapy", "case_id": case["id"]}, headers=headers).json()[
            "items"
        ]
        assert {hit["document_id"] for hit in hits} == {document_id}
    with container.new_session() as session:
        searchable = session.exec(
            select(func.count()).select_from(StoredObject).where(StoredObject.variant == Variant.searchable)
        ).one()
        ocr_events = session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "document.ocr")
        ).one()
    assert (searchable, ocr_events) == (1, 1)  # finished once, nothing half-written left over
    container.close()


def test_a_killed_ocr_pool_process_has_its_scan_redelivered_and_finished_at_once(
    settings: Settings, tmp_path: Path, on_broker: OnBroker
) -> None:
    # A stall period far longer than the wait below: only an immediate take-over by the
    # redelivered task passes, and no beat runs to requeue anything.
    settings = on_broker("redis", settings).model_copy(update={"ocr_stall_seconds": LONG_STALL_SECONDS})
    init_storage(settings)
    container = Services(settings, clock=SystemClock())
    scratch = settings.data_dir / "tmp"
    dates = real_time_case_dates()
    with transaction(container.new_session) as session:
        _, token = create_user(session, username="olive", role=Role.officer, clock=container.clock)
    headers = {"Authorization": f"Bearer {token}"}

    with TestClient(create_app(container)) as client:
        born = {"full_name": "Jamie Example", "date_of_birth": dates["born"], "consent": CONSENT}
        person = client.post("/api/v1/people", json=born, headers=headers).json()
        referral = {"person_id": person["id"], "referral_date": dates["referred"], "referral_source": "parent_carer"}
        case = client.post("/api/v1/cases", json=referral, headers=headers).json()

        def status(document_id: int) -> str:
            return client.get(f"/api/v1/documents/{document_id}", headers=headers).json()["status"]

        with running_worker(settings, tmp_path / "worker.log") as worker:
            [pool_process] = _pool_children(worker)
            form = {"correspondence_date": dates["letter"], "provided_by": "school"}
            with _scan_pages(tmp_path / "bundle.tiff", 6).open("rb") as body:
                answer = client.post(
                    f"/api/v1/cases/{case['id']}/documents",
                    files={"file": ("bundle.tiff", body)},
                    data=form,
                    headers=headers,
                )
            assert answer.status_code == 202, answer.text
            document_id = answer.json()["id"]
            wait_for(lambda: status(document_id) == "processing", 60, "the pool process starts the OCR")
            wait_for(lambda: any(scratch.iterdir()), 30, "the OCR works in its scratch directory")
            os.kill(pool_process, signal.SIGKILL)
            killed_at = time.monotonic()
            left_behind = sorted(scratch.iterdir())
            assert left_behind, "the killed pool process left its scratch directory (decrypted pages) behind"
            wait_for(lambda: status(document_id) == "ready", LONG_STALL_SECONDS / 2, "the redelivered task finishes")
            seconds = time.monotonic() - killed_at
            print(f"\nkilled OCR pool process: document ready {seconds:.1f}s after the kill")
            assert "WorkerLostError" in (tmp_path / "worker.log").read_text()  # the kill really hit the running OCR
        assert all(path.exists() for path in left_behind)  # nothing removed it while the worker ran on
        with running_worker(settings, tmp_path / "next.log"):
            assert not any(path.exists() for path in left_behind), "a starting worker removes a dead process's scratch"

        query = {"q": "therapy", "case_id": case["id"]}
        hits = client.get("/api/v1/search", params=query, headers=headers).json()["items"]
        assert {hit["document_id"] for hit in hits} == {document_id}
    with container.new_session() as session:
        searchable = session.exec(
            select(func.count()).select_from(StoredObject).where(StoredObject.variant == Variant.searchable)
        ).one()
    assert searchable == 1
    container.close()


def _pool_children(worker: subprocess.Popen) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in found]


def test_a_sweep_whose_pool_process_is_killed_is_redelivered_and_finished(
    settings: Settings, tmp_path: Path, on_broker: OnBroker
) -> None:
    container = _real_time_container(on_broker("redis", settings))
    closed = dt.date(2025, 6, 2)  # last letter over 12 months before the sweep's date: every case due for the archive
    cases = [
        seed_person(
            container,
            tmp_path,
            born=dt.date(2012, 1, 1) + dt.timedelta(days=i),
            documents=3,
            closed_on=closed,
            last_correspondence=closed,
        ).case_id
        for i in range(16)
    ]

    def archived() -> int:
        with container.new_session() as session:
            return session.exec(select(func.count()).select_from(Case).where(Case.status == CaseStatus.archived)).one()

    with running_worker(container.settings, tmp_path / "worker.log") as worker:
        [pool_process] = _pool_children(worker)
        container.celery.send_task(SWEEP_TASK, args=[SWEEP_AS_OF.isoformat()])  # not today: 2037 would destroy them
        wait_for(lambda: archived() >= 1, 60, "the sweep starts archiving")
        os.kill(pool_process, signal.SIGKILL)
        at_kill = archived()
        if at_kill == len(cases):
            pytest.fail("the sweep finished before the kill: seed more cases so the kill lands mid-batch")
        wait_for(lambda: archived() == len(cases), 120, "the redelivered sweep archives every case")
    assert "WorkerLostError" in (tmp_path / "worker.log").read_text()  # the kill really hit the running sweep
    with container.new_session() as session:
        statuses = {session.get(Case, case_id).status for case_id in cases}
    assert statuses == {CaseStatus.archived}
    container.close()

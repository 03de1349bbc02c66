"""An upload's request id reaches the worker's log lines for the OCR it started.

The API runs in the test process; the worker is a real `casevault worker`
process on a real broker, logging JSON to the file ``running_worker`` writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.app.task_queue import OCR_TASK
from casevault.core.clock import SystemClock
from casevault.core.models import Role
from casevault.core.settings import Settings
from tests.e2e.servers import real_time_case_dates, running_worker, wait_for
from tests.fixtures_brokers import OnBroker
from tests.ingest.scans import save, text_strip
from tests.log_capture import json_lines
from tests.people import CONSENT
from tests.tokens import token

REQUEST_ID = "upload-req-0001"


@pytest.mark.parametrize("broker", ["sqlite", "redis"])
def test_the_worker_logs_the_ocr_of_an_upload_under_the_uploads_request_id(
    settings: Settings, tmp_path: Path, broker: str, on_broker: OnBroker, logged
) -> None:
    settings = on_broker(broker, settings)
    init_storage(settings)
    container = Services(settings, clock=SystemClock())
    dates = real_time_case_dates()
    headers = token(container, "olive", Role.officer)
    worker_log = tmp_path / "worker.log"

    with running_worker(settings, worker_log), TestClient(create_app(container)) as client:
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
        with save(text_strip(), tmp_path / "review.png").open("rb") as body:
            upload = client.post(
                f"/api/v1/cases/{case['id']}/documents",
                files={"file": ("review.png", body)},
                data={"correspondence_date": dates["letter"], "provided_by": "parent_carer"},
                headers={**headers, "X-Request-ID": REQUEST_ID},
            )
        assert upload.status_code == 202, upload.text
        assert upload.headers["X-Request-ID"] == REQUEST_ID

        def ocr_lines() -> list[dict]:
            return [line for line in json_lines(worker_log.read_text()) if line.get("task_name") == OCR_TASK]

        wait_for(
            lambda: any("succeeded" in line["message"] for line in ocr_lines()), 120, "the worker finishing the OCR"
        )
        searched = client.get(
            "/api/v1/search", params={"q": "therapy"}, headers={**headers, "X-Request-ID": "search-req-0001"}
        )
        assert [hit["document_id"] for hit in searched.json()["items"]] == [upload.json()["id"]]

    lines = ocr_lines()
    assert len(lines) >= 2, "the OCR task logs its work and its end"
    assert {line["request_id"] for line in lines} == {REQUEST_ID}
    assert {line["task_id"] for line in lines} and all(line["task_id"] for line in lines)
    # Lines outside any task (start-up, the next task) carry no request id.
    assert all(line.get("request_id") is None for line in json_lines(worker_log.read_text()) if "task_name" not in line)

    api_log = logged()
    assert "therapy" not in api_log.text and "therapy" not in worker_log.read_text()
    assert any(line.get("request_id") == "search-req-0001" for line in api_log.lines)
    container.close()

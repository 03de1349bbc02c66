"""From upload to searchable through the API and a real worker, as in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.clock import SystemClock
from casevault.core.models import Role
from casevault.core.settings import Settings
from tests.e2e.servers import real_time_case_dates, running_worker, wait_for
from tests.fixtures_brokers import OnBroker
from tests.ingest.scans import save, text_strip
from tests.ingest.uploads import BAD_FILES
from tests.people import CONSENT
from tests.tokens import token


@pytest.mark.parametrize("broker", ["sqlite", "redis"])
def test_bad_files_are_refused_and_the_next_scan_becomes_searchable(
    settings: Settings, tmp_path: Path, broker: str, on_broker: OnBroker
) -> None:
    settings = on_broker(broker, settings)
    init_storage(settings)
    container = Services(settings, clock=SystemClock())  # the worker lives in real time too
    dates = real_time_case_dates()
    headers = token(container, "olive", Role.officer)

    def send(client: TestClient, case_id: int, path: Path) -> int:
        with path.open("rb") as body:
            response = client.post(
                f"/api/v1/cases/{case_id}/documents",
                files={"file": (path.name, body)},
                data={"correspondence_date": dates["letter"], "provided_by": "parent_carer"},
                headers=headers,
            )
        assert response.status_code == 202, response.text
        return response.json()["id"]

    with running_worker(settings, tmp_path / "worker.log", concurrency=1), TestClient(create_app(container)) as client:
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
        for name, (make, expected, _) in sorted(BAD_FILES.items()):
            folder = tmp_path / name.replace(" ", "-")
            folder.mkdir()
            with make(folder).open("rb") as body:
                refused = client.post(
                    f"/api/v1/cases/{case['id']}/documents",
                    files={"file": ("scan.pdf", body)},
                    data={"correspondence_date": dates["letter"], "provided_by": "school"},
                    headers=headers,
                )
            assert refused.status_code == expected, name
        good = send(client, case["id"], save(text_strip(), tmp_path / "review.png"))

        def status() -> str:
            return client.get(f"/api/v1/documents/{good}", headers=headers).json()["status"]

        wait_for(lambda: status() == "ready", 120, "the good scan processed after the bad files")
        hits = client.get("/api/v1/search", params={"q": "therapy", "case_id": case["id"]}, headers=headers).json()[
            "items"
        ]
        assert [hit["document_id"] for hit in hits] == [good]
    container.close()

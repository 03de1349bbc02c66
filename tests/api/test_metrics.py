"""/metrics: what an operator's Prometheus sees after real work, and that no label
ever holds a personal value.

Uploads go through the API (their OCR tasks really wait on the embedded SQLite
broker); OCR and the sweep run in this process through the service functions the
tasks wrap. The numbers asserted are the ones the work left in the database.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from casevault.api.app import create_app
from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.app.task_queue import OCR_QUEUE, broker_name
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import DocumentStatus, Role, StoredObject, Variant
from casevault.core.settings import Settings
from casevault.retention.sweep import run_sweep
from tests.fixtures_brokers import OnBroker
from tests.ingest.scans import pdf_with_text_pages, save, text_strip
from tests.ingest.uploads import run_ocr
from tests.people import CONSENT
from tests.tokens import token

BORN = dt.date(2004, 3, 10)  # 25 on 10 March 2029
PERSONAL = (
    "Jamie",
    "Example",
    "2004-03-10",
    "10/03/2004",
    "07700 900123",  # the person
    "review.png",
    "bundle.pdf",
    "broken.pdf",  # file names
    "Annual review",
    "provision",
    "Speech therapy",
    "Tribunal",
    "hearing",  # document words
    "psychologist",
    "Met the family",  # search words, note text
    "Appeal pending",  # a hold's reason
)
OCR_TASK = "casevault.ingest.ocr_document"
LIFECYCLE_TASK = "casevault.retention.restore_case"


@pytest.fixture
def ops(container: Services) -> Iterator[tuple[Services, TestClient]]:
    init_storage(container.settings)
    with TestClient(create_app(container)) as client:
        yield container, client


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by (name, sorted labels)."""
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def _upload(client: TestClient, headers: dict, case_id: int, path: Path) -> tuple[int, int]:
    body = path.read_bytes()
    answer = client.post(
        f"/api/v1/cases/{case_id}/documents",
        files={"file": (path.name, body, "application/octet-stream")},
        data={"correspondence_date": "2026-10-02", "provided_by": "school"},
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    return answer.json()["id"], len(body)


def test_upload_ocr_sweep_and_destruction_show_in_metrics(ops: tuple[Services, TestClient], tmp_path: Path) -> None:
    container, client = ops
    clock: FixedClock = container.clock
    officer, manager = token(container, "olive", Role.officer), token(container, "maya", Role.manager)
    person = client.post(
        "/api/v1/people",
        json={
            "full_name": "Jamie Example",
            "date_of_birth": BORN.isoformat(),
            "contact_details": "07700 900123",
            "consent": CONSENT,
        },
        headers=officer,
    ).json()
    case = client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"},
        headers=officer,
    ).json()

    # --- three uploads: a scan, a two-page letter with text, one whose original goes missing
    scan, scan_bytes = _upload(client, officer, case["id"], save(text_strip(), tmp_path / "review.png"))
    letter, letter_bytes = _upload(
        client,
        officer,
        case["id"],
        pdf_with_text_pages(
            tmp_path / "bundle.pdf", [("Tribunal hearing bundle",), ("Educational psychologist report",)]
        ),
    )
    broken, broken_bytes = _upload(
        client, officer, case["id"], pdf_with_text_pages(tmp_path / "broken.pdf", [("Tribunal",)])
    )
    before = scrape(client)
    assert value(before, "casevault_documents", status="queued") == 3
    assert value(before, "casevault_queue_depth", queue="ocr") == 3  # the upload route's tasks, waiting on the broker
    assert value(before, "casevault_broker_up") == 1 and value(before, "casevault_database_up") == 1
    assert (
        value(
            before,
            "casevault_http_requests_total",
            method="POST",
            route="/api/v1/cases/{case_id}/documents",
            status="202",
        )
        == 3
    )
    uploaded = value(before, "casevault_upload_bytes_total")
    assert (
        scan_bytes + letter_bytes + broken_bytes < uploaded < scan_bytes + letter_bytes + broken_bytes + 3 * 2048
    )  # plus multipart framing

    # --- OCR: one page read by tesseract, two from the text layer, and one failure: the
    # third document's original cannot be found while it is processed
    assert [run_ocr(container, d) for d in (scan, letter)] == [DocumentStatus.ready, DocumentStatus.ready]
    with _original_missing(container, broken):
        assert run_ocr(container, broken) == DocumentStatus.failed
    after_ocr = scrape(client)
    assert value(after_ocr, "casevault_ocr_pages_total", method="ocr") == 1
    assert value(after_ocr, "casevault_ocr_pages_total", method="text") == 2
    assert value(after_ocr, "casevault_ocr_failures_total") == 1
    assert 0 < value(after_ocr, "casevault_ocr_seconds_total") < 300
    assert value(after_ocr, "casevault_documents", status="ready") == 2
    assert value(after_ocr, "casevault_documents", status="failed") == 1
    assert value(after_ocr, "casevault_documents", status="queued") == 0

    # --- activity whose paths, queries and bodies hold personal values
    assert client.get("/api/v1/search", params={"q": "psychologist"}, headers=officer).json()["items"]
    client.post(
        f"/api/v1/cases/{case['id']}/notes",
        json={"kind": "progress_summary", "text": "Met the family.", "date": "2026-10-05"},
        headers=officer,
    )
    client.get("/api/v1/people/Jamie%20Example", headers=officer)
    client.get("/Jamie-Example-2004-03-10", headers=officer)
    client.request("JAMIE", "/api/v1/cases", headers=officer)

    # --- the sweep: archive on closure; a held destruction skipped; then destroyed
    assert (
        client.post(
            f"/api/v1/cases/{case['id']}/close",
            json={"closed_on": "2026-11-20", "outcome": "Plan agreed.", "outcome_code": "advice_given"},
            headers=officer,
        ).status_code
        == 200
    )
    archived = run_sweep(container.lifecycle, dry_run=False)
    assert [o.outcome.value for o in archived.outcomes] == ["done"]
    hold = client.post(
        "/api/v1/holds", json={"person_id": person["id"], "kind": "legal", "reason": "Appeal pending"}, headers=manager
    ).json()
    clock.set(BORN.replace(year=2029))
    held = run_sweep(container.lifecycle, dry_run=False)
    assert [o.outcome.value for o in held.outcomes] == ["skipped"]
    assert client.delete(f"/api/v1/holds/{hold['id']}", headers=manager).status_code == 200
    destroyed = run_sweep(container.lifecycle, dry_run=False)
    assert [o.outcome.value for o in destroyed.outcomes] == ["done"]
    [certificate] = client.get("/api/v1/certificates", headers=manager).json()["certificates"]

    final = scrape(client)
    assert value(final, "casevault_sweep_outcomes_total", outcome="done") == 2
    assert value(final, "casevault_sweep_outcomes_total", outcome="skipped") == 1
    assert value(final, "casevault_sweep_outcomes_total", outcome="failed") == 0
    assert value(final, "casevault_destructions_total") == 1
    assert (
        value(final, "casevault_destroyed_objects_total") == certificate["objects"] == 7
    )  # two read (original, searchable PDF, words: 3 each) and the failed one's original
    assert value(final, "casevault_destroyed_bytes_total") == certificate["bytes"] > 0
    assert all(value(final, "casevault_documents", status=s.value) == 0 for s in DocumentStatus)
    assert value(final, "casevault_http_requests_total", method="other", route="/api/v1/cases", status="405") == 1
    assert value(final, "casevault_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert (
        value(final, "casevault_http_requests_total", method="GET", route="/api/v1/people/{person_id}", status="422")
        == 1
    )

    # --- nothing personal anywhere in the exposition, and every label from a fixed vocabulary
    exposition = client.get("/metrics").text
    for secret in (*PERSONAL, person["pseudonym"], case["reference"]):
        assert secret.lower() not in exposition.lower(), secret
    assert_labels_are_vocabulary(client)


@contextmanager
def _original_missing(container: Services, document_id: int) -> Iterator[None]:
    """The document's original points at an object that is not there, then back."""
    query = select(StoredObject).where(
        StoredObject.document_id == document_id, StoredObject.variant == Variant.original
    )
    with transaction(container.new_session) as session:
        original = session.exec(query).one()
        key, original.object_key = original.object_key, "missing-object-key"
        session.add(original)
    yield
    with transaction(container.new_session) as session:
        original = session.exec(query).one()
        original.object_key = key
        session.add(original)


def assert_labels_are_vocabulary(client: TestClient) -> None:
    app_routes = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/assets/{name}", "unmatched"}
    templates = set(client.app.openapi()["paths"]) | app_routes  # TestClient.app is the ASGI app
    allowed = {
        "method": {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"},
        "route": templates,
        "outcome": {"done", "skipped", "waiting", "failed"},
        "queue": {"ocr", "lifecycle"},
        "operation": {"download", "restore"},
        "le": None,  # histogram bucket bounds: numbers
    }
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            for name, label in sample.labels.items():
                if sample.name == "casevault_ocr_pages_total":
                    assert (name, label) in {("method", "ocr"), ("method", "text")}, label
                elif name == "status":
                    assert label.isdigit() or label in {s.value for s in DocumentStatus}, (sample.name, label)
                elif allowed[name] is None:
                    float(label)
                else:
                    assert label in allowed[name], (sample.name, name, label)


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_queue_depth_is_what_waits_on_the_broker(
    settings: Settings, clock: FixedClock, kind: str, on_broker: OnBroker
) -> None:
    settings = on_broker(kind, settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    init_storage(settings)
    container = Services(settings, clock=clock)
    try:
        celery = container.celery
        for document_id in (1, 2, 3):
            celery.send_task(OCR_TASK, args=[document_id])
        for case_id in (1, 2):
            celery.send_task(LIFECYCLE_TASK, args=[case_id])
        with TestClient(create_app(container)) as client:
            waiting = scrape(client)
            assert value(waiting, "casevault_queue_depth", queue="ocr") == 3
            assert value(waiting, "casevault_queue_depth", queue="lifecycle") == 2
            with celery.connection_for_write() as connection:  # a worker takes one OCR task
                taken = connection.default_channel.basic_get(queue=broker_name(settings, OCR_QUEUE), no_ack=True)
                assert taken is not None
            taken = scrape(client)
            assert value(taken, "casevault_queue_depth", queue="ocr") == 2
            assert value(taken, "casevault_broker_up") == 1
    finally:
        container.close()


def test_a_broker_that_is_down_leaves_metrics_answering(settings: Settings, clock: FixedClock) -> None:
    settings = settings.model_copy(update={"broker_url": "redis://:broker-secret@127.0.0.1:1/0"})
    container = Services(settings, clock=clock)
    try:
        with TestClient(create_app(container)) as client:
            samples = scrape(client)
            assert value(samples, "casevault_broker_up") == 0
            assert not [key for key in samples if key[0] == "casevault_queue_depth"]  # unknown, not zero
            assert value(samples, "casevault_database_up") == 1
            assert "broker-secret" not in client.get("/metrics").text
    finally:
        container.close()


MULTIPROCESS_SCRIPT = textwrap.dedent("""
    import sys
    from fastapi.testclient import TestClient
    from casevault.api.app import create_app
    from casevault.core.settings import load_settings
    from casevault.app.services import Services

    container = Services(load_settings())
    with TestClient(create_app(container)) as client:
        for _ in range(int(sys.argv[1])):
            assert client.get("/healthz").status_code == 200
        if sys.argv[2] == "scrape":
            print(client.get("/metrics").text)
    container.close()
""")


def test_several_api_processes_add_up(settings: Settings, tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set (several API workers), a scrape of any one
    process counts the requests every process answered."""
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASEVAULT_")}
    env.update(
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
        CASEVAULT_DATA_DIR=str(settings.data_dir),
        CASEVAULT_DATABASE_URL=settings.database_url,
        CASEVAULT_BROKER_URL=settings.broker_url,
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    def run(requests: int, then: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", MULTIPROCESS_SCRIPT, str(requests), then],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run(3, "exit")
    exposition = run(2, "scrape")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(exposition)
        for s in family.samples
    }
    assert value(samples, "casevault_http_requests_total", method="GET", route="/healthz", status="200") == 5
    assert value(samples, "casevault_database_up") == 1  # the service part is there too

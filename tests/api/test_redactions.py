"""The redaction log through the API: managers only, the request's person's documents only,
a second manager reviews, a term must be found, and the preview shows the boxes burned in."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import select

from casevault.app.parts import init_storage
from casevault.app.services import Services
from casevault.core.db import transaction
from casevault.core.models import (
    AuditEvent,
    BundleStatus,
    DocumentStatus,
    RequesterKind,
    Role,
    SarBundle,
    SarStatus,
    SubjectAccessRequest,
)
from tests.api.conftest import Caller
from tests.ingest.scans import save, text_strip
from tests.ingest.uploads import run_ocr, upload
from tests.people import CONSENT
from tests.tokens import new_user

NAME = "Fairweather"
LINES = ("Annual review of provision", f"Letter from Marjorie {NAME}", "Speech therapy twice weekly")


def open_request(container: Services, person_id: int, opened_by: int, reference: str = "SAR-000001") -> int:
    with transaction(container.new_session) as session:
        request = SubjectAccessRequest(
            reference=reference,
            person_id=person_id,
            requester_kind=RequesterKind.parent_carer,
            requester_name="A Parent",
            received_on=dt.date(2026, 11, 2),
            due_on=dt.date(2026, 12, 2),
            opened_by=opened_by,
        )
        session.add(request)
        session.flush()
        assert request.id is not None
        return request.id


@pytest.fixture
def document(client: TestClient, container: Services, callers: dict[str, Caller], case: dict, tmp_path: Path) -> dict:
    init_storage(container.settings)
    scan = save(text_strip(LINES, size=(1500, 460)), tmp_path / "letter.png")
    response = upload(client, callers["officer"].headers, case["id"], scan)
    assert response.status_code == 202, response.text
    assert run_ocr(container, response.json()["id"]) == DocumentStatus.ready
    return response.json()


@pytest.fixture
def request_id(container: Services, callers: dict[str, Caller], person: dict) -> int:
    return open_request(container, person["id"], callers["manager"].user_id)


REGION = {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.1}


def test_a_manager_marks_a_region_and_a_term_and_a_second_manager_reviews_them(
    client: TestClient, container: Services, callers: dict[str, Caller], document: dict, request_id: int
) -> None:
    maya = callers["manager"].headers
    url = f"/api/v1/subject-access/{request_id}/redactions"
    region = client.post(
        url,
        json={
            "document_id": document["id"],
            "page": 1,
            "region": REGION,
            "category": "third_party",
            "legal_basis": "DPA 2018 Sch 2 para 16",
        },
        headers=maya,
    )
    assert region.status_code == 201, region.text
    term = client.post(
        url,
        json={"document_id": document["id"], "term": NAME.lower(), "category": "third_party", "legal_basis": "para 16"},
        headers=maya,
    )
    assert term.status_code == 201, term.text

    log = client.get(url, headers=maya).json()["items"]
    assert [(item["page"], item["region"], item["term"]) for item in log] == [
        (1, REGION, None),
        (None, None, NAME.lower()),
    ]
    assert {item["redacted_by"] for item in log} == {"maya"} and all(item["reviewed_by"] is None for item in log)

    own = client.post(f"/api/v1/redactions/{log[0]['id']}/review", headers=maya)
    assert own.status_code == 409 and "second manager" in own.json()["detail"]
    _, second = new_user(container, "mark", Role.manager)
    reviewed = client.post(f"/api/v1/redactions/{log[0]['id']}/review", headers=second)
    assert reviewed.status_code == 200 and reviewed.json()["reviewed_by"] == "mark"

    with container.new_session() as session:
        details = [str(event.details) for event in session.exec(select(AuditEvent)).all()]
    assert any("redaction.add" in str(d) or "third_party" in d for d in details)
    assert not any(NAME.lower() in d.lower() for d in details), "the term never reaches the audit log"

    preview = client.get(
        f"/api/v1/documents/{document['id']}/pages/1/preview", params={"request_id": request_id}, headers=maya
    )
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/png"
    picture = Image.open(io.BytesIO(preview.content)).convert("L")
    width, height = picture.size
    inside = picture.crop((int(0.12 * width), int(0.22 * height), int(0.38 * width), int(0.28 * height)))
    assert inside.getextrema() == (0, 0), "the marked region is black on the preview"
    assert picture.getextrema()[1] > 200, "the rest of the page is still there"

    removed = client.delete(f"/api/v1/redactions/{log[1]['id']}", headers=maya)
    assert removed.status_code == 200
    assert [item["id"] for item in client.get(url, headers=maya).json()["items"]] == [log[0]["id"]]


def test_bad_marks_say_what_to_fix(
    client: TestClient, container: Services, callers: dict[str, Caller], document: dict, request_id: int, person: dict
) -> None:
    maya = callers["manager"].headers
    url = f"/api/v1/subject-access/{request_id}/redactions"
    base = {"document_id": document["id"], "category": "third_party", "legal_basis": "para 16"}

    missing = client.post(url, json={**base, "term": "Nobody-Here"}, headers=maya)
    assert missing.status_code == 422 and "not found" in missing.json()["detail"]
    off_page = client.post(url, json={**base, "page": 1, "region": {**REGION, "left": 0.9}}, headers=maya)
    assert off_page.status_code == 422 and "runs off the page" in off_page.json()["detail"]
    empty = client.post(url, json={**base, "page": 1, "region": {**REGION, "width": 0}}, headers=maya)
    assert empty.status_code == 422
    no_page = client.post(url, json={**base, "page": 2, "region": REGION}, headers=maya)
    assert no_page.status_code == 422 and "page" in no_page.json()["detail"]
    long_term = client.post(url, json={**base, "term": "x" * 201}, headers=maya)
    assert long_term.status_code == 422

    # A document of another person answers as missing.
    other = client.post(
        "/api/v1/people",
        json={"full_name": "Other Child", "date_of_birth": "2011-01-01", "consent": CONSENT},
        headers=callers["officer"].headers,
    )
    assert other.status_code == 201, other.text
    other_request = open_request(container, other.json()["id"], callers["manager"].user_id, "SAR-000002")
    foreign = client.post(
        f"/api/v1/subject-access/{other_request}/redactions",
        json={**base, "page": 1, "region": REGION},
        headers=maya,
    )
    assert foreign.status_code == 404
    assert (
        client.post(
            f"/api/v1/subject-access/{request_id}/redactions",
            json={**base, "document_id": 999999, "page": 1, "region": REGION},
            headers=maya,
        ).status_code
        == 404
    )

    # Completed: the log no longer changes.
    created = client.post(url, json={**base, "page": 1, "region": REGION}, headers=maya).json()
    with transaction(container.new_session) as session:
        request = session.get(SubjectAccessRequest, request_id)
        assert request is not None
        request.status, request.completed_on = SarStatus.completed, dt.date(2026, 11, 30)
        session.add(request)
    assert client.delete(f"/api/v1/redactions/{created['id']}", headers=maya).status_code == 409


def test_officers_and_admins_are_refused(
    client: TestClient, callers: dict[str, Caller], document: dict, request_id: int
) -> None:
    body = {"document_id": document["id"], "page": 1, "region": REGION, "category": "third_party", "legal_basis": "x"}
    for role in ("officer", "admin"):
        headers = callers[role].headers
        assert (
            client.post(f"/api/v1/subject-access/{request_id}/redactions", json=body, headers=headers).status_code
            == 403
        )
        assert client.get(f"/api/v1/subject-access/{request_id}/redactions", headers=headers).status_code == 403
        preview = client.get(
            f"/api/v1/documents/{document['id']}/pages/1/preview", params={"request_id": request_id}, headers=headers
        )
        assert preview.status_code == 403


def test_a_delivered_bundles_redactions_no_longer_change(
    client: TestClient, container: Services, callers: dict[str, Caller], document: dict, request_id: int
) -> None:
    maya, mo = callers["manager"].headers, new_user(container, "mo", Role.manager)[1]
    url = f"/api/v1/subject-access/{request_id}/redactions"
    mark = {"document_id": document["id"], "term": NAME, "category": "third_party", "legal_basis": "A name."}
    marked = client.post(url, json=mark, headers=maya)
    assert marked.status_code == 201, marked.text
    with transaction(container.new_session) as session:
        session.add(
            SarBundle(
                request_id=request_id,
                status=BundleStatus.delivered,
                requested_by=callers["manager"].user_id,
                delivered_method="post",
                delivered_on=dt.date(2026, 11, 24),
            )
        )
    refusals = [
        client.post(url, json={**mark, "term": "Speech"}, headers=maya),
        client.post(f"/api/v1/redactions/{marked.json()['id']}/review", headers=mo),
        client.delete(f"/api/v1/redactions/{marked.json()['id']}", headers=maya),
    ]
    for refused in refusals:
        assert refused.status_code == 409, refused.text
        assert "is delivered: its redactions can no longer change" in refused.json()["detail"]
    assert [row["term"] for row in client.get(url, headers=maya).json()["items"]] == [NAME]  # as delivered

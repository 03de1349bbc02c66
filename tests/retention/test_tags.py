"""Tags name nothing about the person: after upload, OCR, archive and restore, no tag
key, tag value or object metadata of any object, on either backend, holds anything
derived from the date of birth (the year, the month, the day, the 25th birthday).
An object still carrying the retired disposition-month tag loses it when moved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from casevault.api.app import create_app
from casevault.app.services import Services
from casevault.archive.s3 import S3Store
from casevault.core.clock import FixedClock
from casevault.core.models import DocumentStatus, Role, Tier
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.e2e.life import upload
from tests.ingest.scans import pdf_with_text_pages
from tests.ingest.uploads import run_ocr
from tests.people import CONSENT
from tests.retention.seeding import lifecycle_of, seed_person
from tests.tokens import token

BORN = dt.date(2004, 3, 10)  # 25 on 10 March 2029
RETIRED_TAG = "casevault:disposition-month"


def derived_from(born: dt.date) -> set[str]:
    birthday = born.replace(year=born.year + 25)
    return (
        {f"{day:%Y}" for day in (born, birthday)}
        | {f"{day:%Y-%m}" for day in (born, birthday)}
        | {f"{day:%Y%m}" for day in (born, birthday)}
        | {
            born.isoformat(),
            birthday.isoformat(),
            f"{born:%m-%d}",
        }
    )


def everything_said_about_objects(life: Services) -> list[str]:
    """Every tag key and value and every metadata key and value, of every object in every tier."""
    store = life.vault.store
    said: list[str] = []
    for tier in Tier:
        for version in store.list_versions(tier=tier):
            if version.is_delete_marker:
                continue
            for key, value in store.get_tags(tier=tier, key=version.key).items():
                said += [key, value]
            if isinstance(store, S3Store):
                head = store.client.head_object(Bucket=store.buckets[tier], Key=version.key)
                for key, value in head.get("Metadata", {}).items():
                    said += [key, value]
    return said


def tag_as_before(life: Services, key: str) -> None:
    """Give an active object the tag casevault wrote before: its destruction month."""
    store = life.vault.store
    store.set_tags(
        tier=Tier.active, key=key, tags={**store.get_tags(tier=Tier.active, key=key), RETIRED_TAG: "2029-03"}
    )


@pytest.fixture
def client(life: Services) -> Iterator[TestClient]:
    with TestClient(create_app(life), raise_server_exceptions=True) as test_client:
        yield test_client


def test_no_tag_or_metadata_of_any_object_derives_from_the_date_of_birth(
    life: Services, client: TestClient, tmp_path: Path
) -> None:
    clock: FixedClock = life.clock
    officer = token(life, "olive", Role.officer)
    body = {"full_name": "Jamie Example", "date_of_birth": BORN.isoformat(), "consent": CONSENT}
    person = client.post("/api/v1/people", json=body, headers=officer).json()
    referral = {"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"}
    case = client.post("/api/v1/cases", json=referral, headers=officer).json()
    letter = pdf_with_text_pages(tmp_path / "letter.pdf", [("Annual review of provision",)])
    document = upload(client, officer, case["id"], letter, "2026-10-02")
    assert run_ocr(life, document) is DocumentStatus.ready
    forbidden = derived_from(BORN)
    seen: list[str] = []

    def check(stage: str) -> None:
        said = everything_said_about_objects(life)
        assert said, f"no object was tagged after {stage}"
        assert [value for value in said if any(f in value for f in forbidden)] == [], stage
        seen.extend(said)

    check("upload and OCR")
    closure = {"closed_on": "2026-11-20", "outcome": "Agreed.", "outcome_code": "advice_given"}
    closed = client.post(f"/api/v1/cases/{case['id']}/close", json=closure, headers=officer)
    assert closed.status_code == 200, closed.text
    assert run_sweep(lifecycle_of(life), dry_run=False).count(StepOutcomeKind.done) == 1
    check("archive")
    clock.set(dt.date(2027, 6, 1))
    referral = {"person_id": person["id"], "referral_date": "2027-06-01", "referral_source": "young_person"}
    again = client.post("/api/v1/cases", json=referral, headers=officer)
    assert again.status_code == 201, again.text
    run_sweep(lifecycle_of(life), dry_run=False)
    assert client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()["status"] == "closed"
    check("restore")
    assert RETIRED_TAG not in seen


def test_an_object_tagged_with_the_retired_disposition_month_loses_it_when_moved(
    life: Services, tmp_path: Path
) -> None:
    seeded = seed_person(life, tmp_path, born=BORN, closed_on=dt.date(2026, 10, 1))
    store = life.vault.store
    for key in seeded.object_keys:  # as casevault tagged active objects before
        tag_as_before(life, key)

    run_sweep(lifecycle_of(life), dry_run=False)

    for key in seeded.object_keys:
        tags = store.get_tags(tier=Tier.archive, key=key)
        assert RETIRED_TAG not in tags and tags["casevault:tier"] == "archive"


def test_the_retired_tag_is_not_carried_to_the_searchable_copy(life: Services, tmp_path: Path) -> None:
    """OCR tags the searchable PDF with the original's tags, as read back from the store."""
    seeded = seed_person(life, tmp_path, born=BORN, documents=1)
    key = seeded.object_keys[0]
    tag_as_before(life, key)

    tags = life.vault.get_tags(object_key=key, tier=Tier.active)

    assert RETIRED_TAG not in tags.as_dict() and tags.tier is Tier.active


def test_retag_removes_the_retired_tag_from_objects_that_stay_where_they_are(life: Services, tmp_path: Path) -> None:
    from casevault.retention.tagging import retag_all

    seeded = seed_person(life, tmp_path, born=BORN, documents=1)
    for key in seeded.object_keys:
        tag_as_before(life, key)

    report = retag_all(new_session=life.new_session, vault=life.vault, schedule=life.schedule)

    assert (report.retagged, report.skipped) == (len(seeded.object_keys), 0)
    forbidden = derived_from(BORN)
    said = everything_said_about_objects(life)
    assert RETIRED_TAG not in said and not [value for value in said if any(f in value for f in forbidden)]

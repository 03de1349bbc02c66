"""One young person's whole life in casevault, on both storage backends, with an
injected clock: three documents uploaded through the API and OCR'd, closure,
archive, re-referral and restore, a hold that stops destruction at 25, its
release, and destruction. Afterwards nothing of them is left anywhere but a
certificate that names no one, and the audit chain still verifies.

OCR runs in this process through the service function the OCR task wraps, and
restores are finished by the sweep, as they are when the restore task is lost;
tests/e2e/test_lifecycle_worker.py lives the same life with a real worker.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from casevault.app.services import Services
from casevault.core.clock import FixedClock
from casevault.core.db import transaction
from casevault.core.models import Consent, ConsentScope, DocumentStatus, Role, Tier
from casevault.retention.steps import StepOutcomeKind
from casevault.retention.sweep import run_sweep
from tests.e2e.life import FULL_NAME, assert_nothing_left_but_a_certificate, hits, keys_in, stored_keys, upload_three
from tests.ingest.uploads import run_ocr
from tests.people import CONSENT
from tests.tokens import token

BORN = dt.date(2004, 3, 10)  # 25 on 10 March 2029


def _sweep(container: Services):
    return run_sweep(container.lifecycle, dry_run=False)


def test_a_young_persons_life_from_referral_to_destruction(
    backend_container: Services, backend_client: TestClient, tmp_path: Path
) -> None:
    clock: FixedClock = backend_container.clock
    officer, manager = token(backend_container, "olive", Role.officer), token(backend_container, "maya", Role.manager)

    # --- referral, three documents, OCR --------------------------------------------------
    person = backend_client.post(
        "/api/v1/people",
        json={"full_name": FULL_NAME, "date_of_birth": BORN.isoformat(), "consent": CONSENT},
        headers=officer,
    ).json()
    case = backend_client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "referral_date": "2026-09-01", "referral_source": "parent_carer"},
        headers=officer,
    ).json()
    documents = upload_three(backend_client, officer, case["id"], tmp_path, ("2026-09-10", "2026-10-02", "2026-11-01"))
    assert [run_ocr(backend_container, d) for d in documents] == [DocumentStatus.ready] * 3
    assert (
        backend_client.post(
            f"/api/v1/cases/{case['id']}/notes",
            json={"kind": "progress_summary", "text": "Met Jamie's parents.", "date": "2026-11-02"},
            headers=officer,
        ).status_code
        == 201
    )
    with transaction(backend_container.new_session) as session:
        session.add(
            Consent(person_id=person["id"], scope=ConsentScope.store_electronically, given_on=dt.date(2026, 9, 1))
        )
    assert hits(backend_client, officer, "tribunal") and hits(backend_client, officer, "speech therapy")
    keys = stored_keys(backend_container)
    assert len(keys) == 9  # original, searchable PDF and words of each
    assert keys_in(backend_container, Tier.active) == keys

    # --- closure and archive ---------------------------------------------------------------
    closed = backend_client.post(
        f"/api/v1/cases/{case['id']}/close",
        json={"closed_on": "2026-11-20", "outcome": "Plan agreed.", "outcome_code": "advice_given"},
        headers=officer,
    )
    assert closed.status_code == 200, closed.text
    assert _sweep(backend_container).count(StepOutcomeKind.done) == 1
    assert keys_in(backend_container, Tier.active) == set() and keys_in(backend_container, Tier.archive) == keys
    for key in keys:
        tags = backend_container.vault.get_tags(object_key=key, tier=Tier.archive)
        assert tags.tier is Tier.archive
    archived = backend_client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()
    assert (archived["status"], archived["archive_until"]) == ("archived", "2027-11-02")

    # --- re-referral: the archived case comes back ----------------------------------------
    clock.set(dt.date(2027, 6, 1))
    again = backend_client.post(
        "/api/v1/cases",
        json={"person_id": person["id"], "referral_date": "2027-06-01", "referral_source": "young_person"},
        headers=officer,
    )
    assert again.status_code == 201, again.text
    assert backend_client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()["status"] == "restoring"
    assert _sweep(backend_container).count(StepOutcomeKind.done) == 1  # finishes the restore (the task's work)
    # The documents are back; the earlier case stays closed, its outcome kept.
    assert backend_client.get(f"/api/v1/cases/{case['id']}", headers=officer).json()["status"] == "closed"
    assert keys_in(backend_container, Tier.archive) == set() and keys_in(backend_container, Tier.active) == keys
    assert hits(backend_client, officer, "psychologist")

    # --- a hold stops destruction at the 25th birthday ------------------------------------
    hold = backend_client.post(
        "/api/v1/holds",
        json={"person_id": person["id"], "kind": "legal", "reason": "Tribunal appeal pending"},
        headers=manager,
    ).json()
    clock.set(dt.date(2029, 3, 9))
    assert _sweep(backend_container).due == ()  # a day before the birthday nothing is due
    clock.set(BORN.replace(year=2029))
    held = _sweep(backend_container)
    assert [i.action.held for i in held.due] == [True] and held.count(StepOutcomeKind.done) == 0
    due = backend_client.get("/api/v1/retention/due", headers=manager).json()["items"]
    assert [(i["kind"], i["held"]) for i in due] == [("destroy_person", True)]
    assert keys_in(backend_container, Tier.active) == keys and backend_container.vault.has_key(
        subject=person["pseudonym"]
    )

    # --- release, destruction -----------------------------------------------------------------
    assert backend_client.delete(f"/api/v1/holds/{hold['id']}", headers=manager).status_code == 200
    clock.advance(dt.timedelta(days=1))
    # The re-referral's case is still open: no destruction without a manager's approval.
    assert _sweep(backend_container).count(StepOutcomeKind.done) == 0
    approval = backend_client.post("/api/v1/retention/approvals", json={"person_id": person["id"]}, headers=manager)
    assert approval.status_code == 201, approval.text
    assert _sweep(backend_container).count(StepOutcomeKind.done) == 1
    assert_nothing_left_but_a_certificate(
        backend_container, backend_client, manager, pseudonym=person["pseudonym"], born=BORN
    )
